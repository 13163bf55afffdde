/**
 * Expected overage in MRR against a hand-computed example: an active customer's current period (its own anchor) over
 * the included amount, projected to the period end and normalised to a month, as its own column and in the total.
 */
import { beforeAll, expect, it } from "vitest";
import { upsertCustomers, upsertSubscriptions } from "../directory/store.ts";
import { describeEachEngine } from "../testing/db.ts";
import { meteredPlan } from "../testing/plans.ts";
import { deliverUsage, usageEnvelope } from "../testing/timeline.ts";
import { loadRevenueOverview, revenueCsvRows, type RevenueSources } from "./index.ts";

const NOW = Date.parse("2026-11-21T12:00:00.000Z");

const MONTHLY = meteredPlan({ id: "pln_monthly", name: "pln_monthly", price: 100_000 }); // $10 a month
const PLANS = [MONTHLY];
const noTransactions: NonNullable<RevenueSources["commet"]> = {
  transactions: { list: (async () => ({ success: true, data: [], hasMore: false })) as never },
};

describeEachEngine("expected overage in MRR", (ctx) => {
  beforeAll(async () => {
    const db = ctx.db as unknown as Parameters<typeof upsertCustomers>[0];
    const iso = "2026-10-01T00:00:00.000Z";
    await upsertCustomers(
      db,
      ["cus_a", "cus_b", "cus_t"].map((id) => ({
        id,
        externalId: null,
        email: `${id}@example.test`,
        fullName: id,
        createdAt: iso,
        updatedAt: iso,
      })),
      NOW,
    );
    await upsertSubscriptions(
      db,
      [
        // Current period Nov 6 – Dec 6 (30 days), 15.5 days elapsed.
        {
          id: "sub_a",
          customerRef: "cus_a",
          status: "active",
          planId: MONTHLY.id,
          startDate: "2026-10-06T00:00:00.000Z",
        },
        // Within its included amount: no overage.
        {
          id: "sub_b",
          customerRef: "cus_b",
          status: "active",
          planId: MONTHLY.id,
          startDate: "2026-10-06T00:00:00.000Z",
        },
        // Trialing: not in MRR at all.
        {
          id: "sub_t",
          customerRef: "cus_t",
          status: "trialing",
          planId: MONTHLY.id,
          startDate: "2026-11-01T00:00:00.000Z",
        },
      ],
      NOW,
      NOW,
    );
    for (const [customerId, ts, value] of [
      ["cus_a", "2026-11-05T10:00:00Z", 5_000], // the previous period: not counted
      ["cus_a", "2026-11-10T10:00:00Z", 400],
      ["cus_b", "2026-11-10T10:00:00Z", 40],
      ["cus_t", "2026-11-10T10:00:00Z", 9_000],
    ] as const) {
      const res = await deliverUsage(
        ctx.database,
        usageEnvelope({ usageEventId: `ue_${customerId}_${ts}`, customerId, featureCode: "api_calls", value, ts }),
      );
      expect(res.status).toBe(200);
    }
  });

  it("adds each active customer's projected current-period overage, normalised to a month, to MRR", async () => {
    const o = await loadRevenueOverview(
      { months: 3 },
      { database: ctx.database, plans: async () => PLANS, commet: noTransactions, now: () => NOW },
    );
    // 400 calls in 15.5 of 30 days → round(400 × 30 / 15.5) = 774 projected, 674 beyond the included 100 → 674 cents.
    expect(o.mrr.plans).toEqual([
      expect.objectContaining({
        planId: MONTHLY.id,
        subscriptions: 2,
        baseMrr: 2 * 1000,
        overageMrr: 674,
        mrr: 2000 + 674,
        arr: (2000 + 674) * 12,
      }),
    ]);
    expect(o.mrr).toMatchObject({ total: 2674, overageTotal: 674 });
    const csv = revenueCsvRows(o);
    expect(csv.find((r) => r.section === "mrr_by_plan")).toMatchObject({ overage_mrr: "6.74", mrr: "26.74" });
    expect(csv.find((r) => r.section === "mrr_total")).toMatchObject({ overage_mrr: "6.74", mrr: "26.74" });
  });
});
