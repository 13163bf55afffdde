/**
 * Invoices (client-safe): one invoice with every line explained, the org-wide /invoices queue's URL state and
 * rows, and the resend form. Amounts are in the currency's minor unit (cents), as Commet sends them.
 */
import { z } from "zod";
import { idempotencyKeySchema } from "./ops-forms.ts";
import { invoiceIdSchema } from "./customer-ref.ts";

export const INVOICE_STATUSES = ["draft", "outstanding", "paid", "void", "uncollectible"] as const;
/** What the console shows: Commet's status, with "overdue" for an outstanding invoice past its due date. */
export const INVOICE_QUEUE_STATUSES = ["overdue", "outstanding", "paid", "void", "uncollectible", "draft"] as const;
export type InvoiceQueueStatus = (typeof INVOICE_QUEUE_STATUSES)[number];

/** Overdue is a fact about the due date, not a Commet status (webhooks/invoice-overdue.md). */
export function displayStatus(invoice: { status: string; dueDate: string }, nowMs: number): string {
  return invoice.status === "outstanding" && Date.parse(invoice.dueDate) < nowMs ? "overdue" : invoice.status;
}

export interface InvoiceLineDetail {
  lineType: string;
  featureName: string | null;
  description: string;
  quantity: number;
  /** Minor units; may be a fraction of a cent (API calls at $0.001). */
  unitAmount: number;
  amount: number;
  includedAmount: number | null;
  usedAmount: number | null;
  overageAmount: number | null;
  discountType: string | null;
  discountValue: number | null;
  discountName: string | null;
  chargeType: string;
}

export interface InvoiceDetail {
  id: string;
  customerId: string;
  invoiceNumber: string;
  status: string;
  /** status, or "overdue" (outstanding past its due date, by the server's clock). */
  displayStatus: string;
  invoiceType: string;
  currency: string;
  subtotal: number;
  discountAmount: number;
  creditApplied: number;
  taxAmount: number;
  total: number;
  periodStart: string;
  periodEnd: string;
  issueDate: string;
  dueDate: string;
  planName: string | null;
  memo: string | null;
  poNumber: string | null;
  reference: string | null;
  lineItems: InvoiceLineDetail[];
}

export const LINE_TYPE_LABELS: Record<string, string> = {
  plan_base: "Plan",
  feature_overage: "Usage overage",
  feature_seats: "Extra seats",
  feature_quota: "Extra quota",
  discount: "Discount",
  promo_code_discount: "Promo code",
  credit: "Credit applied",
  balance_overage: "Balance overage",
  addon_base: "Add-on",
  one_time: "One-time charge",
};

export const CHARGE_TYPE_LABELS: Record<string, string> = {
  standard: "",
  advance: "billed in advance",
  true_up: "billed in arrears",
};

export function lineTypeLabel(lineType: string): string {
  return LINE_TYPE_LABELS[lineType] ?? lineType.replace(/_/g, " ");
}

/** UTC day of an ISO instant: "2026-10-12". */
const day = (iso: string) => new Date(iso).toISOString().slice(0, 10);

/**
 * The UTC days an invoice's usage period covers, for the customer's usage tab: the period end is exclusive,
 * so the last day is the one before it (a period of Oct 12 → Nov 12 shows Oct 12 … Nov 11).
 */
export function usagePeriodDays(invoice: { periodStart: string; periodEnd: string }): { from: string; to: string } {
  const from = day(invoice.periodStart);
  const to = day(new Date(Date.parse(invoice.periodEnd) - 1).toISOString());
  return { from, to: to < from ? from : to };
}

/** The customer page, scrolled to its usage tab showing these UTC days. */
export function usageTabHref(customerRef: string, days: { from: string; to: string }): string {
  const params = new URLSearchParams({ usageFrom: days.from, usageTo: days.to });
  return `/customers/${encodeURIComponent(customerRef)}?${params}#usage`;
}

export function invoicePdfHref(customerRef: string, invoiceId: string): string {
  return `/customers/${encodeURIComponent(customerRef)}/invoices/${encodeURIComponent(invoiceId)}/pdf`;
}

export function invoiceHref(customerRef: string, invoiceId: string): string {
  return `/customers/${encodeURIComponent(customerRef)}/invoices/${encodeURIComponent(invoiceId)}`;
}

// ---------------------------------------------------------------- resend

/** The resend form: the invoice and the key that makes it happen once (the customer comes from the URL). */
export const invoiceSendFormSchema = z.object({
  customerId: z.string().trim().min(1, "Customer is missing").max(255),
  invoiceId: z.string({ error: "Invoice is missing" }).pipe(invoiceIdSchema),
  idempotencyKey: idempotencyKeySchema,
});
export type InvoiceSendForm = z.infer<typeof invoiceSendFormSchema>;

// ---------------------------------------------------------------- the /invoices queue

export const INVOICE_QUEUE_PAGE_SIZES = [25, 50, 100] as const;
export const INVOICE_SORTS = ["issued", "due", "total", "number", "customer"] as const;
export type InvoiceSort = (typeof INVOICE_SORTS)[number];

const isoDay = z.iso.date();

export const invoiceQueueSchema = z.object({
  status: z.enum(INVOICE_QUEUE_STATUSES).optional().catch(undefined),
  /** Invoices whose period overlaps [from, to] (UTC days, inclusive). */
  from: isoDay.optional().catch(undefined),
  to: isoDay.optional().catch(undefined),
  /** A Commet id or externalId. */
  customer: z.string().trim().min(1).max(255).optional().catch(undefined),
  sort: z
    .string()
    .regex(new RegExp(`^-?(${INVOICE_SORTS.join("|")})$`))
    .catch("-issued"),
  page: z.coerce.number().int().min(1).max(10_000).catch(1),
  pageSize: z.coerce
    .number()
    .int()
    .refine((n) => (INVOICE_QUEUE_PAGE_SIZES as readonly number[]).includes(n))
    .catch(25),
});
export type InvoiceQueueState = z.infer<typeof invoiceQueueSchema>;

export function parseInvoiceQueue(params: URLSearchParams): InvoiceQueueState {
  const get = (k: string) => params.get(k)?.trim() || undefined;
  const state = invoiceQueueSchema.parse({
    status: get("status"),
    from: get("from"),
    to: get("to"),
    customer: get("customer"),
    sort: get("sort"),
    page: get("page"),
    pageSize: get("pageSize"),
  });
  // A range given backwards is read the right way round.
  if (state.from && state.to && state.from > state.to) return { ...state, from: state.to, to: state.from };
  return state;
}

/** The query string of the queue's filters (no page, no page size): for the CSV export of the same rows. */
export function invoiceQueueFilterString(state: InvoiceQueueState): string {
  const params = new URLSearchParams();
  if (state.status) params.set("status", state.status);
  if (state.from) params.set("from", state.from);
  if (state.to) params.set("to", state.to);
  if (state.customer) params.set("customer", state.customer);
  if (state.sort !== "-issued") params.set("sort", state.sort);
  const text = params.toString();
  return text ? `?${text}` : "";
}

export interface InvoiceQueueRow {
  id: string;
  invoiceNumber: string;
  status: string;
  displayStatus: string;
  customerId: string;
  customerExternalId: string | null;
  customerName: string | null;
  customerEmail: string | null;
  currency: string;
  total: number;
  periodStart: string;
  periodEnd: string;
  issueDate: string;
  dueDate: string;
  planName: string | null;
}

export interface InvoiceQueueTotals {
  count: number;
  /** Sum of totals per currency (minor units). */
  byCurrency: Array<{ currency: string; total: number; outstanding: number }>;
  /** Invoices per display status over the filtered range (before the status filter). */
  byStatus: Partial<Record<InvoiceQueueStatus, number>>;
}

export interface InvoiceQueuePage {
  state: InvoiceQueueState;
  rows: InvoiceQueueRow[];
  totals: InvoiceQueueTotals;
  /** True when the scan stopped at its cap: older invoices are not included. */
  truncated: boolean;
  scanned: number;
  now: number;
}
