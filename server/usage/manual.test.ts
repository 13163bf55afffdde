/**
 * Manual usage against the local Commet sandbox through the real SDK, on both database engines:
 * exactly-once recording, bad input (nothing sent to Commet), and the faults of the reliability list.
 */
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from "vitest";
import type { WriteResult } from "../../app/contracts/ops-results.ts";
import { describeEachEngine } from "../testing/db.ts";
import { loadUsagePanel, recordManualUsage, setPeriodUsage } from "./manual.ts";
import { timelineEntry } from "./submit.ts";
import { recordManualUsageEvent } from "./timeline/index.ts";
import {
  ADMIN,
  OPS,
  SUPPORT,
  SimulatedCrash,
  auditRows,
  clearExchanges,
  exchanges,
  newKey,
  useWriteHarness,
} from "../testing/usage.ts";

const h = useWriteHarness({ beforeAll, afterAll });

beforeEach(() => clearExchanges());
afterEach(async () => {
  await h.clearFaults();
});

const writes = () => exchanges().filter((e) => e.method !== "GET");
const tracks = (key: string) =>
  exchanges().filter((e) => e.path === "/api/v1/usage/events" && e.idempotencyKey === key);

function usageForm(customerId: string, overrides: Record<string, unknown> = {}) {
  return {
    customerId,
    featureCode: h.catalog.metered.usage,
    quantity: "7",
    eventTime: "",
    reasonCode: "missed_events",
    reasonText: "ticket 4812: integration outage",
    idempotencyKey: newKey("usage"),
    ...overrides,
  };
}

function expectKind<K extends WriteResult["kind"]>(result: WriteResult, kind: K): Extract<WriteResult, { kind: K }> {
  if (result.kind !== kind) throw new Error(`expected ${kind}, got ${JSON.stringify(result)}`);
  return result as Extract<WriteResult, { kind: K }>;
}

describeEachEngine("manual usage", (ctx) => {
  it("loads the usage panel: the plan's usage features, the period and this period's totals", async () => {
    const engine = h.engine(ctx.db);
    const customer = await h.customer();
    expectKind(await recordManualUsage({ ...OPS, form: usageForm(customer.id, { quantity: "12" }) }, engine), "ok");
    const panel = await loadUsagePanel(customer.id, engine);
    expect(panel?.livemode).toBe(false);
    expect(panel?.period?.start).toBe(customer.periodStart);
    expect(panel?.features).toContainEqual(
      expect.objectContaining({ code: h.catalog.metered.usage, allowsDecimals: false, current: 12 }),
    );
    expect(panel?.features.every((f) => f.code !== h.catalog.metered.seats)).toBe(true);
  });

  it("records once; the same key again answers 'already recorded' with the original event, without calling Commet", async () => {
    const engine = h.engine(ctx.db);
    const customer = await h.customer();
    const form = usageForm(customer.id, { idempotencyKey: "ticket-4812-" + customer.id.slice(-6) });
    const first = expectKind(await recordManualUsage({ ...OPS, form }, engine), "ok");
    expect(first.eventId).toMatch(/^evt_/);
    expect(await h.usageTotal(customer.id)).toBe(7);
    expect(tracks(form.idempotencyKey)).toHaveLength(1);

    clearExchanges();
    const again = expectKind(await recordManualUsage({ ...ADMIN, form }, engine), "already_recorded");
    expect(again.eventId).toBe(first.eventId);
    expect(again.by).toBe(OPS.actor.email);
    expect(again.sameRequest).toBe(true);
    expect(again.message).toMatch(
      /^Already recorded at \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC by ops@example.test \(Commet id evt_/,
    );
    expect(writes()).toHaveLength(0);

    // Same key, different values: still nothing sent, and the answer says so.
    const changed = expectKind(
      await recordManualUsage({ ...OPS, form: { ...form, quantity: "9" } }, engine),
      "already_recorded",
    );
    expect(changed.sameRequest).toBe(false);
    expect(await h.usageTotal(customer.id)).toBe(7);

    const rows = await auditRows(ctx.db, customer.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: "usage.record", status: "succeeded", idempotencyKey: form.idempotencyKey });
    expect(rows[0]!.commetIds).toEqual({ eventId: first.eventId });
  });

  it("sends the key as Idempotency-Key and as the event's idempotencyKey, with an explicit event time", async () => {
    const engine = h.engine(ctx.db);
    const customer = await h.customer();
    const eventTime = new Date(Math.max(Date.parse(customer.periodStart) + 1000, Date.now() - 1000)).toISOString();
    const form = usageForm(customer.id, { eventTime, quantity: "3" });
    const ok = expectKind(await recordManualUsage({ ...OPS, form }, engine), "ok");
    expect(ok.data).toMatchObject({
      idempotencyKey: form.idempotencyKey,
      ts: eventTime,
      feature: h.catalog.metered.usage,
    });
    expect(tracks(form.idempotencyKey)).toHaveLength(1);
  });

  it("a Commet duplicate for a key the console has no record of is reported as such, not as success", async () => {
    const engine = h.engine(ctx.db);
    const customer = await h.customer();
    const key = newKey("foreign");
    // Another system recorded an event with this key (a different request: the Idempotency-Key differs).
    await h.commet.usage.track({
      feature: h.catalog.metered.usage,
      customerId: customer.id,
      value: 1,
      idempotencyKey: key,
    });
    const result = expectKind(
      await recordManualUsage({ ...OPS, form: usageForm(customer.id, { idempotencyKey: key }) }, engine),
      "duplicate_unknown",
    );
    expect(result.message).toMatch(/no record/);
    expect(await h.usageTotal(customer.id)).toBe(1);
    const rows = await auditRows(ctx.db, customer.id);
    expect(rows.map((r) => [r.status, r.errorCode])).toEqual([["failed", "duplicate"]]);
  });

  it("the console's timeline entry holds the value Commet got, never a re-reading of the raw field", async () => {
    const engine = h.engine(ctx.db);
    const customer = await h.customer();
    const record = usageForm(customer.id, { quantity: " 1,000 " });
    const ok = expectKind(await recordManualUsage({ ...OPS, form: record }, engine), "ok");
    expect(await h.usageTotal(customer.id)).toBe(1000);
    const tracked = timelineEntry("record", ok, OPS.actor.email);
    expect(tracked).toMatchObject({ kind: "track", customerId: customer.id, quantity: 1000, staff: OPS.actor.email });
    expect(await recordManualUsageEvent(ctx.database, tracked)).toEqual({ result: "recorded" });

    const set = { ...usageForm(customer.id), value: "1,500", idempotencyKey: newKey("set") };
    const corrected = expectKind(await setPeriodUsage({ ...ADMIN, form: set }, engine), "ok");
    expect(timelineEntry("set", corrected, ADMIN.actor.email)).toMatchObject({ setTo: 1500, quantity: 500 });

    // `1_0` once reached Commet as 10 while the console's own entry read NaN: now nothing is sent.
    clearExchanges();
    const loose = usageForm(customer.id, { quantity: "1_0" });
    expectKind(await recordManualUsage({ ...OPS, form: loose }, engine), "field_errors");
    expect(writes()).toHaveLength(0);
  });

  it("setPeriodUsage sets the exact period total once; the same key again is not re-sent", async () => {
    const engine = h.engine(ctx.db);
    const customer = await h.customer();
    expectKind(await recordManualUsage({ ...OPS, form: usageForm(customer.id, { quantity: "10" }) }, engine), "ok");
    const form = {
      customerId: customer.id,
      featureCode: h.catalog.metered.usage,
      value: "4",
      reasonCode: "billing_correction",
      reasonText: "",
      idempotencyKey: newKey("set"),
    };
    const ok = expectKind(await setPeriodUsage({ ...ADMIN, form }, engine), "ok");
    expect(ok.data).toMatchObject({ value: 4, previousValue: 10, adjustment: -6 });
    expect(await h.usageTotal(customer.id)).toBe(4);
    clearExchanges();
    expectKind(await setPeriodUsage({ ...ADMIN, form }, engine), "already_recorded");
    expect(writes()).toHaveLength(0);
  });

  it("secrets in the reason never reach Commet or the audit trail: the same redacted text goes to both", async () => {
    const engine = h.engine(ctx.db);
    const customer = await h.customer();
    const reasonText = "see https://support.example.test/t/4812?token=abc and key ck_live_abcdef123";
    const ok = expectKind(
      await recordManualUsage({ ...OPS, form: usageForm(customer.id, { reasonText }) }, engine),
      "ok",
    );
    const sent = (ok.data as { properties?: Array<{ property: string; value: string }> }).properties?.find(
      (p) => p.property === "note",
    );
    expect(sent?.value).toBe("see [redacted] and key [redacted]");
    const [row] = await auditRows(ctx.db, customer.id);
    expect(JSON.stringify(row!.params)).not.toMatch(/https:|ck_live/);
    expect((row!.params.request as { params: { properties: Record<string, string> } }).params.properties.note).toBe(
      sent?.value,
    );
  });

  it("support may not write usage", async () => {
    const customer = await h.customer();
    clearExchanges();
    expectKind(await recordManualUsage({ ...SUPPORT, form: usageForm(customer.id) }, h.engine(ctx.db)), "forbidden");
    expectKind(await setPeriodUsage({ ...SUPPORT, form: usageForm(customer.id) }, h.engine(ctx.db)), "forbidden");
    expect(writes()).toHaveLength(0);
  });

  it("a key used for another customer or action is refused on the key field", async () => {
    const engine = h.engine(ctx.db);
    const [a, b] = [await h.customer(), await h.customer()];
    const key = newKey("shared");
    expectKind(await recordManualUsage({ ...OPS, form: usageForm(a.id, { idempotencyKey: key }) }, engine), "ok");
    clearExchanges();
    const other = expectKind(
      await recordManualUsage({ ...OPS, form: usageForm(b.id, { idempotencyKey: key }) }, engine),
      "field_errors",
    );
    expect(other.fieldErrors.idempotencyKey?.[0]).toMatch(/already used .* on customer/);
    const set = {
      customerId: a.id,
      featureCode: h.catalog.metered.usage,
      value: "1",
      reasonCode: "billing_correction",
      idempotencyKey: key,
    };
    expect(
      expectKind(await setPeriodUsage({ ...OPS, form: set }, engine), "field_errors").fieldErrors.idempotencyKey,
    ).toBeDefined();
    expect(writes()).toHaveLength(0);
  });

  // ------------------------------------------------------------ bad input: nothing reaches Commet

  const bad: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ["zero quantity", { quantity: "0" }, "quantity", /greater than 0/],
    ["negative quantity", { quantity: "-3" }, "quantity", /greater than 0/],
    ["NaN quantity", { quantity: "NaN" }, "quantity", /must be a number/],
    ["non-numeric quantity", { quantity: "12abc" }, "quantity", /must be a number/],
    ["missing quantity", { quantity: "" }, "quantity", /required/],
    ["infinite quantity", { quantity: "Infinity" }, "quantity", /must be a number/],
    ["huge quantity", { quantity: "1000000000000" }, "quantity", /at most 1,000,000/],
    ["an exponent", { quantity: "1e3" }, "quantity", /must be a number/],
    ["underscores", { quantity: "1_0" }, "quantity", /must be a number/],
    ["decimal quantity of a whole-unit feature", { quantity: "2.5" }, "quantity", /whole/],
    ["unknown feature code", { featureCode: "no_such_feature" }, "featureCode", /not a usage feature/],
    ["malformed feature code", { featureCode: "API Calls; drop" }, "featureCode", /Unknown feature/],
    ["event time in the future", { eventTime: new Date(Date.now() + 3_600_000).toISOString() }, "eventTime", /future/],
    [
      "event time before the period start",
      { eventTime: "2020-01-01T00:00:00Z" },
      "eventTime",
      /before the current billing period, which started/,
    ],
    ["unparseable event time", { eventTime: "yesterday" }, "eventTime", /valid date/],
    ["reason over 500 characters", { reasonText: "x".repeat(501) }, "reasonText", /at most 500/],
    ["control characters in the reason", { reasonText: "ok\u0000then\u001b[31m" }, "reasonText", /control characters/],
    ["a newline in the reason", { reasonText: "line one\nline two" }, "reasonText", /control characters/],
    ["unknown reason code", { reasonCode: "because" }, "reasonCode", /reason/i],
    ["'other' without an explanation", { reasonCode: "other", reasonText: "  " }, "reasonText", /Explain/],
    ["idempotency key with spaces", { idempotencyKey: "ticket 4812" }, "idempotencyKey", /letters, digits/],
    ["idempotency key with control characters", { idempotencyKey: "k\u0007" }, "idempotencyKey", /letters, digits/],
    ["empty idempotency key", { idempotencyKey: "" }, "idempotencyKey", /required/],
    [
      "an idempotency key shaped like an API key",
      { idempotencyKey: "ticket-sk_live1234" },
      "idempotencyKey",
      /API key/,
    ],
    ["over-long idempotency key", { idempotencyKey: "k".repeat(101) }, "idempotencyKey", /at most 100/],
    ["customer id with control characters", { customerId: "cus_\u0000" }, "customerId", /control/],
  ];

  it.each(bad)("refuses %s with a field error and sends nothing", async (_name, override, field, message) => {
    const customer = await h.customer();
    clearExchanges();
    const result = expectKind(
      await recordManualUsage({ ...OPS, form: usageForm(customer.id, override) }, h.engine(ctx.db)),
      "field_errors",
    );
    expect(result.fieldErrors[field]?.join(" ")).toMatch(message);
    expect(writes()).toHaveLength(0);
    expect(await auditRows(ctx.db, customer.id)).toHaveLength(0);
  });

  it("refuses a seat feature as a usage feature", async () => {
    const customer = await h.customer();
    clearExchanges();
    const result = expectKind(
      await recordManualUsage(
        { ...OPS, form: usageForm(customer.id, { featureCode: h.catalog.metered.seats }) },
        h.engine(ctx.db),
      ),
      "field_errors",
    );
    expect(result.fieldErrors.featureCode?.[0]).toMatch(/not a usage feature/);
    expect(writes()).toHaveLength(0);
  });

  it("setPeriodUsage refuses negative, NaN and huge values", async () => {
    const customer = await h.customer();
    clearExchanges();
    for (const [value, message] of [
      ["-1", /negative/],
      ["NaN", /number/],
      ["2000000", /at most/],
      ["1.5", /whole/],
    ] as const) {
      const form = {
        customerId: customer.id,
        featureCode: h.catalog.metered.usage,
        value,
        reasonCode: "billing_correction",
        idempotencyKey: newKey("set"),
      };
      const result = expectKind(await setPeriodUsage({ ...OPS, form }, h.engine(ctx.db)), "field_errors");
      expect(result.fieldErrors.value?.join(" ")).toMatch(message);
    }
    expect(writes()).toHaveLength(0);
  });

  // ------------------------------------------------------------ reliability (sandbox faults)

  async function recordsOnceThrough(rule: Parameters<typeof h.faults>[0][number], expectedAttempts: number) {
    const engine = h.engine(ctx.db);
    const customer = await h.customer();
    const form = usageForm(customer.id, { quantity: "5" });
    await h.faults([rule]);
    const ok = expectKind(await recordManualUsage({ ...OPS, form }, engine), "ok");
    expect(tracks(form.idempotencyKey)).toHaveLength(expectedAttempts);
    expect(await h.usageTotal(customer.id)).toBe(5);
    const rows = await auditRows(ctx.db, customer.id);
    expect(rows.map((r) => r.status)).toEqual(["succeeded"]);
    expect(rows[0]!.commetIds).toEqual({ eventId: ok.eventId });
  }

  it("a 500 then success: the SDK's retry with the same key records one event", async () => {
    await recordsOnceThrough({ route: "POST /api/v1/usage/events", errorStatus: 500, times: 1 }, 2);
  });

  it("a timeout after Commet applied the write (apply then drop): the retry replays, one event", async () => {
    await recordsOnceThrough({ route: "POST /api/v1/usage/events", applyThenDrop: true, times: 1 }, 2);
  });

  it("a 429 with Retry-After: the SDK waits and retries, one event", async () => {
    await recordsOnceThrough({ route: "POST /api/v1/usage/events", rateLimit: { retryAfterSeconds: 1 }, times: 1 }, 2);
  });

  it("retries exhausted after apply-then-drop: outcome unknown (row pending); resubmitting the same key resolves it, one event", async () => {
    const engine = h.engine(ctx.db, { client: { retries: 0 } });
    const customer = await h.customer();
    const form = usageForm(customer.id, { quantity: "6" });
    await h.faults([{ route: "POST /api/v1/usage/events", applyThenDrop: true, times: 1 }]);
    const unknown = expectKind(await recordManualUsage({ ...OPS, form }, engine), "commet_error");
    expect(unknown).toMatchObject({ outcome: "unknown", retryable: true });
    expect((await auditRows(ctx.db, customer.id)).map((r) => r.status)).toEqual(["pending"]);
    const resumed = expectKind(await recordManualUsage({ ...OPS, form }, engine), "ok");
    expect(resumed.resumed).toBe(true);
    expect(await h.usageTotal(customer.id)).toBe(6);
    expect((await auditRows(ctx.db, customer.id)).map((r) => r.status)).toEqual(["succeeded"]);
    expect(new Set(tracks(form.idempotencyKey).map((e) => e.idempotencyKey)).size).toBe(1);
  });

  it("two identical submissions in parallel: one event, the other answers 'already recorded'", async () => {
    const engine = h.engine(ctx.db);
    const customer = await h.customer();
    const form = usageForm(customer.id, { quantity: "2" });
    await h.faults([{ route: "POST /api/v1/usage/events", latencyMs: 150 }]);
    const results = await Promise.all([
      recordManualUsage({ ...OPS, form }, engine),
      recordManualUsage({ ...OPS, form }, engine),
    ]);
    expect(results.map((r) => r.kind).sort()).toEqual(["already_recorded", "ok"]);
    expect(await h.usageTotal(customer.id)).toBe(2);
    expect(tracks(form.idempotencyKey)).toHaveLength(1);
    expect((await auditRows(ctx.db, customer.id)).map((r) => r.status)).toEqual(["succeeded"]);
  });

  it("two identical submissions in two console processes: the second sees it in progress, then 'already recorded'", async () => {
    const [a, b] = [h.engine(ctx.db), h.engine(ctx.db)];
    const customer = await h.customer();
    const form = usageForm(customer.id, { quantity: "4" });
    await h.faults([{ route: "POST /api/v1/usage/events", latencyMs: 1500, times: 1 }]);
    const first = recordManualUsage({ ...OPS, form }, a);
    // The first has written its pending audit row and is waiting on Commet.
    await expect
      .poll(async () => (await auditRows(ctx.db, customer.id)).map((r) => r.status), { timeout: 5_000, interval: 20 })
      .toEqual(["pending"]);
    const second = await recordManualUsage({ ...ADMIN, form }, b);
    expect(second.kind).toBe("in_progress");
    expectKind(await first, "ok");
    expectKind(await recordManualUsage({ ...ADMIN, form }, b), "already_recorded");
    expect(await h.usageTotal(customer.id)).toBe(4);
  });

  it("killed between the pending row and the Commet call, then restarted: check again applies it once", async () => {
    const customer = await h.customer();
    const form = usageForm(customer.id, { quantity: "8" });
    const crashing = h.engine(ctx.db, {
      hooks: {
        afterBegin: () => {
          throw new SimulatedCrash();
        },
      },
    });
    await expect(recordManualUsage({ ...OPS, form }, crashing)).rejects.toBeInstanceOf(SimulatedCrash);
    const [pending] = await auditRows(ctx.db, customer.id);
    expect(pending).toMatchObject({ status: "pending", idempotencyKey: form.idempotencyKey });
    expect(tracks(form.idempotencyKey)).toHaveLength(0);
    expect(await h.usageTotal(customer.id)).toBe(0);

    const restarted = h.engine(ctx.db); // a new process: new SDK client, same database
    const resolved = expectKind(await restarted.resolvePending(pending!.id, OPS), "ok");
    expect(resolved.resumed).toBe(true);
    expect(await h.usageTotal(customer.id)).toBe(8);
    expectKind(await restarted.resolvePending(pending!.id, OPS), "already_recorded");
    expectKind(await recordManualUsage({ ...OPS, form }, restarted), "already_recorded");
    expect(tracks(form.idempotencyKey)).toHaveLength(1);
    expect(await h.usageTotal(customer.id)).toBe(8);
  });
});
