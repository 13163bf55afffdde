/**
 * Four-eyes approvals against the local Commet sandbox through the real SDK, on both database engines:
 * the policy holds a write (nothing sent), who may approve (roles, never the requester — admins
 * included), the fresh preview's fingerprint (a changed world → 409 until acknowledged), execution once
 * with the request's key, rejection, expiry, and audited policy changes.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_APPROVAL_POLICY, rejectFormSchema, type DecisionResult } from "../../app/contracts/approvals.ts";
import type { WriteResult } from "../../app/contracts/ops-results.ts";
import type { Role } from "../../app/contracts/permissions.ts";
import { applySeatChange } from "../seats/index.ts";
import { describeEachEngine, type EngineContext } from "../testing/db.ts";
import { ADMIN, OPS, auditRows, clearExchanges, exchanges, newKey, useWriteHarness } from "../testing/usage.ts";
import { recordManualUsage, setPeriodUsage } from "../usage/index.ts";
import type { Staff } from "../writes/index.ts";
import { approvalTables } from "./schema.ts";
import { createApprovals, loadPolicy, requiresApproval, saveRule, type Approvals } from "./index.ts";

const h = useWriteHarness({ beforeAll, afterAll });

const OPS2: Staff = { actor: { id: "staff-ops-2", email: "ops2@example.test" }, role: "ops" };
const ADMIN2: Staff = { actor: { id: "staff-admin-2", email: "admin2@example.test" }, role: "admin" };
const staffOf = (role: Role, n = 3): Staff => ({
  actor: { id: `staff-${role}-${n}`, email: `${role}${n}@example.test` },
  role,
});

const seatWrites = () => exchanges().filter((e) => e.path === "/api/v1/seats" && e.method !== "GET");

function consoleOn(ctx: EngineContext, offset = { ms: 0 }) {
  const late: { approvals?: Approvals } = {};
  const engine = h.engine(ctx.db, { gate: (spec, e) => late.approvals!.gate(spec, e) });
  const approvals = createApprovals({ db: ctx.db, engine, clock: () => Date.now() + offset.ms });
  late.approvals = approvals;
  return { engine, approvals, offset };
}

function seatForm(customer: { id: string; email: string }, over: Record<string, unknown> = {}) {
  return {
    customerId: customer.id,
    seatType: h.catalog.metered.seats,
    op: "set",
    quantity: "200",
    seenCount: "20",
    reasonCode: "sales_agreement",
    reasonText: "contract 2026-114",
    confirmEmail: customer.email,
    idempotencyKey: newKey("seats"),
    ...over,
  };
}

function held(result: WriteResult | { kind: string }) {
  if (result.kind !== "sent_for_approval") throw new Error(`expected sent_for_approval, got ${JSON.stringify(result)}`);
  return result as Extract<WriteResult, { kind: "sent_for_approval" }>;
}

async function fingerprintFor(approvals: Approvals, requestId: string, staff: Staff) {
  const detail = await approvals.detail(requestId, staff);
  if (!detail?.fingerprint) throw new Error(`no fresh preview: ${JSON.stringify(detail)}`);
  return detail;
}

const refusedWith = (result: DecisionResult, status: number) =>
  expect(result).toMatchObject({ kind: "refused", status });

beforeEach(() => clearExchanges());

describe("the policy's rules (pure)", () => {
  const rules = DEFAULT_APPROVAL_POLICY.rules;
  it.each([
    ["payments.refund", { amount: 50_000 }, false],
    ["payments.refund", { amount: 50_001 }, true],
    ["seats.change", { seatsFrom: 20, seatsTo: 29 }, false], // +45 %, 9 seats
    ["seats.change", { seatsFrom: 20, seatsTo: 30 }, true], // +50 %
    ["seats.change", { seatsFrom: 20, seatsTo: 10 }, true], // −50 %
    ["seats.change", { seatsFrom: 100, seatsTo: 120 }, false], // 20 seats, 20 %
    ["seats.change", { seatsFrom: 100, seatsTo: 121 }, true], // more than 20 seats
    ["seats.change", { seatsFrom: 0, seatsTo: 5 }, false],
    ["usage.record", { quantity: 10_000 }, false],
    ["usage.record", { quantity: 10_001 }, true],
    ["subscriptions.cancel_now", {}, true],
    ["subscriptions.downgrade", {}, false], // off by default
    ["usage.lower", {}, true],
  ] as const)("%s with %j → approval %s", (key, measure, expected) => {
    expect(requiresApproval(key, rules[key], measure)).toBe(expected);
  });

  it("a refund rule at 0 holds every refund; a disabled rule holds nothing", () => {
    expect(requiresApproval("payments.refund", { ...rules["payments.refund"], threshold: 0 }, { amount: 1 })).toBe(
      true,
    );
    expect(
      requiresApproval("seats.change", { ...rules["seats.change"], enabled: false }, { seatsFrom: 1, seatsTo: 900 }),
    ).toBe(false);
  });

  it("a rejection needs a comment", () => {
    expect(rejectFormSchema.safeParse({ intent: "reject", comment: "  " }).success).toBe(false);
    expect(rejectFormSchema.safeParse({ intent: "reject", comment: "not agreed with sales" }).success).toBe(true);
  });
});

describeEachEngine("four-eyes approvals", (ctx) => {
  it("a 20 → 200 seat change is held: a request with its key and preview, nothing sent to Commet", async () => {
    const { engine } = consoleOn(ctx);
    const customer = await h.customer(20);
    clearExchanges();
    const form = seatForm(customer);
    const result = held(await applySeatChange({ ...OPS, form }, engine));
    expect(result.approvers).toEqual(["ops", "admin"]);
    expect(result.message).toMatch(/^Sent for approval: ops or admin \(someone other than you\)/);
    expect(seatWrites()).toHaveLength(0);
    expect(await h.seatCount(customer.id)).toBe(20);

    // The same form again: waiting already, still nothing sent.
    const again = held(await applySeatChange({ ...OPS, form }, engine));
    expect(again).toMatchObject({ already: true, requestId: result.requestId });
    expect(seatWrites()).toHaveLength(0);

    const row = await approvalTables(ctx.db)
      .selectFrom("approval_requests")
      .selectAll()
      .where("id", "=", result.requestId)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      idempotency_key: form.idempotencyKey,
      status: "pending",
      requested_by_email: OPS.actor.email,
    });
    expect(JSON.parse(row.spec).request).toEqual({
      call: "seats.set",
      params: { customerId: customer.id, featureCode: h.catalog.metered.seats, count: 200 },
    });
    const trail = await auditRows(ctx.db, customer.id);
    expect(trail.map((r) => [r.action, r.actor.email])).toEqual([["approvals.request", OPS.actor.email]]);
    expect(trail[0]!.params).toMatchObject({ requestId: result.requestId, writeKey: form.idempotencyKey });
  });

  it("small changes are not held; with the rule off, large ones are not either (and the change is audited)", async () => {
    const { engine } = consoleOn(ctx);
    const customer = await h.customer(20);
    const small = await applySeatChange({ ...OPS, form: seatForm(customer, { quantity: "25" }) }, engine);
    expect(small.kind).toBe("ok");
    const db = approvalTables(ctx.db);
    const rule = (await loadPolicy(db)).rules["seats.change"];
    await saveRule(db, ADMIN, "seats.change", { ...rule, enabled: false }, Date.now());
    try {
      const large = await applySeatChange({ ...OPS, form: seatForm(customer, { seenCount: "25" }) }, engine);
      expect(large.kind).toBe("ok");
      expect(await h.seatCount(customer.id)).toBe(200);
      const changes = (await createAuditRowsByAction(ctx, "approvals.policy_change")).at(-1);
      expect(changes?.params).toMatchObject({
        rule: "seats.change",
        before: { enabled: true },
        after: { enabled: false },
      });
      expect(changes?.actor.email).toBe(ADMIN.actor.email);
    } finally {
      await saveRule(db, ADMIN, "seats.change", rule, Date.now());
    }
  });

  it("nobody approves their own request — admins included; only the policy's roles approve", async () => {
    const { engine, approvals } = consoleOn(ctx);
    const customer = await h.customer(20);
    const byOps = held(await applySeatChange({ ...OPS, form: seatForm(customer) }, engine));
    const fp = (await fingerprintFor(approvals, byOps.requestId, OPS2)).fingerprint!;
    const own = await approvals.approve(byOps.requestId, OPS, { fingerprint: fp });
    refusedWith(own, 403);
    expect(own.kind === "refused" && own.message).toMatch(/someone else must approve/);
    refusedWith(await approvals.reject(byOps.requestId, OPS, "changed my mind"), 403);
    for (const role of ["support", "finance"] as const) {
      refusedWith(await approvals.approve(byOps.requestId, staffOf(role), { fingerprint: fp }), 403);
    }
    const detail = await approvals.detail(byOps.requestId, OPS);
    expect(detail).toMatchObject({
      canDecide: false,
      cannotDecide: expect.stringMatching(/You asked for this change/),
    });

    const other = await h.customer(20);
    const byAdmin = held(await applySeatChange({ ...ADMIN, form: seatForm(other) }, engine));
    const fp2 = (await fingerprintFor(approvals, byAdmin.requestId, ADMIN2)).fingerprint!;
    refusedWith(await approvals.approve(byAdmin.requestId, ADMIN, { fingerprint: fp2 }), 403);
    expect(seatWrites()).toHaveLength(0);
    // Another admin (or an ops) may.
    expect(await approvals.approve(byAdmin.requestId, ADMIN2, { fingerprint: fp2 })).toMatchObject({
      kind: "approved",
      outcome: "succeeded",
    });
    expect(await h.seatCount(other.id)).toBe(200);
  });

  it("approved: executed once with the request's key; requester, approver and outcome linked in the trail", async () => {
    const { engine, approvals } = consoleOn(ctx);
    const customer = await h.customer(20);
    const form = seatForm(customer);
    const request = held(await applySeatChange({ ...OPS, form }, engine));
    const detail = await fingerprintFor(approvals, request.requestId, OPS2);
    expect(detail.differences).toEqual([]);
    expect(detail.fresh?.facts).toContainEqual({ label: "Seats now", value: "20" });
    expect(detail.fresh?.facts).toContainEqual({ label: "After the change", value: "200" });
    clearExchanges();
    const approved = await approvals.approve(request.requestId, OPS2, { fingerprint: detail.fingerprint! });
    expect(approved).toMatchObject({ kind: "approved", outcome: "succeeded" });
    expect(await h.seatCount(customer.id)).toBe(200);
    expect(seatWrites().map((e) => e.idempotencyKey)).toEqual([form.idempotencyKey]);

    // Twice approving, or the requester resubmitting, sends nothing again.
    clearExchanges();
    refusedWith(await approvals.approve(request.requestId, ADMIN, { fingerprint: detail.fingerprint! }), 409);
    const resubmitted = await applySeatChange({ ...OPS, form }, engine);
    expect(resubmitted.kind).toBe("already_recorded");
    expect(seatWrites()).toHaveLength(0);

    const trail = await auditRows(ctx.db, customer.id);
    // Rows of one millisecond are ordered by id: compare as a set.
    expect(trail.map((r) => [r.action, r.actor.email, r.status])).toEqual(
      expect.arrayContaining([
        ["approvals.request", OPS.actor.email, "succeeded"],
        ["approvals.approve", OPS2.actor.email, "succeeded"],
        ["seats.change", OPS.actor.email, "succeeded"],
      ]),
    );
    expect(trail).toHaveLength(3);
    const write = trail.find((r) => r.action === "seats.change")!;
    expect(write.idempotencyKey).toBe(form.idempotencyKey);
    expect(write.params.approval).toMatchObject({
      requestId: request.requestId,
      requestedBy: OPS.actor.email,
      approvedBy: OPS2.actor.email,
    });
    const after = await approvals.detail(request.requestId, OPS2);
    expect(after?.request).toMatchObject({
      status: "approved",
      decidedBy: OPS2.actor.email,
      outcome: "succeeded",
      writeAuditId: write.id,
    });
  });

  it("the world changed: the old fingerprint gets 409 with the new preview; approval needs the difference acknowledged", async () => {
    const { engine, approvals } = consoleOn(ctx);
    const customer = await h.customer(20);
    const request = held(
      await applySeatChange({ ...OPS, form: seatForm(customer, { op: "add", quantity: "180" }) }, engine),
    );
    const seen = await fingerprintFor(approvals, request.requestId, OPS2);
    await h.commet.seats.add({ customerId: customer.id, featureCode: h.catalog.metered.seats, count: 5 }); // someone else: 25
    clearExchanges();
    const stale = await approvals.approve(request.requestId, OPS2, { fingerprint: seen.fingerprint! });
    expect(stale).toMatchObject({ kind: "stale_preview" });
    if (stale.kind !== "stale_preview") throw new Error("unreachable");
    expect(stale.fresh.facts).toContainEqual({ label: "Seats now", value: "25" });
    expect(stale.fresh.facts).toContainEqual({ label: "After the change", value: "205" });
    expect(stale.differences).toEqual(expect.arrayContaining(["Seats now", "After the change"]));
    expect(seatWrites()).toHaveLength(0);

    const blind = await approvals.approve(request.requestId, OPS2, { fingerprint: stale.fingerprint });
    refusedWith(blind, 400);
    expect(blind.kind === "refused" && blind.fieldErrors?.acknowledge).toBeTruthy();
    expect(seatWrites()).toHaveLength(0);
    const ok = await approvals.approve(request.requestId, OPS2, { fingerprint: stale.fingerprint, acknowledge: "on" });
    expect(ok).toMatchObject({ kind: "approved", outcome: "succeeded" });
    expect(await h.seatCount(customer.id)).toBe(205);
    const approval = (await auditRows(ctx.db, customer.id)).find((r) => r.action === "approvals.approve");
    expect(approval?.params.acknowledgedDifferences).toEqual(expect.arrayContaining(["Seats now"]));
  });

  it("rejected with a comment: nothing sent; the key answers the rejection", async () => {
    const { engine, approvals } = consoleOn(ctx);
    const customer = await h.customer(20);
    const form = seatForm(customer);
    const request = held(await applySeatChange({ ...OPS, form }, engine));
    expect(await approvals.reject(request.requestId, ADMIN, "Not in the signed contract")).toMatchObject({
      kind: "rejected",
    });
    const again = await applySeatChange({ ...OPS, form }, engine);
    expect(again).toMatchObject({ kind: "previous_failed", errorCode: "approval_rejected" });
    expect(again.kind === "previous_failed" && again.message).toMatch(/Not in the signed contract/);
    refusedWith(await approvals.approve(request.requestId, OPS2, { fingerprint: "0".repeat(64) }), 409);
    expect(seatWrites()).toHaveLength(0);
    expect(await h.seatCount(customer.id)).toBe(20);
    const reject = (await auditRows(ctx.db, customer.id)).find((r) => r.action === "approvals.reject");
    expect(reject).toMatchObject({
      actor: { email: ADMIN.actor.email },
      params: { comment: "Not in the signed contract" },
    });
  });

  it("expires after 24 h: cannot be approved, the key answers 'expired', the expiry is in the trail", async () => {
    const { engine, approvals, offset } = consoleOn(ctx);
    const customer = await h.customer(20);
    const form = seatForm(customer);
    const request = held(await applySeatChange({ ...OPS, form }, engine));
    expect(request.expiresAt - Date.now()).toBeGreaterThan(23.9 * 3_600_000);
    const fp = (await fingerprintFor(approvals, request.requestId, OPS2)).fingerprint!;
    offset.ms = 24 * 3_600_000 + 1_000;
    const late = await approvals.approve(request.requestId, OPS2, { fingerprint: fp });
    refusedWith(late, 409);
    expect(late.kind === "refused" && late.message).toMatch(/expired/);
    expect(await approvals.pendingCount(OPS2)).toBe(0);
    expect(await applySeatChange({ ...OPS, form }, engine)).toMatchObject({
      kind: "previous_failed",
      errorCode: "approval_expired",
    });
    expect(seatWrites()).toHaveLength(0);
    const trail = await auditRows(ctx.db, customer.id);
    expect(trail.map((r) => r.action)).toEqual(["approvals.request", "approvals.expire"]);
  });

  it("inbox and count: a request shows for the roles that may approve it, never for its requester", async () => {
    const { engine, approvals } = consoleOn(ctx);
    const customer = await h.customer(20);
    const request = held(await applySeatChange({ ...OPS, form: seatForm(customer) }, engine));
    const inOps2 = await approvals.inbox(OPS2);
    expect(inOps2.toDecide.map((r) => r.id)).toContain(request.requestId);
    const inOwn = await approvals.inbox(OPS);
    expect(inOwn.toDecide.map((r) => r.id)).not.toContain(request.requestId);
    expect(inOwn.mine.map((r) => r.id)).toContain(request.requestId);
    expect((await approvals.inbox(staffOf("finance"))).toDecide.map((r) => r.id)).not.toContain(request.requestId);
    expect(await approvals.pendingCount(OPS2)).toBeGreaterThanOrEqual(1);
    const before = await approvals.pendingCount(ADMIN);
    await approvals.reject(request.requestId, ADMIN, "duplicate of another ticket");
    expect(await approvals.pendingCount(ADMIN)).toBe(before - 1);
  });

  it("usage: a correction that lowers the period total and a large event are held; raising is not", async () => {
    const { engine, approvals } = consoleOn(ctx);
    const customer = await h.customer(5);
    const feature = h.catalog.metered.usage;
    const base = { customerId: customer.id, featureCode: feature, reasonCode: "billing_correction", reasonText: "t-1" };
    const raise = await setPeriodUsage(
      { ...OPS, form: { ...base, value: "40", idempotencyKey: newKey("us") } },
      engine,
    );
    expect(raise.kind).toBe("ok");
    const lower = held(
      await setPeriodUsage({ ...OPS, form: { ...base, value: "10", idempotencyKey: newKey("us") } }, engine),
    );
    expect(await h.usageTotal(customer.id)).toBe(40);
    const big = held(
      await recordManualUsage(
        { ...OPS, form: { ...base, reasonCode: "missed_events", quantity: "20000", idempotencyKey: newKey("ur") } },
        engine,
      ),
    );
    expect(big.approvers).toEqual(["ops", "admin"]);
    const detail = await fingerprintFor(approvals, lower.requestId, ADMIN);
    expect(detail.fresh?.facts).toContainEqual({ label: "Period total now", value: "40" });
    expect(await approvals.approve(lower.requestId, ADMIN, { fingerprint: detail.fingerprint! })).toMatchObject({
      kind: "approved",
      outcome: "succeeded",
    });
    expect(await h.usageTotal(customer.id)).toBe(10);
  });
});

async function createAuditRowsByAction(ctx: EngineContext, action: string) {
  const { createAuditLog } = await import("../audit/index.ts");
  const page = await createAuditLog(ctx.db).list({ action }, { pageSize: 50, page: 1 });
  return [...page.rows].reverse();
}
