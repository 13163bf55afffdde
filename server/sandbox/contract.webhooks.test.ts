/**
 * Contract: signed webhook delivery. State changes made through the real @commet/node 7.10.0 emit
 * events to every registered endpoint; `commet.webhooks.verify` accepts the x-commet-signature;
 * a non-2xx answer is retried with the same event id.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import {
  Customer,
  CustomerEventData,
  envelope,
  expectShape,
  SeatsUpdatedData,
  Subscription,
  SubscriptionActivatedData,
  SubscriptionCanceledData,
  SubscriptionCreatedData,
  UsageRecordedData,
  WebhookDelivery,
  WebhookEndpointCreated,
} from "../testing/contract-schemas.ts";
import {
  randomSuffix,
  startWebhookReceiver,
  waitFor,
  type ReceivedHook,
  type WebhookReceiver,
  useContractSandbox,
} from "../testing/sandbox.ts";

const ENV_SECRET = `whsec_contract_${randomSuffix(12)}`;

/** Registered through the SDK; answers 500 to the first delivery of every event. */
let flaky: WebhookReceiver;
let flakySecret: string;
let stubbornSecret: string;
/** Registered through the SDK for seats.updated only. */
let seatsOnly: WebhookReceiver;
/** Configured with startSandbox({ webhookUrl, webhookSecret }) (SANDBOX_WEBHOOK_URL/SECRET). */
let configured: WebhookReceiver;
/** Registered through the SDK; answers 500 to the first three deliveries of every event. */
let stubborn: WebhookReceiver;
const RETRY_BASE_MS = 200;

const t = useContractSandbox({ beforeAll, afterAll }, async () => {
  [flaky, seatsOnly, configured, stubborn] = await Promise.all([
    startWebhookReceiver({ failFirst: 1 }),
    startWebhookReceiver(),
    startWebhookReceiver(),
    startWebhookReceiver({ failFirst: 3 }),
  ]);
  return {
    seed: { customers: 5 },
    webhookUrl: configured.url,
    webhookSecret: ENV_SECRET,
    // Same backoff shape as the default, scaled down so a retry lands within the test.
    delivery: { retryBaseMs: RETRY_BASE_MS },
  };
});

beforeAll(async () => {
  const created = expectShape(
    envelope(WebhookEndpointCreated),
    await t.commet.webhooks.create({
      url: flaky.url,
      events: [
        "customer.created",
        "customer.updated",
        "seats.updated",
        "usage.recorded",
        "subscription.created",
        "subscription.activated",
        "subscription.canceled",
      ],
    }),
  ).data;
  flakySecret = created.secretKey;
  await t.commet.webhooks.create({ url: seatsOnly.url, events: ["seats.updated"] });
  const stubbornEndpoint = await t.commet.webhooks.create({ url: stubborn.url, events: ["customer.created"] });
  stubbornSecret = stubbornEndpoint.data!.secretKey;
});

afterAll(async () => {
  await Promise.all([flaky?.close(), seatsOnly?.close(), configured?.close(), stubborn?.close()]);
});

function ofEvent(
  receiver: WebhookReceiver,
  event: string,
  match: (data: Record<string, unknown>) => boolean,
): ReceivedHook[] {
  return receiver.hooks.filter((h) => h.json.event === event && match(h.json.data ?? {}));
}

/** Waits until `event` (matching `match`) was answered 200 by the receiver; returns all its deliveries. */
async function delivered(
  receiver: WebhookReceiver,
  event: string,
  match: (data: Record<string, unknown>) => boolean,
  timeoutMs = 20_000,
): Promise<ReceivedHook[]> {
  await waitFor(() => ofEvent(receiver, event, match).some((h) => h.answered === 200), {
    timeoutMs,
    what: `${event} delivered to ${receiver.url}`,
  });
  return ofEvent(receiver, event, match);
}

function expectSigned(hook: ReceivedHook, secret: string) {
  const signature = hook.headers["x-commet-signature"] ?? null;
  expect(signature).toMatch(/^[0-9a-f]{64}$/);
  expect(t.commet.webhooks.verify({ payload: hook.rawBody, signature, secret })).toBe(true);
  expect(t.commet.webhooks.verify({ payload: hook.rawBody, signature, secret: `${secret}x` })).toBe(false);
  expect(t.commet.webhooks.verify({ payload: `${hook.rawBody} `, signature, secret })).toBe(false);
  expect(hook.headers["content-type"]).toContain("application/json");
  expect(hook.headers["x-commet-event"]).toBe(hook.json.event);
  const delivery = expectShape(WebhookDelivery, hook.json);
  expect(hook.headers["x-commet-event-id"]).toBe(delivery.id);
  expect(hook.headers["x-commet-timestamp"]).toBe(delivery.timestamp);
  return delivery;
}

describe("webhook delivery", () => {
  it("customer.created is signed, verifiable, retried after a 500 with the same event id", async () => {
    const tag = randomSuffix();
    const customer = expectShape(
      envelope(Customer),
      await t.commet.customers.create({ email: `hook+${tag}@example.test`, externalId: `ext_hook_${tag}` }),
    ).data;
    const hooks = await delivered(flaky, "customer.created", (d) => d.id === customer.id);
    expect(hooks.map((h) => h.answered)).toEqual([500, 200]);
    expect(hooks[1]!.json.id).toBe(hooks[0]!.json.id);
    expect(hooks[1]!.rawBody).toBe(hooks[0]!.rawBody);
    expect(hooks[1]!.at).toBeGreaterThan(hooks[0]!.at);
    const envelopeOk = expectSigned(hooks[1]!, flakySecret);
    expect(envelopeOk).toMatchObject({ event: "customer.created", mode: "sandbox" });
    const data = expectShape(CustomerEventData, envelopeOk.data);
    expect(data).toMatchObject({ id: customer.id, email: customer.email, externalId: `ext_hook_${tag}` });
    // The endpoint filtered to seats.updated gets nothing about customers.
    expect(ofEvent(seatsOnly, "customer.created", (d) => d.id === customer.id)).toEqual([]);
  });

  it("non-2xx answers are retried with growing delays, the same event id and the same signed body", async () => {
    const tag = randomSuffix();
    const customer = expectShape(
      envelope(Customer),
      await t.commet.customers.create({ email: `stub+${tag}@example.test` }),
    ).data;
    const hooks = await delivered(stubborn, "customer.created", (d) => d.id === customer.id);
    expect(hooks.map((h) => h.answered)).toEqual([500, 500, 500, 200]);
    expect(new Set(hooks.map((h) => h.json.id)).size).toBe(1);
    expect(new Set(hooks.map((h) => h.rawBody)).size).toBe(1);
    const gaps = hooks.slice(1).map((h, i) => h.at - hooks[i]!.at);
    // Exponential backoff from RETRY_BASE_MS: each wait at least the base and longer than the one before.
    expect(gaps[0]).toBeGreaterThanOrEqual(RETRY_BASE_MS * 0.9);
    expect(gaps[1]).toBeGreaterThan(gaps[0]!);
    expect(gaps[2]).toBeGreaterThan(gaps[1]!);
    for (const h of hooks) expectSigned(h, stubbornSecret);
  });

  it("the endpoint from startSandbox({ webhookUrl, webhookSecret }) gets every event, signed with that secret", async () => {
    const tag = randomSuffix();
    const customer = expectShape(
      envelope(Customer),
      await t.commet.customers.create({ email: `cfg+${tag}@example.test` }),
    ).data;
    const hooks = await delivered(configured, "customer.created", (d) => d.id === customer.id);
    expect(hooks).toHaveLength(1);
    expectSigned(hooks[0]!, ENV_SECRET);
  });
});

describe("events follow state changes (data shapes of 7.10.0)", () => {
  const flow = {} as {
    externalId: string;
    customer: z.infer<typeof Customer>;
    sub: z.infer<typeof Subscription>;
    seat: { previousBalance: number; newBalance: number };
    usageEventId: string;
    adjustment: { id: string; adjustment: number };
  };
  // Webhook customerId is the externalId when the customer has one.
  const isMine = (d: Record<string, unknown>) => d.customerId === flow.externalId;
  const isSub = (d: Record<string, unknown>) => d.subscriptionId === flow.sub.id;

  beforeAll(async () => {
    const tag = randomSuffix();
    flow.externalId = `ext_flow_${tag}`;
    flow.customer = expectShape(
      envelope(Customer),
      await t.commet.customers.create({ email: `flow+${tag}@example.test`, externalId: flow.externalId }),
    ).data;
    await t.commet.customers.update({ id: flow.customer.id, fullName: "Renamed" });
    flow.sub = expectShape(
      envelope(Subscription),
      await t.commet.subscriptions.create({
        customerId: flow.customer.id,
        planCode: t.catalog.metered.plan.code,
        skipTrial: true,
      }),
    ).data;
    flow.seat = (
      await t.commet.seats.add({ customerId: flow.customer.id, featureCode: t.catalog.metered.seats, count: 3 })
    ).data!;
    flow.usageEventId = (
      await t.commet.usage.track({ customerId: flow.customer.id, feature: t.catalog.metered.usage, value: 2 })
    ).data!.id;
    flow.adjustment = (
      await t.commet.usage.set({
        customerId: flow.customer.id,
        feature: t.catalog.metered.usage,
        value: 7,
        reason: "correction",
      })
    ).data!;
    await t.commet.subscriptions.cancel({ id: flow.sub.id, immediate: true });
  });

  it("customer.updated carries the current customer", async () => {
    const updated = await delivered(flaky, "customer.updated", (d) => d.id === flow.customer.id);
    const data = expectShape(CustomerEventData, expectSigned(updated.at(-1)!, flakySecret).data);
    expect(data.fullName).toBe("Renamed");
  });

  it("subscription.created", async () => {
    const hooks = await delivered(flaky, "subscription.created", isSub);
    expect(expectShape(SubscriptionCreatedData, expectSigned(hooks.at(-1)!, flakySecret).data)).toMatchObject({
      customerId: flow.externalId,
      planId: t.catalog.metered.plan.id,
      planName: t.catalog.metered.plan.name,
    });
  });

  it("subscription.activated", async () => {
    const hooks = await delivered(flaky, "subscription.activated", isSub);
    expect(expectShape(SubscriptionActivatedData, expectSigned(hooks.at(-1)!, flakySecret).data)).toMatchObject({
      customerId: flow.externalId,
      status: "active",
    });
  });

  it("subscription.canceled", async () => {
    const hooks = await delivered(flaky, "subscription.canceled", isSub);
    expect(expectShape(SubscriptionCanceledData, expectSigned(hooks.at(-1)!, flakySecret).data)).toMatchObject({
      customerId: flow.externalId,
      status: "canceled",
    });
  });

  it("seats.updated, to every endpoint subscribed to it, with the same event id", async () => {
    const seatsHooks = await delivered(flaky, "seats.updated", isMine);
    const seatsData = expectShape(SeatsUpdatedData, expectSigned(seatsHooks.at(-1)!, flakySecret).data);
    expect(seatsData).toEqual({
      customerId: flow.externalId,
      subscriptionId: flow.sub.id,
      featureCode: t.catalog.metered.seats,
      previousSeats: flow.seat.previousBalance,
      currentSeats: flow.seat.newBalance,
    });
    const seatsOnlyHooks = await delivered(seatsOnly, "seats.updated", isMine);
    expect(seatsOnlyHooks).toHaveLength(1);
    expect(seatsOnlyHooks[0]!.json.id).toBe(seatsHooks[0]!.json.id);
  });

  it("usage.recorded", async () => {
    const usageHooks = await delivered(
      flaky,
      "usage.recorded",
      (d) => isMine(d) && d.usageEventId === flow.usageEventId,
    );
    const usageData = expectShape(UsageRecordedData, expectSigned(usageHooks.at(-1)!, flakySecret).data);
    expect(usageData).toMatchObject({
      customerId: flow.externalId,
      subscriptionId: flow.sub.id,
      usageEventId: flow.usageEventId,
      featureCode: t.catalog.metered.usage,
      value: 2,
    });
  });

  it("usage.recorded for a usage.set correction carries the signed adjustment as its value", async () => {
    expect(flow.adjustment.adjustment).toBe(5);
    const hooks = await delivered(flaky, "usage.recorded", (d) => isMine(d) && d.usageEventId === flow.adjustment.id);
    const data = expectShape(UsageRecordedData, expectSigned(hooks.at(-1)!, flakySecret).data);
    expect(data).toMatchObject({ usageEventId: flow.adjustment.id, featureCode: t.catalog.metered.usage, value: 5 });
  });

  it("a deactivated endpoint receives nothing", async () => {
    const quiet = await startWebhookReceiver();
    try {
      const ep = await t.commet.webhooks.create({ url: quiet.url, events: ["customer.created"] });
      await t.commet.webhooks.update({ id: ep.data!.id, isActive: false });
      const tag = randomSuffix();
      const customer = expectShape(
        envelope(Customer),
        await t.commet.customers.create({ email: `quiet+${tag}@example.test` }),
      ).data;
      await delivered(configured, "customer.created", (d) => d.id === customer.id);
      await new Promise((r) => setTimeout(r, 300));
      expect(quiet.hooks).toEqual([]);
    } finally {
      await quiet.close();
    }
  });
});
