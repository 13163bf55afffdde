/**
 * Period-over-period comparison in the usage explorer (client-safe): the previous range of a range, buckets paired
 * by position, and totals with their change. Day grain: the same number of days just before; week grain: shifted
 * by whole weeks (the weekdays line up); month grain: shifted by the months the range spans (same days of month).
 */
import type { SeriesPoint, UsageGrain } from "./usage-grain.ts";

export const USAGE_COMPARES = ["none", "previous"] as const;
export type UsageCompare = (typeof USAGE_COMPARES)[number];

const DAY = 86_400_000;
const ms = (iso: string) => Date.parse(`${iso}T00:00:00Z`);
const iso = (t: number) => new Date(t).toISOString().slice(0, 10);

function minusMonths(day: string, months: number): string {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  const target = new Date(Date.UTC(y, m - 1 - months, 1));
  const last = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(d, last));
  return iso(target.getTime());
}

/** The range a [from, to] range (inclusive UTC days) is compared with. */
export function previousRange(from: string, to: string, grain: UsageGrain): { from: string; to: string } {
  const days = Math.round((ms(to) - ms(from)) / DAY) + 1;
  if (grain === "month") {
    const months =
      (Number(to.slice(0, 4)) - Number(from.slice(0, 4))) * 12 + Number(to.slice(5, 7)) - Number(from.slice(5, 7)) + 1;
    // A range ending on a month's last day compares with one ending on the last day of its month (Nov 30 → Oct 31).
    const endsMonth = iso(ms(to) + DAY).endsWith("-01");
    const prevTo = endsMonth
      ? iso(ms(`${minusMonths(`${to.slice(0, 7)}-01`, months - 1).slice(0, 7)}-01`) - DAY)
      : minusMonths(to, months);
    return { from: minusMonths(from, months), to: prevTo };
  }
  const shift = grain === "week" ? Math.ceil(days / 7) * 7 : days;
  return { from: iso(ms(from) - shift * DAY), to: iso(ms(to) - shift * DAY) };
}

export interface FeatureComparison {
  code: string;
  current: number;
  previous: number;
  delta: number;
  /** Change in percent of the previous total; null when the previous total is zero. */
  deltaPct: number | null;
}

export function compareTotals(
  current: Record<string, number>,
  previous: Record<string, number>,
  codes: readonly string[],
): FeatureComparison[] {
  return codes.map((code) => {
    const c = current[code] ?? 0;
    const p = previous[code] ?? 0;
    return { code, current: c, previous: p, delta: c - p, deltaPct: p === 0 ? null : ((c - p) / p) * 100 };
  });
}

/** "+12.5%", "−3.0%", "new" (nothing before). */
export function formatDeltaPct(pct: number | null, delta: number): string {
  if (pct === null) return delta === 0 ? "0%" : "new";
  const text = `${Math.abs(pct).toFixed(1)}%`;
  return pct > 0 ? `+${text}` : pct < 0 ? `−${text}` : text;
}

/** Current and previous buckets paired by position (the previous range has as many or one bucket more or less). */
export function pairBuckets(
  current: readonly SeriesPoint[],
  previous: readonly SeriesPoint[],
): Array<{ date: string; previousDate: string | null; current: SeriesPoint; previous: SeriesPoint | null }> {
  return current.map((c, i) => ({
    date: c.date,
    previousDate: previous[i]?.date ?? null,
    current: c,
    previous: previous[i] ?? null,
  }));
}

/** Feature totals of a series (days or buckets). */
export function totalsOf(points: readonly SeriesPoint[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of points) for (const [code, v] of Object.entries(p.totals)) out[code] = (out[code] ?? 0) + v;
  return out;
}
