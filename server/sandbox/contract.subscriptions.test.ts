/**
 * Contract: subscription changes through the real @commet/node 7.10.0 — cancel (period end / immediate), uncancel,
 * reactivate, the plan group, previewChange and changePlan (prorated upgrade, scheduled downgrade, replaced and
 * revoked schedules, free → paid checkout), the test clock executing what was scheduled, documented errors,
 * idempotent replays and the signed webhooks. The clock is organization-wide, so this file has its own sandbox.
 */
import Database from "better-sqlite3";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import {
  CanceledSubscription,
  Customer,
  envelope,
  expectShape,
  Invoice,
  pageEnvelope,
  Plan,
  type PlanT,
  Subscription,
  SubscriptionCanceledData,
  TestClock,
  Transaction,
  WebhookDelivery,
  WebhookEndpointCreated,
} from "../testing/contract-schemas.ts";
import {
  CancellationRevokedData,
  CancellationScheduledData,
  InvoiceCreatedData,
  InvoiceVoidedData,
  PaymentReceivedData,
  PaymentRecoveredData,
  PlanChange,
  PlanChangedData,
  PlanChangeRevokedData,
  PlanChangeScheduledData,
  PlanGroup,
  PreviewChange,
  ReactivatedSubscription,
  SubscriptionReactivatedData,
  SubscriptionUpdatedData,
  UncanceledSubscription,
} from "../testing/subscription-schemas.ts";
import {
  expectApiError,
  expectValidationError,
  randomSuffix,
  startWebhookReceiver,
  subscribedCustomer,
  useContractSandbox,
  waitFor,
  type WebhookReceiver,
} from "../testing/sandbox.ts";

const DAY = 86_400_000;
const EVENTS = [
  "subscription.updated",
  "subscription.canceled",
  "subscription.cancellation_scheduled",
  "subscription.cancellation_revoked",
  "subscription.reactivated",
  "subscription.plan_changed",
  "subscription.plan_change_scheduled",
  "subscription.plan_change_revoked",
  "invoice.created",
  "invoice.voided",
  "payment.received",
  "payment.recovered",
] as const;
type EventName = (typeof EVENTS)[number];

let receiver: WebhookReceiver;
/** Fixed past_due customers' subscriptions, kept for the tests that name them. */
const FIXED_PAST_DUE = new Set<string>();
let secret: string;
const t = useContractSandbox({ beforeAll, afterAll }, async () => {
  receiver = await startWebhookReceiver();
  // Enough customers for a few seeded past_due subscriptions (usr_000003 and random ones).
  // A transactions.retry stays pending for the whole file: reactivate must refuse to collect the same invoice.
  return { seed: { customers: 60 }, retrySettleMs: 600_000 };
});

beforeAll(async () => {
  secret = expectShape(
    envelope(WebhookEndpointCreated),
    await t.commet.webhooks.create({ url: receiver.url, events: [...EVENTS] }),
  ).data.secretKey;
  for (const externalId of ["usr_000003", "usr_000011", "usr_000012"]) {
    const c = expectShape(envelope(Customer), await t.commet.customers.get({ id: externalId })).data;
    const subs = expectShape(pageEnvelope(Subscription), await t.commet.subscriptions.list({ customerId: c.id })).data;
    for (const sub of subs) FIXED_PAST_DUE.add(sub.id);
  }
  // Freeze the organization's clock so day counts (and so proration) are exact.
  await t.commet.testClock.advance({ advanceDays: 1 });
});

afterAll(async () => {
  await receiver?.close();
});

function plan(code: string): PlanT {
  const p = t.catalog.plans.find((x) => x.code === code);
  if (!p) throw new Error(`seed has no plan '${code}'`);
  return p;
}
/** Plan prices are rate scale (10000 = $1.00); invoices, proration and webhooks are cents. */
const cents = (p: PlanT) => p.prices![0]!.price / 100;

async function now(): Promise<number> {
  return Date.parse(expectShape(envelope(TestClock), await t.commet.testClock.get()).data.now);
}

async function getSub(id: string) {
  return expectShape(envelope(Subscription), await t.commet.subscriptions.get({ id })).data;
}

/** Signed deliveries of `event` about subscription `subId` (or matching `match`), parsed and signature-checked. */
function received(event: EventName, match: (d: Record<string, unknown>) => boolean) {
  return receiver.hooks
    .filter((h) => h.json.event === event && match(h.json.data ?? {}))
    .map((h) => {
      expect(
        t.commet.webhooks.verify({ payload: h.rawBody, signature: h.headers["x-commet-signature"] ?? null, secret }),
      ).toBe(true);
      return expectShape(WebhookDelivery, h.json);
    });
}

async function waitEvent<S extends z.ZodType>(
  event: EventName,
  schema: S,
  match: (d: Record<string, unknown>) => boolean,
  count = 1,
): Promise<Array<z.infer<S>>> {
  await waitFor(() => received(event, match).length >= count, { what: `${count}× ${event}` });
  return received(event, match).map((d) => expectShape(schema, d.data));
}

const bySub = (id: string) => (d: Record<string, unknown>) => d.subscriptionId === id;

/** Advances the clock past `iso` and runs billing (the test clock's period rollover). */
async function passPeriodEnd(iso: string) {
  const days = Math.ceil((Date.parse(iso) - (await now())) / DAY) + 1;
  await t.commet.testClock.advance({ advanceDays: days });
  await t.commet.testClock.processBilling();
}

describe("plan group", () => {
  it("free, starter, pro and business share one group in that order; ai_credits is alone", async () => {
    const plans = expectShape(envelope(Plan.array()), await t.commet.plans.list({ includePrivate: "true" })).data;
    const byCode = new Map(plans.map((p) => [p.code, p]));
    const groupId = byCode.get("free")!.planGroupId;
    expect(groupId).toBeTruthy();
    for (const code of ["starter", "pro", "business"]) expect(byCode.get(code)!.planGroupId).toBe(groupId);
    expect(byCode.get("ai_credits")!.planGroupId).toBeNull();
    const order = ["free", "starter", "pro", "business"].map((c) => byCode.get(c)!.sortOrder);
    expect([...order].sort((a, b) => a - b)).toEqual(order);

    const list = expectShape(pageEnvelope(PlanGroup), await t.commet.planGroups.list()).data;
    expect(list.map((g) => g.id)).toEqual([groupId]);
    const detail = expectShape(envelope(PlanGroup), await t.commet.planGroups.get({ id: groupId! })).data;
    expect(detail.plans?.map((p) => p.id)).toEqual(["free", "starter", "pro", "business"].map((c) => plan(c).id));
    expect(detail.plans?.map((p) => p.sortOrder)).toEqual(order);
    await expectApiError(t.commet.planGroups.get({ id: "pgrp_missing" }), {
      status: 404,
      code: "plan_group_not_found",
    });
  });
});

describe("cancel and uncancel", () => {
  it("cancel at period end stays active with the cancellation set; fires updated + cancellation_scheduled once", async () => {
    const { customer, subscription } = await subscribedCustomer(t.commet, plan("pro"));
    const key = `cancel_${randomSuffix()}`;
    const params = { id: subscription.id, reason: "Too expensive" };
    const canceled = expectShape(
      envelope(CanceledSubscription),
      await t.commet.subscriptions.cancel(params, { idempotencyKey: key }),
    ).data;
    const at = await now();
    expect(canceled).toMatchObject({
      id: subscription.id,
      status: "active",
      cancelReason: "Too expensive",
      scheduledCancellationDate: subscription.currentPeriod!.end,
    });
    expect(Date.parse(canceled.canceledAt)).toBe(at);
    const got = await getSub(subscription.id);
    expect(got.status).toBe("active");
    expect(got.cancelAtPeriodEnd).toBe(true);
    expect(got.cancellation).toEqual({
      scheduledAt: canceled.canceledAt,
      reason: "Too expensive",
      effectiveAt: subscription.currentPeriod!.end,
    });
    expect(got.nextBillingDate).toBeNull();

    // The same request again (same Idempotency-Key) is answered from the first call; a new one is refused.
    const replay = expectShape(
      envelope(CanceledSubscription),
      await t.commet.subscriptions.cancel(params, { idempotencyKey: key }),
    ).data;
    expect(replay).toEqual(canceled);
    await expectApiError(t.commet.subscriptions.cancel(params), { status: 409, code: "already_scheduled" });

    const [scheduled] = await waitEvent(
      "subscription.cancellation_scheduled",
      CancellationScheduledData,
      bySub(subscription.id),
    );
    expect(scheduled).toEqual({
      subscriptionId: subscription.id,
      customerId: customer.externalId,
      status: "active",
      canceledAt: canceled.canceledAt,
      cancelReason: "Too expensive",
      effectiveAt: subscription.currentPeriod!.end,
    });
    const [updated] = await waitEvent("subscription.updated", SubscriptionUpdatedData, bySub(subscription.id));
    expect(updated).toMatchObject({
      status: "active",
      canceledAt: canceled.canceledAt,
      endDate: scheduled!.effectiveAt,
    });
    expect(received("subscription.canceled", bySub(subscription.id))).toEqual([]);

    // Revert it (uncancel); the barrier event shows the replayed and refused cancels fired nothing.
    const reverted = expectShape(
      envelope(UncanceledSubscription),
      await t.commet.subscriptions.uncancel({ id: subscription.id }),
    ).data;
    expect(reverted).toMatchObject({ id: subscription.id, status: "active" });
    const [revoked] = await waitEvent(
      "subscription.cancellation_revoked",
      CancellationRevokedData,
      bySub(subscription.id),
    );
    expect(revoked).toEqual({
      subscriptionId: subscription.id,
      customerId: customer.externalId,
      status: "active",
      currentPeriodEnd: subscription.currentPeriod!.end,
    });
    expect(received("subscription.cancellation_scheduled", bySub(subscription.id))).toHaveLength(1);
    const after = await getSub(subscription.id);
    expect(after.cancellation).toBeNull();
    expect(after.cancelAtPeriodEnd).toBe(false);
    expect(after.nextBillingDate).toBe(subscription.currentPeriod!.end);

    await expectApiError(t.commet.subscriptions.uncancel({ id: subscription.id }), {
      status: 409,
      code: "not_scheduled_for_cancellation",
    });
    await expectApiError(t.commet.subscriptions.uncancel({ id: "sub_missing" }), {
      status: 404,
      code: "subscription_not_found",
    });
  });

  it("immediate cancel ends the subscription now (subscription.canceled); it cannot be uncanceled or canceled again", async () => {
    const { customer, subscription } = await subscribedCustomer(t.commet, plan("starter"));
    const canceled = expectShape(
      envelope(CanceledSubscription),
      await t.commet.subscriptions.cancel({ id: subscription.id, immediate: true, reason: "fraud" }),
    ).data;
    expect(canceled.status).toBe("canceled");
    expect(canceled.scheduledCancellationDate).toBe(canceled.canceledAt);
    const got = await getSub(subscription.id);
    expect(got).toMatchObject({ status: "canceled", cancelAtPeriodEnd: false, endDate: canceled.canceledAt });
    expect(got.cancellation?.reason).toBe("fraud");
    const [event] = await waitEvent("subscription.canceled", SubscriptionCanceledData, bySub(subscription.id));
    expect(event).toEqual({
      subscriptionId: subscription.id,
      customerId: customer.externalId,
      status: "canceled",
      canceledAt: canceled.canceledAt,
      cancelReason: "fraud",
      endDate: canceled.canceledAt,
    });
    expect(received("subscription.cancellation_scheduled", bySub(subscription.id))).toEqual([]);
    await expectApiError(t.commet.subscriptions.cancel({ id: subscription.id }), {
      status: 409,
      code: "subscription_already_canceled",
    });
    await expectApiError(t.commet.subscriptions.uncancel({ id: subscription.id }), {
      status: 409,
      code: "subscription_already_canceled",
    });
  });

  it("a free plan's cancellation settles at once, as Commet documents", async () => {
    const { subscription } = await subscribedCustomer(t.commet, plan("free"));
    const canceled = expectShape(
      envelope(CanceledSubscription),
      await t.commet.subscriptions.cancel({ id: subscription.id }),
    ).data;
    expect(canceled.status).toBe("canceled");
    await waitEvent("subscription.canceled", SubscriptionCanceledData, bySub(subscription.id));
  });

  it("a past_due cancellation settles at once and voids the unpaid renewal (invoice.voided)", async () => {
    const { subscription } = await pastDue();
    const unpaid = await outstandingInvoices(subscription.id);
    expect(unpaid.length).toBeGreaterThan(0);
    const canceled = expectShape(
      envelope(CanceledSubscription),
      await t.commet.subscriptions.cancel({ id: subscription.id }),
    ).data;
    expect(canceled.status).toBe("canceled");
    const voided = await waitEvent("invoice.voided", InvoiceVoidedData, bySub(subscription.id), unpaid.length);
    expect(voided.map((v) => v.invoiceId).sort()).toEqual(unpaid.map((i) => i.id).sort());
    for (const i of unpaid) {
      const inv = expectShape(envelope(Invoice), await t.commet.invoices.get({ id: i.id })).data;
      expect(inv.status).toBe("void");
    }
  });
});

const usedPastDue = new Set<string>();
/**
 * A seeded past_due subscription with an unpaid renewal that no other test has used: the fixed customer
 * `externalId` (usr_000011's card always declines, usr_000012's succeeds on the retry), or any random one.
 */
async function pastDue(externalId?: string) {
  const customerId = externalId
    ? expectShape(envelope(Customer), await t.commet.customers.get({ id: externalId })).data.id
    : undefined;
  const list = expectShape(
    pageEnvelope(Subscription),
    await t.commet.subscriptions.list({
      status: "past_due",
      limit: 100,
      ...(customerId ? { customerId } : {}),
    } as never),
  ).data;
  for (const subscription of list) {
    if (usedPastDue.has(subscription.id)) continue;
    if (!externalId && FIXED_PAST_DUE.has(subscription.id)) continue;
    if ((await outstandingInvoices(subscription.id)).length === 0) continue;
    usedPastDue.add(subscription.id);
    return { subscription };
  }
  throw new Error(`the seed has no unused past_due subscription${externalId ? ` for ${externalId}` : ""}`);
}

/** Sandbox-only card behaviour has no API: tests set it in the store, as the seed does (payments.ts). */
function setCard(customerId: string, behaviour: "succeeds" | "declines" | "succeeds_on_retry") {
  const db = new Database(path.join(t.sandbox.dataDir, "sandbox.sqlite"));
  try {
    db.prepare(
      `INSERT INTO card_behaviours (customer_id, behaviour) VALUES (?, ?)
       ON CONFLICT(customer_id) DO UPDATE SET behaviour = excluded.behaviour`,
    ).run(customerId, behaviour);
  } finally {
    db.close();
  }
}

async function outstandingInvoices(subscriptionId: string) {
  return expectShape(pageEnvelope(Invoice), await t.commet.invoices.list({ subscriptionId, status: "outstanding" }))
    .data;
}

async function invoicesOf(subscriptionId: string) {
  return expectShape(pageEnvelope(Invoice), await t.commet.invoices.list({ subscriptionId })).data;
}

async function transactionsOf(email: string) {
  return expectShape(pageEnvelope(Transaction), await t.commet.transactions.list({ customerEmail: email })).data;
}

describe("reactivate", () => {
  it("a canceled subscription gets a fresh charged invoice and a period anchored to now (subscription.reactivated)", async () => {
    const { customer, subscription } = await subscribedCustomer(t.commet, plan("pro"));
    await t.commet.subscriptions.cancel({ id: subscription.id, immediate: true });
    const key = `react_${randomSuffix()}`;
    const out = expectShape(
      envelope(ReactivatedSubscription),
      await t.commet.subscriptions.reactivate({ id: subscription.id }, { idempotencyKey: key }),
    ).data;
    expect(out).toEqual({ id: subscription.id, retryInitiated: false, object: "subscription", livemode: false });
    const at = new Date(await now()).toISOString();
    const got = await getSub(subscription.id);
    expect(got).toMatchObject({ status: "active", cancellation: null, cancelAtPeriodEnd: false, endDate: null });
    expect(got.currentPeriod?.start).toBe(at);

    const [event] = await waitEvent("subscription.reactivated", SubscriptionReactivatedData, bySub(subscription.id));
    expect(event).toMatchObject({
      customerId: customer.externalId,
      status: "active",
      currentPeriodStart: at,
      currentPeriodEnd: got.currentPeriod!.end,
      invoiceTotal: cents(plan("pro")),
      provider: "commet",
    });
    const invoice = expectShape(envelope(Invoice), await t.commet.invoices.get({ id: event!.invoiceId })).data;
    expect(invoice).toMatchObject({ invoiceType: "reactivation", status: "paid", total: cents(plan("pro")) });
    const txns = (await transactionsOf(customer.email)).filter((x) => x.invoiceId === invoice.id);
    expect(txns.map((x) => x.status)).toEqual(["succeeded"]);
    const [paid] = await waitEvent("payment.received", PaymentReceivedData, (d) => d.invoiceId === invoice.id);
    expect(paid).toMatchObject({ paymentTransactionId: txns[0]!.id, invoiceTotal: invoice.total });
    await waitEvent("invoice.created", InvoiceCreatedData, (d) => d.invoiceId === invoice.id);

    // Replaying the request changes nothing; reactivating an active subscription is refused.
    const replay = expectShape(
      envelope(ReactivatedSubscription),
      await t.commet.subscriptions.reactivate({ id: subscription.id }, { idempotencyKey: key }),
    ).data;
    expect(replay).toEqual(out);
    expect((await invoicesOf(subscription.id)).filter((i) => i.invoiceType === "reactivation")).toHaveLength(1);
    await expectApiError(t.commet.subscriptions.reactivate({ id: subscription.id }), {
      status: 409,
      code: "invalid_subscription_status",
    });
  });

  it("a canceled subscription of a customer who has since subscribed again cannot be reactivated", async () => {
    const { customer, subscription } = await subscribedCustomer(t.commet, plan("starter"));
    await t.commet.subscriptions.cancel({ id: subscription.id, immediate: true });
    await t.commet.subscriptions.create({ customerId: customer.id, planCode: "pro", skipTrial: true });
    await expectApiError(t.commet.subscriptions.reactivate({ id: subscription.id }), {
      status: 409,
      code: "already_has_active_subscription",
    });
  });

  it("a past_due subscription retries its outstanding renewal: paid, active again (payment.recovered)", async () => {
    const { subscription } = await pastDue("usr_000012");
    const before = await getSub(subscription.id);
    const unpaid = await outstandingInvoices(subscription.id);
    expect(unpaid.length).toBeGreaterThan(0);
    const out = expectShape(
      envelope(ReactivatedSubscription),
      await t.commet.subscriptions.reactivate({ id: subscription.id }),
    ).data;
    expect(out.retryInitiated).toBe(true);
    const after = await getSub(subscription.id);
    expect(after.status).toBe("active");
    // Recovery keeps the original billing anchor (unlike reactivation of a canceled subscription).
    expect(after.currentPeriod).toEqual(before.currentPeriod);
    expect(await outstandingInvoices(subscription.id)).toEqual([]);
    const recovered = await waitEvent("payment.recovered", PaymentRecoveredData, bySub(subscription.id));
    expect(recovered.map((r) => r.invoiceId).sort()).toEqual(unpaid.map((i) => i.id).sort());
    await expectApiError(t.commet.subscriptions.reactivate({ id: subscription.id }), {
      status: 409,
      code: "invalid_subscription_status",
    });
  });
});

describe("declined charges (card behaviour from the payments emulation)", () => {
  it("past_due retry declined: payment_failed with a recoveryUrl, still past_due; paying the link recovers it", async () => {
    const { subscription } = await pastDue("usr_000011");
    const unpaid = await outstandingInvoices(subscription.id);
    const err = await expectApiError(t.commet.subscriptions.reactivate({ id: subscription.id }), {
      status: 400,
      code: "payment_failed",
    });
    const details = err.details as { recoveryUrl: string; failureCode: string; transactionId: string };
    expect(details.failureCode).toBe("card_declined");
    expect((await getSub(subscription.id)).status).toBe("past_due");
    expect((await outstandingInvoices(subscription.id)).map((i) => i.id)).toEqual(unpaid.map((i) => i.id));
    const failed = expectShape(envelope(Transaction), await t.commet.transactions.get({ id: details.transactionId }));
    expect(failed.data).toMatchObject({ status: "failed", invoiceId: unpaid[0]!.id });
    expect(received("payment.recovered", bySub(subscription.id))).toEqual([]);

    const paid = await fetch(details.recoveryUrl, { method: "POST" });
    expect(paid.status).toBe(200);
    expect((await getSub(subscription.id)).status).toBe("active");
    await waitEvent("payment.recovered", PaymentRecoveredData, bySub(subscription.id));
  });

  it("a past_due reactivation while a transactions.retry is still settling answers charge_in_progress", async () => {
    const { subscription } = await pastDue();
    const customer = expectShape(
      envelope(Customer),
      await t.commet.customers.get({ id: subscription.customerId }),
    ).data;
    const [unpaid] = await outstandingInvoices(subscription.id);
    const failed = (await transactionsOf(customer.email)).find(
      (x) => x.invoiceId === unpaid!.id && x.status === "failed",
    )!;
    await t.commet.transactions.retry({ id: failed.id });
    await expectApiError(t.commet.subscriptions.reactivate({ id: subscription.id }), {
      status: 409,
      code: "charge_in_progress",
    });
    expect((await getSub(subscription.id)).status).toBe("past_due");
    expect((await outstandingInvoices(subscription.id)).map((i) => i.id)).toContain(unpaid!.id);
  });

  it("reactivation declined: stays canceled, payment_failed with a recoveryUrl; paying it reactivates once", async () => {
    const { customer, subscription } = await subscribedCustomer(t.commet, plan("starter"));
    await t.commet.subscriptions.cancel({ id: subscription.id, immediate: true });
    setCard(customer.id, "declines");
    const err = await expectApiError(t.commet.subscriptions.reactivate({ id: subscription.id }), {
      status: 400,
      code: "payment_failed",
    });
    const details = err.details as { recoveryUrl: string; failureCode: string; transactionId: string };
    expect(details.failureCode).toBe("card_declined");
    expect((await getSub(subscription.id)).status).toBe("canceled");
    expect(received("subscription.reactivated", bySub(subscription.id))).toEqual([]);
    // The declined attempt is on record: a failed transaction on a voided reactivation invoice.
    const failed = expectShape(envelope(Transaction), await t.commet.transactions.get({ id: details.transactionId }));
    expect(failed.data.status).toBe("failed");
    const attempt = expectShape(envelope(Invoice), await t.commet.invoices.get({ id: failed.data.invoiceId! })).data;
    expect(attempt).toMatchObject({ invoiceType: "reactivation", status: "void" });

    expect((await fetch(details.recoveryUrl)).status).toBe(200);
    const paid = await fetch(details.recoveryUrl, { method: "POST" });
    expect(paid.status).toBe(200);
    const got = await getSub(subscription.id);
    expect(got).toMatchObject({ status: "active", cancellation: null });
    const [event] = await waitEvent("subscription.reactivated", SubscriptionReactivatedData, bySub(subscription.id));
    expect(event!.invoiceTotal).toBe(cents(plan("starter")));
    expect(await (await fetch(details.recoveryUrl, { method: "POST" })).text()).toContain("already paid");
    expect(
      (await invoicesOf(subscription.id)).filter((i) => i.invoiceType === "reactivation" && i.status === "paid"),
    ).toHaveLength(1);
  });

  it("upgrade declined: charge_failed, the plan and period stay, the attempt is recorded", async () => {
    const { customer, subscription } = await subscribedCustomer(t.commet, plan("starter"));
    await t.commet.subscriptions.changePlan({ id: subscription.id, newPlanId: plan("free").id });
    setCard(customer.id, "declines");
    const err = await expectApiError(
      t.commet.subscriptions.changePlan({ id: subscription.id, newPlanId: plan("pro").id }),
      { status: 400, code: "charge_failed" },
    );
    const details = err.details as { failureCode: string; transactionId: string; invoiceId: string };
    expect(details.failureCode).toBe("card_declined");
    const got = await getSub(subscription.id);
    expect(got.plan.id).toBe(plan("starter").id);
    expect(got.currentPeriod).toEqual(subscription.currentPeriod);
    // The pending downgrade is untouched by a declined upgrade.
    expect(got.scheduledPlanChange?.newPlanId).toBe(plan("free").id);
    const attempt = expectShape(envelope(Invoice), await t.commet.invoices.get({ id: details.invoiceId })).data;
    expect(attempt).toMatchObject({ invoiceType: "plan_change", status: "void" });
    expect(received("subscription.plan_changed", bySub(subscription.id))).toEqual([]);
    expect(received("subscription.plan_change_revoked", bySub(subscription.id))).toEqual([]);
  });
});

describe("refunds (payments emulation) end a subscription with a pending change", () => {
  it("a refunded subscription shows no scheduled plan change; reactivating it starts clean", async () => {
    const { customer, subscription } = await subscribedCustomer(t.commet, plan("pro"));
    await t.commet.subscriptions.changePlan({ id: subscription.id, newPlanId: plan("starter").id });
    const charge = (await transactionsOf(customer.email)).find((x) => x.status === "succeeded")!;
    await t.commet.transactions.refund({ id: charge.id });
    const ended = await getSub(subscription.id);
    expect(ended.status).toBe("canceled");
    expect(ended.scheduledPlanChange).toBeNull();
    await t.commet.subscriptions.reactivate({ id: subscription.id });
    const back = await getSub(subscription.id);
    expect(back).toMatchObject({ status: "active", scheduledPlanChange: null, plan: { id: plan("pro").id } });
  });
});

describe("previewChange", () => {
  it("an upgrade is prorated over the remaining days: credit, charge, total, effective now", async () => {
    const { subscription } = await subscribedCustomer(t.commet, plan("starter"));
    const fresh = expectShape(
      envelope(PreviewChange),
      await t.commet.subscriptions.previewChange({ id: subscription.id, planId: plan("pro").id }),
    ).data;
    const totalDays = Math.round(
      (Date.parse(subscription.currentPeriod!.end) - Date.parse(subscription.currentPeriod!.start)) / DAY,
    );
    expect(fresh).toEqual({
      currency: "USD",
      currentPlanCredit: cents(plan("starter")),
      newPlanCharge: cents(plan("pro")),
      estimatedTotal: cents(plan("pro")) - cents(plan("starter")),
      effectiveDate: new Date(await now()).toISOString(),
      daysRemaining: totalDays,
      totalDays,
      isUpgrade: true,
      object: "subscription",
      livemode: false,
    });
    await t.commet.testClock.advance({ advanceDays: 10 });
    const later = expectShape(
      envelope(PreviewChange),
      await t.commet.subscriptions.previewChange({ id: subscription.id, planId: plan("business").id }),
    ).data;
    const credit = Math.round((cents(plan("starter")) * (totalDays - 10)) / totalDays);
    expect(later).toMatchObject({
      daysRemaining: totalDays - 10,
      totalDays,
      currentPlanCredit: credit,
      newPlanCharge: cents(plan("business")),
      estimatedTotal: cents(plan("business")) - credit,
    });
    // A preview changes nothing.
    const got = await getSub(subscription.id);
    expect(got.plan.id).toBe(plan("starter").id);
    expect(await invoicesOf(subscription.id)).toHaveLength(1);
  });

  it("documented errors: downgrade (scheduled), other group, same plan, unknown plan/price, not active, bad input", async () => {
    const { subscription } = await subscribedCustomer(t.commet, plan("pro"));
    const id = subscription.id;
    const downgrade = await expectApiError(t.commet.subscriptions.previewChange({ id, planId: plan("starter").id }), {
      status: 400,
      code: "plan_change_scheduled",
    });
    expect(downgrade.details).toEqual({ effectiveAt: subscription.currentPeriod!.end });
    await expectApiError(t.commet.subscriptions.previewChange({ id, planId: plan("free").id }), {
      status: 400,
      code: "plan_change_scheduled",
    });
    await expectApiError(t.commet.subscriptions.previewChange({ id, planId: plan("ai_credits").id }), {
      status: 400,
      code: "plans_not_in_same_group",
    });
    await expectApiError(t.commet.subscriptions.previewChange({ id, planId: plan("pro").id }), {
      status: 400,
      code: "no_change_requested",
    });
    await expectApiError(t.commet.subscriptions.previewChange({ id, planId: "plan_missing" }), {
      status: 404,
      code: "plan_not_found",
    });
    await expectApiError(
      t.commet.subscriptions.previewChange({ id, planId: plan("business").id, billingInterval: "yearly" }),
      { status: 404, code: "price_not_found" },
    );
    await expectApiError(t.commet.subscriptions.previewChange({ id: "sub_missing", planId: plan("pro").id }), {
      status: 404,
      code: "subscription_not_found",
    });
    await expectValidationError(t.commet.subscriptions.previewChange({ id } as never), "planId");
    const credits = await subscribedCustomer(t.commet, plan("ai_credits"));
    await expectApiError(
      t.commet.subscriptions.previewChange({ id: credits.subscription.id, planId: plan("pro").id }),
      { status: 400, code: "plans_not_in_same_group" },
    );
    await t.commet.subscriptions.cancel({ id, immediate: true });
    await expectApiError(t.commet.subscriptions.previewChange({ id, planId: plan("business").id }), {
      status: 409,
      code: "subscription_not_active",
    });
  });
});

describe("changePlan", () => {
  it("an upgrade applies now: the previewed proration is invoiced and charged; plan_changed, invoice.created, payment.received", async () => {
    const { customer, subscription } = await subscribedCustomer(t.commet, plan("starter"));
    await t.commet.testClock.advance({ advanceDays: 3 });
    // Usage above the included amount so far is closed out on the same invoice (the period restarts).
    const included = plan("starter").features!.find((f) => f.code === "api_calls")!.includedAmount!;
    await t.commet.usage.track({ customerId: customer.id, feature: "api_calls", value: included + 50 });
    const preview = expectShape(
      envelope(PreviewChange),
      await t.commet.subscriptions.previewChange({ id: subscription.id, planId: plan("pro").id }),
    ).data;
    const overageCents =
      (50 * plan("starter").features!.find((f) => f.code === "api_calls")!.overage!.unitPrice!) / 100;
    expect(preview.newPlanCharge).toBe(cents(plan("pro")) + overageCents);

    const key = `upgrade_${randomSuffix()}`;
    const change = expectShape(
      envelope(PlanChange),
      await t.commet.subscriptions.changePlan(
        { id: subscription.id, newPlanId: plan("pro").id },
        { idempotencyKey: key },
      ),
    ).data;
    expect(change).toMatchObject({
      id: subscription.id,
      previousPlan: { id: plan("starter").id, name: "Starter" },
      currentPlan: { id: plan("pro").id, name: "Pro", price: plan("pro").prices![0]!.price },
      billingInterval: "monthly",
      billing: {
        credit: preview.currentPlanCredit,
        creditsApplied: preview.currentPlanCredit,
        charge: preview.newPlanCharge,
        taxAmount: 0,
        netAmount: preview.estimatedTotal,
        totalCharged: preview.estimatedTotal,
        remainingCreditBalance: 0,
      },
    });
    expect(change.scheduled).toBeUndefined();
    const at = new Date(await now()).toISOString();
    const got = await getSub(subscription.id);
    expect(got.plan).toMatchObject({ id: plan("pro").id, name: "Pro" });
    expect(got.currentPeriod?.start).toBe(at);
    expect(got.scheduledPlanChange).toBeNull();
    expect(got.features?.find((f) => f.code === "api_calls")?.usage?.current).toBe(0);

    const invoice = expectShape(envelope(Invoice), await t.commet.invoices.get({ id: change.invoiceId! })).data;
    expect(invoice).toMatchObject({
      invoiceType: "plan_change",
      status: "paid",
      total: preview.estimatedTotal,
      periodStart: at,
      periodEnd: got.currentPeriod!.end,
    });
    const lines = invoice.lineItems ?? [];
    expect(lines.find((l) => l.lineType === "plan_base")?.amount).toBe(cents(plan("pro")));
    expect(lines.find((l) => l.lineType === "feature_overage")?.amount).toBe(overageCents);
    expect(lines.find((l) => l.lineType === "credit")?.amount).toBe(-preview.currentPlanCredit);
    expect(lines.reduce((a, l) => a + l.amount, 0)).toBe(invoice.subtotal);
    const txns = (await transactionsOf(customer.email)).filter((x) => x.invoiceId === invoice.id);
    expect(txns.map((x) => [x.status, x.grossAmount])).toEqual([["succeeded", invoice.total]]);

    const [changed] = await waitEvent("subscription.plan_changed", PlanChangedData, bySub(subscription.id));
    expect(changed).toEqual({
      subscriptionId: subscription.id,
      customerId: customer.externalId,
      previousPlan: { id: plan("starter").id, name: "Starter" },
      currentPlan: { id: plan("pro").id, name: "Pro" },
      billingInterval: "monthly",
      credit: preview.currentPlanCredit,
      charge: preview.newPlanCharge,
      totalCharged: preview.estimatedTotal,
    });
    const [created] = await waitEvent("invoice.created", InvoiceCreatedData, (d) => d.invoiceId === invoice.id);
    expect(created).toMatchObject({ invoiceStatus: "paid", total: invoice.total, customerId: customer.externalId });
    const [paid] = await waitEvent("payment.received", PaymentReceivedData, (d) => d.invoiceId === invoice.id);
    expect(paid).toMatchObject({ paymentTransactionId: txns[0]!.id, grossAmount: invoice.total, provider: "commet" });

    // The same Idempotency-Key answers the first result; no second invoice or charge.
    const replay = expectShape(
      envelope(PlanChange),
      await t.commet.subscriptions.changePlan(
        { id: subscription.id, newPlanId: plan("pro").id },
        { idempotencyKey: key },
      ),
    ).data;
    expect(replay).toEqual(change);
    expect((await invoicesOf(subscription.id)).filter((i) => i.invoiceType === "plan_change")).toHaveLength(1);
    // Now on Pro, asking for Pro again changes nothing.
    await expectApiError(t.commet.subscriptions.changePlan({ id: subscription.id, newPlanId: plan("pro").id }), {
      status: 400,
      code: "no_change_requested",
    });
  });

  it("a downgrade is scheduled for the period end; replaced (revoked + scheduled), then revoked by choosing the current plan", async () => {
    const { customer, subscription } = await subscribedCustomer(t.commet, plan("business"));
    const end = subscription.currentPeriod!.end;
    const key = `down_${randomSuffix()}`;
    const toPro = expectShape(
      envelope(PlanChange),
      await t.commet.subscriptions.changePlan(
        { id: subscription.id, newPlanId: plan("pro").id },
        { idempotencyKey: key },
      ),
    ).data;
    expect(toPro).toMatchObject({
      id: subscription.id,
      scheduled: true,
      scheduledFor: end,
      changeType: "subscription.plan_downgrade",
      newPlanId: plan("pro").id,
      newPlanName: "Pro",
      currentPlan: { id: plan("business").id, name: "Business" },
    });
    expect(toPro.invoiceId).toBeUndefined();
    let got = await getSub(subscription.id);
    expect(got.plan.id).toBe(plan("business").id);
    expect(got.scheduledPlanChange).toEqual({
      changeType: "plan_downgrade",
      newPlanId: plan("pro").id,
      newPlanName: "Pro",
      newBillingInterval: null,
      scheduledFor: end,
    });
    const [scheduled] = await waitEvent(
      "subscription.plan_change_scheduled",
      PlanChangeScheduledData,
      bySub(subscription.id),
    );
    expect(scheduled).toEqual({
      subscriptionId: subscription.id,
      customerId: customer.externalId,
      status: "active",
      currentPlan: { id: plan("business").id, name: "Business" },
      scheduledPlan: { id: plan("pro").id, name: "Pro" },
      billingInterval: "monthly",
      scheduledBillingInterval: null,
      effectiveAt: end,
    });
    // Replayed by key, or asked again without a key: the same schedule, no new event.
    expect(
      expectShape(
        envelope(PlanChange),
        await t.commet.subscriptions.changePlan(
          { id: subscription.id, newPlanId: plan("pro").id },
          { idempotencyKey: key },
        ),
      ).data,
    ).toEqual(toPro);
    expect(
      expectShape(
        envelope(PlanChange),
        await t.commet.subscriptions.changePlan({ id: subscription.id, newPlanId: plan("pro").id }),
      ).data,
    ).toEqual(toPro);

    // A different downgrade replaces it: plan_change_revoked (Pro) then plan_change_scheduled (Starter).
    await t.commet.subscriptions.changePlan({ id: subscription.id, newPlanId: plan("starter").id });
    const [revoked] = await waitEvent(
      "subscription.plan_change_revoked",
      PlanChangeRevokedData,
      bySub(subscription.id),
    );
    expect(revoked).toEqual({
      subscriptionId: subscription.id,
      customerId: customer.externalId,
      status: "active",
      currentPlan: { id: plan("business").id, name: "Business" },
      revokedPlan: { id: plan("pro").id, name: "Pro" },
      billingInterval: "monthly",
      revokedBillingInterval: null,
    });
    const all = await waitEvent(
      "subscription.plan_change_scheduled",
      PlanChangeScheduledData,
      bySub(subscription.id),
      2,
    );
    expect(all.map((e) => e.scheduledPlan.name)).toEqual(["Pro", "Starter"]);
    got = await getSub(subscription.id);
    expect(got.scheduledPlanChange?.newPlanId).toBe(plan("starter").id);

    // Choosing the current plan again revokes the pending change.
    const back = expectShape(
      envelope(PlanChange),
      await t.commet.subscriptions.changePlan({ id: subscription.id, newPlanId: plan("business").id }),
    ).data;
    expect(back).toMatchObject({ id: subscription.id, scheduled: false, currentPlan: { id: plan("business").id } });
    const revokes = await waitEvent(
      "subscription.plan_change_revoked",
      PlanChangeRevokedData,
      bySub(subscription.id),
      2,
    );
    expect(revokes[1]!.revokedPlan.name).toBe("Starter");
    expect((await getSub(subscription.id)).scheduledPlanChange).toBeNull();
    await expectApiError(t.commet.subscriptions.changePlan({ id: subscription.id, newPlanId: plan("business").id }), {
      status: 400,
      code: "no_change_requested",
    });
    expect(await invoicesOf(subscription.id)).toHaveLength(1);
  });

  it("paid → free is scheduled and warns about seats the free plan cannot hold", async () => {
    const { subscription } = await subscribedCustomer(t.commet, plan("starter"), { initialSeats: { editor: 3 } });
    const change = expectShape(
      envelope(PlanChange),
      await t.commet.subscriptions.changePlan({ id: subscription.id, newPlanId: plan("free").id }),
    ).data;
    expect(change).toMatchObject({ scheduled: true, changeType: "subscription.plan_downgrade", newPlanName: "Free" });
    expect(change.seatLimitWarning).toEqual({
      featureCode: "editor",
      featureName: "Editor seats",
      currentSeats: 3,
      included: 1,
      newPlanName: "Free",
      effectiveDate: subscription.currentPeriod!.end,
    });
  });

  it("an upgrade replaces a pending downgrade (plan_change_revoked) and applies at once", async () => {
    const { subscription } = await subscribedCustomer(t.commet, plan("pro"));
    await t.commet.subscriptions.changePlan({ id: subscription.id, newPlanId: plan("starter").id });
    const up = expectShape(
      envelope(PlanChange),
      await t.commet.subscriptions.changePlan({ id: subscription.id, newPlanId: plan("business").id }),
    ).data;
    expect(up.invoiceId).toBeTruthy();
    const [revoked] = await waitEvent(
      "subscription.plan_change_revoked",
      PlanChangeRevokedData,
      bySub(subscription.id),
    );
    expect(revoked!.revokedPlan.name).toBe("Starter");
    const got = await getSub(subscription.id);
    expect(got.plan.id).toBe(plan("business").id);
    expect(got.scheduledPlanChange).toBeNull();
  });

  it("free → paid answers a hosted checkout; paying it applies the upgrade once", async () => {
    const { subscription } = await subscribedCustomer(t.commet, plan("free"));
    const change = expectShape(
      envelope(PlanChange),
      await t.commet.subscriptions.changePlan({ id: subscription.id, newPlanId: plan("starter").id }),
    ).data;
    expect(change).toMatchObject({ requiresCheckout: true, id: subscription.id, newPlanId: plan("starter").id });
    expect((await getSub(subscription.id)).plan.id).toBe(plan("free").id);
    const page = await fetch(change.checkoutUrl!);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Starter");
    const paid = await fetch(change.checkoutUrl!, { method: "POST" });
    expect(paid.status).toBe(200);
    const got = await getSub(subscription.id);
    expect(got.plan.id).toBe(plan("starter").id);
    const [changed] = await waitEvent("subscription.plan_changed", PlanChangedData, bySub(subscription.id));
    expect(changed).toMatchObject({ credit: 0, charge: cents(plan("starter")), totalCharged: cents(plan("starter")) });
    expect((await invoicesOf(subscription.id)).filter((i) => i.invoiceType === "plan_change")).toHaveLength(1);
    const again = await fetch(change.checkoutUrl!, { method: "POST" });
    expect(await again.text()).toContain("already paid");
    expect((await invoicesOf(subscription.id)).filter((i) => i.invoiceType === "plan_change")).toHaveLength(1);
  });

  it("documented errors: other group, scheduled cancellation, not active, offers, missing input", async () => {
    const { subscription } = await subscribedCustomer(t.commet, plan("pro"));
    const id = subscription.id;
    await expectApiError(t.commet.subscriptions.changePlan({ id, newPlanId: plan("ai_credits").id }), {
      status: 400,
      code: "plans_not_in_same_group",
    });
    await expectApiError(t.commet.subscriptions.changePlan({ id, newPlanId: "plan_missing" }), {
      status: 404,
      code: "plan_not_found",
    });
    await expectApiError(
      t.commet.subscriptions.changePlan({ id, newPlanId: plan("business").id, offerId: "off_1" } as never),
      { status: 404, code: "offer_not_found" },
    );
    await expectValidationError(t.commet.subscriptions.changePlan({ id }), "newPlanId");
    await expectApiError(t.commet.subscriptions.changePlan({ id: "sub_missing", newPlanId: plan("pro").id }), {
      status: 404,
      code: "subscription_not_found",
    });
    await t.commet.subscriptions.cancel({ id });
    await expectApiError(t.commet.subscriptions.changePlan({ id, newPlanId: plan("business").id }), {
      status: 409,
      code: "invalid_subscription_status",
    });
    const { subscription: late } = await pastDue();
    await expectApiError(t.commet.subscriptions.changePlan({ id: late.id, newPlanId: plan("pro").id }), {
      status: 409,
      code: "subscription_not_active",
    });
    // Nothing was charged by any refused change.
    expect(await invoicesOf(id)).toHaveLength(1);
  });
});

describe("the test clock executes what was scheduled", () => {
  it("at the period end a scheduled downgrade takes effect (plan_changed) and the next period bills the new plan", async () => {
    const { customer, subscription } = await subscribedCustomer(t.commet, plan("business"));
    await t.commet.subscriptions.changePlan({ id: subscription.id, newPlanId: plan("pro").id });
    const end = subscription.currentPeriod!.end;
    await passPeriodEnd(end);
    const got = await getSub(subscription.id);
    expect(got.status).toBe("active");
    expect(got.plan).toMatchObject({ id: plan("pro").id, name: "Pro" });
    expect(got.scheduledPlanChange).toBeNull();
    expect(got.currentPeriod?.start).toBe(end);
    const [changed] = await waitEvent("subscription.plan_changed", PlanChangedData, bySub(subscription.id));
    expect(changed).toEqual({
      subscriptionId: subscription.id,
      customerId: customer.externalId,
      previousPlan: { id: plan("business").id, name: "Business" },
      currentPlan: { id: plan("pro").id, name: "Pro" },
      billingInterval: "monthly",
      credit: 0,
      charge: cents(plan("pro")),
      totalCharged: cents(plan("pro")),
    });
    // The renewal invoice is issued at the period end: the closed period's overage plus the next period in advance.
    const renewal = (await invoicesOf(subscription.id)).filter((i) => Date.parse(i.issueDate) >= Date.parse(end));
    expect(renewal).toHaveLength(1);
    const full = expectShape(envelope(Invoice), await t.commet.invoices.get({ id: renewal[0]!.id })).data;
    const base = full.lineItems!.filter((l) => l.lineType === "plan_base");
    expect(base.map((l) => [l.description, l.amount])).toEqual([["Pro plan (monthly)", cents(plan("pro"))]]);
  });

  it("at the period end a scheduled cancellation executes (subscription.canceled at effectiveAt); it had revoked a pending downgrade", async () => {
    const { customer, subscription } = await subscribedCustomer(t.commet, plan("pro"));
    await t.commet.subscriptions.changePlan({ id: subscription.id, newPlanId: plan("starter").id });
    await t.commet.subscriptions.cancel({ id: subscription.id, reason: "budget" });
    await waitEvent("subscription.plan_change_revoked", PlanChangeRevokedData, bySub(subscription.id));
    expect((await getSub(subscription.id)).scheduledPlanChange).toBeNull();
    const end = subscription.currentPeriod!.end;
    await passPeriodEnd(end);
    const got = await getSub(subscription.id);
    expect(got).toMatchObject({ status: "canceled", endDate: end });
    expect(got.plan.id).toBe(plan("pro").id);
    const [event] = await waitEvent("subscription.canceled", SubscriptionCanceledData, bySub(subscription.id));
    expect(event).toMatchObject({ customerId: customer.externalId, cancelReason: "budget", endDate: end });
    await expectApiError(t.commet.subscriptions.uncancel({ id: subscription.id }), {
      status: 409,
      code: "subscription_already_canceled",
    });
  });
});
