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
import { refundPayment } from "../payments/index.ts";
import { applyPlanChange, cancelNow } from "../subscriptions/index.ts";
import { subscribedCustomer } from "../testing/sandbox.ts";
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

function consoleOn(ctx: EngineContext, offset = { ms: 0 }, client?: { retries: number }) {
  const late: { approvals?: Approvals } = {};
  const engine = h.engine(ctx.db, { client, gate: (spec, e) => late.approvals!.gate(spec, e) });
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

  it("a key that already reached Commet is never held: its unknown outcome is resumed, even under a stricter policy", async () => {
    const { engine } = consoleOn(ctx, { ms: 0 }, { retries: 0 });
    const customer = await h.customer(20);
    const db = approvalTables(ctx.db);
    const rule = (await loadPolicy(db)).rules["seats.change"];
    await saveRule(db, ADMIN, "seats.change", { ...rule, enabled: false }, Date.now());
    const form = seatForm(customer);
    try {
      await h.faults([{ route: "PUT /api/v1/seats", applyThenDrop: true, times: 1 }]);
      const unknown = await applySeatChange({ ...OPS, form }, engine);
      expect(unknown).toMatchObject({ kind: "commet_error", outcome: "unknown" });
    } finally {
      await h.clearFaults();
      await saveRule(db, ADMIN, "seats.change", rule, Date.now());
    }
    // The rule holds 20 → 200 again; the same key is resumed, not stored as a request.
    const resumed = await applySeatChange({ ...OPS, form }, engine);
    expect(resumed).toMatchObject({ kind: "ok", resumed: true });
    expect(await h.seatCount(customer.id)).toBe(200);
    expect(seatWrites().filter((e) => e.idempotencyKey === form.idempotencyKey)).toHaveLength(2);
    const requests = await db
      .selectFrom("approval_requests")
      .select("id")
      .where("idempotency_key", "=", form.idempotencyKey)
      .execute();
    expect(requests).toEqual([]);
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
    refusedWith(await approvals.executeApproved(request.requestId, OPS), 403); // "run it" is not the requester's either
    expect(await approvals.executeApproved(request.requestId, ADMIN)).toMatchObject({
      kind: "approved",
      outcome: "already",
    });
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

describeEachEngine("four-eyes approvals of money and subscription writes", (ctx) => {
  const FINANCE = staffOf("finance", 1);
  async function customerOn(planCode: string) {
    const plan = h.catalog.plans.find((p) => p.code === planCode);
    if (!plan) throw new Error(`the seed has no plan ${planCode}`);
    const { customer, subscription } = await subscribedCustomer(h.commet, plan);
    return { id: customer.id, email: customer.email, subscriptionId: subscription.id, planId: plan.id };
  }
  const status = async (id: string) => (await h.commet.subscriptions.get({ id })).data?.status;

  it("an immediate cancellation waits for ops/admin: finance, support and the requester cannot approve it", async () => {
    const { engine, approvals } = consoleOn(ctx);
    const c = await customerOn("pro");
    const form = {
      customerId: c.id,
      subscriptionId: c.subscriptionId,
      reasonCode: "customer_request",
      reasonText: "ticket 77",
      confirmText: "CANCEL",
      idempotencyKey: newKey("cancel-now"),
    };
    const request = held(await cancelNow({ ...OPS, form }, engine));
    expect(request.approvers).toEqual(["ops", "admin"]);
    expect(await status(c.subscriptionId)).toBe("active");
    const detail = await fingerprintFor(approvals, request.requestId, ADMIN);
    expect(detail.fresh?.facts).toContainEqual({ label: "Status", value: "active" });
    for (const who of [OPS, FINANCE, staffOf("support")]) {
      refusedWith(await approvals.approve(request.requestId, who, { fingerprint: detail.fingerprint! }), 403);
    }
    expect(await approvals.approve(request.requestId, OPS2, { fingerprint: detail.fingerprint! })).toMatchObject({
      kind: "approved",
      outcome: "succeeded",
    });
    expect(await status(c.subscriptionId)).toBe("canceled");
  });

  it("a subscription canceled meanwhile: the fresh preview says so and the request cannot be approved", async () => {
    const { engine, approvals } = consoleOn(ctx);
    const c = await customerOn("pro");
    const form = {
      customerId: c.id,
      subscriptionId: c.subscriptionId,
      reasonCode: "customer_request",
      reasonText: "",
      confirmText: c.email,
      idempotencyKey: newKey("cancel-now"),
    };
    const request = held(await cancelNow({ ...ADMIN, form }, engine));
    await h.commet.subscriptions.cancel({ id: c.subscriptionId, immediate: true, reason: "elsewhere" });
    const detail = await fingerprintFor(approvals, request.requestId, OPS);
    expect(detail.fresh?.blocked).toMatch(/canceled already/);
    expect(detail.differences).toContain("Status");
    clearExchanges();
    const refused = await approvals.approve(request.requestId, OPS, {
      fingerprint: detail.fingerprint!,
      acknowledge: "on",
    });
    refusedWith(refused, 409);
    expect(exchanges().filter((e) => e.method !== "GET")).toHaveLength(0);
  });

  it("refunds: above the amount they wait for finance/admin; a refund made meanwhile blocks the approval", async () => {
    const { engine, approvals } = consoleOn(ctx);
    const db = approvalTables(ctx.db);
    const rule = (await loadPolicy(db)).rules["payments.refund"];
    await saveRule(db, ADMIN, "payments.refund", { ...rule, threshold: 0 }, Date.now()); // every refund
    try {
      const c = await customerOn("pro");
      const charges = (await h.commet.transactions.list({ customerEmail: c.email, status: "succeeded" })).data ?? [];
      const charge = charges[0];
      if (!charge || charge.grossAmount === null) throw new Error("a new Pro subscription has a settled charge");
      const form = {
        customerId: c.id,
        transactionId: charge.id,
        seenAmount: String(charge.grossAmount),
        reasonCode: "requested_by_customer",
        reasonText: "ticket 3",
        idempotencyKey: newKey("refund"),
      };
      const request = held(await refundPayment({ ...ADMIN, form }, engine));
      expect(request.approvers).toEqual(["finance", "admin"]);
      const detail = await fingerprintFor(approvals, request.requestId, FINANCE);
      expect(detail.fresh?.facts).toContainEqual({ label: "Charge status", value: "succeeded" });
      refusedWith(await approvals.approve(request.requestId, OPS, { fingerprint: detail.fingerprint! }), 403);
      refusedWith(await approvals.approve(request.requestId, ADMIN, { fingerprint: detail.fingerprint! }), 403);
      expect(await approvals.approve(request.requestId, FINANCE, { fingerprint: detail.fingerprint! })).toMatchObject({
        kind: "approved",
        outcome: "succeeded",
      });
      expect((await h.commet.transactions.get({ id: charge.id })).data?.status).toBe("refunded");

      // A second request for a charge refunded meanwhile cannot be approved.
      const c2 = await customerOn("pro");
      const [other] = (await h.commet.transactions.list({ customerEmail: c2.email, status: "succeeded" })).data ?? [];
      const second = held(
        await refundPayment(
          {
            ...FINANCE,
            form: {
              ...form,
              customerId: c2.id,
              transactionId: other!.id,
              seenAmount: String(other!.grossAmount),
              idempotencyKey: newKey("refund"),
            },
          },
          engine,
        ),
      );
      await h.commet.transactions.refund({ id: other!.id });
      const stale = await fingerprintFor(approvals, second.requestId, ADMIN);
      expect(stale.fresh?.blocked).toBe("The charge has been refunded already");
      refusedWith(
        await approvals.approve(second.requestId, ADMIN, { fingerprint: stale.fingerprint!, acknowledge: "on" }),
        409,
      );
    } finally {
      await saveRule(db, ADMIN, "payments.refund", rule, Date.now());
    }
  });

  it("downgrades wait when the rule is on; upgrades never do", async () => {
    const { engine, approvals } = consoleOn(ctx);
    const db = approvalTables(ctx.db);
    const rule = (await loadPolicy(db)).rules["subscriptions.downgrade"];
    await saveRule(db, ADMIN, "subscriptions.downgrade", { ...rule, enabled: true }, Date.now());
    try {
      const c = await customerOn("pro");
      const planId = (code: string) => h.catalog.plans.find((p) => p.code === code)!.id;
      const base = {
        customerId: c.id,
        subscriptionId: c.subscriptionId,
        currentPlanId: c.planId,
        reasonCode: "customer_request",
        reasonText: "",
      };
      const down = held(
        await applyPlanChange(
          { ...OPS, form: { ...base, planId: planId("starter"), idempotencyKey: newKey("plan") } },
          engine,
        ),
      );
      const detail = await fingerprintFor(approvals, down.requestId, ADMIN);
      expect(detail.fresh?.summary).toBe("Downgrade Pro → Starter, at the end of the current period");
      const up = await applyPlanChange(
        { ...OPS, form: { ...base, planId: planId("business"), idempotencyKey: newKey("plan") } },
        engine,
      );
      expect(up.kind).toBe("ok");
      // The plan moved meanwhile (the upgrade): the downgrade as asked cannot be approved.
      const after = await fingerprintFor(approvals, down.requestId, ADMIN);
      expect(after.fresh?.blocked).toMatch(/The plan changed since it was asked for \(now Business\)/);
    } finally {
      await saveRule(db, ADMIN, "subscriptions.downgrade", rule, Date.now());
    }
  });
});

async function createAuditRowsByAction(ctx: EngineContext, action: string) {
  const { createAuditLog } = await import("../audit/index.ts");
  const page = await createAuditLog(ctx.db).list({ action }, { pageSize: 50, page: 1 });
  return [...page.rows].reverse();
}
