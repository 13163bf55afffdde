/**
 * Closed-period reconciliation must not flag what Commet rightly did not bill: a trial period's closing invoice (no
 * overage during a trial) and the period before a scheduled plan change (the invoice names the new plan, the period
 * was on the old one). Hand-made invoices, usage through the webhook intake, the webhooks stored as account events.
 */
import type { Commet, Invoice } from "@commet/node";
import { beforeAll, describe, expect, it } from "vitest";
import { activityTables } from "../../activity/schema.ts";
import { describeEachEngine } from "../../testing/db.ts";
import { meteredPlan } from "../../testing/plans.ts";
import { deliverUsage, usageEnvelope } from "../../testing/timeline.ts";
import { reconcileClosedPeriods } from "./closed-periods.ts";
import { contextsFromEvents } from "./period-context.ts";

const plan = (id: string, name: string, included: number) => meteredPlan({ id, name, included });
const BIG = plan("plan_big", "Big", 1_000);
const SMALL = plan("plan_small", "Small", 100);

const START = "2026-10-01T00:00:00.000Z";
const END = "2026-11-01T00:00:00.000Z";
const ISSUED = "2026-11-01T01:00:00.000Z";

function invoice(n: number, customerId: string, planName: string): Invoice {
  return {
    id: `inv_${n}`,
    customerId,
    subscriptionId: `sub_${customerId}`,
    invoiceNumber: `INV-${n}`,
    status: "paid",
    invoiceType: "recurring",
    currency: "USD",
    subtotal: 2900,
    discountAmount: 0,
    taxAmount: 0,
    total: 2900,
    periodStart: START,
    periodEnd: END,
    issueDate: ISSUED,
    dueDate: ISSUED,
    planName,
    memo: null,
    metadata: {},
    createdAt: ISSUED,
    updatedAt: ISSUED,
    // Only the base charged in advance for the next period: no overage line for the closed one.
    lineItems: [],
    object: "invoice",
    livemode: false,
  } as unknown as Invoice;
}

function fakeInvoices(invoices: Invoice[]): Pick<Commet, "invoices"> {
  return {
    invoices: {
      list: async () => ({ success: true, data: invoices, hasMore: false }),
      get: async ({ id }: { id: string }) => ({ success: true, data: invoices.find((i) => i.id === id) }),
    } as unknown as Commet["invoices"],
  };
}

describe("period contexts from the stored webhooks (pure)", () => {
  const inv = { id: "inv_1", subscriptionId: "sub_a", periodEnd: END, issueDate: ISSUED };
  const at = (iso: string) => Date.parse(iso);

  it("a trial.converted or plan change at the period's close applies; one mid-period or on another subscription does not", () => {
    const events = [
      { type: "trial.converted", occurredAt: at(ISSUED), payload: { subscriptionId: "sub_a" } },
      {
        type: "subscription.plan_changed",
        occurredAt: at(ISSUED),
        payload: { subscriptionId: "sub_a", previousPlan: { id: "plan_big" }, currentPlan: { id: "plan_small" } },
      },
    ];
    expect(contextsFromEvents([inv], events).get("inv_1")).toEqual({ trial: true, planId: "plan_big" });
    const midPeriod = events.map((e) => ({ ...e, occurredAt: at("2026-10-15T00:00:00Z") }));
    expect(contextsFromEvents([inv], midPeriod).get("inv_1")).toEqual({ trial: false, planId: null });
    const otherSub = events.map((e) => ({ ...e, payload: { ...e.payload, subscriptionId: "sub_b" } }));
    expect(contextsFromEvents([inv], otherSub).get("inv_1")).toEqual({ trial: false, planId: null });
  });
});

describeEachEngine("reconciliation: trials and scheduled plan changes are not flagged", (ctx) => {
  const customers = ["cus_trial", "cus_paid", "cus_changed", "cus_same"];

  beforeAll(async () => {
    // 500 calls each in October: over Small's 100 included, within Big's 1000.
    for (const c of customers) {
      const res = await deliverUsage(
        ctx.database,
        usageEnvelope({
          usageEventId: `ue_${c}`,
          customerId: c,
          featureCode: "api_calls",
          value: 500,
          ts: "2026-10-10T12:00:00.000Z",
          subscriptionId: `sub_${c}`,
        }),
      );
      expect(res.status).toBe(200);
    }
    const event = (id: string, type: string, customer: string, payload: Record<string, unknown>) => ({
      event_id: id,
      type,
      kind: "subscription",
      customer_id: customer,
      customer_key: customer,
      occurred_at: Date.parse(ISSUED),
      received_at: Date.parse(ISSUED),
      payload: JSON.stringify({ subscriptionId: `sub_${customer}`, ...payload }),
    });
    await activityTables(ctx.database)
      .insertInto("account_events")
      .values([
        event("whev_trial", "trial.converted", "cus_trial", { status: "active" }),
        event("whev_change", "subscription.plan_changed", "cus_changed", {
          previousPlan: { id: BIG.id, name: BIG.name },
          currentPlan: { id: SMALL.id, name: SMALL.name },
        }),
      ])
      .execute();
  });

  it("flags only the customers whose overage Commet should have billed", async () => {
    const invoices = [
      invoice(1, "cus_trial", SMALL.name), // trial on Small: 400 over, but a trial bills no overage
      invoice(2, "cus_paid", SMALL.name), // same usage, paid period: 400 calls not invoiced
      invoice(3, "cus_changed", SMALL.name), // Big → Small at the period end: the period was on Big (within 1000)
      invoice(4, "cus_same", SMALL.name), // on Small all along: 400 calls not invoiced
    ];
    const report = await reconcileClosedPeriods(
      ctx.database,
      { commet: fakeInvoices(invoices), plans: async () => [BIG, SMALL] },
      { from: "2026-11-01", to: "2026-11-01", now: Date.parse(ISSUED) },
    );
    const byCustomer = Object.fromEntries(report.rows.map((r) => [r.customerId, r]));
    expect(byCustomer.cus_trial).toMatchObject({ flag: "match", trackedUsed: 500, trackedAmount: null });
    expect(byCustomer.cus_changed).toMatchObject({
      flag: "match",
      planName: "Big",
      included: 1_000,
      trackedOverage: 0,
      amountDiff: 0,
    });
    expect(byCustomer.cus_paid).toMatchObject({ flag: "unbilled_overage", trackedOverage: 400, amountDiff: -400 });
    expect(byCustomer.cus_same).toMatchObject({ flag: "unbilled_overage", planName: "Small", included: 100 });
    expect(report.totals.flagged).toBe(2);
  });
});
