/**
 * Forms of the ops writes (seats, manual usage): each form's context-free zod schema, and `…SchemaFor(ctx)`
 * adding what depends on the customer's plan and period. Parsed in the browser and again by server/.
 */
import { z } from "zod";
import { formatUtc } from "./format.ts";
import { parseNumberInput, type NumberInput, type NumberInputRules } from "./number-input.ts";

// ---------------------------------------------------------------- bounds

/** Highest seat count the console will set (a typo guard, not a Commet limit). */
export const MAX_SEATS = 10_000;
/** Largest quantity of one manual usage event / usage correction. */
export const MAX_USAGE_QUANTITY = 1_000_000;
export const MAX_REASON_LENGTH = 500;
export const MAX_IDEMPOTENCY_KEY_LENGTH = 100;
/** Browser clocks drift: an event time up to this far ahead of the server's clock counts as "now". */
export const FUTURE_TOLERANCE_MS = 60_000;
/** Seat changes of more than this many seats need the customer's email typed to confirm. */
export const LARGE_SEAT_CHANGE_ABS = 20;
/** …or of at least this fraction of the current count (0.5 = ±50 %). */
export const LARGE_SEAT_CHANGE_RATIO = 0.5;

// ---------------------------------------------------------------- reasons

export const SEAT_REASONS = {
  customer_request: "Customer request",
  sales_agreement: "Sales agreement / contract",
  billing_correction: "Billing correction",
  support_goodwill: "Support goodwill",
  migration: "Migration / data fix",
  other: "Other (explain)",
} as const;

export const USAGE_REASONS = {
  missed_events: "Events missed by the integration",
  billing_correction: "Billing correction",
  offline_usage: "Offline / manual usage",
  support_goodwill: "Support goodwill",
  migration: "Migration / data fix",
  other: "Other (explain)",
} as const;

export type SeatReasonCode = keyof typeof SEAT_REASONS;
export type UsageReasonCode = keyof typeof USAGE_REASONS;

// ---------------------------------------------------------------- building blocks

// C0 controls (tab and newlines included: every field here is one line), DEL, C1 controls, and the
// invisible bidirectional overrides that can disguise text in the audit trail.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

export const plainText = (max: number, label: string) =>
  z
    .string()
    .trim()
    .max(max, `${label} must be at most ${max} characters`)
    .refine((s) => !CONTROL_CHARS.test(s), `${label} must not contain control characters`);

/** Feature codes are lowercase alphanumeric with underscores (Commet's rule). */
const featureCode = z
  .string({ error: "Choose a feature" })
  .trim()
  .min(1, "Choose a feature")
  .max(100, "Unknown feature")
  .regex(/^[a-z0-9_]+$/, "Unknown feature");

export const customerId = z
  .string({ error: "Customer is missing" })
  .trim()
  .min(1, "Customer is missing")
  .max(255, "Customer id is too long")
  .refine((s) => !CONTROL_CHARS.test(s), "Customer id must not contain control characters");

/**
 * The key that makes a submission happen once: generated when the form is rendered, shown and
 * editable (a ticket-derived key such as `ticket-4812` may be pasted). Sent to Commet as the
 * Idempotency-Key (and, for usage, as the event's idempotencyKey).
 */
export const idempotencyKeySchema = z
  .string({ error: "An idempotency key is required" })
  .trim()
  .min(1, "An idempotency key is required")
  .max(MAX_IDEMPOTENCY_KEY_LENGTH, `The idempotency key must be at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, "Use letters, digits and . _ : - only (e.g. ticket-4812)")
  // The audit trail redacts anything shaped like an API key; a key must be stored as it is sent.
  .refine(
    (s) => !/\b(?:ck|sk|pk|rk|whsec)_[A-Za-z0-9_-]{4,}/.test(s),
    "This looks like an API key: choose another key",
  );

/** A fresh idempotency key for a form being rendered (`seats-…`, `usage-…`, `cancel-…`, `plan-…`, `refund-…`). */
export function newIdempotencyKey(
  prefix:
    | "seats"
    | "usage"
    | "usage-set"
    | "invoice-send"
    | "cancel"
    | "uncancel"
    | "cancel-now"
    | "plan"
    | "retry"
    | "refund"
    | "recovery",
): string {
  return `${prefix}-${globalThis.crypto.randomUUID()}`;
}

/**
 * Numbers from a form arrive as strings, read by the console's one number parser (parseNumberInput); a number
 * (a caller passing parsed fields) is held to the same rules. "" is "missing".
 */
function numberField(label: string, rules: NumberInputRules & { negativeMessage?: string }) {
  const messages: Record<Exclude<NumberInput, { ok: true }>["reason"], string> = {
    empty: `${label} is required`,
    format: `${label} must be a number`,
    negative: rules.negativeMessage ?? `${label} cannot be negative`,
    fraction: `${label} must be a whole number`,
  };
  return z.unknown().transform((input, ctx) => {
    const parsed = typeof input === "string" ? parseNumberInput(input, rules) : numberAsInput(input, rules);
    if (parsed.ok) return parsed.value;
    ctx.addIssue({ code: "custom", message: messages[parsed.reason] });
    return z.NEVER;
  });
}

function numberAsInput(input: unknown, rules: NumberInputRules): NumberInput {
  if (input === undefined || input === null) return { ok: false, reason: "empty" };
  if (typeof input !== "number" || !Number.isFinite(input)) return { ok: false, reason: "format" };
  if (input < 0 && !rules.negative) return { ok: false, reason: "negative" };
  if (!Number.isInteger(input) && !rules.decimals) return { ok: false, reason: "fraction" };
  return { ok: true, value: input };
}

const quantityField = (label: string) =>
  numberField(label, { decimals: true, negativeMessage: `${label} must be greater than 0` })
    .refine((n) => n > 0, `${label} must be greater than 0`)
    .refine((n) => n <= MAX_USAGE_QUANTITY, `${label} must be at most ${MAX_USAGE_QUANTITY.toLocaleString("en-US")}`);

const seatCountField = (label: string) =>
  numberField(label, {}).refine((n) => n <= MAX_SEATS, `${label} must be at most ${MAX_SEATS.toLocaleString("en-US")}`);

export function reasonFields<const C extends Record<string, string>>(codes: C) {
  return {
    reasonCode: z.enum(Object.keys(codes) as [keyof C & string, ...Array<keyof C & string>], {
      error: "Choose a reason",
    }),
    reasonText: plainText(MAX_REASON_LENGTH, "The reason").optional().default(""),
  };
}

export function requireTextForOther(value: { reasonCode: string; reasonText: string }, ctx: z.RefinementCtx) {
  if (value.reasonCode === "other" && value.reasonText.length === 0) {
    ctx.addIssue({ code: "custom", path: ["reasonText"], message: "Explain the reason" });
  }
}

/** Event times: an ISO timestamp with offset, or a `datetime-local` value (read as UTC, the console's zone). */
const eventTimeField = z.preprocess(
  (v) => (typeof v === "string" && v.trim() === "" ? undefined : v),
  z
    .string()
    .trim()
    .max(40, "Enter a valid date and time")
    .refine((s) => parseEventTime(s) !== null, "Enter a valid date and time")
    .optional(),
);

export function parseEventTime(text: string): Date | null {
  const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?$/;
  if (!iso.test(text)) return null;
  // Date() rolls impossible dates over (Feb 30 → Mar 2): check the calendar and clock fields first.
  const [y, mo, d, hh, mm, ss] = [0, 5, 8, 11, 14, 17].map((at, i) => Number(text.slice(at, at + (i === 0 ? 4 : 2))));
  const day = new Date(Date.UTC(y!, mo! - 1, d!));
  if (day.getUTCMonth() !== mo! - 1 || day.getUTCDate() !== d || hh! > 23 || mm! > 59 || (text[16] === ":" && ss! > 59))
    return null;
  const hasZone = /(Z|[+-]\d{2}:\d{2})$/.test(text);
  const date = new Date(hasZone ? text : `${text}Z`);
  return Number.isNaN(date.getTime()) ? null : date;
}

// ---------------------------------------------------------------- seats

export const SEAT_OPS = ["set", "add", "remove"] as const;
export type SeatOp = (typeof SEAT_OPS)[number];

export const seatChangeFormSchema = z
  .object({
    customerId,
    seatType: featureCode,
    op: z.enum(SEAT_OPS, { error: "Choose set, add or remove" }),
    quantity: seatCountField("Quantity"),
    /** The count the staffer saw when the form was rendered (no blind overwrite). */
    seenCount: seatCountField("The seen count"),
    ...reasonFields(SEAT_REASONS),
    idempotencyKey: idempotencyKeySchema,
    /** The customer's email, typed to confirm a large change (checked against Commet by the server). */
    confirmEmail: z.preprocess(
      (v) => (typeof v === "string" && v.trim() === "" ? undefined : v),
      plainText(320, "The email").optional(),
    ),
  })
  .superRefine((v, ctx) => {
    requireTextForOther(v, ctx);
    if (v.op !== "set" && v.quantity === 0)
      ctx.addIssue({ code: "custom", path: ["quantity"], message: "Quantity must be greater than 0" });
    const next = seatTarget(v.op, v.seenCount, v.quantity);
    if (next < 0) {
      ctx.addIssue({
        code: "custom",
        path: ["quantity"],
        message: `Cannot remove ${v.quantity} seats: only ${v.seenCount} left (seats cannot go below 0)`,
      });
    } else if (next > MAX_SEATS) {
      ctx.addIssue({
        code: "custom",
        path: ["quantity"],
        message: `The result (${next}) would exceed ${MAX_SEATS.toLocaleString("en-US")} seats`,
      });
    }
  });

export type SeatChangeForm = z.infer<typeof seatChangeFormSchema>;

/** The count after the change, from the count the staffer saw. */
export function seatTarget(op: SeatOp, from: number, quantity: number): number {
  return op === "set" ? quantity : op === "add" ? from + quantity : from - quantity;
}

/** Whether a change from → to needs the customer's email typed to confirm. */
export function isLargeSeatChange(from: number, to: number): boolean {
  const delta = Math.abs(to - from);
  if (delta > LARGE_SEAT_CHANGE_ABS) return true;
  return from > 0 && delta / from >= LARGE_SEAT_CHANGE_RATIO;
}

export interface SeatFormContext {
  /** Seat types (features of type "seats") on the customer's plan. */
  seatTypes: ReadonlyArray<{ code: string; name: string }>;
}

export function seatChangeSchemaFor(ctx: SeatFormContext) {
  const codes = new Set(ctx.seatTypes.map((s) => s.code));
  return seatChangeFormSchema.superRefine((v, issue) => {
    if (!codes.has(v.seatType)) {
      issue.addIssue({
        code: "custom",
        path: ["seatType"],
        message: `'${v.seatType}' is not a seat type of the customer's plan`,
      });
    }
  });
}

// ---------------------------------------------------------------- usage

/**
 * Units that are measured, not counted: a usage feature whose unit is one of these accepts
 * decimal quantities (e.g. 2.5 GB). Everything else (calls, events, messages, …) is whole units.
 */
export const DECIMAL_UNITS = new Set([
  "byte",
  "kb",
  "mb",
  "gb",
  "tb",
  "gib",
  "mib",
  "tib",
  "second",
  "minute",
  "hour",
  "day",
  "sec",
  "min",
  "hr",
  "ms",
  "kwh",
  "wh",
  "km",
  "mile",
  "credit",
  "dollar",
  "usd",
  "eur",
]);

export function allowsDecimals(unitName: string | null | undefined): boolean {
  if (!unitName) return false;
  const unit = unitName.trim().toLowerCase().replace(/s$/, "");
  return DECIMAL_UNITS.has(unit) || DECIMAL_UNITS.has(unitName.trim().toLowerCase());
}

export interface UsageFeatureOption {
  code: string;
  name: string;
  unitName: string | null;
  allowsDecimals: boolean;
}

export interface UsageFormContext {
  /** Usage features (type "usage", enabled) of the customer's plan. */
  features: ReadonlyArray<UsageFeatureOption>;
  /** Start of the current billing period (events before it are refused). */
  periodStart: Date;
  /** The server's clock. */
  now: Date;
}

export const usageRecordFormSchema = z
  .object({
    customerId,
    featureCode,
    quantity: quantityField("Quantity"),
    /** Empty = now. */
    eventTime: eventTimeField,
    ...reasonFields(USAGE_REASONS),
    idempotencyKey: idempotencyKeySchema,
  })
  .superRefine(requireTextForOther);

export type UsageRecordForm = z.infer<typeof usageRecordFormSchema>;

export const usageSetFormSchema = z
  .object({
    customerId,
    featureCode,
    /** The exact total for the current period (0 allowed). */
    value: numberField("Value", { decimals: true }).refine(
      (n) => n <= MAX_USAGE_QUANTITY,
      `Value must be at most ${MAX_USAGE_QUANTITY.toLocaleString("en-US")}`,
    ),
    ...reasonFields(USAGE_REASONS),
    idempotencyKey: idempotencyKeySchema,
  })
  .superRefine(requireTextForOther);

export type UsageSetForm = z.infer<typeof usageSetFormSchema>;

function checkUsageFeature(
  ctx: UsageFormContext,
  code: string,
  quantity: number,
  quantityField: string,
  issue: z.RefinementCtx,
): void {
  const feature = ctx.features.find((f) => f.code === code);
  if (!feature) {
    issue.addIssue({
      code: "custom",
      path: ["featureCode"],
      message: `'${code}' is not a usage feature of the customer's plan`,
    });
    return;
  }
  if (!feature.allowsDecimals && !Number.isInteger(quantity)) {
    issue.addIssue({
      code: "custom",
      path: [quantityField],
      message: `${feature.name} is counted in whole ${feature.unitName ?? "unit"}s`,
    });
  }
}

export function usageRecordSchemaFor(ctx: UsageFormContext) {
  return usageRecordFormSchema.superRefine((v, issue) => {
    checkUsageFeature(ctx, v.featureCode, v.quantity, "quantity", issue);
    if (v.eventTime === undefined) return;
    const at = parseEventTime(v.eventTime)!;
    if (at.getTime() > ctx.now.getTime() + FUTURE_TOLERANCE_MS) {
      issue.addIssue({ code: "custom", path: ["eventTime"], message: "The event time cannot be in the future" });
    } else if (at.getTime() < ctx.periodStart.getTime()) {
      issue.addIssue({
        code: "custom",
        path: ["eventTime"],
        message: `The event time is before the current billing period, which started ${formatUtc(ctx.periodStart)}; usage of closed periods cannot be recorded`,
      });
    }
  });
}

export function usageSetSchemaFor(ctx: Pick<UsageFormContext, "features">) {
  return usageSetFormSchema.superRefine((v, issue) => {
    checkUsageFeature({ ...ctx, periodStart: new Date(0), now: new Date(0) }, v.featureCode, v.value, "value", issue);
  });
}

// ---------------------------------------------------------------- parsing and text

export type FieldErrors = Record<string, string[]>;
export type ParsedForm<T> = { ok: true; data: T } | { ok: false; fieldErrors: FieldErrors };

/** Parses FormData (or a plain object) with a schema; field errors keyed by field name. */
export function parseForm<S extends z.ZodType>(
  schema: S,
  input: FormData | Record<string, unknown>,
): ParsedForm<z.output<S>> {
  const raw = typeof FormData !== "undefined" && input instanceof FormData ? Object.fromEntries(input) : input;
  const result = schema.safeParse(raw);
  if (result.success) return { ok: true, data: result.data };
  const flat = z.flattenError(result.error);
  const fieldErrors: FieldErrors = {};
  for (const [key, messages] of Object.entries(flat.fieldErrors as Record<string, string[] | undefined>)) {
    if (messages?.length) fieldErrors[key] = messages;
  }
  if (flat.formErrors.length) fieldErrors._form = flat.formErrors;
  return { ok: false, fieldErrors };
}
