/**
 * The sandbox's money movements: charging invoices with each customer's simulated card, refunds, renewal retries
 * whose outcome arrives asynchronously, and recovery links (docs/decisions/0014-sandbox-money-emulation.md).
 */

import { randomBytes } from "node:crypto";
import { errors } from "./errors.ts";
import { newId } from "./ids.ts";
import { type CustomerRow, type Sandbox, type SubscriptionRow, webhookCustomerId } from "./model.ts";
import type { InvoiceRowFull, TransactionRow } from "./serialize.ts";

export const CARD_BEHAVIOURS = ["succeeds", "declines", "succeeds_on_retry"] as const;
/**
 * How a customer's saved card answers: `succeeds` (the default, no row stored), `declines` (every charge), or
 * `succeeds_on_retry` (the first attempt on an invoice declines, every later attempt succeeds). Kept in the
 * sandbox-only `card_behaviours` table: customer metadata is visible through the API.
 */
export type CardBehaviour = (typeof CARD_BEHAVIOURS)[number];

/** Real milliseconds between a retry request and its outcome (the request answers `processing`). */
export const DEFAULT_RETRY_SETTLE_MS = 300;
/** Recovery links stay valid for the dunning window (retries run up to day 7), then expire. */
export const RECOVERY_LINK_TTL_MS = 7 * 86_400_000;

interface Failure {
  code: string;
  message: string;
}
export const DECLINED: Failure = { code: "card_declined", message: "Your card was declined." };
export const INSUFFICIENT_FUNDS: Failure = { code: "insufficient_funds", message: "Your card has insufficient funds." };

export function cardBehaviour(sb: Sandbox, customerId: string): CardBehaviour {
  const row = sb.q("SELECT behaviour FROM card_behaviours WHERE customer_id = ?").get(customerId) as
    { behaviour: CardBehaviour } | undefined;
  return row?.behaviour ?? "succeeds";
}

export function setCardBehaviour(sb: Sandbox, customerId: string, behaviour: CardBehaviour): void {
  if (behaviour === "succeeds") {
    sb.q("DELETE FROM card_behaviours WHERE customer_id = ?").run(customerId);
    return;
  }
  sb.q(
    `INSERT INTO card_behaviours (customer_id, behaviour) VALUES (?, ?)
     ON CONFLICT(customer_id) DO UPDATE SET behaviour = excluded.behaviour`,
  ).run(customerId, behaviour);
}

/** The decline an attempt gets, or null when it succeeds. `attempt` counts the invoice's charges, this one included. */
export function attemptFailure(behaviour: CardBehaviour, attempt: number): Failure | null {
  if (behaviour === "declines") return DECLINED;
  if (behaviour === "succeeds_on_retry" && attempt <= 1) return INSUFFICIENT_FUNDS;
  return null;
}

function getInvoice(sb: Sandbox, id: string): InvoiceRowFull {
  const i = sb.q("SELECT * FROM invoices WHERE id = ?").get(id) as InvoiceRowFull | undefined;
  if (!i) throw errors.invoiceNotFound(id);
  return i;
}

function getTransaction(sb: Sandbox, id: string): TransactionRow | undefined {
  return sb.q("SELECT * FROM transactions WHERE id = ?").get(id) as TransactionRow | undefined;
}

function getSubscription(sb: Sandbox, id: string | null): SubscriptionRow | undefined {
  if (!id) return undefined;
  return sb.q("SELECT * FROM subscriptions WHERE id = ?").get(id) as SubscriptionRow | undefined;
}

function insertTransaction(
  sb: Sandbox,
  invoice: InvoiceRowFull,
  customer: CustomerRow,
  status: "pending" | "succeeded" | "failed",
  extra: { failure?: Failure | null; retryOf?: string | null } = {},
): TransactionRow {
  const id = newId("txn");
  const now = sb.clock.iso();
  sb.q(
    `INSERT INTO transactions (id, invoice_id, customer_id, gross_amount, subtotal, tax_amount, currency, provider, status,
       customer_email, customer_name, paid_at, created_at, updated_at, failure_code, failure_message, retry_of)
     VALUES (?, ?, ?, ?, ?, ?, ?, 'commet', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    id,
    invoice.id,
    customer.id,
    invoice.total,
    invoice.total - invoice.tax_amount,
    invoice.tax_amount,
    invoice.currency,
    status,
    customer.email,
    customer.full_name,
    status === "succeeded" ? now : null,
    now,
    now,
    extra.failure?.code ?? null,
    extra.failure?.message ?? null,
    extra.retryOf ?? null,
  );
  return getTransaction(sb, id)!;
}

function attemptsSoFar(sb: Sandbox, invoiceId: string): number {
  return (sb.q("SELECT COUNT(*) AS n FROM transactions WHERE invoice_id = ?").get(invoiceId) as { n: number }).n;
}

function markPaid(sb: Sandbox, invoice: InvoiceRowFull): void {
  sb.q("UPDATE invoices SET status = 'paid', updated_at = ? WHERE id = ?").run(sb.clock.iso(), invoice.id);
}

function paymentReceived(sb: Sandbox, invoice: InvoiceRowFull, customer: CustomerRow, t: TransactionRow): void {
  if (invoice.total <= 0) return; // a zero invoice is settled without a charge
  sb.emit("payment.received", {
    invoiceId: invoice.id,
    invoiceNumber: invoice.invoice_number,
    invoiceTotal: invoice.total,
    customerId: webhookCustomerId(customer),
    subscriptionId: invoice.subscription_id,
    paymentTransactionId: t.id,
    provider: "commet",
    grossAmount: t.gross_amount,
    currency: invoice.currency,
    orgNetAmount: t.gross_amount,
    customerEmail: t.customer_email,
    paidAt: t.paid_at ?? sb.clock.iso(),
  });
}

/** A customer-present payment (checkout, recovery page): always succeeds, settles the invoice, payment.received. */
export function settleInvoice(sb: Sandbox, invoice: InvoiceRowFull): TransactionRow {
  const customer = sb.customer(invoice.customer_id);
  const t = insertTransaction(sb, invoice, customer, "succeeded");
  markPaid(sb, invoice);
  paymentReceived(sb, invoice, customer, t);
  return t;
}

export interface ChargeResult {
  transaction: TransactionRow;
  paid: boolean;
  failure: Failure | null;
}

// Payloads follow the 7.10.0 types (PaymentFailedData, PaymentRecoveredData, PaymentRetryFailedData carry no
// provider there, unlike the newer docs): the installed SDK is what the console parses.

/**
 * Charges an outstanding invoice off-session with the customer's saved card, synchronously: a succeeded transaction,
 * the invoice paid and payment.received — or a failed transaction with the decline, the invoice left outstanding
 * (the caller decides what a decline means for the subscription; see chargeRenewal).
 */
export function chargeInvoice(sb: Sandbox, invoice: InvoiceRowFull): ChargeResult {
  const customer = sb.customer(invoice.customer_id);
  const failure =
    invoice.total > 0 ? attemptFailure(cardBehaviour(sb, customer.id), attemptsSoFar(sb, invoice.id) + 1) : null;
  if (failure) {
    return { transaction: insertTransaction(sb, invoice, customer, "failed", { failure }), paid: false, failure };
  }
  const t = insertTransaction(sb, invoice, customer, "succeeded");
  markPaid(sb, invoice);
  paymentReceived(sb, invoice, customer, t);
  return { transaction: t, paid: true, failure: null };
}

/**
 * A renewal invoice charged by the billing run: on a decline the subscription goes past_due (subscription.past_due
 * the first time) and payment.failed carries a ready recovery link, as Commet documents.
 */
export function chargeRenewal(sb: Sandbox, sub: SubscriptionRow, invoiceId: string): ChargeResult {
  const invoice = getInvoice(sb, invoiceId);
  const result = chargeInvoice(sb, invoice);
  if (result.paid || !result.failure) return result;
  const customer = sb.customer(sub.customer_id);
  const customerRef = webhookCustomerId(customer);
  const current = getSubscription(sb, sub.id)!;
  if (current.status !== "past_due") {
    sb.q("UPDATE subscriptions SET status = 'past_due', updated_at = ? WHERE id = ?").run(sb.clock.iso(), sub.id);
    sb.emit("subscription.past_due", {
      subscriptionId: sub.id,
      customerId: customerRef,
      status: "past_due",
      invoiceId: invoice.id,
      invoiceNumber: invoice.invoice_number,
    });
  }
  sb.emit("payment.failed", {
    invoiceId: invoice.id,
    invoiceNumber: invoice.invoice_number,
    customerId: customerRef,
    subscriptionId: sub.id,
    failureCode: result.failure.code,
    failureMessage: result.failure.message,
    recoveryUrl: issueRecoveryLink(sb, sub.id, invoice.id).url,
  });
  return result;
}

/** The subscription's oldest outstanding invoice (what a recovery link or retry collects). */
function outstandingInvoice(sb: Sandbox, subscriptionId: string): InvoiceRowFull | undefined {
  return sb
    .q("SELECT * FROM invoices WHERE subscription_id = ? AND status = 'outstanding' ORDER BY seq LIMIT 1")
    .get(subscriptionId) as InvoiceRowFull | undefined;
}

/** After an invoice was paid: a past_due subscription with nothing left outstanding is active again. */
function recover(sb: Sandbox, invoice: InvoiceRowFull, customer: CustomerRow): void {
  const sub = getSubscription(sb, invoice.subscription_id);
  if (sub?.status === "past_due" && !outstandingInvoice(sb, sub.id)) {
    sb.q("UPDATE subscriptions SET status = 'active', updated_at = ? WHERE id = ?").run(sb.clock.iso(), sub.id);
  }
  sb.emit("payment.recovered", {
    invoiceId: invoice.id,
    invoiceNumber: invoice.invoice_number,
    invoiceTotal: invoice.total,
    customerId: webhookCustomerId(customer),
    subscriptionId: invoice.subscription_id,
  });
}

/**
 * Charges a past_due subscription's oldest outstanding invoice now, synchronously, with the saved card (for
 * subscriptions.reactivate of a past_due subscription): on success payment.received + payment.recovered and, once
 * nothing is outstanding, the subscription is active again. Null when nothing is outstanding.
 */
export function chargeOutstanding(sb: Sandbox, subscriptionId: string): ChargeResult | null {
  const invoice = outstandingInvoice(sb, subscriptionId);
  if (!invoice) return null;
  const result = chargeInvoice(sb, invoice);
  if (result.paid) recover(sb, getInvoice(sb, invoice.id), sb.customer(invoice.customer_id));
  return result;
}

// ---- refund ----

/**
 * Full refund of a succeeded transaction: it becomes `refunded` and payment.refunded fires; a refunded subscription
 * invoice cancels its subscription at once (subscription.canceled, reason `refund`). The invoice stays `paid`: it was
 * collected, and Commet documents no invoice status for refunds.
 */
export function refundTransaction(sb: Sandbox, id: string): TransactionRow {
  const t = getTransaction(sb, id);
  if (!t) throw errors.transactionNotFound(id);
  if (t.status !== "succeeded") throw errors.transactionNotRefundable(t.id, t.status);
  const now = sb.clock.iso();
  sb.q("UPDATE transactions SET status = 'refunded', refunded_at = ?, updated_at = ? WHERE id = ?").run(now, now, t.id);
  const customer = sb.customer(t.customer_id);
  const invoice = t.invoice_id ? getInvoice(sb, t.invoice_id) : undefined;
  const sub = getSubscription(sb, invoice?.subscription_id ?? null);
  const customerRef = webhookCustomerId(customer);
  sb.emit("payment.refunded", {
    paymentTransactionId: t.id,
    provider: t.provider,
    paymentLinkId: null,
    invoiceId: invoice?.id ?? null,
    invoiceNumber: invoice?.invoice_number ?? null,
    customerId: invoice ? customerRef : null,
    subscriptionId: sub?.id ?? null,
    refundAmount: t.gross_amount ?? 0,
    currency: t.currency,
  });
  if (sub && sub.status !== "canceled") {
    sb.q(
      `UPDATE subscriptions SET status = 'canceled', canceled_at = ?, cancel_reason = 'refund', end_date = ?,
         cancel_at_period_end = 0, updated_at = ? WHERE id = ?`,
    ).run(now, now, now, sub.id);
    sb.emit("subscription.canceled", {
      subscriptionId: sub.id,
      customerId: customerRef,
      status: "canceled",
      canceledAt: now,
      cancelReason: "refund",
      endDate: now,
    });
  }
  return getTransaction(sb, t.id)!;
}

// ---- retry (asynchronous outcome) ----

/**
 * Starts a retry of a failed renewal charge: a new `pending` transaction (the failed one stays as it was) whose
 * outcome the PaymentSettler decides after the request committed.
 */
export function startRetry(sb: Sandbox, id: string): TransactionRow {
  const t = getTransaction(sb, id);
  if (!t) throw errors.transactionNotFound(id);
  if (t.status !== "failed") throw errors.transactionNotRetryable(t.id, t.status);
  const invoice = t.invoice_id ? getInvoice(sb, t.invoice_id) : undefined;
  const sub = getSubscription(sb, invoice?.subscription_id ?? null);
  if (!invoice || !sub) throw errors.transactionNotRetryable(t.id, t.status, "it is not a subscription renewal");
  if (invoice.status !== "outstanding") throw errors.noOutstandingInvoice(sub.id, invoice.id);
  if (sub.status !== "past_due") throw errors.invalidSubscriptionStatus(sub.id, sub.status, ["past_due"]);
  const pending = sb
    .q("SELECT id FROM transactions WHERE invoice_id = ? AND status = 'pending' LIMIT 1")
    .get(invoice.id) as { id: string } | undefined;
  if (pending) throw errors.chargeInProgress(sub.id, pending.id);
  const retry = insertTransaction(sb, invoice, sb.customer(t.customer_id), "pending", { retryOf: t.id });
  settlers.get(sb)?.schedule(retry.id);
  return retry;
}

/** Decides one pending retry by the card behaviour: payment.recovered (+ received) or payment.retry_failed. */
export function settleRetry(sb: Sandbox, id: string): void {
  const t = getTransaction(sb, id);
  if (!t || t.status !== "pending" || !t.invoice_id) return;
  const invoice = getInvoice(sb, t.invoice_id);
  const customer = sb.customer(t.customer_id);
  const now = sb.clock.iso();
  if (invoice.status !== "outstanding") {
    // Paid meanwhile (a recovery page cannot pay while a retry is pending, so only a direct status change gets here).
    sb.q(
      "UPDATE transactions SET status = 'failed', failure_code = ?, failure_message = ?, updated_at = ? WHERE id = ?",
    ).run("invoice_not_outstanding", "The invoice was no longer outstanding.", now, t.id);
    return;
  }
  if (getSubscription(sb, invoice.subscription_id)?.status !== "past_due") {
    // Canceled meanwhile (e.g. a refund of another charge): nothing is collected for an ended subscription.
    sb.q(
      "UPDATE transactions SET status = 'failed', failure_code = ?, failure_message = ?, updated_at = ? WHERE id = ?",
    ).run("subscription_not_past_due", "The subscription was no longer past due.", now, t.id);
    return;
  }
  const attempt = (
    sb.q("SELECT COUNT(*) AS n FROM transactions WHERE invoice_id = ? AND seq <= ?").get(invoice.id, t.seq) as {
      n: number;
    }
  ).n;
  const failure = attemptFailure(cardBehaviour(sb, customer.id), attempt);
  if (failure) {
    sb.q(
      "UPDATE transactions SET status = 'failed', failure_code = ?, failure_message = ?, updated_at = ? WHERE id = ?",
    ).run(failure.code, failure.message, now, t.id);
    sb.emit("payment.retry_failed", {
      invoiceId: invoice.id,
      invoiceNumber: invoice.invoice_number,
      customerId: webhookCustomerId(customer),
      subscriptionId: invoice.subscription_id,
      reason: failure.code,
    });
    return;
  }
  sb.q("UPDATE transactions SET status = 'succeeded', paid_at = ?, updated_at = ? WHERE id = ?").run(now, now, t.id);
  markPaid(sb, invoice);
  paymentReceived(sb, invoice, customer, getTransaction(sb, t.id)!);
  recover(sb, invoice, customer);
}

const settlers = new WeakMap<Sandbox, PaymentSettler>();

/**
 * Settles pending retries a short real-time delay after they were requested, each in its own unit of work, so the
 * retry request answers `processing` and the outcome arrives as webhooks. Pending retries found at start (a restart
 * while one was in flight) are settled too.
 */
export class PaymentSettler {
  private readonly due = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly sb: Sandbox,
    private readonly delayMs = DEFAULT_RETRY_SETTLE_MS,
  ) {
    settlers.set(sb, this);
    this.resume();
  }

  /** Re-reads pending retries from the store (at start and after a reset). */
  resume(): void {
    this.due.clear();
    const pending = this.sb
      .q("SELECT id FROM transactions WHERE status = 'pending' AND retry_of IS NOT NULL")
      .all() as Array<{ id: string }>;
    for (const p of pending) this.schedule(p.id);
  }

  schedule(id: string): void {
    this.due.set(id, Date.now() + this.delayMs);
    this.arm();
  }

  private arm(): void {
    if (this.timer || this.due.size === 0) return;
    const next = Math.min(...this.due.values());
    this.timer = setTimeout(() => this.run(), Math.max(0, next - Date.now()));
    this.timer.unref();
  }

  private run(): void {
    this.timer = null;
    const now = Date.now();
    for (const [id, at] of [...this.due]) {
      if (at > now) continue;
      this.due.delete(id);
      this.sb.tx(() => settleRetry(this.sb, id));
    }
    this.arm();
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.due.clear();
    settlers.delete(this.sb);
  }
}

// ---- recovery links ----

/** A signed, single-use link to the sandbox page that pays the subscription's outstanding invoice. */
export function issueRecoveryLink(
  sb: Sandbox,
  subscriptionId: string,
  invoiceId: string,
): { url: string; token: string } {
  const token = `rec_${randomBytes(24).toString("base64url")}`;
  const now = sb.clock.nowMs();
  sb.q(
    "INSERT INTO recovery_links (token, subscription_id, invoice_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
  ).run(
    token,
    subscriptionId,
    invoiceId,
    new Date(now).toISOString(),
    new Date(now + RECOVERY_LINK_TTL_MS).toISOString(),
  );
  return { url: `${sb.origin()}/recover/${token}`, token };
}

/** subscriptions.createRecoveryLink: past_due only, for its outstanding invoice. */
export function createRecoveryLink(sb: Sandbox, subscriptionId: string): { url: string; token: string } {
  const sub = getSubscription(sb, subscriptionId);
  if (!sub) throw errors.subscriptionNotFound(subscriptionId);
  if (sub.status !== "past_due") throw errors.invalidSubscriptionStatus(sub.id, sub.status, ["past_due"]);
  const invoice = outstandingInvoice(sb, sub.id);
  if (!invoice) throw errors.noOutstandingInvoice(sub.id);
  return issueRecoveryLink(sb, sub.id, invoice.id);
}

interface RecoveryLinkRow {
  token: string;
  subscription_id: string;
  invoice_id: string;
  expires_at: string;
  used_at: string | null;
}

export type RecoveryState =
  | { kind: "not_found" }
  | { kind: "expired" | "used" | "settled"; sub?: SubscriptionRow }
  | { kind: "busy" }
  | { kind: "payable"; link: RecoveryLinkRow; sub: SubscriptionRow; invoice: InvoiceRowFull; customer: CustomerRow };

/** What a recovery link can do now: pay, or why not (used, expired, no longer past_due, retry running). */
export function recoveryState(sb: Sandbox, token: string): RecoveryState {
  const link = sb.q("SELECT * FROM recovery_links WHERE token = ?").get(token) as RecoveryLinkRow | undefined;
  if (!link) return { kind: "not_found" };
  if (link.used_at) return { kind: "used" };
  if (Date.parse(link.expires_at) <= sb.clock.nowMs()) return { kind: "expired" };
  const sub = getSubscription(sb, link.subscription_id)!;
  const invoice = outstandingInvoice(sb, sub.id);
  if (sub.status !== "past_due" || !invoice) return { kind: "settled", sub };
  const busy = sb.q("SELECT 1 FROM transactions WHERE invoice_id = ? AND status = 'pending' LIMIT 1").get(invoice.id);
  if (busy) return { kind: "busy" };
  return { kind: "payable", link, sub, invoice, customer: sb.customer(sub.customer_id) };
}

/**
 * The customer pays on the recovery page with the sandbox test card: it becomes the saved card (behaviour
 * `succeeds`), the outstanding invoice is paid, the subscription returns to active, payment.recovered fires.
 */
export function payRecoveryLink(sb: Sandbox, token: string): RecoveryState {
  const state = recoveryState(sb, token);
  if (state.kind !== "payable") return state;
  sb.q("UPDATE recovery_links SET used_at = ? WHERE token = ?").run(sb.clock.iso(), token);
  setCardBehaviour(sb, state.customer.id, "succeeds");
  for (let invoice = outstandingInvoice(sb, state.sub.id); invoice; invoice = outstandingInvoice(sb, state.sub.id)) {
    settleInvoice(sb, invoice);
    recover(sb, getInvoice(sb, invoice.id), state.customer);
  }
  return state;
}
