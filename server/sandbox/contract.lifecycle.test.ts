/**
 * Contract: the test clock (period rollover: new period, usage reset, an invoice for the closed
 * period), invoices with line items, transactions, and persistence across a sandbox restart —
 * through the real @commet/node 7.10.0. The clock is organization-wide, so this file has its own sandbox.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Customer,
  envelope,
  expectShape,
  FeatureLookup,
  Invoice,
  pageEnvelope,
  PortalAccess,
  SeatBalance,
  Subscription,
  TestClock,
  TestClockBilling,
  Transaction,
  WebhookEndpoint,
  WebhookEndpointCreated,
} from "../testing/contract-schemas.ts";
import {
  expectValidationError,
  randomSuffix,
  subscribedCustomer,
  startWebhookReceiver,
  useContractSandbox,
  waitFor,
} from "../testing/sandbox.ts";

const DAY = 86_400_000;
const RETRY_BASE_MS = 400;
const t = useContractSandbox(
  { beforeAll, afterAll },
  { seed: { customers: 8 }, delivery: { retryBaseMs: RETRY_BASE_MS } },
);

async function usageOf(customerId: string, code: string) {
  return expectShape(envelope(FeatureLookup), await t.commet.featureAccess.get({ customerId, code })).data;
}

describe("test clock", () => {
  it("get returns the clock; it cannot move backwards", async () => {
    const clock = expectShape(envelope(TestClock), await t.commet.testClock.get()).data;
    if (!clock.isActive) {
      expect(clock.simulatedTime).toBeNull();
      expect(Math.abs(Date.parse(clock.now) - Date.now())).toBeLessThan(60_000);
    }
    const past = new Date(Date.parse(clock.now) - DAY).toISOString();
    await expectValidationError(t.commet.testClock.advance({ frozenTime: past }), "frozenTime");
    const after = expectShape(envelope(TestClock), await t.commet.testClock.get()).data;
    expect(after.simulatedTime).toBe(clock.simulatedTime);
  });

  it("advance + processBilling rolls the period: new period, usage reset, an invoice for the closed period", async () => {
    const { customer, subscription } = await subscribedCustomer(t.commet, t.catalog.metered.plan);
    const feature = t.catalog.metered.usage;
    const included = t.catalog.metered.includedUsage;
    await t.commet.usage.track({ customerId: customer.id, feature, value: included + 5 });
    expect((await usageOf(customer.id, feature)).current).toBe(included + 5);
    // Seats above the plan's included amount are billed in advance for the next period.
    const seatsIncluded =
      t.catalog.metered.plan.features?.find((f) => f.code === t.catalog.metered.seats)?.includedAmount ?? 0;
    await t.commet.seats.set({
      customerId: customer.id,
      featureCode: t.catalog.metered.seats,
      count: seatsIncluded + 2,
    });
    // A credits subscription consumes part of its plan credits; they refill at the new period.
    const credits = await subscribedCustomer(t.commet, t.catalog.credits.plan);
    const planCredits = credits.subscription.credits!.included;
    await t.commet.usage.track({ customerId: credits.customer.id, feature: t.catalog.credits.usage, value: 7 });
    // A cancellation scheduled for the period end takes effect at the rollover.
    const leaving = await subscribedCustomer(t.commet, t.catalog.metered.plan);
    await t.commet.subscriptions.cancel({ id: leaving.subscription.id, reason: "moving on" });
    const oldPeriod = subscription.currentPeriod!;
    const before = expectShape(envelope(TestClock), await t.commet.testClock.get()).data;
    const days = Math.ceil((Date.parse(oldPeriod.end) - Date.parse(before.now)) / DAY) + 1;

    const advanced = expectShape(envelope(TestClock), await t.commet.testClock.advance({ advanceDays: days })).data;
    expect(advanced.isActive).toBe(true);
    expect(advanced.simulatedTime).not.toBeNull();
    expect(Date.parse(advanced.now) - Date.parse(before.now)).toBeGreaterThanOrEqual(days * DAY - 60_000);
    expect(Date.parse(advanced.now)).toBeGreaterThan(Date.parse(oldPeriod.end));

    const billing = expectShape(envelope(TestClockBilling), await t.commet.testClock.processBilling()).data;
    expect(billing.failed).toBe(0);

    const now = expectShape(envelope(Subscription), await t.commet.subscriptions.get({ id: subscription.id })).data;
    expect(now.status).toBe("active");
    expect(now.currentPeriod?.start).toBe(oldPeriod.end);
    expect(Date.parse(now.currentPeriod!.end)).toBeGreaterThan(Date.parse(advanced.now));
    expect((await usageOf(customer.id, feature)).current).toBe(0);

    const invoices = expectShape(
      pageEnvelope(Invoice),
      await t.commet.invoices.list({ subscriptionId: subscription.id }),
    ).data;
    const closed = invoices.filter((i) => i.periodStart === oldPeriod.start && i.periodEnd === oldPeriod.end);
    const withOverage = await Promise.all(
      closed.map(async (i) => expectShape(envelope(Invoice), await t.commet.invoices.get({ id: i.id })).data),
    );
    const overageLines = withOverage.flatMap((i) =>
      (i.lineItems ?? []).filter((l) => l.lineType === "feature_overage"),
    );
    expect(overageLines).toHaveLength(1);
    expect(overageLines[0]).toMatchObject({
      quantity: 5,
      usedAmount: included + 5,
      includedAmount: included,
      overageAmount: 5,
    });
    const closedInvoice = withOverage.find((i) => i.lineItems?.some((l) => l.lineType === "feature_overage"))!;
    const seatLines = (closedInvoice.lineItems ?? []).filter((l) => l.lineType === "feature_seats");
    expect(seatLines.find((l) => l.chargeType === "advance")).toMatchObject({ quantity: 2 });
    const left = expectShape(
      envelope(Subscription),
      await t.commet.subscriptions.get({ id: leaving.subscription.id }),
    ).data;
    expect(left.status).toBe("canceled");
    const noneActive = await t.commet.subscriptions.getActive({ customerId: leaving.customer.id });
    expect(noneActive.data).toBeNull();
    const creditsNow = expectShape(
      envelope(Subscription),
      await t.commet.subscriptions.get({ id: credits.subscription.id }),
    ).data;
    expect(creditsNow.credits?.remaining).toBe(planCredits);
    expect(closedInvoice.lineItems?.map((l) => l.lineType)).toContain("plan_base");
    expect((closedInvoice.lineItems ?? []).reduce((acc, l) => acc + l.amount, 0)).toBe(closedInvoice.subtotal);
    expect(closedInvoice.total).toBe(closedInvoice.subtotal - closedInvoice.discountAmount + closedInvoice.taxAmount);
    const tx = expectShape(
      pageEnvelope(Transaction),
      await t.commet.transactions.list({ customerEmail: customer.email }),
    ).data;
    expect(tx.some((x) => x.invoiceId === closedInvoice.id)).toBe(true);
    // Running billing again at the same instant bills nothing twice.
    await t.commet.testClock.processBilling();
    const again = expectShape(
      pageEnvelope(Invoice),
      await t.commet.invoices.list({ subscriptionId: subscription.id }),
    ).data;
    expect(again.length).toBe(invoices.length);
  });
});

describe("portal expiry follows the sandbox clock", () => {
  it("a portal URL works within 2 h and is expired after 2 h", async () => {
    const { customer } = await subscribedCustomer(t.commet, t.catalog.metered.plan);
    const clockNow = async () => Date.parse(expectShape(envelope(TestClock), await t.commet.testClock.get()).data.now);
    const early = expectShape(envelope(PortalAccess), await t.commet.portal.getUrl({ customerId: customer.id })).data;
    await t.commet.testClock.advance({ frozenTime: new Date((await clockNow()) + 110 * 60_000).toISOString() });
    expect((await fetch(early.portalUrl)).status).toBe(200);

    const late = expectShape(envelope(PortalAccess), await t.commet.portal.getUrl({ customerId: customer.id })).data;
    await t.commet.testClock.advance({ frozenTime: new Date((await clockNow()) + 121 * 60_000).toISOString() });
    const res = await fetch(late.portalUrl);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect((await res.text()).toLowerCase()).toContain("expired");
  });
});

describe("persistence", () => {
  it("customers, seats, usage, endpoints, the clock and idempotency keys survive a restart", async () => {
    const { customer } = await subscribedCustomer(t.commet, t.catalog.metered.plan);
    await t.commet.seats.set({ customerId: customer.id, featureCode: t.catalog.metered.seats, count: 7 });
    await t.commet.usage.track({ customerId: customer.id, feature: t.catalog.metered.usage, value: 3 });
    const tag = randomSuffix();
    const key = `persist_${tag}`;
    const params = { email: `persist+${tag}@example.test` };
    const created = expectShape(
      envelope(Customer),
      await t.commet.customers.create(params, { idempotencyKey: key }),
    ).data;
    const endpoint = await t.commet.webhooks.create({
      url: "http://127.0.0.1:9/persist",
      events: ["customer.created"],
    });
    const clockBefore = expectShape(envelope(TestClock), await t.commet.testClock.get()).data;
    const countBefore = (await t.sandbox.health()).customers;

    await t.sandbox.restart();

    expect(expectShape(envelope(Customer), await t.commet.customers.get({ id: customer.id })).data).toEqual(customer);
    const seats = expectShape(
      envelope(SeatBalance),
      await t.commet.seats.getBalance({ customerId: customer.id, featureCode: t.catalog.metered.seats }),
    ).data;
    expect(seats.current).toBe(7);
    expect((await usageOf(customer.id, t.catalog.metered.usage)).current).toBe(3);
    const hooks = expectShape(pageEnvelope(WebhookEndpoint), await t.commet.webhooks.list()).data;
    expect(hooks.map((h) => h.id)).toContain(endpoint.data!.id);
    const clockAfter = expectShape(envelope(TestClock), await t.commet.testClock.get()).data;
    expect(clockAfter.isActive).toBe(clockBefore.isActive);
    expect(clockAfter.simulatedTime).toBe(clockBefore.simulatedTime);
    const replay = expectShape(
      envelope(Customer),
      await t.commet.customers.create(params, { idempotencyKey: key }),
    ).data;
    expect(replay).toEqual(created);
    const countAfter = (await t.sandbox.health()).customers;
    expect(countAfter).toBe(countBefore);
  });
});

describe("webhook outbox across a restart", () => {
  it("a delivery still failing at shutdown is retried after the restart with the same event id", async () => {
    const receiver = await startWebhookReceiver({ failFirst: 2 });
    try {
      const endpoint = expectShape(
        envelope(WebhookEndpointCreated),
        await t.commet.webhooks.create({ url: receiver.url, events: ["customer.created"] }),
      ).data;
      const tag = randomSuffix();
      const customer = expectShape(
        envelope(Customer),
        await t.commet.customers.create({ email: `outbox+${tag}@example.test` }),
      ).data;
      const mine = () => receiver.hooks.filter((h) => (h.json.data as { id?: string } | undefined)?.id === customer.id);
      await waitFor(() => mine().length >= 1, { what: "first delivery attempt" });
      await t.sandbox.restart();
      const restartedAt = Date.now();
      await waitFor(() => mine().some((h) => h.answered === 200), {
        timeoutMs: 15_000,
        what: "delivery after restart",
      });
      const hooks = mine();
      expect(hooks.map((h) => h.answered)).toEqual([500, 500, 200]);
      expect(new Set(hooks.map((h) => h.json.id)).size).toBe(1);
      expect(hooks.at(-1)!.at).toBeGreaterThanOrEqual(restartedAt);
      expect(
        t.commet.webhooks.verify({
          payload: hooks.at(-1)!.rawBody,
          signature: hooks.at(-1)!.headers["x-commet-signature"] ?? null,
          secret: endpoint.secretKey,
        }),
      ).toBe(true);
    } finally {
      await receiver.close();
    }
  });
});
