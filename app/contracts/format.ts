/** Display formatting shared by the screens (client-safe). */

const count = new Intl.NumberFormat("en-US");
const rateMoney = new Intl.NumberFormat("en-US", {
  style: "currency",
  currency: "USD",
  minimumFractionDigits: 2,
  maximumFractionDigits: 4,
});

/**
 * An amount on Commet's rate scale (10000 = $1.00; @commet/node 7.10.0 uses it
 * for plan prices and unit prices), which allows sub-cent unit prices such as
 * $0.0015 per API call: shows at least 2 and up to 4 decimals.
 */
export function formatRate(rate: number): string {
  return rateMoney.format(rate / 10_000);
}

export function formatCount(value: number): string {
  return count.format(value);
}

/** A unit name for `value` of it: "seat" → "seats" unless exactly 1 — unit names from Commet are singular. */
export function unitLabel(value: number, unit: string): string {
  return value === 1 || unit.endsWith("s") ? unit : `${unit}s`;
}

/** "1 seat", "3 seats", "1,000 calls". */
export function formatQuantity(value: number, unit: string): string {
  return `${formatCount(value)} ${unitLabel(value, unit)}`;
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
  return `${d.toISOString().slice(0, options.seconds ? 19 : 16).replace("T", " ")} UTC`;
}

const usd = new Intl.NumberFormat("en-US", {
  style: "currency",
  currency: "USD",
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
});

/** An amount on Commet's rate scale (10000 = $1.00) rounded to cents: "$35.00". */
export function formatRateCents(rate: number): string {
  return usd.format(Math.round(rate / 100) / 100);
}
