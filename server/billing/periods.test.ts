// Usage priced per billing period and day against hand-computed amounts: anchors across month ends, an upgrade
// restarting the cycle, and the timeline's rollups read on both engines.
import { describe, expect, it } from "vitest";
import type { PlanFeatureView, PlanView } from "../../app/contracts/plans.ts";
import { describeEachEngine } from "../testing/db.ts";
import { timelineDb } from "../usage/timeline/schema.ts";
import { estimateCustomerPeriods, estimateUsageByPeriod, periodsWithChanges } from "./periods.ts";

const DAY = 86_400_000;
const day = (iso: string) => Math.floor(Date.parse(`${iso}T00:00:00.000Z`) / DAY);

function usagePlan(id: string, included: number, unitRate: number | null, model: string | null = null): PlanView {
  const f: PlanFeatureView = {
    code: "api_calls",
    name: "API calls",
    type: "usage",
    unitName: "call",
    enabled: true,
    included,
    unlimited: false,
    overageUnitPrice: unitRate,
  };
  return {
    id,
    code: id,
    name: id,
    description: null,
    isPublic: true,
    isDefault: false,
    isFree: false,
    consumptionModel: model,
    prices: [],
    features: [f],
    livemode: false,
  };
}

// Starter: 1,000 calls then $0.002 (rate 20); Pro: 10,000 calls then $0.001 (rate 10).
const starter = usagePlan("starter", 1_000, 20);
const pro = usagePlan("pro", 10_000, 10);
const plans = new Map([
  ["starter", starter],
  ["pro", pro],
]);

describe("periodsWithChanges", () => {
  it("a 31st anchor across February, then an upgrade on Mar 16 restarts the cycle on the new plan", () => {
    const periods = periodsWithChanges(
      "2026-01-31T00:00:00.000Z",
      "monthly",
      "starter",
      Date.parse("2026-05-01T00:00:00.000Z"),
      [{ at: "2026-03-16T00:00:00.000Z", planId: "pro" }],
    );
    expect(periods.map((p) => [p.start.slice(0, 10), p.end.slice(0, 10), p.planId])).toEqual([
      ["2026-01-31", "2026-02-28", "starter"],
      ["2026-02-28", "2026-03-16", "starter"], // cut short by the upgrade
      ["2026-03-16", "2026-04-16", "pro"],
      ["2026-04-16", "2026-05-16", "pro"],
    ]);
  });
});

describe("estimateUsageByPeriod", () => {
  it("prices each period on its own plan, day by day, the days adding up to the period", () => {
    const periods = [
      { start: "2026-02-28T00:00:00.000Z", end: "2026-03-16T00:00:00.000Z", planId: "starter" },
      { start: "2026-03-16T00:00:00.000Z", end: "2026-04-16T00:00:00.000Z", planId: "pro" },
    ];
    const usage = [
      { day: day("2026-02-27"), featureCode: "api_calls", total: 9_999 }, // before: not counted
      { day: day("2026-03-01"), featureCode: "api_calls", total: 800 },
      { day: day("2026-03-10"), featureCode: "api_calls", total: 700 }, // 1,500: 500 over Starter's 1,000
      { day: day("2026-03-15"), featureCode: "api_calls", total: 333 }, // 1,833: 833 over
      { day: day("2026-03-16"), featureCode: "api_calls", total: 12_345 }, // Pro's first day: 2,345 over 10,000
    ];
    const [s, p] = estimateUsageByPeriod(usage, periods, plans, "USD");
    // Starter: 833 × $0.002 = $1.666 → $1.67; days: 500 units → $1.00, then 333 → cumulative $1.67 → $0.67.
    expect(s).toMatchObject({ planId: "starter", used: 1_833, overageUnits: 833, unitRate: 20, amount: 167 });
    expect(s!.days).toEqual([
      { date: "2026-03-01", used: 800, billableUnits: 0, amount: 0 },
      { date: "2026-03-10", used: 700, billableUnits: 500, amount: 100 },
      { date: "2026-03-15", used: 333, billableUnits: 333, amount: 67 },
    ]);
    // Pro: 2,345 × $0.001 = $2.345 → $2.35 (rounded half up on the cent).
    expect(p).toMatchObject({ planId: "pro", used: 12_345, overageUnits: 2_345, amount: 235 });
    expect(p!.days).toEqual([{ date: "2026-03-16", used: 12_345, billableUnits: 2_345, amount: 235 }]);
  });

  it("a credits plan and a feature without overage price bill nothing", () => {
    const credits = usagePlan("credits", 100, 50, "credits");
    const capped = usagePlan("capped", 100, null);
    const periods = [
      { start: "2026-03-01T00:00:00.000Z", end: "2026-04-01T00:00:00.000Z", planId: "credits" },
      { start: "2026-04-01T00:00:00.000Z", end: "2026-05-01T00:00:00.000Z", planId: "capped" },
    ];
    const usage = [
      { day: day("2026-03-05"), featureCode: "api_calls", total: 500 },
      { day: day("2026-04-05"), featureCode: "api_calls", total: 500 },
    ];
    const out = estimateUsageByPeriod(
      usage,
      periods,
      new Map([
        ["credits", credits],
        ["capped", capped],
      ]),
      "USD",
    );
    expect(out.map((e) => [e.used, e.overageUnits, e.amount, e.unitRate])).toEqual([
      [500, 0, 0, null],
      [500, 0, 0, null],
    ]);
  });
});

describeEachEngine("estimateCustomerPeriods from the timeline", (ctx) => {
  it("reads the customer's daily rollups and prices its own periods", async () => {
    const db = timelineDb(ctx.db);
    const row = (d: string, total: number, customer = "usr_000042") => ({
      day: day(d),
      customer_id: customer,
      feature_code: "api_calls",
      plan_id: "starter",
      total,
      events: 1,
    });
    await db
      .insertInto("usage_daily")
      .values([
        row("2026-01-30", 5_000), // previous period
        row("2026-01-31", 600),
        row("2026-02-27", 600), // 1,200: 200 over
        row("2026-02-28", 900), // next period (Feb 28 → Mar 31)
        row("2026-02-10", 7_000, "usr_000043"), // another customer
      ])
      .execute();
    const periods = periodsWithChanges("2026-01-31T00:00:00.000Z", "monthly", "starter", Date.parse("2026-03-01"));
    const out = await estimateCustomerPeriods(ctx.database, {
      customerId: "usr_000042",
      periods,
      plans,
      currency: "USD",
    });
    // Jan 31 → Feb 28: 200 × $0.002 = $0.40; Feb 28 → Mar 31: 900 within the 1,000 included.
    expect(out.map((e) => [e.periodStart.slice(0, 10), e.used, e.overageUnits, e.amount])).toEqual([
      ["2026-01-31", 1_200, 200, 40],
      ["2026-02-28", 900, 0, 0],
    ]);
  });
});
