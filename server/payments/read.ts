/**
 * A customer's payments read live from Commet: transactions (by the customer's email, Commet's only
 * per-customer filter) joined with the customer's invoices, newest first, in bounded pages.
 */
import type { Commet, Invoice, Subscription, Transaction } from "@commet/node";
import type { PaymentsPanelData, TransactionStatus, TransactionView } from "../../app/contracts/payments.ts";
import { getCommet } from "../commet/client.ts";
import { getCustomer, INVOICE_PAGE_LIMIT, readAhead, type KnownCustomer } from "../customer-view/index.ts";
import { failureReasons, matchFailures, type FailureReasons } from "./failures.ts";

/**
 * Commet's largest page; a customer's history beyond PANEL_PAGES pages is summarized as "more". The first invoice
 * page is the Invoices panel's read too (same page size): one call serves both panels.
 */
export const PAGE_LIMIT = INVOICE_PAGE_LIMIT;
export const PANEL_PAGES = 3;
const DEFAULT_TIMEOUT_MS = 3_500;

export type PaymentsCommet = Pick<Commet, "customers" | "transactions" | "invoices" | "subscriptions">;

export interface PaymentsReadOptions {
  commet?: PaymentsCommet;
  timeoutMs?: number;
  /** Failure reasons by invoice id (default: those recorded from Commet's webhooks in the console's database). */
  failures?: FailureReasons;
  /**
   * The customer's id and email as the console's directory index knows them: the reads that need them start
   * beside the profile read instead of after it, and are used only when the profile agrees (else read again).
   */
  known?: KnownCustomer | null;
}

/** Up to `pages` pages of a cursor-paged list; `complete` says whether the list ended within them. */
export async function readPages<T>(
  fetchPage: (cursor: string | undefined) => Promise<{ data?: T[]; hasMore?: boolean; nextCursor?: string }>,
  pages: number,
): Promise<{ items: T[]; complete: boolean }> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < pages; i++) {
    const page = await fetchPage(cursor);
    items.push(...(page.data ?? []));
    if (!page.hasMore || !page.nextCursor) return { items, complete: true };
    cursor = page.nextCursor;
  }
  return { items, complete: false };
}

export function toTransactionView(
  t: Transaction,
  invoice: Invoice | undefined,
  reason: string | null,
): TransactionView {
  const status = t.status as TransactionStatus;
  return {
    id: t.id,
    invoiceId: t.invoiceId,
    invoiceNumber: invoice?.invoiceNumber ?? null,
    subscriptionInvoice: Boolean(invoice?.subscriptionId),
    endsSubscription: false,
    invoiceStatus: invoice?.status ?? null,
    amount: t.grossAmount,
    currency: t.currency,
    status,
    createdAt: t.createdAt,
    paidAt: t.paidAt,
    failureReason: status === "failed" ? reason : null,
    retryable: status === "failed" && Boolean(invoice?.subscriptionId) && invoice?.status === "outstanding",
    refundable: status === "succeeded" && t.grossAmount !== null,
  };
}

/** The hint names the customer Commet answered with, under the same email: the early reads are the right ones. */
const agrees = (known: KnownCustomer, customer: KnownCustomer) =>
  known.id === customer.id && known.email === customer.email;

export const sameEmail = (a: string | null | undefined, b: string | null | undefined) =>
  Boolean(a && b && a.trim().toLowerCase() === b.trim().toLowerCase());

/** The Payments panel: the customer's transactions (newest first), and its past-due subscription. */
export async function loadPaymentsPanel(
  customerRef: string,
  options: PaymentsReadOptions = {},
): Promise<PaymentsPanelData> {
  const commet = options.commet ?? getCommet();
  const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const read = (customer: KnownCustomer) =>
    Promise.all([
      readPages<Transaction>(
        (cursor) => commet.transactions.list({ customerEmail: customer.email, limit: PAGE_LIMIT, cursor }, { timeout }),
        PANEL_PAGES,
      ),
      readPages<Invoice>(
        (cursor) => commet.invoices.list({ customerId: customer.id, limit: PAGE_LIMIT, cursor }, { timeout }),
        PANEL_PAGES,
      ),
      commet.subscriptions.list({ customerId: customer.id }, { timeout }).then((r) => r.data ?? []),
    ]);
  const profile = getCustomer(commet, customerRef, timeout);
  // Started beside the profile read when the index knows the customer (one Commet round trip less on the page).
  const [customer, [transactions, invoices, subscriptions]] = await Promise.all([
    profile,
    readAhead(options.known, profile, agrees, read),
  ]);
  const byInvoice = new Map(invoices.items.map((i) => [i.id, i]));
  const failed = transactions.items.filter((t) => t.status === "failed");
  const reasons = matchFailures(
    failed,
    await (options.failures ?? failureReasons)(failed.map((t) => t.invoiceId ?? "").filter(Boolean)),
  );
  // One retry per invoice: offered on its newest failed charge only (retrying either retries the invoice).
  const newestFailed = new Set<string>();
  const seen = new Set<string | null>();
  for (const t of [...failed].sort((a, b) => b.createdAt.localeCompare(a.createdAt))) {
    if (!seen.has(t.invoiceId)) newestFailed.add(t.id);
    seen.add(t.invoiceId);
  }
  const live = new Set(subscriptions.filter((s: Subscription) => s.status !== "canceled").map((s) => s.id));
  // A retry in flight is a pending charge on the same invoice: no second retry meanwhile.
  const inFlight = new Set(transactions.items.filter((t) => t.status === "pending").map((t) => t.invoiceId));
  const views = transactions.items
    // Commet filters by email; a charge on an invoice of another customer with the same email is not this one's.
    .filter((t) => !invoices.complete || !t.invoiceId || byInvoice.has(t.invoiceId))
    .map((t) => {
      const view = toTransactionView(
        t,
        t.invoiceId ? byInvoice.get(t.invoiceId) : undefined,
        reasons.get(t.id) ?? null,
      );
      const subscriptionId = t.invoiceId ? byInvoice.get(t.invoiceId)?.subscriptionId : null;
      view.endsSubscription = Boolean(subscriptionId && live.has(subscriptionId));
      return inFlight.has(t.invoiceId) || !newestFailed.has(t.id) ? { ...view, retryable: false } : view;
    })
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
  const pastDue = subscriptions.find((s: Subscription) => s.status === "past_due");
  return {
    customerEmail: customer.email,
    transactions: views,
    truncated: !transactions.complete,
    pastDue: pastDue ? { subscriptionId: pastDue.id, planName: pastDue.plan.name } : null,
  };
}
