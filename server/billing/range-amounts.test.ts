/**
 * Estimated amounts in the explorer against a hand-computed example: a customer on a 31st anchor whose range crosses
 * its period end — usage before the range counts toward the period's included amount, each day priced by what it
 * adds to its period's charge — in the top-customers table, the detail rows and both CSVs.
 */
import { beforeAll, expect, it } from "vitest";
import { parseUsageSearch } from "../../app/contracts/usage-search.ts";
import { upsertCustomers, upsertSubscriptions } from "../directory/store.ts";
import { describeEachEngine } from "../testing/db.ts";
import { meteredPlan } from "../testing/plans.ts";
import { deliverUsage, usageEnvelope } from "../testing/timeline.ts";
import { exportTopCustomersCsv, exportUsageCsv, loadUsageExplorer } from "../usage/timeline/index.ts";
import { estimateRangeAmounts } from "./range-amounts.ts";

const PLAN = meteredPlan();
const finance = { id: "stf_fin", email: "finance@demo.local", role: "finance" };
const plans = async () => [PLAN];
const DAY = 86_400_000;
const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / DAY;

async function lines(stream: AsyncIterable<unknown>): Promise<Array<Record<string, string>>> {
  let text = "";
  for await (const chunk of stream) text += String(chunk);
  const [head, ...rest] = text.trim().split("\n");
  const cols = head!.split(",");
  return rest.map((l) => Object.fromEntries(l.split(",").map((v, i) => [cols[i]!, v])));
}

describeEachEngine("estimated amounts in the explorer", (ctx) => {
  beforeAll(async () => {
    const db = ctx.db as unknown as Parameters<typeof upsertCustomers>[0];
    const iso = "2026-08-01T00:00:00.000Z";
    await upsertCustomers(
      db,
      [{ id: "cus_a", externalId: "usr_a", email: "a@example.test", fullName: "Ada", createdAt: iso, updatedAt: iso }],
      Date.now(),
    );
    await upsertSubscriptions(
      db,
      [{ id: "sub_a", customerRef: "usr_a", status: "active", planId: PLAN.id, startDate: "2026-08-31T00:00:00.000Z" }],
      Date.now(),
      Date.now(),
    );
    // Periods Sep 30 – Oct 31 and Oct 31 – Nov 30.
    for (const [ts, value] of [
      ["2026-10-05T10:00:00Z", 80], // before the range, within the included 100
      ["2026-10-30T10:00:00Z", 150], // running 230: 130 beyond → 130 cents
      ["2026-10-31T10:00:00Z", 120], // new period: 20 beyond → 20 cents
      ["2026-11-02T10:00:00Z", 30], // 30 more → 30 cents
    ] as const) {
      const res = await deliverUsage(
        ctx.database,
        usageEnvelope({ usageEventId: `ue_${ts}`, customerId: "usr_a", featureCode: "api_calls", value, ts }),
      );
      expect(res.status).toBe(200);
    }
  });

  it("prices each day by its own period, usage before the range counting toward the included amount", async () => {
    const e = await estimateRangeAmounts(ctx.database, [PLAN], ["usr_a"], {
      fromDay: day("2026-10-30"),
      toDay: day("2026-11-02"),
    });
    expect(e.usr_a).toEqual({
      currency: "USD",
      amount: 180,
      byFeature: { api_calls: 180 },
      byDay: { "2026-10-30|api_calls": 130, "2026-10-31|api_calls": 20, "2026-11-02|api_calls": 30 },
      note: null,
    });
    expect(e.cus_a).toBe(e.usr_a);
    expect(await estimateRangeAmounts(ctx.database, [PLAN], ["usr_unknown"], { fromDay: 0, toDay: 1 })).toEqual({});
  });

  const search2range = () => ({ fromDay: day("2026-10-30"), toDay: day("2026-11-02") });
  const search = parseUsageSearch(new URLSearchParams("range=custom&from=2026-10-30&to=2026-11-02"));
  const sources = () => ({ database: ctx.database, plans, estimate: estimateRangeAmounts });

  it("the page's top customers and detail rows carry the estimate; without an estimator they carry none", async () => {
    const page = await loadUsageExplorer(search, sources());
    const top = await page.result!.top;
    expect(top!.estimates!.usr_a!.amount).toBe(180);
    expect(page.result!.detail.estimates!.usr_a!.byDay["2026-10-30|api_calls"]).toBe(130);
    const plain = await loadUsageExplorer(search, { database: ctx.database, plans });
    expect((await plain.result!.top)!.estimates).toBeNull();
  });

  it("the page sends each day's amount only for the detail rows shown, and none with the top customers' totals", async () => {
    const page = await loadUsageExplorer(search, sources());
    const top = await page.result!.top;
    expect(top!.estimates!.usr_a).toMatchObject({ amount: 180, byFeature: { api_calls: 180 }, byDay: {} });
    const detail = page.result!.detail;
    const shown = new Set(detail.rows.map((r) => `${r.date}|${r.featureCode}`));
    const detailEstimate = detail.estimates!.usr_a!;
    expect(detailEstimate.currency).toBe("USD");
    expect(Object.keys(detailEstimate.byDay).length).toBeGreaterThan(0);
    expect(Object.keys(detailEstimate.byDay).every((k) => shown.has(k))).toBe(true);
    // The amount of every row shown is there, as the estimator priced it.
    const full = await estimateRangeAmounts(ctx.database, [PLAN], ["usr_a"], search2range());
    for (const r of detail.rows.filter((r) => r.customerId === "usr_a" || r.customerId === "cus_a"))
      expect(detailEstimate.byDay[`${r.date}|${r.featureCode}`]).toBe(full.usr_a!.byDay[`${r.date}|${r.featureCode}`]);
    // A customer's two refs still share one estimate.
    if (detail.estimates!.cus_a) expect(detail.estimates!.cus_a).toBe(detailEstimate);
  });

  it("both CSVs have the amounts beside the units, adding up to the table's", async () => {
    const top = await exportTopCustomersCsv(finance, search, sources());
    if (top.error !== null) throw new Error(top.error);
    expect(await lines(top.csv)).toEqual([
      expect.objectContaining({
        customer_id: "cus_a",
        usage: "300",
        currency: "USD",
        estimated_amount: "1.80",
        estimated_amount_by_feature: "API calls: 1.80",
      }),
    ]);
    const rows = await exportUsageCsv(finance, search, sources());
    if (rows.error !== null) throw new Error(rows.error);
    const csv = await lines(rows.csv);
    expect(csv.map((r) => [r["date (UTC)"], r.total, r.estimated_amount])).toEqual([
      ["2026-10-30", "150", "1.30"],
      ["2026-10-31", "120", "0.20"],
      ["2026-11-02", "30", "0.30"],
    ]);
  });
});

describeEachEngine("estimated totals without each day's amount", (ctx) => {
  const monthly = meteredPlan({ id: "plan_m", included: 100, unitRate: 100 });
  const weekly = meteredPlan({ id: "plan_w", interval: "weekly", included: 30, unitRate: 250 });
  const catalog = [monthly, weekly];
  // Anchors on different days of the month (a 31st among them), one weekly plan, one trial.
  const customers = [
    { n: 1, plan: monthly, status: "active", start: "2026-07-31T09:30:00.000Z" },
    { n: 2, plan: monthly, status: "past_due", start: "2026-08-14T00:00:00.000Z" },
    { n: 3, plan: weekly, status: "active", start: "2026-08-03T18:00:00.000Z" },
    { n: 4, plan: monthly, status: "trialing", start: "2026-09-20T00:00:00.000Z" },
    { n: 5, plan: weekly, status: "active", start: "2026-06-01T00:00:00.000Z" },
  ];

  beforeAll(async () => {
    const db = ctx.db as unknown as Parameters<typeof upsertCustomers>[0];
    const iso = "2026-06-01T00:00:00.000Z";
    await upsertCustomers(
      db,
      customers.map((c) => ({
        id: `cus_t${c.n}`,
        externalId: `usr_t${c.n}`,
        email: `t${c.n}@example.test`,
        fullName: `T${c.n}`,
        createdAt: iso,
        updatedAt: iso,
      })),
      Date.now(),
    );
    await upsertSubscriptions(
      db,
      customers.map((c) => ({
        id: `sub_t${c.n}`,
        customerRef: `usr_t${c.n}`,
        status: c.status,
        planId: c.plan.id,
        startDate: c.start,
      })),
      Date.now(),
      Date.now(),
    );
    // Usage on scattered days over ~80 days, stored under either ref of the customer.
    let seed = 7;
    const next = () => (seed = (seed * 48271) % 2147483647);
    for (const c of customers) {
      for (let i = 0; i < 14; i++) {
        const ts = new Date(Date.parse("2026-09-01T00:00:00Z") + (next() % (80 * 24)) * 3_600_000).toISOString();
        const res = await deliverUsage(
          ctx.database,
          usageEnvelope({
            usageEventId: `ue_t${c.n}_${i}`,
            customerId: next() % 2 ? `usr_t${c.n}` : `cus_t${c.n}`,
            featureCode: "api_calls",
            value: 1 + (next() % 60),
            ts,
          }),
        );
        expect(res.status).toBe(200);
      }
    }
  });

  it("gives the same amounts and per-feature totals as adding up every day's amount", async () => {
    const refs = customers.map((c) => `usr_t${c.n}`);
    let priced = 0;
    for (const [from, to] of [
      ["2026-09-01", "2026-11-19"],
      ["2026-09-10", "2026-09-16"],
      ["2026-10-01", "2026-10-31"],
      ["2026-10-14", "2026-11-02"],
      ["2026-11-10", "2026-11-10"],
    ] as const) {
      const range = { fromDay: day(from), toDay: day(to) };
      const daily = await estimateRangeAmounts(ctx.database, catalog, refs, range);
      const totals = await estimateRangeAmounts(ctx.database, catalog, refs, range, { byDay: false });
      expect(Object.keys(totals).sort()).toEqual(Object.keys(daily).sort());
      for (const [ref, e] of Object.entries(daily)) {
        expect(totals[ref]).toEqual({ ...e, byDay: {} });
        priced += e.amount;
      }
    }
    // The comparison covers charged overage, not only zeros.
    expect(priced).toBeGreaterThan(0);
  });
});
