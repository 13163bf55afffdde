/**
 * The one parser of numbers typed by staff (form fields, URL parameters): plain decimals as the console shows
 * them (formatCount: en-US, comma-grouped). `Number()` also reads hex, binary, exponents, `Infinity`; this does not.
 */

export interface NumberInputRules {
  /** A leading minus is accepted (default: no). */
  negative?: boolean;
  /** A decimal point followed by digits is accepted (default: no). */
  decimals?: boolean;
}

export type NumberInput =
  | { ok: true; value: number }
  /** empty: nothing typed; format: not a plain number; negative / fraction: a number these rules do not allow. */
  | { ok: false; reason: "empty" | "format" | "negative" | "fraction" };

// Digits, either ungrouped or grouped by commas in threes (1,000 / 12,345,678), then an optional fraction.
const PLAIN_DECIMAL = /^(-?)(\d+|\d{1,3}(?:,\d{3})+)(\.\d+)?$/;

export function parseNumberInput(text: string, rules: NumberInputRules = {}): NumberInput {
  const trimmed = text.trim();
  if (trimmed === "") return { ok: false, reason: "empty" };
  const match = PLAIN_DECIMAL.exec(trimmed);
  if (!match) return { ok: false, reason: "format" };
  const [, sign, whole, fraction] = match;
  const value = Number(`${sign}${whole!.replaceAll(",", "")}${fraction ?? ""}`);
  if (!Number.isFinite(value)) return { ok: false, reason: "format" };
  if (sign && !rules.negative) return { ok: false, reason: "negative" };
  if (fraction && !rules.decimals) return { ok: false, reason: "fraction" };
  // -0 is 0: a form never means a signed zero.
  return { ok: true, value: value === 0 ? 0 : value };
}

/** A whole, non-negative number from a URL parameter, or undefined (for a zod `.catch` default to replace). */
export function wholeNumberParam(input: unknown): number | undefined {
  if (typeof input === "number") return input;
  if (typeof input !== "string") return undefined;
  const parsed = parseNumberInput(input);
  return parsed.ok ? parsed.value : undefined;
}
