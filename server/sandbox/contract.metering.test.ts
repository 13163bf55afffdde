/**
 * Contract: seats, usage and quota through the real @commet/node 7.10.0 — balances, period usage,
 * overage, credits exhaustion, duplicates and the business error codes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  BulkSeatUpdate,
  Customer,
  envelope,
  expectShape,
  FeatureLookup,
  SeatBalance,
  SeatBalanceList,
  SeatEvent,
  Subscription,
  UsageAdjustment,
  UsageCheckResult,
  UsageEvent,
  UsageQuota,
  UsageQuotaEvent,
} from "../testing/contract-schemas.ts";
import {
  expectApiError,
  expectValidationError,
  randomSuffix,
  subscribedCustomer,
  useContractSandbox,
} from "../testing/sandbox.ts";

const t = useContractSandbox({ beforeAll, afterAll }, { seed: { customers: 10 } });

async function lookup(customerId: string, code: string) {
  return expectShape(envelope(FeatureLookup), await t.commet.featureAccess.get({ customerId, code })).data;
}

async function unsubscribedCustomer() {
  const tag = randomSuffix();
  return expectShape(envelope(Customer), await t.commet.customers.create({ email: `nosub+${tag}@example.test` })).data;
}

describe("seats", () => {
  it("add / set / remove each return a SeatEvent with previous and new balance", async () => {
    const { customer } = await subscribedCustomer(t.commet, t.catalog.metered.plan);
    const featureCode = t.catalog.metered.seats;
    const start = expectShape(
      envelope(SeatBalance),
      await t.commet.seats.getBalance({ customerId: customer.id, featureCode }),
    ).data;

    const added = expectShape(
      envelope(SeatEvent),
      await t.commet.seats.add({ customerId: customer.id, featureCode, count: 3 }),
    ).data;
    expect(added).toMatchObject({
      customerId: customer.id,
      featureCode,
      previousBalance: start.current,
      newBalance: start.current + 3,
    });

    const set = expectShape(
      envelope(SeatEvent),
      await t.commet.seats.set({ customerId: customer.id, featureCode, count: 10 }),
    ).data;
    expect(set).toMatchObject({ previousBalance: start.current + 3, newBalance: 10 });
    expect(set.id).not.toBe(added.id);

    const removed = expectShape(
      envelope(SeatEvent),
      await t.commet.seats.remove({ customerId: customer.id, featureCode, count: 4 }),
    ).data;
    expect(removed).toMatchObject({ previousBalance: 10, newBalance: 6 });

    const balance = expectShape(
      envelope(SeatBalance),
      await t.commet.seats.getBalance({ customerId: customer.id, featureCode }),
    ).data;
    expect(balance.current).toBe(6);
    expect(balance.livemode).toBe(false);
    // Feature access reports the same seat count, and seats beyond the plan's included amount.
    const included = t.catalog.metered.plan.features?.find((f) => f.code === featureCode)?.includedAmount ?? 0;
    const access = await lookup(customer.id, featureCode);
    expect(access).toMatchObject({
      code: featureCode,
      type: "seats",
      current: 6,
      included,
      overageQuantity: Math.max(0, 6 - included),
    });
  });

  it("concurrent adds each see a distinct balance and all of them count", async () => {
    const { customer } = await subscribedCustomer(t.commet, t.catalog.metered.plan);
    const featureCode = t.catalog.metered.seats;
    const start = expectShape(
      envelope(SeatBalance),
      await t.commet.seats.getBalance({ customerId: customer.id, featureCode }),
    ).data.current;
    const events = await Promise.all(
      Array.from({ length: 20 }, () => t.commet.seats.add({ customerId: customer.id, featureCode, count: 1 })),
    );
    const news = events.map((e) => e.data!.newBalance).sort((a, b) => a - b);
    expect(news).toEqual(Array.from({ length: 20 }, (_, i) => start + i + 1));
    for (const e of events) expect(e.data!.newBalance - e.data!.previousBalance).toBe(1);
    const end = expectShape(
      envelope(SeatBalance),
      await t.commet.seats.getBalance({ customerId: customer.id, featureCode }),
    ).data.current;
    expect(end).toBe(start + 20);
  });

  it("customerId may be the Commet id or the externalId", async () => {
    const { customer } = await subscribedCustomer(t.commet, t.catalog.metered.plan);
    const featureCode = t.catalog.metered.seats;
    const viaExternal = expectShape(
      envelope(SeatEvent),
      await t.commet.seats.set({ customerId: customer.externalId!, featureCode, count: 4 }),
    ).data;
    expect(viaExternal.newBalance).toBe(4);
    const viaId = expectShape(
      envelope(SeatBalance),
      await t.commet.seats.getBalance({ customerId: customer.id, featureCode }),
    ).data;
    expect(viaId.current).toBe(4);
    await t.commet.usage.track({ customerId: customer.externalId!, feature: t.catalog.metered.usage, value: 3 });
    expect((await lookup(customer.id, t.catalog.metered.usage)).current).toBe(3);
    expect((await lookup(customer.externalId!, t.catalog.metered.usage)).current).toBe(3);
  });

  it("removing more than the balance is 400 insufficient_seats and changes nothing", async () => {
    const { customer } = await subscribedCustomer(t.commet, t.catalog.metered.plan);
    const featureCode = t.catalog.metered.seats;
    await t.commet.seats.set({ customerId: customer.id, featureCode, count: 2 });
    const err = await expectApiError(t.commet.seats.remove({ customerId: customer.id, featureCode, count: 3 }), {
      status: 400,
      code: "insufficient_seats",
    });
    expect(err.type).toBe("billing_error");
    const balance = expectShape(
      envelope(SeatBalance),
      await t.commet.seats.getBalance({ customerId: customer.id, featureCode }),
    ).data;
    expect(balance.current).toBe(2);
  });

  it("setAll sets every seat type and getAllBalances reports them", async () => {
    const { customer } = await subscribedCustomer(t.commet, t.catalog.metered.plan);
    const featureCode = t.catalog.metered.seats;
    await t.commet.seats.set({ customerId: customer.id, featureCode, count: 5 });
    const all = expectShape(
      envelope(z.array(BulkSeatUpdate)),
      await t.commet.seats.setAll({ customerId: customer.id, seats: { [featureCode]: 8 } }),
    ).data;
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ featureCode, previousBalance: 5, newBalance: 8 });
    const balances = expectShape(
      envelope(SeatBalanceList),
      await t.commet.seats.getAllBalances({ customerId: customer.id }),
    ).data;
    expect(balances.balances[featureCode]?.current).toBe(8);
  });

  it("seat errors: unknown feature, unknown customer, no subscription, feature outside the plan, bad count", async () => {
    const { customer } = await subscribedCustomer(t.commet, t.catalog.metered.plan);
    await expectApiError(t.commet.seats.add({ customerId: customer.id, featureCode: "no_such_seat", count: 1 }), {
      status: 404,
      code: "feature_not_found",
    });
    await expectApiError(
      t.commet.seats.add({ customerId: "cus_missing", featureCode: t.catalog.metered.seats, count: 1 }),
      {
        status: 404,
        code: "customer_not_found",
      },
    );
    const nosub = await unsubscribedCustomer();
    await expectApiError(t.commet.seats.add({ customerId: nosub.id, featureCode: t.catalog.metered.seats, count: 1 }), {
      status: 404,
      code: "no_active_subscription",
    });
    const other = await subscribedCustomer(t.commet, t.catalog.seatsOutside.plan);
    await expectApiError(
      t.commet.seats.add({ customerId: other.customer.id, featureCode: t.catalog.seatsOutside.seats, count: 1 }),
      { status: 400, code: "feature_not_in_plan" },
    );
    await expectValidationError(
      t.commet.seats.add({ customerId: customer.id, featureCode: t.catalog.metered.seats, count: 0 }),
      "count",
    );
  });
});

describe("usage", () => {
  it("track accumulates the period's usage and returns a UsageEvent", async () => {
    const { customer } = await subscribedCustomer(t.commet, t.catalog.metered.plan);
    const feature = t.catalog.metered.usage;
    const key = `use_${randomSuffix()}`;
    const first = expectShape(
      envelope(UsageEvent),
      await t.commet.usage.track({
        customerId: customer.id,
        feature,
        value: 5,
        idempotencyKey: key,
        properties: { model: "m1" },
      }),
    ).data;
    expect(first).toMatchObject({ customerId: customer.id, feature, idempotencyKey: key, livemode: false });
    expect(first.properties?.map((p) => [p.property, p.value])).toEqual([["model", "m1"]]);
    expect((await lookup(customer.id, feature)).current).toBe(5);
    await t.commet.usage.track({ customerId: customer.id, feature, value: 7 });
    expect((await lookup(customer.id, feature)).current).toBe(12);
  });

  it("usage beyond the included amount on a metered plan is overage", async () => {
    const { customer, subscription } = await subscribedCustomer(t.commet, t.catalog.metered.plan);
    const feature = t.catalog.metered.usage;
    const included = t.catalog.metered.includedUsage;
    await t.commet.usage.track({ customerId: customer.id, feature, value: included + 4 });
    const after = await lookup(customer.id, feature);
    expect(after).toMatchObject({
      current: included + 4,
      included,
      overageQuantity: 4,
      allowed: true,
      overageEnabled: true,
    });
    const check = expectShape(
      envelope(UsageCheckResult),
      await t.commet.usage.check({ customerId: customer.id, featureCode: feature, quantity: 1 }),
    ).data;
    expect(check).toMatchObject({
      allowed: true,
      consumptionModel: "metered",
      feature,
      quantity: 1,
      current: included + 4,
    });
    const can = expectShape(
      envelope(FeatureLookup),
      await t.commet.featureAccess.canUse({ customerId: customer.id, code: feature }),
    ).data;
    expect(can).toMatchObject({ allowed: true, willBeCharged: true });
    // The subscription reports the same period usage.
    const sub = expectShape(envelope(Subscription), await t.commet.subscriptions.get({ id: subscription.id })).data;
    expect(sub.features?.find((f) => f.code === feature)?.usage).toMatchObject({
      current: included + 4,
      included,
      overageQuantity: 4,
    });
  });

  it("track without a value counts one unit", async () => {
    const { customer } = await subscribedCustomer(t.commet, t.catalog.metered.plan);
    await t.commet.usage.track({ customerId: customer.id, feature: t.catalog.metered.usage });
    await t.commet.usage.track({ customerId: customer.id, feature: t.catalog.metered.usage });
    expect((await lookup(customer.id, t.catalog.metered.usage)).current).toBe(2);
  });

  it("a free plan blocks usage at its included limit (no overage): included_limit_reached", async () => {
    const free = t.catalog.plans.find((p) => p.isFree && p.consumptionModel === "metered");
    expect(free, "seed has a free metered plan").toBeDefined();
    const feature = free!.features?.find((f) => f.type === "usage" && !f.unlimited && f.includedAmount !== null);
    expect(feature, "free plan has a limited usage feature").toBeDefined();
    const { customer } = await subscribedCustomer(t.commet, free!);
    const included = feature!.includedAmount!;
    await t.commet.usage.track({ customerId: customer.id, feature: feature!.code, value: included });
    const check = expectShape(
      envelope(UsageCheckResult),
      await t.commet.usage.check({ customerId: customer.id, featureCode: feature!.code, quantity: 1 }),
    ).data;
    expect(check).toMatchObject({ allowed: false, reason: "included_limit_reached" });
    await expectApiError(t.commet.usage.track({ customerId: customer.id, feature: feature!.code, value: 1 }), {
      status: 400,
      code: "included_limit_reached",
    });
    expect((await lookup(customer.id, feature!.code)).current).toBe(included);
  });

  it("during a trial of a paid plan, usage beyond the included amount is blocked (no overage)", async () => {
    const plan = t.catalog.metered.plan;
    const trialDays = plan.prices?.find((pr) => pr.isDefault)?.trialDays ?? 0;
    expect(trialDays, "the metered plan has a trial").toBeGreaterThan(0);
    const tag = randomSuffix();
    const c = expectShape(
      envelope(Customer),
      await t.commet.customers.create({ email: `trialuse+${tag}@example.test` }),
    ).data;
    const sub = expectShape(
      envelope(Subscription),
      await t.commet.subscriptions.create({ customerId: c.id, planCode: plan.code }),
    ).data;
    expect(sub.status).toBe("trialing");
    const feature = t.catalog.metered.usage;
    await t.commet.usage.track({ customerId: c.id, feature, value: t.catalog.metered.includedUsage });
    await expectApiError(t.commet.usage.track({ customerId: c.id, feature, value: 1 }), {
      status: 400,
      code: "included_limit_reached",
    });
    expect((await lookup(c.id, feature)).current).toBe(t.catalog.metered.includedUsage);
  });

  it("set puts the period's usage at an exact value and returns a UsageAdjustment", async () => {
    const { customer } = await subscribedCustomer(t.commet, t.catalog.metered.plan);
    const feature = t.catalog.metered.usage;
    await t.commet.usage.track({ customerId: customer.id, feature, value: 9 });
    const adj = expectShape(
      envelope(UsageAdjustment),
      await t.commet.usage.set({ customerId: customer.id, feature, value: 2, reason: "correction" }),
    ).data;
    expect(adj).toMatchObject({
      feature,
      value: 2,
      previousValue: 9,
      adjustment: -7,
      customerId: customer.id,
      reason: "correction",
    });
    expect((await lookup(customer.id, feature)).current).toBe(2);
  });

  it("a usage event whose body idempotencyKey was seen is 409 duplicate and usage is unchanged", async () => {
    const { customer } = await subscribedCustomer(t.commet, t.catalog.metered.plan);
    const feature = t.catalog.metered.usage;
    const key = `dup_${randomSuffix()}`;
    await t.commet.usage.track({ customerId: customer.id, feature, value: 4, idempotencyKey: key });
    // A fresh client call: new Idempotency-Key header, same body idempotencyKey.
    const err = await expectApiError(
      t.commet.usage.track({ customerId: customer.id, feature, value: 4, idempotencyKey: key }),
      {
        status: 409,
        code: "duplicate",
      },
    );
    expect(err.type).toBe("conflict_error");
    expect((await lookup(customer.id, feature)).current).toBe(4);
  });

  it("an exhausted credits plan blocks usage with insufficient_credits", async () => {
    const { customer, subscription } = await subscribedCustomer(t.commet, t.catalog.credits.plan);
    const feature = t.catalog.credits.usage;
    const remaining = subscription.credits?.remaining;
    expect(remaining).toBeGreaterThan(0);
    const unit = expectShape(
      envelope(UsageCheckResult),
      await t.commet.usage.check({ customerId: customer.id, featureCode: feature, quantity: 1 }),
    ).data;
    expect(unit).toMatchObject({ allowed: true, consumptionModel: "credits" });
    const perUnit = unit.creditsPerUnit!;
    expect(perUnit).toBeGreaterThan(0);
    const affordable = Math.floor(remaining! / perUnit);
    await t.commet.usage.track({ customerId: customer.id, feature, value: affordable });
    const left = expectShape(envelope(Subscription), await t.commet.subscriptions.get({ id: subscription.id })).data
      .credits?.remaining;
    expect(left).toBe(remaining! - affordable * perUnit);

    const denied = expectShape(
      envelope(UsageCheckResult),
      await t.commet.usage.check({ customerId: customer.id, featureCode: feature, quantity: 1 }),
    ).data;
    expect(denied).toMatchObject({ allowed: false, reason: "insufficient_credits" });
    await expectApiError(t.commet.usage.track({ customerId: customer.id, feature, value: 1 }), {
      status: 400,
      code: "insufficient_credits",
    });
    const still = expectShape(envelope(Subscription), await t.commet.subscriptions.get({ id: subscription.id })).data
      .credits?.remaining;
    expect(still).toBe(left);
  });

  it("usage errors: feature_not_found, customer_not_found, no_active_subscription, validation", async () => {
    const { customer } = await subscribedCustomer(t.commet, t.catalog.metered.plan);
    await expectApiError(t.commet.usage.track({ customerId: customer.id, feature: "no_such_feature", value: 1 }), {
      status: 404,
      code: "feature_not_found",
    });
    await expectApiError(
      t.commet.usage.track({ customerId: "cus_missing", feature: t.catalog.metered.usage, value: 1 }),
      {
        status: 404,
        code: "customer_not_found",
      },
    );
    const nosub = await unsubscribedCustomer();
    await expectApiError(t.commet.usage.track({ customerId: nosub.id, feature: t.catalog.metered.usage, value: 1 }), {
      status: 404,
      code: "no_active_subscription",
    });
    await expectValidationError(
      t.commet.usage.track({ customerId: customer.id, feature: t.catalog.metered.usage, value: -1 }),
      "value",
    );
    expect((await lookup(customer.id, t.catalog.metered.usage)).current).toBe(0);
  });
});

describe("quota", () => {
  it("add / set / remove return UsageQuotaEvents; get and getAll report the balance", async () => {
    const { customer } = await subscribedCustomer(t.commet, t.catalog.metered.plan);
    const featureCode = t.catalog.metered.quota;
    const start = expectShape(
      envelope(UsageQuota),
      await t.commet.quota.get({ customerId: customer.id, featureCode }),
    ).data;
    expect(start).toMatchObject({ featureCode, current: 0 });

    const added = expectShape(
      envelope(UsageQuotaEvent),
      await t.commet.quota.add({ customerId: customer.id, featureCode, count: 5 }),
    ).data;
    expect(added).toMatchObject({ customerId: customer.id, featureCode, previousBalance: 0, newBalance: 5 });
    const one = expectShape(
      envelope(UsageQuotaEvent),
      await t.commet.quota.add({ externalId: customer.externalId!, featureCode }),
    ).data;
    expect(one).toMatchObject({ previousBalance: 5, newBalance: 6 });
    const set = expectShape(
      envelope(UsageQuotaEvent),
      await t.commet.quota.set({ customerId: customer.id, featureCode, count: 3 }),
    ).data;
    expect(set).toMatchObject({ previousBalance: 6, newBalance: 3 });
    const removed = expectShape(
      envelope(UsageQuotaEvent),
      await t.commet.quota.remove({ customerId: customer.id, featureCode, count: 2 }),
    ).data;
    expect(removed).toMatchObject({ previousBalance: 3, newBalance: 1 });

    const got = expectShape(
      envelope(UsageQuota),
      await t.commet.quota.get({ customerId: customer.id, featureCode }),
    ).data;
    expect(got.current).toBe(1);
    expect(got.remaining).toBe(got.unlimited ? null : Math.max(got.included - 1, 0));
    const all = expectShape(
      envelope(z.array(UsageQuota)),
      await t.commet.quota.getAll({ customerId: customer.id }),
    ).data;
    expect(all.find((q) => q.featureCode === featureCode)).toEqual(got);
  });

  it("quota.get and usage.check: unknown feature is feature_not_found", async () => {
    const { customer } = await subscribedCustomer(t.commet, t.catalog.metered.plan);
    await expectApiError(t.commet.quota.get({ customerId: customer.id, featureCode: "no_such_quota" }), {
      status: 404,
      code: "feature_not_found",
    });
    await expectApiError(
      t.commet.usage.check({ customerId: customer.id, featureCode: "no_such_feature", quantity: 1 }),
      {
        status: 404,
        code: "feature_not_found",
      },
    );
  });

  it("removing below zero is 400 insufficient_balance", async () => {
    const { customer } = await subscribedCustomer(t.commet, t.catalog.metered.plan);
    const featureCode = t.catalog.metered.quota;
    await t.commet.quota.set({ customerId: customer.id, featureCode, count: 1 });
    await expectApiError(t.commet.quota.remove({ customerId: customer.id, featureCode, count: 2 }), {
      status: 400,
      code: "insufficient_balance",
    });
    const got = expectShape(
      envelope(UsageQuota),
      await t.commet.quota.get({ customerId: customer.id, featureCode }),
    ).data;
    expect(got.current).toBe(1);
  });
});
