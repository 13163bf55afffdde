// Estimates against hand-computed invoices, one per pricing shape, and billing-period alignment.
import { describe, expect, it } from "vitest";
import type { PlanFeatureView, PlanView } from "../../app/contracts/plans.ts";
import {
  addIntervals,
  billingPeriods,
  estimateNextInvoice,
  rateToMinor,
  type BillingInterval,
  type EstimateInput,
} from "./estimate.ts";

const $ = (dollars: number) => Math.round(dollars * 10_000); // rate scale

function feature(code: string, type: string, included: number | null, unitPrice: number | null): PlanFeatureView {
  return {
    code,
    name: code === "api_calls" ? "API calls" : code === "seats" ? "Seats" : code === "tasks" ? "Tasks" : code,
    type,
    unitName: type === "usage" ? "calls" : null,
    enabled: true,
    included,
    unlimited: false,
    overageUnitPrice: unitPrice,
  };
}

function plan(
  id: string,
  monthly: number,
  features: PlanFeatureView[],
  consumptionModel: string | null = null,
): PlanView {
  return {
    id,
    code: id,
    name: id[0]!.toUpperCase() + id.slice(1),
    description: null,
    isPublic: true,
    isDefault: false,
    isFree: monthly === 0,
    consumptionModel,
    prices: [
      {
        interval: "monthly",
        price: monthly,
        isDefault: true,
        trialDays: 0,
        includedCredits: null,
        includedBalance: null,
      },
      {
        interval: "yearly",
        price: monthly * 10,
        isDefault: false,
        trialDays: 0,
        includedCredits: null,
        includedBalance: null,
      },
    ],
    features,
    livemode: false,
  };
}

// Pro $99/month: 10,000 API calls included then $0.001 each; 5 seats included then $25 each.
const pro = plan("pro", $(99), [feature("api_calls", "usage", 10_000, $(0.001)), feature("seats", "seats", 5, $(25))]);
// Business $299/month: 50,000 calls then $0.0008; 10 seats then $20.
const business = plan("business", $(299), [
  feature("api_calls", "usage", 50_000, $(0.0008)),
  feature("seats", "seats", 10, $(20)),
]);

const march = { start: "2026-03-01T00:00:00.000Z", end: "2026-04-01T00:00:00.000Z" }; // 31 days
const day = (iso: string) => Date.parse(iso);

function input(over: Partial<EstimateInput>): EstimateInput {
  return {
    now: day("2026-03-11T00:00:00.000Z"),
    currency: "USD",
    status: "active",
    interval: "monthly",
    period: march,
    plan: pro,
    counts: {},
    ...over,
  };
}

const line = (e: ReturnType<typeof estimateNextInvoice>, kind: string) => e.lines.find((l) => l.kind === kind);

describe("estimateNextInvoice — pricing shapes", () => {
  it("usage with included + overage: so far and projected to the period end", () => {
    // Day 10 of 31 with 12,000 calls: 2,000 over × $0.001 = $2.00 so far;
    // projected 12,000 × 31/10 = 37,200 → 27,200 over × $0.001 = $27.20.
    const e = estimateNextInvoice(input({ counts: { api_calls: 12_000 } }));
    expect(line(e, "base")).toMatchObject({ soFar: 9_900, projected: 9_900, unitRate: 990_000 });
    expect(line(e, "overage")).toMatchObject({
      featureCode: "api_calls",
      quantity: 2_000,
      projectedQuantity: 27_200,
      soFar: 200,
      projected: 2_720,
    });
    expect(e.totalSoFar).toBe(10_100);
    expect(e.totalProjected).toBe(12_620);
    expect(e.period).toMatchObject({ days: 31, elapsedDays: 10 });
    expect(e.assumptions.join(" ")).toContain("10 of 31 days elapsed");
  });

  it("usage under the included amount all period: an overage line at zero with the usage projected", () => {
    // 3,000 calls on day 10 → 9,300 projected, under the 10,000 included.
    const e = estimateNextInvoice(input({ counts: { api_calls: 3_000 } }));
    expect(e.lines.map((l) => l.kind)).toEqual(["base", "overage"]);
    expect(line(e, "overage")).toMatchObject({
      quantity: 0,
      projectedQuantity: 0,
      soFar: 0,
      projected: 0,
      usage: { used: 3_000, projectedUsed: 9_300, included: 10_000, unitName: "calls" },
    });
    expect(e.totalProjected).toBe(9_900);
  });

  it("seats beyond the included: 8 seats on Pro = $99 + 3 × $25 = $174", () => {
    const e = estimateNextInvoice(input({ counts: { seats: 8 } }));
    expect(line(e, "seats")).toMatchObject({ quantity: 3, unitRate: 250_000, soFar: 7_500, projected: 7_500 });
    expect(e.totalSoFar).toBe(17_400);
    expect(e.totalProjected).toBe(17_400);
  });

  it("quota beyond the included: 25 tasks with 15 included at $0.75 = $7.50", () => {
    const withQuota = plan("pro", $(29), [feature("tasks", "quota", 15, $(0.75))]);
    const e = estimateNextInvoice(input({ plan: withQuota, counts: { tasks: 25 } }));
    expect(line(e, "quota")).toMatchObject({ quantity: 10, soFar: 750 });
    expect(e.totalProjected).toBe(2_900 + 750);
  });

  it("a credits plan bills its base price and no overage", () => {
    const credits = plan("ai_credits", $(50), [feature("api_calls", "usage", 1_000, $(0.01))], "credits");
    const e = estimateNextInvoice(input({ plan: credits, counts: { api_calls: 5_000 } }));
    expect(e.lines.map((l) => l.kind)).toEqual(["base"]);
    expect(e.totalProjected).toBe(5_000);
    expect(e.assumptions.join(" ")).toContain("Credits plan");
  });

  it("a percentage discount applies to the base price only: $100 − 20% + $50 overage = $130", () => {
    // Usage at $0.01 over 0 included: 5,000 calls so far on day 31 of 31 (period over) = $50.
    const hundred = plan("pro", $(100), [feature("api_calls", "usage", 0, $(0.01))]);
    const e = estimateNextInvoice(
      input({
        plan: hundred,
        now: day(march.end),
        counts: { api_calls: 5_000 },
        discount: { type: "percentage", value: 20, name: "Launch", endsAt: null },
      }),
    );
    expect(line(e, "discount")).toMatchObject({ soFar: -2_000, projected: -2_000 });
    expect(line(e, "overage")).toMatchObject({ soFar: 5_000, projected: 5_000 });
    expect(e.totalProjected).toBe(13_000);
  });

  it("an amount discount (rate scale) is capped at the base; one ending before the next period is left out", () => {
    const amountOff = estimateNextInvoice(
      input({ discount: { type: "amount", value: $(10), name: null, endsAt: null } }),
    );
    expect(line(amountOff, "discount")?.soFar).toBe(-1_000);
    expect(amountOff.totalProjected).toBe(8_900);
    const ended = estimateNextInvoice(
      input({ discount: { type: "percentage", value: 50, name: null, endsAt: "2026-03-20T00:00:00.000Z" } }),
    );
    expect(line(ended, "discount")).toBeUndefined();
    expect(ended.totalProjected).toBe(9_900);
  });

  it("a trial bills no overage", () => {
    const e = estimateNextInvoice(input({ status: "trialing", counts: { api_calls: 50_000 } }));
    expect(line(e, "overage")).toBeUndefined();
    expect(e.totalProjected).toBe(9_900);
  });

  it("the interval's own price (yearly) and a zero-decimal currency", () => {
    expect(estimateNextInvoice(input({ interval: "yearly" })).totalProjected).toBe(99_000);
    expect(rateToMinor(10_000_000, "JPY")).toBe(1_000);
    expect(rateToMinor(15, "USD")).toBe(0); // $0.0015 rounds to no cent
  });
});

describe("estimateNextInvoice — period alignment", () => {
  it("a 28-day February period from a 31st anchor projects over 28 days", () => {
    // Jan 31 → Feb 28 (2026): day 14 of 28 with 600 calls → 1,200 projected; Pro at 1,000 included, $0.5.
    const small = plan("pro", $(10), [feature("api_calls", "usage", 1_000, $(0.5))]);
    const e = estimateNextInvoice(
      input({
        plan: small,
        period: { start: "2026-01-31T00:00:00.000Z", end: "2026-02-28T00:00:00.000Z" },
        now: day("2026-02-14T00:00:00.000Z"),
        counts: { api_calls: 600 },
      }),
    );
    expect(e.period).toMatchObject({ days: 28, elapsedDays: 14 });
    expect(line(e, "overage")).toMatchObject({ quantity: 0, projectedQuantity: 200, soFar: 0, projected: 10_000 });
  });

  it("the first hours of a period count as one day (no runaway projection)", () => {
    const e = estimateNextInvoice(input({ now: day("2026-03-01T02:00:00.000Z"), counts: { api_calls: 1_000 } }));
    expect(e.period.elapsedDays).toBe(1);
    expect(line(e, "overage")?.projectedQuantity).toBe(21_000); // 1,000 × 31 − 10,000
  });

  it("an upgrade mid-period restarts the cycle: the projection runs over the new period", () => {
    // Upgraded to Business on Mar 16: Commet's current period is Mar 16 → Apr 16 (31 days). On Mar 26 with
    // 20,000 calls: 62,000 projected → 12,000 over Business's 50,000 × $0.0008 = $9.60.
    const e = estimateNextInvoice(
      input({
        plan: business,
        period: { start: "2026-03-16T00:00:00.000Z", end: "2026-04-16T00:00:00.000Z" },
        now: day("2026-03-26T00:00:00.000Z"),
        counts: { api_calls: 20_000, seats: 8 },
      }),
    );
    expect(line(e, "overage")).toMatchObject({ quantity: 0, projectedQuantity: 12_000, projected: 960 });
    expect(line(e, "seats")).toBeUndefined(); // 8 seats within Business's 10
    expect(e.totalProjected).toBe(29_900 + 960);
  });

  it("a downgrade scheduled for the period end: next base and seats on the new plan, overage on the current", () => {
    // Business → Pro at Apr 1. 60,000 calls on day 10 → 10,000 over Business's 50,000 × $0.0008 = $8.00 so far;
    // projected 186,000 → 136,000 × $0.0008 = $108.80. Next period: Pro $99 + (12 − 5) seats × $25 = $175.
    const e = estimateNextInvoice(input({ plan: business, nextPlan: pro, counts: { api_calls: 60_000, seats: 12 } }));
    expect(e.nextPlanName).toBe("Pro");
    expect(line(e, "base")).toMatchObject({ label: "Pro plan (monthly)", soFar: 9_900 });
    expect(line(e, "seats")).toMatchObject({ quantity: 7, soFar: 17_500 });
    expect(line(e, "overage")).toMatchObject({ quantity: 10_000, soFar: 800, projected: 10_880 });
    expect(e.totalSoFar).toBe(9_900 + 17_500 + 800);
    expect(e.totalProjected).toBe(9_900 + 17_500 + 10_880);
    expect(e.assumptions.join(" ")).toContain("overage is on Business");
  });
});

describe("billingPeriods", () => {
  it("months of different lengths from a 31st anchor return to the 31st", () => {
    const periods = billingPeriods(
      "2026-01-31T00:00:00.000Z",
      "monthly",
      day("2026-01-01T00:00:00.000Z"),
      day("2026-05-01T00:00:00.000Z"),
    );
    expect(periods.map((p) => [p.start.slice(0, 10), p.end.slice(0, 10), p.days])).toEqual([
      ["2026-01-31", "2026-02-28", 28],
      ["2026-02-28", "2026-03-31", 31],
      ["2026-03-31", "2026-04-30", 30],
      ["2026-04-30", "2026-05-31", 31],
    ]);
  });

  it("a leap February, quarters and weeks", () => {
    expect(addIntervals("2028-01-30T10:00:00.000Z", "monthly", 1)).toBe("2028-02-29T10:00:00.000Z");
    expect(addIntervals("2026-11-30T00:00:00.000Z", "quarterly", 1)).toBe("2027-02-28T00:00:00.000Z");
    expect(addIntervals("2028-02-29T00:00:00.000Z", "yearly", 1)).toBe("2029-02-28T00:00:00.000Z");
    const weeks = billingPeriods(
      "2026-03-02T00:00:00.000Z",
      "weekly",
      day("2026-03-10T00:00:00.000Z"),
      day("2026-03-20T00:00:00.000Z"),
    );
    expect(weeks.map((p) => p.start.slice(0, 10))).toEqual(["2026-03-09", "2026-03-16"]);
  });

  it("only the periods overlapping the range", () => {
    const periods = billingPeriods(
      "2026-01-15T00:00:00.000Z",
      "monthly",
      day("2026-03-20T00:00:00.000Z"),
      day("2026-04-10T00:00:00.000Z"),
    );
    expect(periods.map((p) => p.start.slice(0, 10))).toEqual(["2026-03-15"]);
  });

  it("starting near the range finds the same periods as counting every one from the anchor", () => {
    const everyPeriod = (anchor: string, interval: BillingInterval, from: number, to: number) => {
      const out = [];
      for (let n = 0; ; n++) {
        const start = addIntervals(anchor, interval, n);
        const end = addIntervals(anchor, interval, n + 1);
        if (Date.parse(start) >= to) return out;
        if (Date.parse(end) > from) out.push({ start, end, days: (Date.parse(end) - Date.parse(start)) / 86_400_000 });
      }
    };
    const anchors = [
      "2020-01-31T07:00:00.000Z",
      "2023-02-28T00:00:00.000Z",
      "2024-02-29T23:59:00.000Z",
      "2026-03-30T12:00:00.000Z",
    ];
    const intervals: BillingInterval[] = ["weekly", "monthly", "quarterly", "yearly"];
    let checked = 0;
    for (const anchor of anchors)
      for (const interval of intervals)
        for (
          let from = Date.parse("2019-12-01T00:00:00Z");
          from < Date.parse("2027-06-01T00:00:00Z");
          from += 37 * 86_400_000
        ) {
          const to = from + 45 * 86_400_000;
          expect(billingPeriods(anchor, interval, from, to)).toEqual(everyPeriod(anchor, interval, from, to));
          checked++;
        }
    expect(checked).toBeGreaterThan(1000);
  });
});
