/**
 * Estimated billable amounts in the usage explorer: for the customers shown, each one's usage priced by its own
 * billing periods that overlap the range (anchor = subscription start, the plan's default interval), per feature and
 * day by the estimator (a day's amount is what it added to its period's charge), then the days inside the range summed.
 */
import type { PlanView } from "../../app/contracts/plans.ts";
import type { UsageSearch } from "../../app/contracts/usage-search.ts";
import type { RangeEstimate, RangeEstimates } from "../../app/contracts/usage.ts";
import {
  dailyUsageOfRefs,
  exportTopCustomersCsv,
  exportUsageCsv,
  loadUsageExplorer,
  type Exporter,
  listBillableCustomers,
  type DayRange,
  type TimelineDatabase,
  usageSplitInWindows,
} from "../usage/timeline/index.ts";
import { billingPeriods } from "./estimate.ts";
import { intervalOf } from "./period-views.ts";
import { estimateUsageByPeriod, featureCharge } from "./periods.ts";

const DAY_MS = 86_400_000;
const isoDay = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);
/** Plan prices carry no currency in Commet's API; the index keeps no balance currency: the base currency. */
const CURRENCY = "USD";

export async function estimateRangeAmounts(
  database: TimelineDatabase,
  plans: readonly PlanView[],
  refs: readonly string[],
  range: Pick<DayRange, "fromDay" | "toDay">,
  options: { byDay?: boolean } = {},
): Promise<RangeEstimates> {
  if (refs.length === 0 || plans.length === 0) return {};
  const byId = new Map(plans.map((p) => [p.id, p]));
  const customers = await listBillableCustomers(database, { refs: [...new Set(refs)] });
  const work = customers.flatMap((c) => {
    const plan = byId.get(c.planId);
    const interval = plan ? intervalOf(plan) : null;
    if (!plan || !interval) return [];
    const periods = billingPeriods(
      new Date(c.startDate).toISOString(),
      interval,
      range.fromDay * DAY_MS,
      (range.toDay + 1) * DAY_MS,
    ).map((p) => ({ start: p.start, end: p.end, planId: plan.id }));
    return periods.length ? [{ customer: c, plan, periods }] : [];
  });
  if (work.length === 0) return {};
  const price =
    options.byDay === false ? await pricedTotals(database, work, range) : await pricedDays(database, work, range);
  const out: RangeEstimates = {};
  work.forEach((w, i) => {
    const estimate: RangeEstimate = { currency: CURRENCY, amount: 0, byFeature: {}, byDay: {}, note: null };
    if (w.customer.status === "trialing") {
      estimate.note = "Trial: no overage is billed.";
    } else {
      price(w, i, estimate);
      if (w.plan.consumptionModel === "credits") estimate.note = "Credits plan: usage draws on credits.";
    }
    out[w.customer.customerId] = estimate;
    if (w.customer.externalId) out[w.customer.externalId] = estimate;
  });
  return out;
}

type Work = {
  customer: { customerId: string; externalId: string | null; status: string };
  plan: PlanView;
  periods: Array<{ start: string; end: string; planId: string }>;
};
/** Adds the range's amounts of work item `i` to its estimate. */
type Pricer = (work: Work, i: number, estimate: RangeEstimate) => void;

/** The refs usage may be stored under (Commet id, externalId), each once. */
const refsOf = (customer: Work["customer"]) => [
  ...new Set([customer.customerId, customer.externalId ?? customer.customerId]),
];
const dayOf = (iso: string) => Math.floor(Date.parse(iso) / DAY_MS);

/** Each day's amount: every stored day of the customers since their periods began, priced day by day. */
async function pricedDays(
  database: TimelineDatabase,
  work: readonly Work[],
  range: Pick<DayRange, "fromDay" | "toDay">,
): Promise<Pricer> {
  // Usage from the earliest period start: a day's charge depends on the usage before it in its period.
  const fromDay = Math.min(...work.map((w) => dayOf(w.periods[0]!.start)));
  const usage = await dailyUsageOfRefs(
    database,
    work.flatMap((w) => refsOf(w.customer)),
    fromDay,
    range.toDay + 1,
  );
  // Each customer's rows by its refs: one pass over the usage, not one per customer.
  const usageByRef = new Map<string, typeof usage>();
  for (const u of usage) {
    const rows = usageByRef.get(u.ref);
    if (rows) rows.push(u);
    else usageByRef.set(u.ref, [u]);
  }
  const fromIso = isoDay(range.fromDay);
  const toIso = isoDay(range.toDay);
  return ({ customer, plan, periods }, _i, estimate) => {
    const merged = new Map<string, { day: number; featureCode: string; total: number }>();
    for (const ref of refsOf(customer)) {
      for (const u of usageByRef.get(ref) ?? []) {
        const key = `${u.day}|${u.featureCode}`;
        const m = merged.get(key) ?? { day: u.day, featureCode: u.featureCode, total: 0 };
        m.total += u.total;
        merged.set(key, m);
      }
    }
    for (const f of estimateUsageByPeriod([...merged.values()], periods, new Map([[plan.id, plan]]), CURRENCY)) {
      for (const d of f.days) {
        // ISO dates compare as strings.
        if (d.date < fromIso || d.date > toIso) continue;
        estimate.byDay[`${d.date}|${f.featureCode}`] = d.amount;
        estimate.byFeature[f.featureCode] = (estimate.byFeature[f.featureCode] ?? 0) + d.amount;
        estimate.amount += d.amount;
      }
    }
  };
}

/**
 * The same amounts and per-feature totals as pricedDays, without each day's amount: a day adds
 * chargeAt(usage through it) − chargeAt(usage before it) to its period's charge, so a period's days in the range add
 * chargeAt(before + within) − chargeAt(before). Two sums per period and feature instead of every stored day since
 * the period began (the top customers' table, its CSV).
 */
async function pricedTotals(
  database: TimelineDatabase,
  work: readonly Work[],
  range: Pick<DayRange, "fromDay" | "toDay">,
): Promise<Pricer> {
  const sums = await usageSplitInWindows(
    database,
    work.flatMap(({ customer, periods }, i) =>
      periods.map((p, k) => {
        const from = dayOf(p.start);
        return {
          key: `${i}:${k}`,
          refs: refsOf(customer),
          fromDay: from,
          splitDay: Math.max(from, range.fromDay),
          toDay: Math.min(dayOf(p.end), range.toDay + 1),
        };
      }),
    ),
  );
  return ({ plan, periods }, i, estimate) => {
    periods.forEach((_, k) => {
      const byFeature = sums.get(`${i}:${k}`);
      for (const f of plan.features) {
        if (f.type !== "usage" || !f.enabled) continue;
        const s = byFeature?.get(f.code);
        if (!s || s.days === 0) continue;
        const { chargeAt } = featureCharge(plan, f, CURRENCY);
        const amount = chargeAt(s.before + s.within) - chargeAt(s.before);
        estimate.byFeature[f.code] = (estimate.byFeature[f.code] ?? 0) + amount;
        estimate.amount += amount;
      }
    });
  };
}

/** The explorer (/usage) with estimated amounts in its top-customers table and detail rows. */
export const loadPricedUsageExplorer = (search: UsageSearch) =>
  loadUsageExplorer(search, { estimate: estimateRangeAmounts });

/** The explorer's rows as CSV with an estimated_amount per customer, feature and day. */
export const exportPricedUsageCsv = (staff: Exporter, search: UsageSearch) =>
  exportUsageCsv(staff, search, { estimate: estimateRangeAmounts });

/** The top-customers CSV with estimated amounts beside the units. */
export const exportPricedTopCustomersCsv = (staff: Exporter, search: UsageSearch) =>
  exportTopCustomersCsv(staff, search, { estimate: estimateRangeAmounts });
