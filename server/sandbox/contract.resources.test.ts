/**
 * Contract: customers, catalog, subscriptions, feature access, portal, invoices, transactions,
 * webhook endpoints — driven through the real @commet/node 7.10.0 against a local sandbox.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  CanceledSubscription,
  Customer,
  CustomerBatch,
  envelope,
  expectShape,
  Feature,
  FeatureAccess,
  FeatureLookup,
  Invoice,
  pageEnvelope,
  Plan,
  PortalAccess,
  Subscription,
  Transaction,
  WebhookDeleted,
  WebhookEndpoint,
  WebhookEndpointCreated,
} from "../testing/contract-schemas.ts";
import {
  expectApiError,
  expectValidationError,
  randomSuffix,
  subscribedCustomer,
  useContractSandbox,
} from "../testing/sandbox.ts";
import { exchanges } from "../testing/sdk-wire.ts";

const SEEDED = 30;
const t = useContractSandbox({ beforeAll, afterAll }, { seed: { customers: SEEDED } });

async function customerCount(): Promise<number> {
  return (await t.sandbox.health()).customers;
}

describe("sandbox health", () => {
  it("reports a sandbox (livemode false) with the seeded customers, without a key", async () => {
    expect(await customerCount()).toBeGreaterThanOrEqual(SEEDED);
  });
});

describe("contract schemas", () => {
  it("are closed: an extra or a missing field fails", async () => {
    const customer = (await t.commet.customers.list({ limit: 1 })).data![0]!;
    expect(Customer.safeParse(customer).success).toBe(true);
    expect(Customer.safeParse({ ...customer, extra: 1 }).success).toBe(false);
    const { email: _email, ...missing } = customer;
    expect(Customer.safeParse(missing).success).toBe(false);
  });
});

describe("customers", () => {
  it("create returns a Customer echoing the input, livemode false", async () => {
    const tag = randomSuffix();
    const res = await t.commet.customers.create({
      email: `new+${tag}@example.test`,
      externalId: `ext_new_${tag}`,
      fullName: "Ada Lovelace",
      timezone: "Europe/London",
      metadata: { tier: "gold", seats: 3 },
    });
    const c = expectShape(envelope(Customer), res).data;
    expect(c).toMatchObject({
      email: `new+${tag}@example.test`,
      externalId: `ext_new_${tag}`,
      fullName: "Ada Lovelace",
      timezone: "Europe/London",
      metadata: { tier: "gold", seats: 3 },
      livemode: false,
    });
    expect(c.id).toMatch(/^cus_/);
  });

  it("get finds a customer by Commet id and by externalId", async () => {
    const tag = randomSuffix();
    const created = expectShape(
      envelope(Customer),
      await t.commet.customers.create({ email: `get+${tag}@example.test`, externalId: `ext_get_${tag}` }),
    ).data;
    const byId = expectShape(envelope(Customer), await t.commet.customers.get({ id: created.id })).data;
    const byExternal = expectShape(envelope(Customer), await t.commet.customers.get({ id: `ext_get_${tag}` })).data;
    expect(byId).toEqual(created);
    expect(byExternal).toEqual(created);
  });

  it("update changes the given fields only and persists them", async () => {
    const tag = randomSuffix();
    const created = expectShape(
      envelope(Customer),
      await t.commet.customers.create({ email: `upd+${tag}@example.test`, fullName: "Before", metadata: { a: 1 } }),
    ).data;
    await new Promise((r) => setTimeout(r, 5));
    const updated = expectShape(
      envelope(Customer),
      await t.commet.customers.update({ id: created.id, fullName: "After", metadata: { a: 2, b: "x" } }),
    ).data;
    expect(updated).toMatchObject({
      id: created.id,
      email: created.email,
      fullName: "After",
      metadata: { a: 2, b: "x" },
    });
    expect(Date.parse(updated.updatedAt)).toBeGreaterThan(Date.parse(created.updatedAt));
    expect(updated.createdAt).toBe(created.createdAt);
    const fetched = expectShape(envelope(Customer), await t.commet.customers.get({ id: created.id })).data;
    expect(fetched).toEqual(updated);
  });

  it("list pages with cursor + limit over every customer exactly once", async () => {
    const total = await customerCount();
    const first = expectShape(pageEnvelope(Customer), await t.commet.customers.list({ limit: 7 }));
    expect(first.data).toHaveLength(7);
    expect(first.hasMore).toBe(true);
    const seen = new Set(first.data.map((c) => c.id));
    let cursor = first.nextCursor;
    let pages = 1;
    while (cursor) {
      const page = expectShape(pageEnvelope(Customer), await t.commet.customers.list({ limit: 7, cursor }));
      expect(page.data.length).toBeGreaterThan(0);
      expect(page.data.length).toBeLessThanOrEqual(7);
      for (const c of page.data) {
        expect(seen.has(c.id), `customer ${c.id} repeated across pages`).toBe(false);
        seen.add(c.id);
      }
      cursor = page.hasMore ? page.nextCursor : undefined;
      pages++;
      expect(pages).toBeLessThan(100);
    }
    expect(seen.size).toBe(total);
  });

  it("create with your own id is idempotent: the same id returns the existing customer", async () => {
    const tag = randomSuffix();
    const ownId = `app_user_${tag}`;
    const first = expectShape(
      envelope(Customer),
      await t.commet.customers.create({ id: ownId, email: `own+${tag}@example.test` }),
    ).data;
    expect(first.id).toBe(ownId);
    const before = await customerCount();
    // A new SDK call (new Idempotency-Key), same id: the existing customer, nothing created.
    const again = expectShape(
      envelope(Customer),
      await t.commet.customers.create({ id: ownId, email: `own+${tag}@example.test` }),
    ).data;
    expect(again).toEqual(first);
    expect(await customerCount()).toBe(before);
    expect(expectShape(envelope(Customer), await t.commet.customers.get({ id: ownId })).data).toEqual(first);
  });

  it("create with an externalId already in use is 409 duplicate", async () => {
    const tag = randomSuffix();
    await t.commet.customers.create({ email: `d1+${tag}@example.test`, externalId: `ext_dup_${tag}` });
    const before = await customerCount();
    await expectApiError(t.commet.customers.create({ email: `d2+${tag}@example.test`, externalId: `ext_dup_${tag}` }), {
      status: 409,
      code: "duplicate",
    });
    expect(await customerCount()).toBe(before);
  });

  it("update can move the externalId; lookups follow it", async () => {
    const tag = randomSuffix();
    const created = expectShape(
      envelope(Customer),
      await t.commet.customers.create({ email: `mv+${tag}@example.test`, externalId: `ext_old_${tag}` }),
    ).data;
    const moved = expectShape(
      envelope(Customer),
      await t.commet.customers.update({ id: `ext_old_${tag}`, externalId: `ext_new_${tag}` }),
    ).data;
    expect(moved).toMatchObject({ id: created.id, externalId: `ext_new_${tag}` });
    expect(expectShape(envelope(Customer), await t.commet.customers.get({ id: `ext_new_${tag}` })).data.id).toBe(
      created.id,
    );
    await expectApiError(t.commet.customers.get({ id: `ext_old_${tag}` }), { status: 404, code: "customer_not_found" });
    await expectValidationError(t.commet.customers.update({ id: created.id, email: "nope" }), "email");
  });

  it("createBatch refuses more than 100 rows", async () => {
    const before = await customerCount();
    const customers = Array.from({ length: 101 }, (_, i) => ({ email: `many${i}+${randomSuffix()}@example.test` }));
    await expectValidationError(t.commet.customers.createBatch({ customers }), "customers");
    expect(await customerCount()).toBe(before);
  });

  it("list filters by externalId", async () => {
    const tag = randomSuffix();
    const created = expectShape(
      envelope(Customer),
      await t.commet.customers.create({ email: `filter+${tag}@example.test`, externalId: `ext_filter_${tag}` }),
    ).data;
    const res = expectShape(pageEnvelope(Customer), await t.commet.customers.list({ externalId: `ext_filter_${tag}` }));
    expect(res.data).toEqual([created]);
    expect(res.hasMore).toBe(false);
    const none = expectShape(
      pageEnvelope(Customer),
      await t.commet.customers.list({ externalId: `ext_absent_${tag}` }),
    );
    expect(none.data).toEqual([]);
  });

  it("createBatch creates the valid rows and reports the failing ones by index", async () => {
    const tag = randomSuffix();
    const existing = `ext_batch_dup_${tag}`;
    await t.commet.customers.create({ email: `dup+${tag}@example.test`, externalId: existing });
    const before = await customerCount();
    const res = await t.commet.customers.createBatch({
      customers: [
        { email: `b1+${tag}@example.test`, externalId: `ext_b1_${tag}` },
        { email: `b2+${tag}@example.test`, fullName: "Batch Two" },
        { email: `b3+${tag}@example.test`, externalId: existing },
      ],
    });
    const batch = expectShape(envelope(CustomerBatch), res).data;
    expect(batch.successful.map((s) => s.email)).toEqual([`b1+${tag}@example.test`, `b2+${tag}@example.test`]);
    expect(batch.successful[0]?.externalId).toBe(`ext_b1_${tag}`);
    expect(batch.successful[1]?.externalId).toBeNull();
    expect(batch.failed).toHaveLength(1);
    expect(batch.failed[0]).toMatchObject({
      index: 2,
      data: { email: `b3+${tag}@example.test`, externalId: existing },
    });
    expect(await customerCount()).toBe(before + 2);
    const b1 = expectShape(envelope(Customer), await t.commet.customers.get({ id: `ext_b1_${tag}` })).data;
    expect(b1.id).toBe(batch.successful[0]?.id);
  });
});

describe("plans and features", () => {
  it("plans.list returns Plans with features and prices; plans.get by id and by code", async () => {
    const list = expectShape(envelope(z.array(Plan)), await t.commet.plans.list());
    expect(list.data.length).toBeGreaterThan(0);
    expect(list.data.every((p) => p.isPublic)).toBe(true);
    const plan = t.catalog.metered.plan;
    const byId = expectShape(envelope(Plan), await t.commet.plans.get({ id: plan.id })).data;
    const byCode = expectShape(envelope(Plan), await t.commet.plans.get({ id: plan.code })).data;
    expect(byId).toEqual(byCode);
    expect(byId.features?.map((f) => f.code)).toEqual(
      expect.arrayContaining([t.catalog.metered.usage, t.catalog.metered.seats]),
    );
    expect(byId.prices?.length).toBeGreaterThan(0);
    await expectApiError(t.commet.plans.get({ id: "plan_does_not_exist" }), { status: 404, code: "plan_not_found" });
  });

  it("features.list and features.get return the catalog definitions", async () => {
    const list = expectShape(envelope(z.array(Feature)), await t.commet.features.list()).data;
    expect(list.map((f) => f.code)).toEqual(
      expect.arrayContaining([t.catalog.metered.usage, t.catalog.metered.seats, t.catalog.metered.quota]),
    );
    const one = expectShape(envelope(Feature), await t.commet.features.get({ code: t.catalog.metered.seats })).data;
    expect(one).toEqual(list.find((f) => f.code === t.catalog.metered.seats));
    expect(one.type).toBe("seats");
    await expectApiError(t.commet.features.get({ code: "no_such_feature" }), {
      status: 404,
      code: "feature_not_found",
    });
  });
});

describe("subscriptions", () => {
  it("create → get → getActive → list (customerId, status) → cancel", async () => {
    const { customer, subscription } = await subscribedCustomer(t.commet, t.catalog.metered.plan);
    expect(subscription).toMatchObject({
      customerId: customer.id,
      plan: { id: t.catalog.metered.plan.id },
      status: "active",
    });
    expect(subscription.currentPeriod).not.toBeNull();
    expect(Date.parse(subscription.currentPeriod!.end)).toBeGreaterThan(Date.parse(subscription.currentPeriod!.start));

    const got = expectShape(envelope(Subscription), await t.commet.subscriptions.get({ id: subscription.id })).data;
    expect(got.id).toBe(subscription.id);
    const active = expectShape(
      envelope(Subscription.nullable()),
      await t.commet.subscriptions.getActive({ customerId: customer.id }),
    );
    expect(active.data?.id).toBe(subscription.id);

    const mine = expectShape(
      pageEnvelope(Subscription),
      await t.commet.subscriptions.list({ customerId: customer.id }),
    );
    expect(mine.data.map((s) => s.id)).toEqual([subscription.id]);

    await expectApiError(
      t.commet.subscriptions.create({ customerId: customer.id, planCode: t.catalog.metered.plan.code }),
      {
        status: 409,
        code: "already_has_active_subscription",
      },
    );

    const canceled = expectShape(
      envelope(CanceledSubscription),
      await t.commet.subscriptions.cancel({ id: subscription.id, reason: "contract test", immediate: true }),
    ).data;
    expect(canceled).toMatchObject({
      id: subscription.id,
      customerId: customer.id,
      status: "canceled",
      cancelReason: "contract test",
    });
    const none = expectShape(
      envelope(Subscription.nullable()),
      await t.commet.subscriptions.getActive({ customerId: customer.id }),
    );
    expect(none.data).toBeNull();
    const canceledList = expectShape(
      pageEnvelope(Subscription),
      await t.commet.subscriptions.list({ customerId: customer.id, status: "canceled" }),
    );
    expect(canceledList.data.map((s) => s.id)).toEqual([subscription.id]);
    const activeList = expectShape(
      pageEnvelope(Subscription),
      await t.commet.subscriptions.list({ customerId: customer.id, status: "active" }),
    );
    expect(activeList.data).toEqual([]);
  });

  it("a plan with trial days starts trialing unless skipTrial; trialing counts as active", async () => {
    const trialPlan = t.catalog.plans.find(
      (p) => !p.isFree && (p.prices ?? []).some((pr) => pr.isDefault && pr.trialDays > 0),
    );
    expect(trialPlan, "seed has a paid plan with a trial").toBeDefined();
    const trialDays = trialPlan!.prices!.find((pr) => pr.isDefault)!.trialDays;
    const tag = randomSuffix();
    const c = expectShape(
      envelope(Customer),
      await t.commet.customers.create({ email: `trial+${tag}@example.test` }),
    ).data;
    const sub = expectShape(
      envelope(Subscription),
      await t.commet.subscriptions.create({ customerId: c.id, planCode: trialPlan!.code }),
    ).data;
    expect(sub.status).toBe("trialing");
    expect(sub.trialEndsAt).not.toBeNull();
    const trialMs = Date.parse(sub.trialEndsAt!) - Date.parse(sub.startDate);
    expect(Math.round(trialMs / 86_400_000)).toBe(trialDays);
    const active = expectShape(
      envelope(Subscription.nullable()),
      await t.commet.subscriptions.getActive({ customerId: c.id }),
    ).data;
    expect(active?.id).toBe(sub.id);
    const trialing = expectShape(
      pageEnvelope(Subscription),
      await t.commet.subscriptions.list({ customerId: c.id, status: "trialing" }),
    );
    expect(trialing.data.map((x) => x.id)).toEqual([sub.id]);
  });

  it("errors: unknown customer, plan and subscription", async () => {
    await expectApiError(
      t.commet.subscriptions.create({ customerId: "cus_missing", planCode: t.catalog.metered.plan.code }),
      {
        status: 404,
        code: "customer_not_found",
      },
    );
    const tag = randomSuffix();
    const c = expectShape(
      envelope(Customer),
      await t.commet.customers.create({ email: `sub+${tag}@example.test` }),
    ).data;
    await expectApiError(t.commet.subscriptions.create({ customerId: c.id, planCode: "no_such_plan" }), {
      status: 404,
      code: "plan_not_found",
    });
    await expectApiError(t.commet.subscriptions.get({ id: "sub_missing" }), {
      status: 404,
      code: "subscription_not_found",
    });
    await expectApiError(t.commet.subscriptions.cancel({ id: "sub_missing" }), {
      status: 404,
      code: "subscription_not_found",
    });
  });

  it("cancel at period end keeps the subscription active with a scheduled cancellation", async () => {
    const { subscription } = await subscribedCustomer(t.commet, t.catalog.metered.plan);
    const canceled = expectShape(
      envelope(CanceledSubscription),
      await t.commet.subscriptions.cancel({ id: subscription.id }),
    ).data;
    expect(canceled.status).toBe("active");
    expect(canceled.scheduledCancellationDate).toBe(subscription.currentPeriod?.end);
    const got = expectShape(envelope(Subscription), await t.commet.subscriptions.get({ id: subscription.id })).data;
    expect(got.cancelAtPeriodEnd).toBe(true);
    expect(got.cancellation?.effectiveAt).toBe(subscription.currentPeriod?.end);
  });

  it("list pages by cursor and filters by status", async () => {
    const seen = new Set<string>();
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = expectShape(
        pageEnvelope(Subscription),
        await t.commet.subscriptions.list({ status: "active", ...(cursor ? { cursor } : {}) } as never),
      );
      for (const s of page.data) {
        expect(s.status).toBe("active");
        expect(seen.has(s.id)).toBe(false);
        seen.add(s.id);
      }
      cursor = page.hasMore ? page.nextCursor : undefined;
      pages++;
    } while (cursor && pages < 50);
    expect(seen.size).toBeGreaterThan(0);
    // A small page size forces a second page (7.10.0 types list without limit/cursor; the API takes them).
    const small = expectShape(pageEnvelope(Subscription), await t.commet.subscriptions.list({ limit: 1 } as never));
    expect(small.data).toHaveLength(1);
    if (seen.size > 1) {
      expect(small.hasMore).toBe(true);
      const next = expectShape(
        pageEnvelope(Subscription),
        await t.commet.subscriptions.list({ limit: 1, cursor: small.nextCursor } as never),
      );
      expect(next.data[0]?.id).not.toBe(small.data[0]?.id);
    }
  });
});

describe("feature access", () => {
  it("list, get and canUse reflect the subscription's plan", async () => {
    const { customer } = await subscribedCustomer(t.commet, t.catalog.metered.plan);
    const list = expectShape(
      envelope(z.array(FeatureAccess)),
      await t.commet.featureAccess.list({ customerId: customer.id }),
    ).data;
    const codes = list.map((f) => f.code).sort();
    expect(codes).toEqual((t.catalog.metered.plan.features ?? []).map((f) => f.code).sort());
    const usage = expectShape(
      envelope(FeatureLookup),
      await t.commet.featureAccess.get({ customerId: customer.id, code: t.catalog.metered.usage }),
    ).data;
    expect(usage).toMatchObject({
      code: t.catalog.metered.usage,
      allowed: true,
      current: 0,
      included: t.catalog.metered.includedUsage,
    });
    const can = expectShape(
      envelope(FeatureLookup),
      await t.commet.featureAccess.canUse({ customerId: customer.id, code: t.catalog.metered.usage }),
    ).data;
    expect(can.allowed).toBe(true);
    expect(can.willBeCharged).toBe(t.catalog.metered.includedUsage === 0);
  });

  it("a feature the plan lacks is not allowed; unknown feature and customer are errors", async () => {
    const { customer } = await subscribedCustomer(t.commet, t.catalog.metered.plan);
    const other = await subscribedCustomer(t.commet, t.catalog.seatsOutside.plan);
    const lookup = expectShape(
      envelope(FeatureLookup),
      await t.commet.featureAccess.canUse({ customerId: other.customer.id, code: t.catalog.seatsOutside.seats }),
    ).data;
    expect(lookup.allowed).toBe(false);
    await expectApiError(t.commet.featureAccess.get({ customerId: customer.id, code: "no_such_feature" }), {
      status: 404,
      code: "feature_not_found",
    });
    await expectApiError(t.commet.featureAccess.list({ customerId: "cus_missing" }), {
      status: 404,
      code: "customer_not_found",
    });
  });
});

describe("portal", () => {
  it("getUrl returns a single-use URL on the sandbox host whose page shows plan and usage; a second visit is expired", async () => {
    const { customer } = await subscribedCustomer(t.commet, t.catalog.metered.plan);
    await t.commet.usage.track({ customerId: customer.id, feature: t.catalog.metered.usage, value: 4321 });
    const access = expectShape(envelope(PortalAccess), await t.commet.portal.getUrl({ customerId: customer.id })).data;
    const url = new URL(access.portalUrl);
    expect(url.origin).toBe(new URL(t.sandbox.url).origin);
    const first = await fetch(url);
    expect(first.status).toBe(200);
    const html = await first.text();
    expect(html).toContain(t.catalog.metered.plan.name);
    const usageName = t.catalog.metered.plan.features?.find((f) => f.code === t.catalog.metered.usage)?.name;
    expect(html).toContain(usageName);
    expect(html).toMatch(/4,?321/);
    const second = await fetch(url);
    const secondHtml = await second.text();
    expect(second.status).toBeGreaterThanOrEqual(400);
    expect(secondHtml.toLowerCase()).toContain("expired");
  });

  it("getUrl by email works; unknown customer is customer_not_found", async () => {
    const { customer } = await subscribedCustomer(t.commet, t.catalog.metered.plan);
    const access = expectShape(envelope(PortalAccess), await t.commet.portal.getUrl({ email: customer.email })).data;
    expect(new URL(access.portalUrl).origin).toBe(new URL(t.sandbox.url).origin);
    await expectApiError(t.commet.portal.getUrl({ customerId: "cus_missing" }), {
      status: 404,
      code: "customer_not_found",
    });
  });
});

describe("invoices and transactions", () => {
  it("invoices.list pages with line items available through invoices.get", async () => {
    await subscribedCustomer(t.commet, t.catalog.metered.plan);
    const page = expectShape(pageEnvelope(Invoice), await t.commet.invoices.list({ limit: 5 }));
    expect(page.data.length).toBeGreaterThan(0);
    const first = page.data[0]!;
    const full = expectShape(envelope(Invoice), await t.commet.invoices.get({ id: first.id })).data;
    expect(full.id).toBe(first.id);
    expect(full.lineItems?.length).toBeGreaterThan(0);
    const sum = (full.lineItems ?? []).reduce((acc, li) => acc + li.amount, 0);
    expect(sum).toBe(full.subtotal);
    const byCustomer = expectShape(
      pageEnvelope(Invoice),
      await t.commet.invoices.list({ customerId: first.customerId }),
    );
    expect(byCustomer.data.every((i) => i.customerId === first.customerId)).toBe(true);
    expect(byCustomer.data.map((i) => i.id)).toContain(first.id);
    await expectApiError(t.commet.invoices.get({ id: "inv_missing" }), { status: 404, code: "invoice_not_found" });
    const byStatus = expectShape(
      pageEnvelope(Invoice),
      await t.commet.invoices.list({ status: first.status, limit: 20 }),
    );
    expect(byStatus.data.length).toBeGreaterThan(0);
    expect(byStatus.data.every((i) => i.status === first.status)).toBe(true);
  });

  it("transactions.list returns Transactions with cursor paging", async () => {
    const page = expectShape(pageEnvelope(Transaction), await t.commet.transactions.list({ limit: 3 }));
    expect(page.data).toHaveLength(3);
    expect(page.hasMore).toBe(true);
    const next = expectShape(
      pageEnvelope(Transaction),
      await t.commet.transactions.list({ limit: 3, cursor: page.nextCursor }),
    );
    const ids = new Set(page.data.map((tx) => tx.id));
    expect(next.data.length).toBeGreaterThan(0);
    expect(next.data.some((tx) => ids.has(tx.id))).toBe(false);
    const email = page.data.find((tx) => tx.customerEmail)?.customerEmail;
    expect(email).toBeTruthy();
    const mine = expectShape(pageEnvelope(Transaction), await t.commet.transactions.list({ customerEmail: email! }));
    expect(mine.data.length).toBeGreaterThan(0);
    expect(mine.data.every((tx) => tx.customerEmail === email)).toBe(true);
    const status = page.data[0]!.status;
    const byStatus = expectShape(pageEnvelope(Transaction), await t.commet.transactions.list({ status, limit: 20 }));
    expect(byStatus.data.length).toBeGreaterThan(0);
    expect(byStatus.data.every((tx) => tx.status === status)).toBe(true);
  });
});

describe("webhook endpoints", () => {
  it("create (returns secretKey) → list → update → delete", async () => {
    const created = expectShape(
      envelope(WebhookEndpointCreated),
      await t.commet.webhooks.create({
        url: "http://127.0.0.1:9/hook",
        events: ["customer.created"],
        description: "contract",
      }),
    ).data;
    expect(created).toMatchObject({ url: "http://127.0.0.1:9/hook", events: ["customer.created"], isActive: true });
    const listed = expectShape(pageEnvelope(WebhookEndpoint), await t.commet.webhooks.list());
    const entry = listed.data.find((w) => w.id === created.id);
    expect(entry).toBeDefined();
    expect(entry).not.toHaveProperty("secretKey");
    const updated = expectShape(
      envelope(WebhookEndpoint),
      await t.commet.webhooks.update({
        id: created.id,
        events: ["customer.created", "seats.updated"],
        isActive: false,
      }),
    ).data;
    expect(updated).toMatchObject({ id: created.id, events: ["customer.created", "seats.updated"], isActive: false });
    const deleted = expectShape(envelope(WebhookDeleted), await t.commet.webhooks.delete({ id: created.id })).data;
    expect(deleted).toEqual({ id: created.id, deleted: true });
    const after = expectShape(pageEnvelope(WebhookEndpoint), await t.commet.webhooks.list());
    expect(after.data.some((w) => w.id === created.id)).toBe(false);
    await expectApiError(t.commet.webhooks.delete({ id: created.id }), { status: 404, code: "webhook_not_found" });
  });
});

describe("every response", () => {
  it("carries an x-request-id (checked over every exchange this file made)", () => {
    const seen = exchanges().filter((e) => e.status !== null);
    expect(seen.length).toBeGreaterThan(30);
    const missing = seen.filter((e) => !e.headers["x-request-id"]);
    expect(missing.map((e) => `${e.method} ${e.path} → ${e.status}`)).toEqual([]);
    const ids = new Set(seen.map((e) => e.headers["x-request-id"]));
    expect(ids.size).toBe(seen.length);
  });
});
