/**
 * Seat changes against the local Commet sandbox through the real SDK, on both database engines:
 * stale counts, confirmations, exactly-once writes, bad input (nothing sent), and the faults of the
 * reliability list.
 */
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from "vitest";
import type { SeatChangeResult } from "../../app/contracts/ops-results.ts";
import { describeEachEngine } from "../testing/db.ts";
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
import { applySeatChange, loadSeatPanel, previewSeatChange } from "./index.ts";

const h = useWriteHarness({ beforeAll, afterAll });

beforeEach(() => clearExchanges());
afterEach(async () => {
  await h.clearFaults();
});

const writes = () => exchanges().filter((e) => e.method !== "GET");
const seatWrites = (key: string) => exchanges().filter((e) => e.path === "/api/v1/seats" && e.idempotencyKey === key);

function seatForm(customerId: string, overrides: Record<string, unknown> = {}) {
  return {
    customerId,
    seatType: h.catalog.metered.seats,
    op: "add",
    quantity: "2",
    seenCount: "5",
    reasonCode: "customer_request",
    reasonText: "ticket 4812",
    idempotencyKey: newKey("seats"),
    ...overrides,
  };
}

function expectKind<K extends SeatChangeResult["kind"]>(
  result: SeatChangeResult,
  kind: K,
): Extract<SeatChangeResult, { kind: K }> {
  if (result.kind !== kind) throw new Error(`expected ${kind}, got ${JSON.stringify(result)}`);
  return result as Extract<SeatChangeResult, { kind: K }>;
}

describeEachEngine("seat changes", (ctx) => {
  it("loads the seat panel: seat types of the plan with their current counts", async () => {
    const customer = await h.customer(5);
    const panel = await loadSeatPanel(customer.id, h.engine(ctx.db));
    const seat = panel?.seatTypes.find((s) => s.code === h.catalog.metered.seats);
    expect(seat).toMatchObject({ current: 5 });
    expect(panel).toMatchObject({ livemode: false, customer: { email: customer.email } });
    expect(panel?.period?.start).toBeTruthy();
  });

  it("add, set and remove move the balance once each; the audit trail holds one finalized row per change", async () => {
    const engine = h.engine(ctx.db);
    const customer = await h.customer(5);
    clearExchanges();
    const add = expectKind(
      await applySeatChange(
        { ...OPS, form: seatForm(customer.id, { op: "add", quantity: "2", seenCount: "5" }) },
        engine,
      ),
      "ok",
    );
    expect(add.data).toMatchObject({ previousBalance: 5, newBalance: 7 });
    expectKind(
      await applySeatChange(
        { ...OPS, form: seatForm(customer.id, { op: "set", quantity: "9", seenCount: "7" }) },
        engine,
      ),
      "ok",
    );
    expectKind(
      await applySeatChange(
        { ...ADMIN, form: seatForm(customer.id, { op: "remove", quantity: "3", seenCount: "9" }) },
        engine,
      ),
      "ok",
    );
    expect(await h.seatCount(customer.id)).toBe(6);
    const rows = await auditRows(ctx.db, customer.id);
    expect(rows.map((r) => [r.action, r.status, r.params.op, r.params.from, r.params.to])).toEqual([
      ["seats.change", "succeeded", "add", 5, 7],
      ["seats.change", "succeeded", "set", 7, 9],
      ["seats.change", "succeeded", "remove", 9, 6],
    ]);
    expect(rows[2]!.params.effect).toMatch(/9 → 6; the removal takes effect at the end of the period .*, no refund/);
    expect(
      exchanges()
        .filter((e) => e.method !== "GET")
        .map((e) => e.method),
    ).toEqual(["POST", "PUT", "DELETE"]);
    for (const row of rows) expect(seatWrites(row.idempotencyKey)).toHaveLength(1);
  });

  it("the same key again answers 'already applied' from the audit trail and never calls Commet twice", async () => {
    const engine = h.engine(ctx.db);
    const customer = await h.customer(5);
    const form = seatForm(customer.id);
    const ok = expectKind(await applySeatChange({ ...OPS, form }, engine), "ok");
    clearExchanges();
    // Back and resubmit: the form still says 5 (the balance is now 7) — not stale, but already applied.
    const again = expectKind(await applySeatChange({ ...OPS, form }, engine), "already_recorded");
    expect(again).toMatchObject({ eventId: ok.eventId, by: OPS.actor.email, sameRequest: true });
    expect(again.message).toMatch(/^Already applied at .* UTC by ops@example.test \(Commet id seat_/);
    expect(writes()).toHaveLength(0);
    expect(await h.seatCount(customer.id)).toBe(7);
  });

  it("refuses a stale count with the fresh value and sends nothing", async () => {
    const engine = h.engine(ctx.db);
    const customer = await h.customer(5);
    await h.commet.seats.add({ customerId: customer.id, featureCode: h.catalog.metered.seats, count: 1 }); // someone else: 6
    clearExchanges();
    const stale = expectKind(
      await applySeatChange(
        { ...OPS, form: seatForm(customer.id, { op: "set", quantity: "8", seenCount: "5" }) },
        engine,
      ),
      "stale",
    );
    expect(stale).toMatchObject({ seen: 5, current: 6 });
    expect(stale.message).toMatch(/seats changed from 5 to 6 since you opened this page$/);
    expect(writes()).toHaveLength(0);
    expect(await auditRows(ctx.db, customer.id)).toHaveLength(0);
  });

  it("two staffers change the same seat type at once (different keys): one applies, the other is told it is stale", async () => {
    const engine = h.engine(ctx.db);
    const customer = await h.customer(10);
    await h.faults([{ route: "PUT /api/v1/seats", latencyMs: 100 }]);
    const [a, b] = await Promise.all([
      applySeatChange({ ...OPS, form: seatForm(customer.id, { op: "set", quantity: "12", seenCount: "10" }) }, engine),
      applySeatChange(
        { ...ADMIN, form: seatForm(customer.id, { op: "set", quantity: "13", seenCount: "10" }) },
        engine,
      ),
    ]);
    // Whichever reaches the customer's lane first applies (call order is not arrival order under load).
    const [winner, loser, applied] = a.kind === "ok" ? [a, b, 12] : [b, a, 13];
    expectKind(winner, "ok");
    expect(expectKind(loser, "stale")).toMatchObject({ seen: 10, current: applied });
    expect(await h.seatCount(customer.id)).toBe(applied);
  });

  it("a large change needs the customer's email typed to confirm", async () => {
    const engine = h.engine(ctx.db);
    const customer = await h.customer(5);
    clearExchanges();
    const form = seatForm(customer.id, { op: "set", quantity: "30", seenCount: "5" });
    const missing = expectKind(await applySeatChange({ ...OPS, form }, engine), "field_errors");
    expect(missing.fieldErrors.confirmEmail?.[0]).toMatch(/large change \(5 → 30\): type the customer's email/);
    const wrong = expectKind(
      await applySeatChange({ ...OPS, form: { ...form, confirmEmail: "someone@else.test" } }, engine),
      "field_errors",
    );
    expect(wrong.fieldErrors.confirmEmail?.[0]).toMatch(/not the customer's email/);
    expect(writes()).toHaveLength(0);
    expectKind(
      await applySeatChange({ ...OPS, form: { ...form, confirmEmail: ` ${customer.email.toUpperCase()} ` } }, engine),
      "ok",
    );
    expect(await h.seatCount(customer.id)).toBe(30);
  });

  it("preview answers the confirmation after the apply checks, and sends nothing", async () => {
    const engine = h.engine(ctx.db);
    const customer = await h.customer(5);
    clearExchanges();
    const result = await previewSeatChange(
      { ...OPS, form: seatForm(customer.id, { op: "add", quantity: "3" }) },
      engine,
    );
    if (result.kind !== "preview") throw new Error(`expected preview, got ${JSON.stringify(result)}`);
    expect(result.preview).toMatchObject({ from: 5, to: 8, valid: true });
    expect(writes()).toHaveLength(0);
    expect(await auditRows(ctx.db, customer.id)).toHaveLength(0);
  });

  it("preview of the current count says so in a sentence, not a code", async () => {
    const customer = await h.customer(5);
    const form = seatForm(customer.id, { op: "set", quantity: "5", seenCount: "5" });
    const result = await previewSeatChange({ ...OPS, form }, h.engine(ctx.db));
    if (result.kind !== "field_errors") throw new Error(`expected field_errors, got ${JSON.stringify(result)}`);
    expect(result.fieldErrors.quantity).toEqual([expect.stringMatching(/ seats are already 5 — nothing to change$/)]);
    expect(result.message).not.toMatch(/no_change/);
  });

  it("preview refuses a stale count with the fresh value", async () => {
    const customer = await h.customer(5);
    await h.commet.seats.add({ customerId: customer.id, featureCode: h.catalog.metered.seats, count: 1 });
    const form = seatForm(customer.id, { op: "add", quantity: "1", seenCount: "5" });
    const result = await previewSeatChange({ ...OPS, form }, h.engine(ctx.db));
    expect(result).toMatchObject({ kind: "stale", seen: 5, current: 6 });
  });

  it("support may not preview or change seats", async () => {
    const customer = await h.customer(5);
    expect(await previewSeatChange({ ...SUPPORT, form: seatForm(customer.id) }, h.engine(ctx.db))).toMatchObject({
      kind: "forbidden",
    });
  });

  it("support may not change seats", async () => {
    const customer = await h.customer(5);
    clearExchanges();
    expectKind(await applySeatChange({ ...SUPPORT, form: seatForm(customer.id) }, h.engine(ctx.db)), "forbidden");
    expect(writes()).toHaveLength(0);
  });

  // ------------------------------------------------------------ bad input: nothing reaches Commet

  const bad: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ["removing below 0", { op: "remove", quantity: "6", seenCount: "5" }, "quantity", /below 0/],
    ["a negative count", { op: "set", quantity: "-1" }, "quantity", /negative/],
    ["a count above the bound", { op: "set", quantity: "10001" }, "quantity", /at most 10,000/],
    ["an addition beyond the bound", { op: "add", quantity: "9999", seenCount: "5" }, "quantity", /exceed 10,000/],
    ["a fractional count", { op: "add", quantity: "1.5" }, "quantity", /whole number/],
    ["NaN", { quantity: "NaN" }, "quantity", /must be a number/],
    ["adding zero", { op: "add", quantity: "0" }, "quantity", /greater than 0/],
    ["setting the same count", { op: "set", quantity: "5", seenCount: "5" }, "quantity", /nothing to change/],
    ["an unknown operation", { op: "double" }, "op", /set, add or remove/],
    ["an unknown seat type", { seatType: "wizard" }, "seatType", /not a seat type/],
    ["a usage feature as seat type", { seatType: "__usage__" }, "seatType", /not a seat type/],
    ["a reason over 500 characters", { reasonText: "y".repeat(501) }, "reasonText", /at most 500/],
    ["control characters in the reason", { reasonText: "fine\u0008" }, "reasonText", /control characters/],
    ["no reason", { reasonCode: "" }, "reasonCode", /reason/i],
    ["a bad idempotency key", { idempotencyKey: "seats/../x" }, "idempotencyKey", /letters, digits/],
  ];

  it.each(bad)("refuses %s with a field error and sends nothing", async (_name, override, field, message) => {
    const customer = await h.customer(5);
    clearExchanges();
    const form = seatForm(
      customer.id,
      override.seatType === "__usage__" ? { ...override, seatType: h.catalog.metered.usage } : override,
    );
    const result = expectKind(await applySeatChange({ ...OPS, form }, h.engine(ctx.db)), "field_errors");
    expect(result.fieldErrors[field]?.join(" ")).toMatch(message);
    expect(writes()).toHaveLength(0);
    expect(await auditRows(ctx.db, customer.id)).toHaveLength(0);
    expect(await h.seatCount(customer.id)).toBe(5);
  });

  // ------------------------------------------------------------ reliability (sandbox faults)

  async function appliesOnceThrough(
    rule: Parameters<typeof h.faults>[0][number],
    op: "add" | "remove",
    expectedAttempts: number,
  ) {
    const engine = h.engine(ctx.db);
    const customer = await h.customer(5);
    const form = seatForm(customer.id, { op, quantity: "2" });
    await h.faults([rule]);
    const ok = expectKind(await applySeatChange({ ...OPS, form }, engine), "ok");
    expect(seatWrites(form.idempotencyKey)).toHaveLength(expectedAttempts);
    expect(await h.seatCount(customer.id)).toBe(op === "add" ? 7 : 3);
    const rows = await auditRows(ctx.db, customer.id);
    expect(rows.map((r) => r.status)).toEqual(["succeeded"]);
    expect(rows[0]!.commetIds).toEqual({ eventId: ok.eventId });
  }

  it("a 500 then success: one seat change", async () => {
    await appliesOnceThrough({ route: "POST /api/v1/seats", errorStatus: 500, times: 1 }, "add", 2);
  });

  it("apply then drop (timeout after Commet applied it): the retry replays, one change (add and remove)", async () => {
    await appliesOnceThrough({ route: "POST /api/v1/seats", applyThenDrop: true, times: 1 }, "add", 2);
    await appliesOnceThrough({ route: "DELETE /api/v1/seats", applyThenDrop: true, times: 1 }, "remove", 2);
  });

  it("a 429 with Retry-After: one seat change", async () => {
    await appliesOnceThrough({ route: "POST /api/v1/seats", rateLimit: { retryAfterSeconds: 1 }, times: 1 }, "add", 2);
  });

  it("two identical submissions in parallel: one change, the other answers 'already applied'", async () => {
    const engine = h.engine(ctx.db);
    const customer = await h.customer(5);
    const form = seatForm(customer.id, { op: "add", quantity: "1" });
    await h.faults([{ route: "POST /api/v1/seats", latencyMs: 150 }]);
    const results = await Promise.all([
      applySeatChange({ ...OPS, form }, engine),
      applySeatChange({ ...OPS, form }, engine),
    ]);
    expect(results.map((r) => r.kind).sort()).toEqual(["already_recorded", "ok"]);
    expect(seatWrites(form.idempotencyKey)).toHaveLength(1);
    expect(await h.seatCount(customer.id)).toBe(6);
  });

  it("killed between the pending row and the Commet call, then restarted: check again applies it once", async () => {
    const customer = await h.customer(5);
    const form = seatForm(customer.id, { op: "add", quantity: "2" });
    const crashing = h.engine(ctx.db, {
      hooks: {
        afterBegin: () => {
          throw new SimulatedCrash();
        },
      },
    });
    await expect(applySeatChange({ ...OPS, form }, crashing)).rejects.toBeInstanceOf(SimulatedCrash);
    const [pending] = await auditRows(ctx.db, customer.id);
    expect(pending?.status).toBe("pending");
    expect(await h.seatCount(customer.id)).toBe(5);

    const restarted = h.engine(ctx.db);
    expectKind(await restarted.resolvePending(pending!.id, SUPPORT), "forbidden");
    const ok = expectKind(await restarted.resolvePending(pending!.id, OPS), "ok");
    expect(ok.resumed).toBe(true);
    expect(await h.seatCount(customer.id)).toBe(7);
    // The staffer resubmits the old form after the restart: answered from the row, not stale, not re-sent.
    expectKind(await applySeatChange({ ...OPS, form }, restarted), "already_recorded");
    expect(seatWrites(form.idempotencyKey)).toHaveLength(1);
    expect(await h.seatCount(customer.id)).toBe(7);
  });
});
