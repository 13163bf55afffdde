/**
 * Money as Commet sends it (client-safe):
 * - invoices and transactions: integers in the currency's minor unit (cents for USD, none for JPY
 *   and CLP) — docs/decisions/0003 and the API schemas ("price in the currency's minor unit");
 * - per-unit prices and balances: rate scale, 10000 = 1 unit of the currency (the SDK's PriceDef).
 * Formatted with Intl.NumberFormat in en-US so server and browser render the same text.
 */
/** A formatter per currency and scale, and whether it writes the currency itself (an ISO 4217 code) or not. */
type Formatter = { f: Intl.NumberFormat; symbol: boolean };
const formatters = new Map<string, Formatter>();

function formatter(currency: string, rate = false): Formatter {
  const key = `${currency}:${rate}`;
  let made = formatters.get(key);
  if (!made) {
    try {
      const base = new Intl.NumberFormat("en-US", { style: "currency", currency });
      const digits = base.resolvedOptions().maximumFractionDigits ?? 2;
      const f = rate
        ? new Intl.NumberFormat("en-US", {
            style: "currency",
            currency,
            minimumFractionDigits: digits,
            maximumFractionDigits: Math.max(digits, 4),
          })
        : base;
      made = { f, symbol: true };
    } catch {
      // Not an ISO 4217 code: plain number with the code after it.
      const f = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: rate ? 4 : 2 });
      made = { f, symbol: false };
    }
    formatters.set(key, made);
  }
  return made;
}

const digitsOf = new Map<string, number>();

/** Decimal places of the currency's minor unit (USD 2, JPY 0); remembered per code (a formatter is costly to make). */
export function minorDigits(currency: string): number {
  let digits = digitsOf.get(currency);
  if (digits === undefined) {
    try {
      digits =
        new Intl.NumberFormat("en-US", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
    } catch {
      digits = 2;
    }
    digitsOf.set(currency, digits);
  }
  return digits;
}

// Remembered with the formatter: resolvedOptions() builds a new object on every call (costly on a page of amounts).
function withCode(text: string, currency: string, made: Formatter): string {
  return made.symbol ? text : `${text} ${currency}`;
}

/** 12345 USD (cents) → "$123.45"; 500 JPY → "¥500". */
export function formatMinor(amount: number, currency: string): string {
  const code = currency.toUpperCase();
  const made = formatter(code);
  return withCode(made.f.format(amount / 10 ** minorDigits(code)), code, made);
}

/**
 * Rate scale (10000 = 1 unit; plan prices, unit prices and balances), which allows sub-cent unit
 * prices: 15 USD → "$0.0015", 290000 → "$29.00" (the minor unit's digits, up to 4).
 */
export function formatRate(rate: number, currency = "USD"): string {
  const code = currency.toUpperCase();
  const made = formatter(code, true);
  return withCode(made.f.format(rate / 10_000), code, made);
}

/** Rate scale rounded to the currency's minor unit, for amounts to be charged: 350000 USD → "$35.00". */
export function formatRateCents(rate: number, currency = "USD"): string {
  const code = currency.toUpperCase();
  return formatMinor(Math.round((rate * 10 ** minorDigits(code)) / 10_000), code);
}

/** A per-unit price in minor units, which may be a fraction of one (API calls at 0.1 cent → "$0.001"). */
export function formatMinorUnit(amount: number, currency: string): string {
  const code = currency.toUpperCase();
  return formatRate(Math.round(amount * 10 ** (4 - minorDigits(code))), code);
}
