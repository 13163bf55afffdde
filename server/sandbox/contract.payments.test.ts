/**
 * Contract: payments through the real @commet/node 7.10.0 — the seeded charge history, transactions list/get,
 * refund (a full refund ends the subscription with reason refund), retry (answers processing; the outcome follows
 * as webhooks per the customer's card behaviour), recovery links and the page that pays them, and renewal charges
 * by the test clock. The describes run in order on one sandbox; the renewal one runs last (it moves the clock).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import {
  envelope,
  expectShape,
  Invoice,
  pageEnvelope,
  PaymentFailedData,
  PaymentReceivedData,
  PaymentRecoveredData,
  PaymentRefundedData,
  PaymentRetryFailedData,
  RecoveryLink,
  Subscription,
  SubscriptionCanceledData,
  SubscriptionPastDueData,
  Transaction,
  TransactionRefund,
  TransactionRetry,
  WebhookDelivery,
  WebhookEndpointCreated,
} from "../testing/contract-schemas.ts";
import {
  expectApiError,
  randomSuffix,
  startWebhookReceiver,
  subscribedCustomer,
  useContractSandbox,
  waitFor,
  type ReceivedHook,
  type WebhookReceiver,
} from "../testing/sandbox.ts";

type TransactionT = z.infer<typeof Transaction>;

let receiver: WebhookReceiver;
let secret: string;

const t = useContractSandbox({ beforeAll, afterAll }, async () => {
  receiver = await startWebhookReceiver();
  return { seed: { customers: 40 }, retrySettleMs: 150, delivery: { retryBaseMs: 100 } };
});

beforeAll(async () => {
  const created = expectShape(
    envelope(WebhookEndpointCreated),
    await t.commet.webhooks.create({
      url: receiver.url,
      events: [
        "payment.received",
        "payment.failed",
        "payment.recovered",
        "payment.retry_failed",
        "payment.refunded",
        "subscription.canceled",
        "subscription.past_due",
      ],
    }),
  ).data;
  secret = created.secretKey;
});

afterAll(async () => {
  await receiver?.close();
});

/** Waits for a delivered, correctly signed `event` whose data matches; returns its data. */
async function hook(
  event: string,
  match: (data: Record<string, unknown>) => boolean,
): Promise<Record<string, unknown>> {
  const found = await waitFor(
    () => receiver.hooks.find((h) => h.json.event === event && h.answered === 200 && match(h.json.data ?? {})),
    { timeoutMs: 15_000, what: `${event} webhook` },
  );
  expectSignedBy(found);
  return found.json.data!;
}

function hooksOf(event: string, match: (data: Record<string, unknown>) => boolean): ReceivedHook[] {
  return receiver.hooks.filter((h) => h.json.event === event && match(h.json.data ?? {}));
}

function expectSignedBy(h: ReceivedHook): void {
  const signature = h.headers["x-commet-signature"] ?? null;
  expect(t.commet.webhooks.verify({ payload: h.rawBody, signature, secret })).toBe(true);
  expectShape(WebhookDelivery, h.json);
}

async function customer(externalId: string) {
  return (await t.commet.customers.get({ id: externalId })).data!;
}

async function transactionsOf(email: string): Promise<TransactionT[]> {
  const all: TransactionT[] = [];
  let cursor: string | undefined;
  do {
    const page = expectShape(
      pageEnvelope(Transaction),
      await t.commet.transactions.list({ customerEmail: email, limit: 2, ...(cursor ? { cursor } : {}) }),
    );
    all.push(...page.data);
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}

async function subscriptionsOf(customerId: string) {
  return expectShape(pageEnvelope(Subscription), await t.commet.subscriptions.list({ customerId })).data;
}

async function subscription(id: string) {
  return expectShape(envelope(Subscription), await t.commet.subscriptions.get({ id })).data;
}

async function invoice(id: string) {
  return expectShape(envelope(Invoice), await t.commet.invoices.get({ id })).data;
}

/** The (first) failed renewal charge of a seeded past_due customer, with its subscription and invoice. */
async function failedRenewal(externalId: string) {
  const c = await customer(externalId);
  const txns = await transactionsOf(c.email);
  const failed = txns.filter((x) => x.status === "failed");
  expect(failed.length).toBeGreaterThan(0);
  const inv = await invoice(failed[0]!.invoiceId!);
  const sub = await subscription(inv.subscriptionId!);
  return { customer: c, failed: failed[0]!, invoice: inv, subscription: sub };
}

describe("seeded payment history", () => {
  it("usr_000010 has several succeeded charges, one per paid invoice", async () => {
    const c = await customer("usr_000010");
    const txns = await transactionsOf(c.email);
    expect(txns.length).toBeGreaterThanOrEqual(3);
    for (const x of txns) {
      expect(x.status).toBe("succeeded");
      expect(x.paidAt).not.toBeNull();
      const inv = await invoice(x.invoiceId!);
      expect(inv.status).toBe("paid");
      expect(x.grossAmount).toBe(inv.total);
    }
  });

  it("past_due fixed customers have exactly one failed renewal charge on an outstanding invoice", async () => {
    for (const id of ["usr_000003", "usr_000011", "usr_000012"]) {
      const r = await failedRenewal(id);
      expect((await transactionsOf(r.customer.email)).filter((x) => x.status === "failed")).toHaveLength(1);
      expect(r.invoice.status).toBe("outstanding");
      expect(r.subscription.status).toBe("past_due");
      expect(r.failed.paidAt).toBeNull();
    }
    expect((await failedRenewal("usr_000011")).subscription.plan.name).toBe("Pro");
    expect((await failedRenewal("usr_000012")).subscription.plan.name).toBe("Business");
  });

  it("usr_000016 is active Pro with one refunded charge (its earlier subscription ended by it) and one disputed", async () => {
    const c = await customer("usr_000016");
    const txns = await transactionsOf(c.email);
    expect(txns.filter((x) => x.status === "refunded")).toHaveLength(1);
    expect(txns.filter((x) => x.status === "disputed")).toHaveLength(1);
    const subs = await subscriptionsOf(c.id);
    expect(subs.find((s) => s.status === "active")?.plan.name).toBe("Pro");
    const refundedInvoice = await invoice(txns.find((x) => x.status === "refunded")!.invoiceId!);
    const ended = subs.find((s) => s.id === refundedInvoice.subscriptionId)!;
    expect(ended.status).toBe("canceled");
    expect(ended.cancellation?.reason).toBe("refund");
  });

  it("list filters by status (with cursor paging, no duplicates) and by customer email", async () => {
    for (const status of ["succeeded", "failed", "refunded", "disputed"] as const) {
      const seen = new Set<string>();
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = expectShape(
          pageEnvelope(Transaction),
          await t.commet.transactions.list({ status, limit: 5, ...(cursor ? { cursor } : {}) }),
        );
        for (const x of page.data) {
          expect(x.status).toBe(status);
          expect(seen.has(x.id)).toBe(false);
          seen.add(x.id);
        }
        cursor = page.nextCursor;
        pages++;
      } while (cursor && pages < 50);
      expect(seen.size).toBeGreaterThan(0);
    }
    const c = await customer("usr_000016");
    const mine = await transactionsOf(c.email);
    expect(mine.every((x) => x.customerEmail === c.email)).toBe(true);
    const none = expectShape(
      pageEnvelope(Transaction),
      await t.commet.transactions.list({ customerEmail: `nobody+${randomSuffix()}@example.test` }),
    );
    expect(none).toMatchObject({ data: [], hasMore: false });
  });

  it("get returns one transaction; an unknown id is transaction_not_found", async () => {
    const c = await customer("usr_000010");
    const [first] = await transactionsOf(c.email);
    const got = expectShape(envelope(Transaction), await t.commet.transactions.get({ id: first!.id })).data;
    expect(got).toEqual(first);
    await expectApiError(t.commet.transactions.get({ id: "txn_does_not_exist" }), {
      status: 404,
      code: "transaction_not_found",
    });
  });
});

describe("refund", () => {
  it("a full refund of usr_000010's charge cancels its subscription with reason refund (payment.refunded, subscription.canceled)", async () => {
    const c = await customer("usr_000010");
    const charge = (await transactionsOf(c.email)).at(-1)!;
    const inv = await invoice(charge.invoiceId!);
    const refund = expectShape(envelope(TransactionRefund), await t.commet.transactions.refund({ id: charge.id })).data;
    expect(refund).toEqual({ id: charge.id, status: "refunded", object: "transaction", livemode: false });

    const after = expectShape(envelope(Transaction), await t.commet.transactions.get({ id: charge.id })).data;
    expect(after.status).toBe("refunded");
    expect((await invoice(inv.id)).status).toBe("paid");
    const sub = await subscription(inv.subscriptionId!);
    expect(sub.status).toBe("canceled");
    expect(sub.cancellation?.reason).toBe("refund");
    expect((await t.commet.subscriptions.getActive({ customerId: c.id })).data).toBeNull();

    const refunded = expectShape(
      PaymentRefundedData,
      await hook("payment.refunded", (d) => d.paymentTransactionId === charge.id),
    );
    expect(refunded).toMatchObject({
      invoiceId: inv.id,
      invoiceNumber: inv.invoiceNumber,
      customerId: "usr_000010",
      subscriptionId: sub.id,
      refundAmount: charge.grossAmount,
      currency: charge.currency,
      provider: "commet",
    });
    const canceled = expectShape(
      SubscriptionCanceledData,
      await hook("subscription.canceled", (d) => d.subscriptionId === sub.id),
    );
    expect(canceled).toMatchObject({ status: "canceled", cancelReason: "refund", customerId: "usr_000010" });

    // Refunding it again is refused, and nothing is emitted twice.
    const again = await expectApiError(t.commet.transactions.refund({ id: charge.id }), {
      status: 409,
      code: "transaction_not_refundable",
    });
    expect(again.details).toMatchObject({ status: "refunded" });
    expect(hooksOf("payment.refunded", (d) => d.paymentTransactionId === charge.id)).toHaveLength(1);
  });

  it("failed, disputed and unknown transactions cannot be refunded", async () => {
    const { failed } = await failedRenewal("usr_000011");
    await expectApiError(t.commet.transactions.refund({ id: failed.id }), {
      status: 409,
      code: "transaction_not_refundable",
    });
    const c = await customer("usr_000016");
    const disputed = (await transactionsOf(c.email)).find((x) => x.status === "disputed")!;
    await expectApiError(t.commet.transactions.refund({ id: disputed.id }), {
      status: 409,
      code: "transaction_not_refundable",
    });
    await expectApiError(t.commet.transactions.refund({ id: "txn_nope" }), {
      status: 404,
      code: "transaction_not_found",
    });
  });

  it("a refund replayed with the same idempotency key answers the same, refunds once", async () => {
    const { customer: c, subscription: sub } = await subscribedCustomer(t.commet, t.catalog.metered.plan);
    const [charge] = await transactionsOf(c.email);
    expect(charge?.status).toBe("succeeded");
    const key = `refund_${randomSuffix()}`;
    const first = await t.commet.transactions.refund({ id: charge!.id }, { idempotencyKey: key });
    const replay = await t.commet.transactions.refund({ id: charge!.id }, { idempotencyKey: key });
    expect(replay.data).toEqual(first.data);
    await hook("payment.refunded", (d) => d.paymentTransactionId === charge!.id);
    await hook("subscription.canceled", (d) => d.subscriptionId === sub.id);
    expect(hooksOf("payment.refunded", (d) => d.paymentTransactionId === charge!.id)).toHaveLength(1);
    expect(hooksOf("subscription.canceled", (d) => d.subscriptionId === sub.id)).toHaveLength(1);
  });
});

describe("retry", () => {
  it("usr_000012 (card succeeds on retry): processing, then payment.recovered, invoice paid, subscription active", async () => {
    const { failed, invoice: inv, subscription: sub } = await failedRenewal("usr_000012");
    const key = `retry_${randomSuffix()}`;
    const retry = expectShape(
      envelope(TransactionRetry),
      await t.commet.transactions.retry({ id: failed.id }, { idempotencyKey: key }),
    ).data;
    expect(retry.status).toBe("processing");
    expect(retry.id).not.toBe(failed.id);
    // Same key: the same answer, no second attempt.
    const replay = await t.commet.transactions.retry({ id: failed.id }, { idempotencyKey: key });
    expect(replay.data).toEqual(retry);

    const recovered = expectShape(PaymentRecoveredData, await hook("payment.recovered", (d) => d.invoiceId === inv.id));
    expect(recovered).toEqual({
      invoiceId: inv.id,
      invoiceNumber: inv.invoiceNumber,
      invoiceTotal: inv.total,
      customerId: "usr_000012",
      subscriptionId: sub.id,
    });
    const received = expectShape(PaymentReceivedData, await hook("payment.received", (d) => d.invoiceId === inv.id));
    expect(received).toMatchObject({ paymentTransactionId: retry.id, grossAmount: inv.total, provider: "commet" });

    const attempt = expectShape(envelope(Transaction), await t.commet.transactions.get({ id: retry.id })).data;
    expect(attempt).toMatchObject({ status: "succeeded", invoiceId: inv.id });
    expect(attempt.paidAt).not.toBeNull();
    // The failed charge stays as it was (Commet keeps it for audit).
    expect((await t.commet.transactions.get({ id: failed.id })).data?.status).toBe("failed");
    expect((await invoice(inv.id)).status).toBe("paid");
    expect((await subscription(sub.id)).status).toBe("active");
    const attempts = (await transactionsOf((await customer("usr_000012")).email)).filter((x) => x.invoiceId === inv.id);
    expect(attempts.map((x) => x.status)).toEqual(["failed", "succeeded"]);

    // Nothing is left to retry.
    await expectApiError(t.commet.transactions.retry({ id: failed.id }), {
      status: 409,
      code: "no_outstanding_invoice",
    });
  });

  it("usr_000011 (card always declines): processing, then payment.retry_failed; the subscription stays past_due", async () => {
    const { failed, invoice: inv, subscription: sub } = await failedRenewal("usr_000011");
    for (let round = 1; round <= 2; round++) {
      const retry = expectShape(envelope(TransactionRetry), await t.commet.transactions.retry({ id: failed.id })).data;
      expect(retry.status).toBe("processing");
      const ofInvoice = () =>
        hooksOf("payment.retry_failed", (d) => d.invoiceId === inv.id).filter((h) => h.answered === 200);
      await waitFor(() => ofInvoice().length >= round, { timeoutMs: 15_000, what: `payment.retry_failed #${round}` });
      const latest = ofInvoice().at(-1)!;
      expectSignedBy(latest);
      const data = expectShape(PaymentRetryFailedData, latest.json.data);
      expect(data).toEqual({
        invoiceId: inv.id,
        invoiceNumber: inv.invoiceNumber,
        customerId: "usr_000011",
        subscriptionId: sub.id,
        reason: "card_declined",
      });
      await waitFor(async () => (await t.commet.transactions.get({ id: retry.id })).data?.status === "failed", {
        what: "retry transaction failed",
      });
      expect((await subscription(sub.id)).status).toBe("past_due");
      expect((await invoice(inv.id)).status).toBe("outstanding");
    }
    expect(hooksOf("payment.recovered", (d) => d.invoiceId === inv.id)).toHaveLength(0);
  });

  it("only failed renewal charges can be retried", async () => {
    const c = await customer("usr_000016");
    const succeeded = (await transactionsOf(c.email)).find((x) => x.status === "succeeded")!;
    const err = await expectApiError(t.commet.transactions.retry({ id: succeeded.id }), {
      status: 409,
      code: "transaction_not_retryable",
    });
    expect(err.details).toMatchObject({ status: "succeeded" });
    await expectApiError(t.commet.transactions.retry({ id: "txn_nope" }), {
      status: 404,
      code: "transaction_not_found",
    });
  });
});

describe("recovery link", () => {
  it("usr_000003: a link to a page that pays the outstanding invoice with the test card, once", async () => {
    const { invoice: inv, subscription: sub } = await failedRenewal("usr_000003");
    const key = `recovery_${randomSuffix()}`;
    const link = expectShape(
      envelope(RecoveryLink),
      await t.commet.subscriptions.createRecoveryLink({ id: sub.id }, { idempotencyKey: key }),
    ).data;
    expect(link.url).toContain(link.token);
    expect(new URL(link.url).origin).toBe(t.sandbox.url);
    const replay = await t.commet.subscriptions.createRecoveryLink({ id: sub.id }, { idempotencyKey: key });
    expect(replay.data).toEqual(link);

    const page = await fetch(link.url);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(inv.invoiceNumber);
    expect(html).toContain((inv.total / 100).toFixed(2));
    // Looking at the page changes nothing.
    expect((await subscription(sub.id)).status).toBe("past_due");

    const paid = await fetch(link.url, { method: "POST" });
    expect(paid.status).toBe(200);
    expect(await paid.text()).toContain("Payment confirmed");
    expect((await subscription(sub.id)).status).toBe("active");
    expect((await invoice(inv.id)).status).toBe("paid");
    const recovered = expectShape(PaymentRecoveredData, await hook("payment.recovered", (d) => d.invoiceId === inv.id));
    expect(recovered).toMatchObject({ customerId: "usr_000003", subscriptionId: sub.id, invoiceTotal: inv.total });
    const received = expectShape(PaymentReceivedData, await hook("payment.received", (d) => d.invoiceId === inv.id));
    const charge = expectShape(
      envelope(Transaction),
      await t.commet.transactions.get({ id: received.paymentTransactionId! }),
    ).data;
    expect(charge).toMatchObject({ status: "succeeded", invoiceId: inv.id, grossAmount: inv.total });

    // Single use.
    expect((await fetch(link.url, { method: "POST" })).status).toBe(410);
    expect((await fetch(link.url)).status).toBe(410);
    expect(hooksOf("payment.recovered", (d) => d.invoiceId === inv.id)).toHaveLength(1);
    // No longer past_due: no new link.
    await expectApiError(t.commet.subscriptions.createRecoveryLink({ id: sub.id }), {
      status: 409,
      code: "invalid_subscription_status",
    });
  });

  it("only for past_due subscriptions; unknown ids and tokens are not found", async () => {
    const active = (await t.commet.subscriptions.getActive({ customerId: "usr_000001" })).data!;
    const err = await expectApiError(t.commet.subscriptions.createRecoveryLink({ id: active.id }), {
      status: 409,
      code: "invalid_subscription_status",
    });
    expect(err.details).toMatchObject({ status: "active", accepted: ["past_due"] });
    await expectApiError(t.commet.subscriptions.createRecoveryLink({ id: "sub_nope" }), {
      status: 404,
      code: "subscription_not_found",
    });
    expect((await fetch(`${t.sandbox.url}/recover/rec_nope`)).status).toBe(404);
  });

  it("a link stops working once the subscription is no longer past_due", async () => {
    const { subscription: sub } = await failedRenewal("usr_000011");
    const link = (await t.commet.subscriptions.createRecoveryLink({ id: sub.id })).data!;
    await t.commet.subscriptions.cancel({ id: sub.id, immediate: true });
    const res = await fetch(link.url, { method: "POST" });
    expect(await res.text()).toContain("Nothing to pay");
    expect((await subscription(sub.id)).status).toBe("canceled");
  });
});

describe("renewals charged by the test clock (runs last: it moves the clock)", () => {
  it("succeeding cards send payment.received; a first decline makes the subscription past_due with a recovery URL", async () => {
    // usr_000012 was recovered by a retry above; its card still declines the first attempt on each invoice.
    const declining = (await t.commet.subscriptions.getActive({ customerId: "usr_000012" })).data!;
    const paying = (await t.commet.subscriptions.getActive({ customerId: "usr_000013" })).data!;
    expect(declining.status).toBe("active");
    const lastEnd = Math.max(Date.parse(declining.currentPeriod!.end), Date.parse(paying.currentPeriod!.end));
    await t.commet.testClock.advance({ frozenTime: new Date(lastEnd + 3_600_000).toISOString() });
    await t.commet.testClock.processBilling();

    const renewed = expectShape(
      pageEnvelope(Invoice),
      await t.commet.invoices.list({ subscriptionId: paying.id, status: "paid" }),
    ).data.at(-1)!;
    const received = expectShape(
      PaymentReceivedData,
      await hook("payment.received", (d) => d.invoiceId === renewed.id),
    );
    expect(received).toMatchObject({
      customerId: "usr_000013",
      subscriptionId: paying.id,
      invoiceTotal: renewed.total,
    });
    expect((await subscription(paying.id)).status).toBe("active");

    const pastDue = expectShape(
      SubscriptionPastDueData,
      await hook("subscription.past_due", (d) => d.subscriptionId === declining.id),
    );
    const failed = expectShape(
      PaymentFailedData,
      await hook("payment.failed", (d) => d.invoiceId === pastDue.invoiceId),
    );
    expect(failed).toMatchObject({
      customerId: "usr_000012",
      subscriptionId: declining.id,
      failureCode: "insufficient_funds",
    });
    expect((await subscription(declining.id)).status).toBe("past_due");
    expect((await invoice(pastDue.invoiceId)).status).toBe("outstanding");

    // The recovery URL in payment.failed is a working recovery link.
    expect(failed.recoveryUrl).toMatch(new RegExp(`^${t.sandbox.url}/recover/`));
    expect((await fetch(failed.recoveryUrl!, { method: "POST" })).status).toBe(200);
    await hook("payment.recovered", (d) => d.invoiceId === pastDue.invoiceId);
    expect((await subscription(declining.id)).status).toBe("active");
  });
});
