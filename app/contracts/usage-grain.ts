/** The usage explorer's chart grains: UTC days summed into ISO weeks (Monday first) or calendar months. Client-safe. */

export const USAGE_GRAINS = ["day", "week", "month"] as const;
export type UsageGrain = (typeof USAGE_GRAINS)[number];

export interface SeriesPoint {
  /** The bucket's first UTC day (ISO); with a grain wider than the range, the range's first day it holds. */
  date: string;
  totals: Record<string, number>;
  total: number;
}

/** The first UTC day of the week (Monday) or month `iso` falls in. */
export function bucketStart(iso: string, grain: UsageGrain): string {
  if (grain === "day") return iso;
  if (grain === "month") return `${iso.slice(0, 7)}-01`;
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  return d.toISOString().slice(0, 10);
}

/** Days (in order, zero-filled) summed per bucket; a partial first or last bucket keeps only the range's days. */
export function bucketSeries(days: readonly SeriesPoint[], grain: UsageGrain): SeriesPoint[] {
  if (grain === "day") return [...days];
  const out: SeriesPoint[] = [];
  let key: string | null = null;
  for (const day of days) {
    const start = bucketStart(day.date, grain);
    if (start !== key) {
      key = start;
      out.push({ date: start < day.date ? day.date : start, totals: {}, total: 0 });
    }
    const bucket = out[out.length - 1]!;
    for (const [code, v] of Object.entries(day.totals)) bucket.totals[code] = (bucket.totals[code] ?? 0) + v;
    bucket.total += day.total;
  }
  return out;
}
