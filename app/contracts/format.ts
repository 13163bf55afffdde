/** Display formatting of numbers, quantities and times, shared by the screens and the server (client-safe); money is in money.ts. */

// Exact and grouped; up to 4 decimals for decimal usage features.
const count = new Intl.NumberFormat("en-US", { maximumFractionDigits: 4 });

export function formatCount(value: number): string {
  // Small whole numbers (most counts on a page) print the same without the formatter, at a fraction of its cost.
  return Number.isInteger(value) && value >= 0 && value < 1000 && !Object.is(value, -0)
    ? String(value)
    : count.format(value);
}

/** A unit name for `value` of it: "seat" → "seats" unless exactly 1 — unit names from Commet are singular. */
export function unitLabel(value: number, unit: string): string {
  return value === 1 || unit.endsWith("s") ? unit : `${unit}s`;
}

/** "1 seat", "3 seats", "1,000 calls"; the bare number without a unit. */
export function formatQuantity(value: number, unit?: string | null): string {
  return unit ? `${formatCount(value)} ${unitLabel(value, unit)}` : formatCount(value);
}

// Made once: toLocaleDateString with options builds a new formatter on every call.
const shortDayFormat = new Intl.DateTimeFormat("en-US", { month: "short", day: "numeric", timeZone: "UTC" });

/** "2026-11-21" → "Nov 21" (UTC day labels of chart axes). */
export function shortDay(iso: string): string {
  return shortDayFormat.format(new Date(`${iso}T00:00:00Z`));
}

const intervalLabels: Record<string, string> = {
  weekly: "week",
  monthly: "month",
  quarterly: "quarter",
  yearly: "year",
  one_time: "one-time",
};

export function formatInterval(interval: string): string {
  return intervalLabels[interval] ?? interval;
}

/** A stable, locale-independent UTC date ("2026-11-21"), so server and browser render the same text. */
export function formatDate(date: Date | number | string): string {
  const d = new Date(date);
  return Number.isNaN(d.getTime()) ? String(date) : d.toISOString().slice(0, 10);
}

/**
 * "2026-11-21 22:40 UTC" ("2026-11-21 22:40:05 UTC" with seconds, for trails) — the console shows
 * times in UTC, so server and browser render the same text.
 */
export function formatUtc(date: Date | number | string, options: { seconds?: boolean } = {}): string {
  const d = new Date(date);
  if (Number.isNaN(d.getTime())) return String(date);
  return `${d
    .toISOString()
    .slice(0, options.seconds ? 19 : 16)
    .replace("T", " ")} UTC`;
}

/**
 * "just now", "5 min ago", "3 h ago" ("never" for null) as of `now`. Takes the clock as an argument so
 * the server render and the browser's first render, given the same `now`, show the same text.
 */
export function formatAgo(ms: number | null, now: number): string {
  if (!ms) return "never";
  const minutes = Math.round((now - ms) / 60_000);
  if (minutes < 1) return "just now";
  if (minutes < 60) return `${minutes} min ago`;
  return `${Math.round(minutes / 60)} h ago`;
}
