/**
 * The revenue overview on both engines against a hand-computed example: subscriptions and their webhooks
 * go through the real webhook intake (customer index + account events), plans and charges are given as
 * the catalog and transaction lists Commet would return. Then the audited CSV carries the same figures.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Transaction } from "@commet/node";
import type { PlanView } from "../../app/contracts/plans.ts";
import { parseRevenueSearch } from "../../app/contracts/revenue.ts";
import { activityWebhooks } from "../activity/index.ts";
import { createAuditLog } from "../audit/index.ts";
import { toPlanView } from "../commet/plans.ts";
import { directoryWebhooks, listIndexedSubscriptions, runSync } from "../directory/index.ts";
import { closeDatabaseGracefully, describeEachEngine } from "../testing/db.ts";
import { planView, priceView, seatFeature } from "../testing/plans.ts";
import { useContractSandbox } from "../testing/sandbox.ts";
import { offlineCommet, sign, webhookEnvelope } from "../testing/webhooks.ts";
import { handleCommetWebhook, webhookIntake } from "../webhooks/index.ts";
import { exportRevenueCsv, loadRevenueOverview, monthlyAmount, movementsOf, type RevenueSources } from "./index.ts";

const SECRET = "whsec_test_revenue_secret";
const intake = webhookIntake(directoryWebhooks, activityWebhooks);
const NOW = Date.parse("2026-11-21T12:00:00.000Z");

const plan = planView;
const price = priceView;
const seats = seatFeature;
// Starter: $29 a month, 1 editor included, $5 per extra editor a month.
// Pro: billed yearly by default at $1,188 (= $99 a month; a $119 monthly price exists), 3 editors included,
// $10 per extra editor a year.
const PLANS: PlanView[] = [
  plan("pln_starter", "Starter", [price("monthly", 290_000, true)], [seats(1, 50_000)]),
  plan("pln_pro", "Pro", [price("monthly", 1_190_000, false), price("yearly", 11_880_000, true)], [seats(3, 100_000)]),
];

const tx = (
  status: Transaction["status"],
  createdAt: string,
  grossAmount: number | null,
  extra: Partial<Transaction> = {},
) =>
  ({
    id: `txn_${createdAt}_${status}_${grossAmount}`,
    status,
    createdAt,
    grossAmount,
    presentmentAmount: null,
    currency: "usd",
    ...extra,
  }) as Transaction;
const TRANSACTIONS: Transaction[] = [
  tx("succeeded", "2026-09-03T10:00:00.000Z", 2900),
  tx("succeeded", "2026-10-03T10:00:00.000Z", 4400),
  tx("succeeded", "2026-10-10T10:00:00.000Z", 2900),
  tx("succeeded", "2026-11-05T10:00:00.000Z", 118_800),
  tx("succeeded", "2026-07-01T10:00:00.000Z", 99_999), // before the window: not counted
  tx("refunded", "2026-10-12T10:00:00.000Z", 1000),
  tx("failed", "2026-11-03T10:00:00.000Z", 4400),
  tx("failed", "2026-11-04T10:00:00.000Z", null, { currency: "eur", presentmentAmount: 2500 }),
];

/** Commet's transactions.list over TRANSACTIONS: per status, two per page, so paging is exercised. */
const transactions: NonNullable<RevenueSources["commet"]>["transactions"] = {
  list: (async (params?: { status?: string; cursor?: string }) => {
    const all = TRANSACTIONS.filter((t) => t.status === params?.status);
    const start = Number(params?.cursor ?? 0);
    const data = all.slice(start, start + 2);
    const hasMore = start + 2 < all.length;
    return { success: true, data, hasMore, nextCursor: hasMore ? String(start + 2) : undefined };
  }) as never,
};

describeEachEngine("revenue overview", (ctx) => {
  closeDatabaseGracefully(ctx);
  const sources = (): RevenueSources => ({
    database: ctx.database,
    plans: async () => PLANS,
    commet: { transactions },
    now: () => NOW,
  });
  const deliver = async (event: string, data: Record<string, unknown>, day: string) => {
    const rawBody = JSON.stringify(webhookEnvelope(event, data, { timestamp: `${day}T09:00:00.000Z` }));
    const answer = await handleCommetWebhook(ctx.database, {
      rawBody,
      signature: sign(rawBody, SECRET),
      secret: SECRET,
      commet: offlineCommet,
      intake,
      onError: () => {},
    });
    expect(answer.status).toBe(200);
  };
  const created = (sub: string, customer: string, planId: string, planName: string, day: string, status = "active") =>
    deliver(
      "subscription.created",
      { subscriptionId: sub, customerId: customer, planId, planName, status, startDate: `${day}T09:00:00.000Z` },
      day,
    );
  const activated = (sub: string, customer: string, day: string) =>
    deliver("subscription.activated", { subscriptionId: sub, customerId: customer, status: "active" }, day);
  const seatsTo = (sub: string, customer: string, count: number, day: string) =>
    deliver(
      "seats.updated",
      { customerId: customer, subscriptionId: sub, featureCode: "editor", previousSeats: 0, currentSeats: count },
      day,
    );

  beforeAll(async () => {
    // A: Starter since September, 4 editors (3 beyond the included one).
    await created("sub_a", "cus_a", "pln_starter", "Starter", "2026-09-03");
    await activated("sub_a", "cus_a", "2026-09-03");
    await seatsTo("sub_a", "cus_a", 4, "2026-09-04");
    // B: Starter in October, upgraded to Pro (yearly) in November, 5 editors (2 beyond the included 3).
    await created("sub_b", "cus_b", "pln_starter", "Starter", "2026-10-10");
    await activated("sub_b", "cus_b", "2026-10-10");
    await deliver(
      "subscription.plan_changed",
      {
        subscriptionId: "sub_b",
        customerId: "cus_b",
        previousPlan: { id: "pln_starter", name: "Starter" },
        currentPlan: { id: "pln_pro", name: "Pro" },
        billingInterval: "yearly",
        credit: 0,
        charge: 0,
        totalCharged: 0,
      },
      "2026-11-05",
    );
    await seatsTo("sub_b", "cus_b", 5, "2026-11-06");
    // C: Pro since August (before the window; its plan comes from the index), canceled in October.
    await created("sub_c", "cus_c", "pln_pro", "Pro", "2026-08-01");
    await activated("sub_c", "cus_c", "2026-08-01");
    await deliver(
      "subscription.canceled",
      { subscriptionId: "sub_c", customerId: "cus_c", status: "canceled" },
      "2026-10-20",
    );
    // D: trialing (not MRR). E: active on a plan the catalog does not have (counted, not valued).
    await created("sub_d", "cus_d", "pln_pro", "Pro", "2026-11-10", "trialing");
    await created("sub_e", "cus_e", "pln_gone", "Legacy", "2026-11-11");
  });

  it("normalises prices to a month and adds seats beyond the included ones", () => {
    expect(monthlyAmount(PLANS[0]!, { editor: 4 })).toEqual({
      base: 2900,
      seats: 1500,
      extraSeats: 3,
      interval: "monthly",
    });
    // Pro's default price is yearly: 118,800 cents / 12; 2 extra seats × 1,000 cents a year / 12.
    expect(monthlyAmount(PLANS[1]!, { editor: 5 })).toEqual({
      base: 9900,
      seats: 2000 / 12,
      extraSeats: 2,
      interval: "yearly",
    });
    expect(monthlyAmount(PLANS[1]!, { editor: 5 }, "monthly").base).toBe(11_900);
    expect(monthlyAmount(PLANS[1]!, { editor: 2 }).seats).toBe(0);
  });

  it("computes MRR/ARR by plan, movements and collections for the window", async () => {
    const o = await loadRevenueOverview(parseRevenueSearch(new URLSearchParams("months=3")).search, sources());
    expect(o.errors).toEqual({ plans: null, transactions: null });
    expect(o.mrr.plans).toEqual([
      // 9,900 + round(166.67) = 10,067 a month.
      {
        planId: "pln_pro",
        planName: "Pro",
        interval: "yearly",
        subscriptions: 1,
        baseMrr: 9900,
        seatsMrr: 167,
        overageMrr: 0,
        extraSeats: 2,
        mrr: 10_067,
        arr: 120_804,
      },
      {
        planId: "pln_starter",
        planName: "Starter",
        interval: "monthly",
        subscriptions: 1,
        baseMrr: 2900,
        seatsMrr: 1500,
        overageMrr: 0,
        extraSeats: 3,
        mrr: 4400,
        arr: 52_800,
      },
    ]);
    expect(o.mrr).toMatchObject({ total: 14_467, arr: 173_604, subscriptions: 3, unpriced: 1 });

    expect(o.movements.map((m) => [m.month, m.newMrr, m.expansion, m.contraction, m.churn, m.net])).toEqual([
      ["2026-09", 2900, 0, 0, 0, 2900],
      ["2026-10", 2900, 0, 0, 9900, -7000],
      ["2026-11", 0, 7000, 0, 0, 7000],
    ]);
    expect(o.movements[1]!.counts).toEqual({ new: 1, expansion: 0, contraction: 0, churn: 1 });

    expect(o.collections.map((c) => [c.currency, c.collected, c.refunded, c.failed])).toEqual([
      ["USD", 2900 + 4400 + 2900 + 118_800, 1000, 4400],
      ["EUR", 0, 0, 2500],
    ]);
    expect(o.collections[0]!.months).toEqual([
      { month: "2026-09", collected: 2900, refunded: 0, failed: 0 },
      { month: "2026-10", collected: 7300, refunded: 1000, failed: 0 },
      { month: "2026-11", collected: 118_800, refunded: 0, failed: 4400 },
    ]);
    expect(o.coverage.statuses).toEqual([
      { status: "succeeded", read: 5, complete: true },
      { status: "refunded", read: 1, complete: true },
      { status: "failed", read: 2, complete: true },
    ]);
  });

  it("exports the same figures as audited CSV", async () => {
    const staff = { id: "stf_fin", email: "finance@example.test", role: "finance" };
    const { csv, filename, overview } = await exportRevenueCsv(staff, { months: 3 }, sources());
    let text = "";
    for await (const chunk of csv) text += String(chunk);
    const [header, ...lines] = text.trim().split("\n");
    const cols = header!.split(",");
    const rows = lines.map((l) => Object.fromEntries(l.split(",").map((v, i) => [cols[i], v])));
    expect(filename).toBe("revenue_3m_2026-11-21.csv");
    const plans = rows.filter((r) => r.section === "mrr_by_plan");
    expect(plans.map((r) => [r.plan_id, r.plan_name, r.mrr, r.arr])).toEqual(
      overview.mrr.plans.map((p) => [p.planId, p.planName, (p.mrr / 100).toFixed(2), (p.arr / 100).toFixed(2)]),
    );
    expect(rows.find((r) => r.section === "mrr_total")).toMatchObject({ mrr: "144.67", arr: "1736.04" });
    const usd = rows.filter((r) => r.section === "collections" && r.currency === "USD");
    expect(usd.map((r) => r.collected)).toEqual(["29.00", "73.00", "1188.00"]);
    expect(rows.filter((r) => r.section === "movements").map((r) => r.month)).toEqual([
      "2026-09",
      "2026-10",
      "2026-11",
    ]);

    const audit = await createAuditLog(ctx.db).list({}, { pageSize: 10, page: 1 });
    expect(audit.rows.find((r) => r.action === "revenue.export")).toMatchObject({
      status: "succeeded",
      actor: { email: "finance@example.test" },
      params: { months: 3, rows: rows.length, complete: true },
    });
  });

  it("a contraction counts the difference; a failing catalog or transaction read leaves the rest", async () => {
    await deliver(
      "subscription.plan_changed",
      {
        subscriptionId: "sub_b",
        customerId: "cus_b",
        previousPlan: { id: "pln_pro", name: "Pro" },
        currentPlan: { id: "pln_starter", name: "Starter" },
        billingInterval: "monthly",
        credit: 0,
        charge: 0,
        totalCharged: 0,
      },
      "2026-11-20",
    );
    const o = await loadRevenueOverview({ months: 3 }, sources());
    // Pro monthly ($119) → Starter ($29).
    expect(o.movements[2]).toMatchObject({ expansion: 7000, contraction: 9000, net: -2000 });

    const broken = await loadRevenueOverview(
      { months: 3 },
      {
        ...sources(),
        plans: () => Promise.reject(new Error("boom")),
        commet: { transactions: { list: (() => Promise.reject(new Error("down"))) as never } },
      },
    );
    expect(broken.errors.plans).toMatch(/plan catalog/);
    expect(broken.errors.transactions).toMatch(/Transactions/);
    expect(broken.mrr).toMatchObject({ plans: [], total: 0, unpriced: 3 });
    expect(broken.collections).toEqual([]);
  });

  it("counts a paid subscription with no stored activation as new in its start month (index)", () => {
    const at = (day: string) => Date.parse(`${day}T00:00:00.000Z`);
    const months = ["2026-10", "2026-11"];
    const indexed = [
      { id: "sub_x", planId: "pln_starter", status: "active", startDate: at("2026-10-15") },
      { id: "sub_y", planId: "pln_pro", status: "trialing", startDate: at("2026-11-02") }, // never paid
      { id: "sub_z", planId: "pln_pro", status: "canceled", startDate: at("2026-11-03") },
      { id: "sub_old", planId: "pln_pro", status: "active", startDate: at("2026-01-01") }, // before the window
    ];
    const m = movementsOf([], months, PLANS, () => null, indexed);
    expect(m.map((x) => [x.month, x.newMrr, x.counts.new])).toEqual([
      ["2026-10", 2900, 1],
      ["2026-11", 9900, 1],
    ]);
  });

  it("refuses a window the page does not offer", () => {
    expect(parseRevenueSearch(new URLSearchParams("months=7")).error).toMatch(/3, 6 or 12/);
    expect(parseRevenueSearch(new URLSearchParams("months=abc")).error).toBeTruthy();
    expect(parseRevenueSearch(new URLSearchParams("")).search).toEqual({ months: 6 });
  });
});

describeEachEngine("revenue overview against the sandbox", (ctx) => {
  const t = useContractSandbox({ beforeAll, afterAll }, { seed: { customers: 16 } });

  beforeAll(async () => {
    await runSync(ctx.database, t.commet, { log: () => {} });
  });

  it("values the index's active subscriptions at the catalog's prices and sums Commet's charges", async () => {
    const plans = async () => ((await t.commet.plans.list({ includePrivate: "true" })).data ?? []).map(toPlanView);
    const o = await loadRevenueOverview({ months: 12 }, { database: ctx.database, plans, commet: t.commet });
    expect(o.errors).toEqual({ plans: null, transactions: null });
    expect(o.mrr.total).toBeGreaterThan(0);
    expect(o.mrr.total).toBe(o.mrr.plans.reduce((n, p) => n + p.mrr, 0));
    // Every active subscription Commet lists for the seeded customers is counted once.
    const active = (await listIndexedSubscriptions(ctx.database, { status: ["active"], limit: 200 })).total;
    expect(o.mrr.subscriptions).toBe(active);
    // Collected = the succeeded charges Commet lists in the window (all read: a small org).
    const succeeded = (await t.commet.transactions.list({ status: "succeeded", limit: 100 })).data ?? [];
    const first = o.collections[0]!.months[0]!.month;
    const expected = succeeded
      .filter((x) => x.createdAt.slice(0, 7) >= first && x.grossAmount !== null)
      .reduce((n, x) => n + x.grossAmount!, 0);
    expect(o.collections[0]).toMatchObject({ currency: "USD", collected: expected });
    expect(o.coverage.statuses.every((s) => s.complete)).toBe(true);
  });
});
