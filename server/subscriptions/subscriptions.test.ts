/**
 * Subscription actions against the local Commet sandbox through the real SDK, on both database
 * engines: cancel at the period end and revert it, cancel now with a typed confirmation, and plan
 * changes after Commet's quote — each written once, audited, refused on bad input or stale state
 * with nothing sent.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { PlanPreviewResult, SubscriptionWriteResult } from "../../app/contracts/subscription-actions.ts";
import { describeEachEngine } from "../testing/db.ts";
import { subscribedCustomer } from "../testing/sandbox.ts";
import {
  ADMIN,
  OPS,
  SUPPORT,
  auditRows,
  clearExchanges,
  exchanges,
  newKey,
  useWriteHarness,
} from "../testing/usage.ts";
import type { Staff } from "../writes/index.ts";
import { describePreview } from "./change-plan.ts";
import {
  applyPlanChange,
  cancelNow,
  loadSubscriptionActions,
  previewPlanChange,
  revertCancellation,
  scheduleCancellation,
} from "./index.ts";

const h = useWriteHarness({ beforeAll, afterAll });
const FINANCE: Staff = { actor: { id: "staff-finance", email: "finance@example.test" }, role: "finance" };

beforeEach(() => clearExchanges());
afterEach(async () => {
  await h.clearFaults();
});

const writes = () => exchanges().filter((e) => e.method !== "GET");

function expectKind<K extends PlanPreviewResult["kind"]>(
  result: PlanPreviewResult,
  kind: K,
): Extract<PlanPreviewResult, { kind: K }> {
  if (result.kind !== kind) throw new Error(`expected ${kind}, got ${JSON.stringify(result)}`);
  return result as Extract<PlanPreviewResult, { kind: K }>;
}

async function customerOn(planCode: string) {
  const plan = h.catalog.plans.find((p) => p.code === planCode);
  if (!plan) throw new Error(`the seed has no plan ${planCode}`);
  const { customer, subscription } = await subscribedCustomer(h.commet, plan);
  return { id: customer.id, email: customer.email, subscriptionId: subscription.id, planId: plan.id };
}

const active = async (customerId: string) => (await h.commet.subscriptions.getActive({ customerId })).data;
const planId = (code: string) => h.catalog.plans.find((p) => p.code === code)!.id;

function cancelForm(c: { id: string; subscriptionId: string }, overrides: Record<string, unknown> = {}) {
  return {
    customerId: c.id,
    subscriptionId: c.subscriptionId,
    reasonCode: "too_expensive",
    reasonText: "ticket 5120",
    idempotencyKey: newKey("cancel"),
    ...overrides,
  };
}

function planForm(c: { id: string; subscriptionId: string; planId: string }, to: string, overrides = {}) {
  return {
    customerId: c.id,
    subscriptionId: c.subscriptionId,
    currentPlanId: c.planId,
    planId: planId(to),
    reasonCode: "customer_request",
    reasonText: "ticket 5121",
    idempotencyKey: newKey("plan"),
    ...overrides,
  };
}

describe("describePreview", () => {
  const base = {
    subscriptionId: "sub_1",
    from: { id: "pln_s", name: "Starter" },
    to: { id: "pln_p", name: "Pro" },
    currency: "USD",
    livemode: false,
  };
  it("states Commet's credit, charge and total of an upgrade", () => {
    expect(
      describePreview({
        ...base,
        timing: "now",
        credit: 1450,
        charge: 9900,
        total: 8450,
        effectiveDate: "2026-12-01T00:00:00.000Z",
        daysRemaining: 15,
        totalDays: 30,
      }),
    ).toBe(
      "Starter → Pro now: $99.00 for Pro, $14.50 credit for 15 of 30 days unused on Starter — $84.50 charged; the billing period restarts on 2026-12-01 00:00 UTC",
    );
  });
  it("states a downgrade's date and that nothing is charged now", () => {
    expect(
      describePreview({
        ...base,
        from: base.to,
        to: base.from,
        timing: "scheduled",
        credit: null,
        charge: null,
        total: null,
        effectiveDate: "2026-12-07T00:00:00.000Z",
        daysRemaining: 6,
        totalDays: null,
      }),
    ).toBe(
      "Pro → Starter on 2026-12-07 00:00 UTC, at the end of the current period: nothing is charged or refunded now, Pro stays until then",
    );
  });
});

describeEachEngine("subscription actions", (ctx) => {
  // ------------------------------------------------------------ cancellation at the period end

  it("schedules a cancellation at the period end once: still active, effect date = period end, one audited call", async () => {
    const engine = h.engine(ctx.db);
    const c = await customerOn("pro");
    const before = await active(c.id);
    clearExchanges();
    const form = cancelForm(c);
    const result = await scheduleCancellation({ ...SUPPORT, form }, engine);
    expect(result).toMatchObject({ kind: "ok" });
    expect(result.kind === "ok" && result.message).toMatch(
      /^Cancellation scheduled: Pro stays active until .* UTC, then ends/,
    );
    const after = await active(c.id);
    expect(after?.status).toBe("active");
    expect(after?.cancelAtPeriodEnd).toBe(true);
    expect(after?.cancellation?.effectiveAt).toBe(before?.currentPeriod?.end);
    expect(after?.cancellation?.reason).toBe("too_expensive: ticket 5120");
    const posts = writes();
    expect(posts.map((e) => [e.method, e.path, e.idempotencyKey])).toEqual([
      ["POST", `/api/v1/subscriptions/${c.subscriptionId}/cancel`, form.idempotencyKey],
    ]);
    const rows = await auditRows(ctx.db, c.id);
    expect(rows.map((r) => [r.action, r.status, r.params.effectiveAt, r.actor.email])).toEqual([
      ["subscriptions.cancel", "succeeded", before?.currentPeriod?.end, SUPPORT.actor.email],
    ]);

    // The same form again answers from the audit trail; a new key meets the scheduled state.
    clearExchanges();
    expect(await scheduleCancellation({ ...SUPPORT, form }, engine)).toMatchObject({
      kind: "already_recorded",
      sameRequest: true,
    });
    const again = await scheduleCancellation({ ...OPS, form: cancelForm(c) }, engine);
    expect(again).toMatchObject({ kind: "stale" });
    expect(again.kind === "stale" && again.message).toMatch(/already scheduled for/);
    expect(writes()).toHaveLength(0);
    expect(await auditRows(ctx.db, c.id)).toHaveLength(1);
  });

  it("the panel shows the scheduled cancellation with its date, and the other plans of the group", async () => {
    const c = await customerOn("pro");
    const before = await loadSubscriptionActions(c.id, h.engine(ctx.db));
    expect(before).toMatchObject({
      subscription: { id: c.subscriptionId, planName: "Pro", cancellation: null },
      periodEndCancel: { ok: true },
    });
    await scheduleCancellation({ ...SUPPORT, form: cancelForm(c) }, h.engine(ctx.db));
    const after = await loadSubscriptionActions(c.id, h.engine(ctx.db));
    expect(after?.subscription.cancellation?.effectiveAt).toBe(before?.subscription.currentPeriod?.end);
    expect(
      await loadSubscriptionActions(
        (await h.commet.customers.create({ email: `none+${newKey()}@example.test` })).data!.id,
        h.engine(ctx.db),
      ),
    ).toBeNull();
  });

  it("reverts a scheduled cancellation once; reverting again meets the fresh state", async () => {
    const engine = h.engine(ctx.db);
    const c = await customerOn("pro");
    await scheduleCancellation({ ...SUPPORT, form: cancelForm(c) }, engine);
    clearExchanges();
    const form = cancelForm(c, { reasonCode: "customer_changed_mind", idempotencyKey: newKey("uncancel") });
    const result = await revertCancellation({ ...SUPPORT, form }, engine);
    expect(result).toMatchObject({ kind: "ok" });
    expect(result.kind === "ok" && result.message).toMatch(/^Cancellation reverted: Pro continues; it renews on /);
    const after = await active(c.id);
    expect(after).toMatchObject({ status: "active", cancelAtPeriodEnd: false, cancellation: null });
    expect(writes().map((e) => [e.path, e.idempotencyKey])).toEqual([
      [`/api/v1/subscriptions/${c.subscriptionId}/uncancel`, form.idempotencyKey],
    ]);
    clearExchanges();
    expect(await revertCancellation({ ...SUPPORT, form }, engine)).toMatchObject({ kind: "already_recorded" });
    expect(await revertCancellation({ ...SUPPORT, form: { ...form, idempotencyKey: newKey() } }, engine)).toMatchObject(
      {
        kind: "stale",
        message: expect.stringMatching(/No cancellation is scheduled/),
      },
    );
    expect(writes()).toHaveLength(0);
    const rows = await auditRows(ctx.db, c.id);
    expect(rows.map((r) => [r.action, r.status])).toEqual([
      ["subscriptions.cancel", "succeeded"],
      ["subscriptions.uncancel", "succeeded"],
    ]);
  });

  it("a free plan has no period-end cancellation: refused with the reason, nothing sent", async () => {
    const c = await customerOn("free");
    clearExchanges();
    const result = await scheduleCancellation({ ...SUPPORT, form: cancelForm(c) }, h.engine(ctx.db));
    expect(result).toMatchObject({ kind: "field_errors" });
    expect(result.kind === "field_errors" && result.fieldErrors._form?.[0]).toMatch(/free plan immediately/);
    expect(writes()).toHaveLength(0);
    expect((await loadSubscriptionActions(c.id, h.engine(ctx.db)))?.periodEndCancel).toMatchObject({ ok: false });
  });

  it("an action on a subscription that is no longer the customer's is refused as stale", async () => {
    const c = await customerOn("pro");
    clearExchanges();
    const result = await scheduleCancellation(
      { ...SUPPORT, form: cancelForm(c, { subscriptionId: "sub_replaced_meanwhile" }) },
      h.engine(ctx.db),
    );
    expect(result).toMatchObject({
      kind: "stale",
      message: expect.stringMatching(/subscription changed since you opened/),
    });
    expect(writes()).toHaveLength(0);
    expect(await auditRows(ctx.db, c.id)).toHaveLength(0);
  });

  // ------------------------------------------------------------ immediate cancellation

  it("cancel now needs the customer's email or CANCEL typed; then ends the subscription once", async () => {
    const engine = h.engine(ctx.db);
    const c = await customerOn("pro");
    clearExchanges();
    const form = cancelForm(c, { idempotencyKey: newKey("cancel-now") });
    const missing = await cancelNow({ ...OPS, form }, engine);
    expect(missing.kind === "field_errors" && missing.fieldErrors.confirmText?.[0]).toMatch(
      /Type the customer's email or CANCEL/,
    );
    const wrong = await cancelNow({ ...OPS, form: { ...form, confirmText: "someone@else.test" } }, engine);
    expect(wrong.kind === "field_errors" && wrong.fieldErrors.confirmText?.[0]).toMatch(
      /neither the customer's email nor CANCEL/,
    );
    expect(writes()).toHaveLength(0);

    const ok = await cancelNow({ ...ADMIN, form: { ...form, confirmText: ` ${c.email.toUpperCase()} ` } }, engine);
    expect(ok).toMatchObject({ kind: "ok" });
    expect(await active(c.id)).toBeNull();
    expect((await h.commet.subscriptions.get({ id: c.subscriptionId })).data?.status).toBe("canceled");
    // Resubmitted (the typed text differs, the request is the same): answered from the trail.
    expect(await cancelNow({ ...ADMIN, form: { ...form, confirmText: "CANCEL" } }, engine)).toMatchObject({
      kind: "already_recorded",
      sameRequest: true,
    });
    expect(writes().filter((e) => e.path.endsWith("/cancel"))).toHaveLength(1);
    const rows = await auditRows(ctx.db, c.id);
    expect(rows.map((r) => [r.action, r.status, (r.params.request as { params: unknown }).params])).toEqual([
      [
        "subscriptions.cancel_now",
        "succeeded",
        { id: c.subscriptionId, reason: "too_expensive: ticket 5120", immediate: true },
      ],
    ]);
  });

  // ------------------------------------------------------------ roles and bad input

  it("roles: support schedules but may not cancel now or change plans; finance may do none", async () => {
    const c = await customerOn("pro");
    const engine = h.engine(ctx.db);
    clearExchanges();
    const form = { ...cancelForm(c), confirmText: "CANCEL" };
    expect(await cancelNow({ ...SUPPORT, form }, engine)).toMatchObject({ kind: "forbidden" });
    expect(await previewPlanChange({ ...SUPPORT, form: planForm(c, "business") }, engine)).toMatchObject({
      kind: "forbidden",
    });
    expect(await applyPlanChange({ ...SUPPORT, form: planForm(c, "business") }, engine)).toMatchObject({
      kind: "forbidden",
    });
    expect(await scheduleCancellation({ ...FINANCE, form }, engine)).toMatchObject({ kind: "forbidden" });
    expect(await revertCancellation({ ...FINANCE, form }, engine)).toMatchObject({ kind: "forbidden" });
    expect(exchanges()).toHaveLength(0);
  });

  const bad: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ["no reason", { reasonCode: "" }, "reasonCode", /reason/i],
    ["an unknown reason", { reasonCode: "bored" }, "reasonCode", /reason/i],
    ["'other' without details", { reasonCode: "other", reasonText: "" }, "reasonText", /Explain/],
    ["control characters in the details", { reasonText: "fine\u0007" }, "reasonText", /control characters/],
    ["details over 500 characters", { reasonText: "x".repeat(501) }, "reasonText", /at most 500/],
    ["no subscription", { subscriptionId: "" }, "subscriptionId", /missing/],
    ["a forged subscription id", { subscriptionId: "sub_1/../x" }, "subscriptionId", /Unknown subscription/],
    ["a bad idempotency key", { idempotencyKey: "a b" }, "idempotencyKey", /letters, digits/],
  ];

  it.each(bad)("cancel: refuses %s with a field error and sends nothing", async (_name, override, field, message) => {
    const c = await customerOn("pro");
    clearExchanges();
    const result: SubscriptionWriteResult = await scheduleCancellation(
      { ...SUPPORT, form: cancelForm(c, override) },
      h.engine(ctx.db),
    );
    expect(result.kind === "field_errors" && result.fieldErrors[field]?.join(" ")).toMatch(message);
    expect(exchanges()).toHaveLength(0);
    expect(await auditRows(ctx.db, c.id)).toHaveLength(0);
  });

  it("change plan: refuses the current plan, a missing plan and a plan outside the group; nothing sent", async () => {
    const c = await customerOn("pro");
    const engine = h.engine(ctx.db);
    clearExchanges();
    const same = await previewPlanChange({ ...OPS, form: planForm(c, "pro") }, engine);
    expect(same.kind === "field_errors" && same.fieldErrors.planId?.[0]).toMatch(/current plan/);
    const none = await applyPlanChange({ ...OPS, form: planForm(c, "pro", { planId: "" }) }, engine);
    expect(none.kind === "field_errors" && none.fieldErrors.planId?.[0]).toMatch(/Choose a plan/);
    expect(exchanges()).toHaveLength(0);
    const outside = await applyPlanChange({ ...OPS, form: planForm(c, "ai_credits") }, engine);
    expect(outside.kind === "field_errors" && outside.fieldErrors.planId?.[0]).toMatch(
      /not a plan of the .* plan group/,
    );
    expect(writes()).toHaveLength(0);
    expect(await auditRows(ctx.db, c.id)).toHaveLength(0);
  });

  // ------------------------------------------------------------ plan changes

  it("upgrade Starter → Pro: Commet's quote first (nothing written), then the change once, prorated now", async () => {
    const engine = h.engine(ctx.db);
    const c = await customerOn("starter");
    const panel = await loadSubscriptionActions(c.id, engine);
    expect(panel?.plans.map((p) => [p.name, p.direction])).toEqual([
      ["Free", "downgrade"],
      ["Pro", "upgrade"],
      ["Business", "upgrade"],
    ]);
    clearExchanges();
    const form = planForm(c, "pro");
    const quoted = expectKind(await previewPlanChange({ ...OPS, form }, engine), "preview").preview;
    expect(quoted).toMatchObject({ timing: "now", from: { name: "Starter" }, to: { name: "Pro" } });
    expect(quoted.charge).toBeGreaterThan(0);
    expect(quoted.total).toBe(quoted.charge! - quoted.credit!);
    expect(quoted.effect).toMatch(/^Starter → Pro now: \$/);
    // The quote writes nothing: Starter still, no audit row, only the preview POST.
    expect((await active(c.id))?.plan.name).toBe("Starter");
    expect(writes().map((e) => e.path)).toEqual([`/api/v1/subscriptions/${c.subscriptionId}/preview-change`]);
    expect(await auditRows(ctx.db, c.id)).toHaveLength(0);

    clearExchanges();
    const done = await applyPlanChange({ ...OPS, form }, engine);
    expect(done).toMatchObject({ kind: "ok", message: expect.stringMatching(/^Plan changed: Starter → Pro/) });
    expect((await active(c.id))?.plan.name).toBe("Pro");
    expect(writes().map((e) => [e.path, e.idempotencyKey])).toEqual([
      [`/api/v1/subscriptions/${c.subscriptionId}/change-plan`, form.idempotencyKey],
    ]);
    clearExchanges();
    expect(await applyPlanChange({ ...OPS, form }, engine)).toMatchObject({ kind: "already_recorded" });
    // A new key on the old page: the plan is no longer the one the staffer saw.
    expect(await applyPlanChange({ ...OPS, form: { ...form, idempotencyKey: newKey() } }, engine)).toMatchObject({
      kind: "stale",
      message: expect.stringMatching(/plan changed since you opened this page \(now Pro\)/),
    });
    expect(writes()).toHaveLength(0);
    const rows = await auditRows(ctx.db, c.id);
    expect(rows.map((r) => [r.action, r.status, r.params.from, r.params.to, r.params.direction])).toEqual([
      ["subscriptions.change_plan", "succeeded", "Starter", "Pro", "upgrade"],
    ]);
  });

  it("downgrade Business → Pro: quoted as scheduled for the period end, then scheduled (still Business now)", async () => {
    const engine = h.engine(ctx.db);
    const c = await customerOn("business");
    const periodEnd = (await active(c.id))?.currentPeriod?.end;
    const form = planForm(c, "pro");
    const quoted = expectKind(await previewPlanChange({ ...ADMIN, form }, engine), "preview").preview;
    expect(quoted).toMatchObject({ timing: "scheduled", effectiveDate: periodEnd, total: null });
    expect(quoted.effect).toMatch(/^Business → Pro on .*, at the end of the current period: nothing is charged/);
    const done = await applyPlanChange({ ...ADMIN, form }, engine);
    expect(done).toMatchObject({
      kind: "ok",
      message: expect.stringMatching(/^Plan change scheduled: Business → Pro on /),
    });
    const after = await active(c.id);
    expect(after?.plan.name).toBe("Business");
    expect(after?.scheduledPlanChange).toMatchObject({ newPlanName: "Pro", scheduledFor: periodEnd });
    const panel = await loadSubscriptionActions(c.id, engine);
    expect(panel?.subscription.scheduledPlanChange).toMatchObject({ newPlanName: "Pro", scheduledFor: periodEnd });
  });

  it("a free plan moves to a paid one only through the customer's checkout: refused, nothing sent", async () => {
    const c = await customerOn("free");
    clearExchanges();
    const result = await previewPlanChange({ ...OPS, form: planForm(c, "pro") }, h.engine(ctx.db));
    expect(result.kind === "field_errors" && result.fieldErrors.planId?.[0]).toMatch(
      /only through the customer's own checkout/,
    );
    expect(writes()).toHaveLength(0);
  });
});
