/**
 * The payment writes (retry a failed renewal, full refund, recovery link), each exactly once through
 * server/writes: the role and the form are admitted, a reused key answers from the audit trail, and
 * Commet's current state is checked before anything is sent (an ineligible charge is refused, 404/409).
 */
import { CommetAPIError, type Customer, type Invoice, type Transaction } from "@commet/node";
import type { WriteResult } from "../../app/contracts/ops-results.ts";
import {
  paymentRetryFormSchema,
  recoveryFormSchema,
  refundFormSchema,
  recoveryMessage,
  type PaymentRefusal,
  type RecoveryActionResult,
} from "../../app/contracts/payments.ts";
import type { Role } from "../../app/contracts/permissions.ts";
import { formatMinor } from "../../app/contracts/money.ts";
import { getCustomer } from "../customer-view/index.ts";
import {
  admit,
  writeEngineFor,
  type KeyedWrite,
  type Staff,
  type WriteAction,
  type WriteEngine,
} from "../writes/index.ts";
import { sameEmail } from "./read.ts";
import { paymentRefundWrite, paymentRetryWrite, recoveryLinkWrite } from "./write-actions.ts";

export interface PaymentWriteInput {
  actor: Staff["actor"];
  role: Role | null;
  /** The submitted form (the customer taken from the URL by the route). */
  form: FormData | Record<string, unknown>;
}

export type PaymentWriteResult = WriteResult | PaymentRefusal;

const refused = (status: 404 | 409, message: string): PaymentRefusal => ({ kind: "refused", status, message });

const isNotFound = (error: unknown) => error instanceof CommetAPIError && error.statusCode === 404;

async function orNull<T>(call: () => Promise<{ data?: T }>): Promise<T | null> {
  try {
    return (await call()).data ?? null;
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

/** The transaction, its invoice and the customer — or why the form cannot act on it. */
async function loadCharge(
  writes: WriteEngine,
  customerRef: string,
  transactionId: string,
): Promise<
  { ok: true; customer: Customer; t: Transaction; invoice: Invoice | null } | { ok: false; refusal: PaymentRefusal }
> {
  const commet = writes.commet();
  const [customer, t] = await Promise.all([
    getCustomer(commet, customerRef, 5_000).catch((error: unknown) => {
      if (isNotFound(error)) return null;
      throw error;
    }),
    orNull(() => commet.transactions.get({ id: transactionId })),
  ]);
  if (!customer) return { ok: false, refusal: refused(404, `Commet has no customer “${customerRef}”`) };
  if (!t) return { ok: false, refusal: refused(404, `Commet has no transaction ${transactionId}`) };
  const invoice = t.invoiceId ? await orNull(() => commet.invoices.get({ id: t.invoiceId! })) : null;
  const owned = invoice ? invoice.customerId === customer.id : sameEmail(t.customerEmail, customer.email);
  if (!owned) return { ok: false, refusal: refused(404, `Transaction ${transactionId} is not this customer's`) };
  return { ok: true, customer, t, invoice };
}

/** A payment write's frame: a charge refused as no longer eligible may have just been written with this very key elsewhere. */
const paymentFrame = (
  action: WriteAction,
  form: { idempotencyKey: string; customerId: string },
  lane?: string,
): KeyedWrite<PaymentWriteResult> => ({
  action,
  idempotencyKey: form.idempotencyKey,
  customerId: form.customerId,
  identity: form,
  ...(lane ? { lane } : {}),
  rereadWhen: (result) => result.kind === "refused",
});

/** Retries a failed subscription renewal (payments:retry). Commet answers `processing`; the outcome follows by webhook. */
export async function retryPayment(input: PaymentWriteInput, engine?: WriteEngine): Promise<PaymentWriteResult> {
  const writes = writeEngineFor(engine);
  const admitted = admit(
    input.role,
    "payments:retry",
    paymentRetryFormSchema,
    input.form,
    "Your role may not retry payments",
  );
  if (!admitted.ok) return admitted.result;
  const form = admitted.form;
  // One check-and-write per charge at a time (in this process).
  return writes.keyed(
    paymentFrame(paymentRetryWrite, form, `#payment ${form.transactionId}`),
    async (): Promise<PaymentWriteResult> => {
      const charge = await loadCharge(writes, form.customerId, form.transactionId);
      if (!charge.ok) return charge.refusal;
      const { t, invoice } = charge;
      if (t.status !== "failed")
        return refused(409, `This charge is ${t.status}: only a failed renewal can be retried`);
      if (!invoice?.subscriptionId)
        return refused(409, "This charge is not a subscription renewal: only renewals can be retried");
      if (invoice.status !== "outstanding")
        return refused(409, `Invoice ${invoice.invoiceNumber} is ${invoice.status} already: there is nothing to retry`);
      return writes.write({
        action: paymentRetryWrite,
        staff: { actor: input.actor, role: input.role },
        // As the form names it (the audit trail stores the canonical id), so a reused key finds its row.
        customerId: form.customerId,
        idempotencyKey: form.idempotencyKey,
        form,
        details: {
          transactionId: t.id,
          invoiceId: invoice.id,
          invoiceNumber: invoice.invoiceNumber,
          amount: t.grossAmount,
          currency: t.currency,
          reasonCode: form.reasonCode,
          reasonText: form.reasonText,
        },
        request: { call: "transactions.retry", params: { id: t.id } },
      });
    },
  );
}

/**
 * Refunds a settled charge in full (payments:refund). The amount the confirmation showed must still be
 * Commet's; a full refund of a subscription invoice ends that subscription (Commet's rule).
 */
export async function refundPayment(input: PaymentWriteInput, engine?: WriteEngine): Promise<PaymentWriteResult> {
  const writes = writeEngineFor(engine);
  const admitted = admit(
    input.role,
    "payments:refund",
    refundFormSchema,
    input.form,
    "Your role may not refund payments",
  );
  if (!admitted.ok) return admitted.result;
  const form = admitted.form;
  return writes.keyed(
    paymentFrame(paymentRefundWrite, form, `#payment ${form.transactionId}`),
    async (): Promise<PaymentWriteResult> => {
      const charge = await loadCharge(writes, form.customerId, form.transactionId);
      if (!charge.ok) return charge.refusal;
      const { t, invoice } = charge;
      if (t.status === "refunded") return refused(409, "This charge has been refunded already");
      if (t.status !== "succeeded")
        return refused(409, `This charge is ${t.status}: only a settled charge can be refunded`);
      if (t.grossAmount === null) return refused(409, "Commet reports no amount for this charge: refund it in Commet");
      if (t.grossAmount !== form.seenAmount)
        return refused(
          409,
          `The charge is now ${formatMinor(t.grossAmount, t.currency)}, not ${formatMinor(form.seenAmount, t.currency)}: reload and confirm again`,
        );
      return writes.write({
        action: paymentRefundWrite,
        staff: { actor: input.actor, role: input.role },
        // As the form names it (the audit trail stores the canonical id), so a reused key finds its row.
        customerId: form.customerId,
        idempotencyKey: form.idempotencyKey,
        form,
        details: {
          transactionId: t.id,
          amount: t.grossAmount,
          currency: t.currency,
          invoiceId: invoice?.id ?? null,
          invoiceNumber: invoice?.invoiceNumber ?? null,
          endsSubscription: invoice?.subscriptionId ?? null,
          reasonCode: form.reasonCode,
          reasonText: form.reasonText,
        },
        request: { call: "transactions.refund", params: { id: t.id } },
      });
    },
  );
}

/**
 * A recovery link for a past-due subscription (recovery:issue), as the browser gets it: the link and a
 * message to send go back to the caller only; the audit trail records who issued it, for whom and
 * when — never the link. A reused key answers "already issued" without the link (it was shown once).
 */
export async function issueRecoveryLink(input: PaymentWriteInput, engine?: WriteEngine): Promise<RecoveryActionResult> {
  const writes = writeEngineFor(engine);
  const admitted = admit(
    input.role,
    "recovery:issue",
    recoveryFormSchema,
    input.form,
    "Your role may not send recovery links",
  );
  // Refusals at the edge are never `ok`: they carry nothing of Commet's.
  if (!admitted.ok) return admitted.result as Exclude<WriteResult, { kind: "ok" }>;
  const form = admitted.form;
  let planName: string | null = null;
  const result = await writes.keyed(paymentFrame(recoveryLinkWrite, form), async (): Promise<PaymentWriteResult> => {
    const commet = writes.commet();
    const [customer, subscription] = await Promise.all([
      getCustomer(commet, form.customerId, 5_000).catch((error: unknown) => {
        if (isNotFound(error)) return null;
        throw error;
      }),
      orNull(() => commet.subscriptions.get({ id: form.subscriptionId })),
    ]);
    if (!customer) return refused(404, `Commet has no customer “${form.customerId}”`);
    if (!subscription || (subscription.customerId !== customer.id && subscription.customerId !== customer.externalId))
      return refused(404, `Subscription ${form.subscriptionId} is not this customer's`);
    if (subscription.status !== "past_due")
      return refused(
        409,
        `The subscription is ${subscription.status.replaceAll("_", " ")}: a recovery link is only for a past-due subscription`,
      );
    planName = subscription.plan.name;
    return writes.write({
      action: recoveryLinkWrite,
      staff: { actor: input.actor, role: input.role },
      customerId: form.customerId,
      idempotencyKey: form.idempotencyKey,
      form,
      details: { subscriptionId: subscription.id, plan: subscription.plan.name },
      request: { call: "subscriptions.createRecoveryLink", params: { id: subscription.id } },
    });
  });
  if (result.kind !== "ok") return result;
  const url = linkUrl(result.data);
  // Commet's contract is a link on success; without one there is nothing to show (a new key asks again).
  if (!url) return { kind: "refused", status: 409, message: "Commet answered without a link: issue a new one" };
  const { data: _link, request: _sent, ...done } = result;
  return { ...done, recoveryUrl: url, customerMessage: recoveryMessage(url, planName ?? "current") };
}

function linkUrl(data: unknown): string | null {
  const url = (data as { url?: unknown } | undefined)?.url;
  return typeof url === "string" && url.length > 0 ? url : null;
}
