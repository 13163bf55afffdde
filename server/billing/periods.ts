/**
 * Estimated billable usage per customer, feature, billing period and day: the timeline's daily usage priced by
 * the plan of each period (included amount, overage unit price), periods aligned to the customer's own anchor.
 */
import { minorDigits } from "../../app/contracts/money.ts";
import type { PlanView } from "../../app/contracts/plans.ts";
import { loadDailyUsage, type DailyUsage, type TimelineDatabase } from "../usage/timeline/index.ts";
import { addIntervals, type BillingInterval } from "./estimate.ts";

const DAY_MS = 86_400_000;

export interface BillingPeriod {
  start: string;
  end: string;
  /** The plan the period is billed on. */
  planId: string;
}

export interface FeaturePeriodEstimate {
  periodStart: string;
  periodEnd: string;
  planId: string;
  featureCode: string;
  used: number;
  included: number;
  overageUnits: number;
  /** Rate scale (10000 = 1.00), or null when the plan bills no overage for the feature. */
  unitRate: number | null;
  /** Minor units (cents). */
  amount: number;
  /** Each day of the period with usage: the units it used, those beyond the included amount, and their amount. */
  days: Array<{ date: string; used: number; billableUnits: number; amount: number }>;
}

/**
 * Periods from an anchor, with an immediate plan change restarting the cycle (Commet's upgrades): the period
 * in progress ends at the change, and the new plan's periods are counted from the change date.
 */
export function periodsWithChanges(
  anchorIso: string,
  interval: BillingInterval,
  planId: string,
  untilMs: number,
  changes: Array<{ at: string; planId: string }> = [],
): BillingPeriod[] {
  const out: BillingPeriod[] = [];
  const segments = [{ at: anchorIso, planId }, ...[...changes].sort((a, b) => a.at.localeCompare(b.at))];
  segments.forEach((segment, i) => {
    const stop = Math.min(untilMs, i + 1 < segments.length ? Date.parse(segments[i + 1]!.at) : untilMs);
    for (let n = 0; n < 10_000; n++) {
      const start = addIntervals(segment.at, interval, n);
      if (Date.parse(start) >= stop) break;
      const naturalEnd = addIntervals(segment.at, interval, n + 1);
      const cut = i + 1 < segments.length && Date.parse(naturalEnd) > stop;
      out.push({ start, end: cut ? segments[i + 1]!.at : naturalEnd, planId: segment.planId });
    }
  });
  return out;
}

const dayOf = (iso: string) => Math.floor(Date.parse(iso) / DAY_MS);
// Day number → "YYYY-MM-DD", remembered (a Date and toISOString per priced day were a tenth of the explorer's CPU);
// a few thousand days at most in practice, bounded anyway.
const isoDays = new Map<number, string>();
function isoDay(day: number): string {
  let iso = isoDays.get(day);
  if (iso === undefined) {
    iso = new Date(day * DAY_MS).toISOString().slice(0, 10);
    if (isoDays.size < 100_000) isoDays.set(day, iso);
  }
  return iso;
}

/**
 * How one usage feature of a plan bills in a period: `priced` unless credits, unlimited or without an overage
 * price; `chargeAt(used)` is the period's overage charge so far at `used` units, in minor units, rounded as a whole
 * (cumulative rounding: a day's amount is chargeAt(after) − chargeAt(before), and the days add up to the period's).
 */
export function featureCharge(plan: PlanView, feature: PlanView["features"][number], currency: string) {
  const priced = plan.consumptionModel !== "credits" && !feature.unlimited && feature.overageUnitPrice !== null;
  const included = feature.included ?? 0;
  const rate = priced ? feature.overageUnitPrice! : 0;
  const scale = 10 ** minorDigits(currency.toUpperCase());
  return {
    priced,
    included,
    rate,
    chargeAt: (used: number) => (priced ? Math.round((Math.max(0, used - included) * rate * scale) / 10_000) : 0),
  };
}

/**
 * Prices daily usage by period. A UTC day belongs to the period whose start falls on or before it
 * (the timeline counts whole UTC days). Each day's billable units are the part of the running total
 * beyond the included amount, so the days add up to the period's overage.
 */
export function estimateUsageByPeriod(
  usage: DailyUsage[],
  periods: BillingPeriod[],
  plans: ReadonlyMap<string, PlanView>,
  currency: string,
): FeaturePeriodEstimate[] {
  const out: FeaturePeriodEstimate[] = [];
  for (const period of periods) {
    const plan = plans.get(period.planId);
    if (!plan) throw new Error(`no plan ${period.planId} for the period from ${period.start}`);
    const from = dayOf(period.start);
    const to = dayOf(period.end);
    const inPeriod = usage.filter((u) => u.day >= from && u.day < to).sort((a, b) => a.day - b.day);
    for (const f of plan.features) {
      if (f.type !== "usage" || !f.enabled) continue;
      const rows = inPeriod.filter((u) => u.featureCode === f.code);
      const { priced, included, rate, chargeAt } = featureCharge(plan, f, currency);
      let running = 0;
      let billedCents = 0;
      const days = rows.map((r) => {
        const before = Math.max(0, running - included);
        running += r.total;
        const billable = priced ? Math.max(0, running - included) - before : 0;
        const amount = chargeAt(running) - billedCents;
        billedCents += amount;
        return { date: isoDay(r.day), used: r.total, billableUnits: billable, amount };
      });
      const overageUnits = priced ? Math.max(0, running - included) : 0;
      out.push({
        periodStart: period.start,
        periodEnd: period.end,
        planId: plan.id,
        featureCode: f.code,
        used: running,
        included,
        overageUnits,
        unitRate: priced ? rate : null,
        amount: billedCents,
        days,
      });
    }
  }
  return out;
}

/** A customer's estimated usage charges for its billing periods, from the console's timeline. */
export async function estimateCustomerPeriods(
  database: TimelineDatabase,
  input: { customerId: string; periods: BillingPeriod[]; plans: ReadonlyMap<string, PlanView>; currency: string },
): Promise<FeaturePeriodEstimate[]> {
  if (input.periods.length === 0) return [];
  const usage = await loadDailyUsage(
    database,
    input.customerId,
    dayOf(input.periods[0]!.start),
    dayOf(input.periods[input.periods.length - 1]!.end),
  );
  return estimateUsageByPeriod(usage, input.periods, input.plans, input.currency);
}
