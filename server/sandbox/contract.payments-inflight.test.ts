/**
 * Contract: a transaction retry while its outcome is still pending, and recovery-link expiry, through the real
 * @commet/node 7.10.0. The sandbox here settles retries only after ten minutes, so the in-flight state is observed
 * without racing it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  envelope,
  expectShape,
  pageEnvelope,
  RecoveryLink,
  Transaction,
  TransactionRetry,
} from "../testing/contract-schemas.ts";
import { expectApiError, useContractSandbox } from "../testing/sandbox.ts";

const t = useContractSandbox({ beforeAll, afterAll }, { seed: { customers: 20 }, retrySettleMs: 600_000 });

describe("a retry in flight", () => {
  it("is pending; a second retry is charge_in_progress; it can be neither retried nor refunded; the recovery page waits", async () => {
    const c = (await t.commet.customers.get({ id: "usr_000012" })).data!;
    const txns = expectShape(
      pageEnvelope(Transaction),
      await t.commet.transactions.list({ customerEmail: c.email }),
    ).data;
    const failed = txns.find((x) => x.status === "failed")!;
    const retry = expectShape(envelope(TransactionRetry), await t.commet.transactions.retry({ id: failed.id })).data;
    expect(retry.status).toBe("processing");

    const attempt = expectShape(envelope(Transaction), await t.commet.transactions.get({ id: retry.id })).data;
    expect(attempt).toMatchObject({ status: "pending", invoiceId: failed.invoiceId, paidAt: null });
    const pending = expectShape(
      pageEnvelope(Transaction),
      await t.commet.transactions.list({ status: "pending" }),
    ).data;
    expect(pending.map((x) => x.id)).toEqual([retry.id]);

    const busy = await expectApiError(t.commet.transactions.retry({ id: failed.id }), {
      status: 409,
      code: "charge_in_progress",
    });
    expect(busy.details).toMatchObject({ transactionId: retry.id });
    await expectApiError(t.commet.transactions.retry({ id: retry.id }), {
      status: 409,
      code: "transaction_not_retryable",
    });
    await expectApiError(t.commet.transactions.refund({ id: retry.id }), {
      status: 409,
      code: "transaction_not_refundable",
    });

    const invoice = (await t.commet.invoices.get({ id: failed.invoiceId! })).data!;
    const link = expectShape(
      envelope(RecoveryLink),
      await t.commet.subscriptions.createRecoveryLink({ id: invoice.subscriptionId! }),
    ).data;
    expect((await fetch(link.url, { method: "POST" })).status).toBe(409);
    expect((await t.commet.subscriptions.get({ id: invoice.subscriptionId! })).data?.status).toBe("past_due");
    expect((await t.commet.invoices.get({ id: invoice.id })).data?.status).toBe("outstanding");
  });
});

describe("recovery link expiry", () => {
  it("a link works for 7 days on the org clock, then answers 410", async () => {
    const sub = (await t.commet.subscriptions.getActive({ customerId: "usr_000003" })).data!;
    expect(sub.status).toBe("past_due");
    const link = expectShape(
      envelope(RecoveryLink),
      await t.commet.subscriptions.createRecoveryLink({ id: sub.id }),
    ).data;
    const clockNow = async () => Date.parse((await t.commet.testClock.get()).data!.now);
    const issued = await clockNow();
    await t.commet.testClock.advance({ frozenTime: new Date(issued + 6 * 86_400_000).toISOString() });
    expect((await fetch(link.url)).status).toBe(200);
    await t.commet.testClock.advance({ frozenTime: new Date(issued + 7 * 86_400_000 + 60_000).toISOString() });
    expect((await fetch(link.url)).status).toBe(410);
    expect((await fetch(link.url, { method: "POST" })).status).toBe(410);
    expect((await t.commet.subscriptions.get({ id: sub.id })).data?.status).toBe("past_due");
  });
});
