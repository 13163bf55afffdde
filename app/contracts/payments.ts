/**
 * Payments (client-safe): the customer's transactions as the Payments panel shows them, the forms of
 * retry / refund / recovery link, what those writes answer, and the /payments queue's URL state and rows.
 */
import { z } from "zod";
import { idempotencyKeySchema, MAX_REASON_LENGTH, type FieldErrors } from "./ops-forms.ts";
import { writeStatus, type OpsWriteResult } from "./ops-results.ts";

export const TRANSACTION_STATUSES = ["pending", "succeeded", "failed", "refunded", "disputed"] as const;
export type TransactionStatus = (typeof TRANSACTION_STATUSES)[number];

/** One charge as the Payments panel and the queue show it (amounts in the currency's minor unit). */
export interface TransactionView {
  id: string;
  invoiceId: string | null;
  invoiceNumber: string | null;
  /** The invoice belongs to a subscription: a full refund ends that subscription (Commet's rule). */
  subscriptionInvoice: boolean;
  /** …and that subscription has not ended yet: a full refund would end it now. */
  endsSubscription: boolean;
  invoiceStatus: string | null;
  /** Gross amount in cents; null when Commet has no USD figure for it. */
  amount: number | null;
  currency: string;
  status: TransactionStatus;
  createdAt: string;
  paidAt: string | null;
  /** Why it failed, as Commet's payment.failed / payment.retry_failed webhooks said (null: not reported). */
  failureReason: string | null;
  /** A failed renewal whose invoice is still outstanding: Commet can retry it. */
  retryable: boolean;
  /** A settled charge that can be refunded in full. */
  refundable: boolean;
}

export interface PaymentsPanelData {
  customerEmail: string;
  transactions: TransactionView[];
  /** More transactions exist than the panel read. */
  truncated: boolean;
  /** The customer's past-due subscription, if any (a recovery link can be sent for it). */
  pastDue: { subscriptionId: string; planName: string } | null;
}

// ---------------------------------------------------------------- forms

export const RETRY_REASONS = {
  customer_updated_card: "Customer updated their card",
  customer_request: "Customer asked to be charged again",
  bank_issue_resolved: "Bank / processor issue resolved",
  other: "Other (explain)",
} as const;

export const REFUND_REASONS = {
  requested_by_customer: "Requested by the customer",
  duplicate: "Duplicate charge",
  fraudulent: "Fraudulent charge",
  service_issue: "Service issue / goodwill",
  other: "Other (explain)",
} as const;

const reasonText = z
  .string()
  .trim()
  .max(MAX_REASON_LENGTH, `The reason must be at most ${MAX_REASON_LENGTH} characters`)
  // eslint-disable-next-line no-control-regex -- one-line text: control characters are refused
  .refine((s) => !/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/.test(s), "No control characters")
  .optional()
  .default("");

const commetId = (what: string) =>
  z
    .string({ error: `${what} is missing` })
    .trim()
    .min(1, `${what} is missing`)
    .max(255, `${what} is too long`)
    .regex(/^[A-Za-z0-9_.:-]+$/, `${what} is not a Commet id`);

const withOtherText = (v: { reasonCode: string; reasonText: string }, ctx: z.RefinementCtx) => {
  if (v.reasonCode === "other" && v.reasonText.length === 0)
    ctx.addIssue({ code: "custom", path: ["reasonText"], message: "Explain the reason" });
};

export const paymentRetryFormSchema = z
  .object({
    customerId: commetId("Customer"),
    transactionId: commetId("Transaction"),
    reasonCode: z.enum(Object.keys(RETRY_REASONS) as [keyof typeof RETRY_REASONS], { error: "Choose a reason" }),
    reasonText,
    idempotencyKey: idempotencyKeySchema,
  })
  .superRefine(withOtherText);
export type PaymentRetryForm = z.infer<typeof paymentRetryFormSchema>;

export const refundFormSchema = z
  .object({
    customerId: commetId("Customer"),
    transactionId: commetId("Transaction"),
    /** The amount (cents) the confirmation showed: refused if Commet's differs now. */
    seenAmount: z.coerce
      .number({ error: "The amount is missing" })
      .int("The amount is missing")
      .min(0, "The amount is missing"),
    reasonCode: z.enum(Object.keys(REFUND_REASONS) as [keyof typeof REFUND_REASONS], { error: "Choose a reason" }),
    reasonText,
    idempotencyKey: idempotencyKeySchema,
  })
  .superRefine(withOtherText);
export type RefundForm = z.infer<typeof refundFormSchema>;

export const recoveryFormSchema = z.object({
  customerId: commetId("Customer"),
  subscriptionId: commetId("Subscription"),
  idempotencyKey: idempotencyKeySchema,
});
export type RecoveryForm = z.infer<typeof recoveryFormSchema>;

// ---------------------------------------------------------------- results

/** Refused by the console before anything was sent: the transaction or subscription is not (any more) eligible. */
export interface PaymentRefusal {
  kind: "refused";
  status: 404 | 409;
  message: string;
}

export type PaymentActionResult = OpsWriteResult | PaymentRefusal;

/** A recovery link answered once to the staffer who asked: never stored, never shown again. */
export type RecoveryActionResult =
  | Exclude<PaymentActionResult, { kind: "ok" }>
  | (Extract<OpsWriteResult, { kind: "ok" }> & { recoveryUrl: string; customerMessage: string });

export function recoveryMessage(url: string, planName: string): string {
  return [
    "Hi,",
    "",
    `The last payment for your ${planName} subscription did not go through, so the subscription is past due.`,
    "You can pay the outstanding invoice securely here (you can also update your card on that page):",
    url,
    "",
    "The link stays valid until the invoice is paid. Reply to this message if anything is unclear.",
  ].join("\n");
}

/** Field errors of a payment form, for the components. */
export type PaymentFieldErrors = FieldErrors;

// ---------------------------------------------------------------- the /payments queue

export const PAYMENTS_PAGE_SIZES = [25, 50, 100] as const;

const isoDay = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  .refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)));

/** The queue's URL state; anything unusable falls back to its default (the page still renders). */
export const paymentsSearchSchema = z.object({
  status: z.enum(TRANSACTION_STATUSES).optional().catch(undefined),
  from: isoDay.optional().catch(undefined),
  to: isoDay.optional().catch(undefined),
  plan: z.string().trim().min(1).max(100).optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(10_000).catch(1),
  pageSize: z.coerce
    .number()
    .int()
    .refine((n) => (PAYMENTS_PAGE_SIZES as readonly number[]).includes(n))
    .catch(25),
});
export type PaymentsSearch = z.infer<typeof paymentsSearchSchema>;

/** Why the date range cannot be used (null: it can). */
export function paymentsRangeError(search: Pick<PaymentsSearch, "from" | "to">): string | null {
  return search.from && search.to && search.from > search.to
    ? `“From” (${search.from}) is after “To” (${search.to}): choose a range that ends on or after its start.`
    : null;
}

export function parsePaymentsSearch(params: URLSearchParams): PaymentsSearch {
  const raw = Object.fromEntries([...params.entries()].filter(([, v]) => v !== ""));
  return paymentsSearchSchema.parse(raw);
}

export interface PaymentQueueRow {
  id: string;
  status: TransactionStatus;
  amount: number | null;
  currency: string;
  createdAt: string;
  invoiceId: string | null;
  customerEmail: string | null;
  customerName: string | null;
  /** The indexed customer (null: not in the console's index yet). */
  customerId: string | null;
  planName: string | null;
  subscriptionStatus: string | null;
  /** A failed charge of a customer whose subscription is past due: money still to collect. */
  atRisk: boolean;
}

export interface PaymentsQueue {
  state: PaymentsSearch;
  /** The filters could not be applied (nothing was read): the message to show. */
  rangeError: string | null;
  rows: PaymentQueueRow[];
  total: number;
  /** Sum of at-risk charges in the filtered set, per currency (cents). */
  atRisk: Array<{ currency: string; amount: number; count: number }>;
  counts: Partial<Record<TransactionStatus, number>>;
  plans: Array<{ planId: string; planName: string | null }>;
  /** What was read from Commet: per status, how many and whether the list was complete. */
  coverage: { perStatusLimit: number; statuses: Array<{ status: TransactionStatus; read: number; complete: boolean }> };
}

/** The HTTP status of a payment action's answer (a refusal carries its own: 404 or 409). */
export function paymentStatus(result: PaymentActionResult | RecoveryActionResult): number {
  return result.kind === "refused" ? result.status : writeStatus(result);
}
