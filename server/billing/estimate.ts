/**
 * The estimator: what a customer's next invoice will be, from the plan's pricing and the customer's own
 * billing period (pure; server/billing/projected.ts feeds it from Commet), and the period calendar.
 */
import type { EstimateLine, InvoiceEstimate } from "../../app/contracts/estimate.ts";
import { formatQuantity } from "../../app/contracts/format.ts";
import { minorDigits } from "../../app/contracts/money.ts";
import type { PlanFeatureView, PlanView } from "../../app/contracts/plans.ts";

const DAY_MS = 86_400_000;

export type BillingInterval = "weekly" | "monthly" | "quarterly" | "yearly";

export interface EstimateInput {
  now: number;
  currency: string;
  /** Subscription status: a trial bills no overage (Commet blocks it at the included amount). */
  status: string;
  interval: string | null;
  period: { start: string; end: string };
  /** The plan this period is on (its included amounts and overage prices). */
  plan: PlanView;
  /** A plan change scheduled for the period end: the next period's base and seats are on it. */
  nextPlan?: PlanView | null;
  /** Current count per feature code: usage this period, seats held, quota held. */
  counts: Record<string, number>;
  /** The subscription's discount (applies to the base price only, as Commet's offers do). */
  discount?: { type: "percentage" | "amount"; value: number; name: string | null; endsAt: string | null } | null;
}

/** Rate scale (10000 = 1.00) to the currency's minor unit, rounded as an invoice line is. */
export function rateToMinor(rate: number, currency: string): number {
  return Math.round((rate * 10 ** minorDigits(currency.toUpperCase())) / 10_000);
}

/** The plan's price for an interval (its default price when the interval has none). */
export function basePriceOf(plan: PlanView, interval: string | null): number {
  const price = plan.prices.find((p) => p.interval === interval) ?? plan.prices.find((p) => p.isDefault);
  return price?.price ?? 0;
}

function extraBeyondIncluded(f: PlanFeatureView, count: number): number {
  if (!f.enabled || f.unlimited || f.overageUnitPrice === null) return 0;
  return Math.max(0, count - (f.included ?? 0));
}

/**
 * The next invoice: base price of the coming period (next plan when a change is scheduled), discounted;
 * seats and quota beyond the included amounts, billed in advance at the next plan's prices; usage
 * beyond the included amount in this period at this plan's prices — so far, and projected to the
 * period end at the rate so far (elapsed time counted from the period start, at least one day).
 */
export function estimateNextInvoice(input: EstimateInput): InvoiceEstimate {
  const { currency, plan, counts } = input;
  const next = input.nextPlan ?? plan;
  const startMs = Date.parse(input.period.start);
  const endMs = Date.parse(input.period.end);
  const lengthMs = Math.max(endMs - startMs, 1);
  const elapsedMs = Math.min(Math.max(input.now - startMs, DAY_MS), lengthMs);
  const scale = lengthMs / elapsedMs;
  const lines: EstimateLine[] = [];
  const assumptions: string[] = [];

  const base = basePriceOf(next, input.interval);
  if (base > 0) {
    const minor = rateToMinor(base, currency);
    lines.push({
      kind: "base",
      featureCode: null,
      label: `${next.name} plan (${input.interval ?? "default price"})`,
      quantity: null,
      projectedQuantity: null,
      unitRate: base,
      soFar: minor,
      projected: minor,
    });
    const d = input.discount;
    // A discount that ends before the next period starts does not reach the next invoice.
    if (d && (d.endsAt === null || Date.parse(d.endsAt) > endMs)) {
      const off =
        d.type === "percentage" ? Math.round((minor * d.value) / 100) : Math.min(minor, rateToMinor(d.value, currency));
      lines.push({
        kind: "discount",
        featureCode: null,
        label: `Discount${d.name ? ` “${d.name}”` : ""} (${d.type === "percentage" ? `${d.value}%` : "amount off"} on the base price)`,
        quantity: null,
        projectedQuantity: null,
        unitRate: null,
        soFar: -off,
        projected: -off,
      });
      assumptions.push("The discount applies to the plan's base price only; seats and overage are at full price.");
    }
  }

  for (const f of next.features) {
    if (f.type !== "seats" && f.type !== "quota") continue;
    const extra = extraBeyondIncluded(f, counts[f.code] ?? 0);
    if (extra === 0) continue;
    const minor = rateToMinor(extra * f.overageUnitPrice!, currency);
    lines.push({
      kind: f.type,
      featureCode: f.code,
      label: `${f.name} beyond the included ${formatQuantity(f.included ?? 0)}`,
      quantity: extra,
      projectedQuantity: extra,
      unitRate: f.overageUnitPrice,
      soFar: minor,
      projected: minor,
    });
  }
  if (next.features.some((f) => f.type === "seats" || f.type === "quota")) {
    assumptions.push("Seats and quota stay at today's count (billed in advance for the next period).");
  }

  if (plan.consumptionModel === "credits") {
    assumptions.push("Credits plan: usage draws on the plan's credits; no overage is billed.");
  } else if (input.status === "trialing") {
    assumptions.push("Trial: overage is blocked at the included amount, so the invoice has no overage.");
  } else {
    let metered = false;
    for (const f of plan.features) {
      if (f.type !== "usage") continue;
      metered = true;
      const used = counts[f.code] ?? 0;
      const projectedUsed = Math.round(used * scale);
      // Shown also while within the included amount (at zero): finance sees how close the projection runs.
      if (!f.enabled || f.unlimited || f.overageUnitPrice === null) continue;
      const over = extraBeyondIncluded(f, used);
      const projectedOver = extraBeyondIncluded(f, projectedUsed);
      lines.push({
        kind: "overage",
        featureCode: f.code,
        label: `${f.name} beyond the included ${formatQuantity(f.included ?? 0, f.unitName)}`,
        quantity: over,
        projectedQuantity: projectedOver,
        unitRate: f.overageUnitPrice,
        soFar: rateToMinor(over * f.overageUnitPrice, currency),
        projected: rateToMinor(projectedOver * f.overageUnitPrice, currency),
        usage: { used, projectedUsed, included: f.included ?? 0, unitName: f.unitName },
      });
    }
    if (metered) {
      assumptions.push(
        `Usage continues at this period's rate so far (${fmtDays(elapsedMs)} of ${fmtDays(lengthMs)} days elapsed).`,
      );
    }
  }
  if (input.nextPlan && input.nextPlan.id !== plan.id) {
    assumptions.push(
      `The change to ${input.nextPlan.name} takes effect at the period end: overage is on ${plan.name}.`,
    );
  }
  assumptions.push("Tax, credits on account and add-ons are not included.");

  return {
    currency,
    planName: plan.name,
    nextPlanName: input.nextPlan && input.nextPlan.id !== plan.id ? input.nextPlan.name : null,
    interval: input.interval,
    period: {
      start: input.period.start,
      end: input.period.end,
      days: Math.round((lengthMs / DAY_MS) * 10) / 10,
      elapsedDays: Math.round((elapsedMs / DAY_MS) * 10) / 10,
    },
    lines,
    totalSoFar: lines.reduce((s, l) => s + l.soFar, 0),
    totalProjected: lines.reduce((s, l) => s + l.projected, 0),
    assumptions,
  };
}

function fmtDays(ms: number): string {
  return String(Math.round((ms / DAY_MS) * 10) / 10);
}

/** The longest period of each interval (31 days, a quarter of 92, a leap year). */
const LONGEST_MS: Record<BillingInterval, number> = {
  weekly: 7 * DAY_MS,
  monthly: 31 * DAY_MS,
  quarterly: 92 * DAY_MS,
  yearly: 366 * DAY_MS,
};

/** n intervals after an anchor date, month-based intervals clamped to the month's last day (Jan 31 → Feb 28). */
export function addIntervals(anchorIso: string, interval: BillingInterval, n: number): string {
  const d = new Date(anchorIso);
  if (interval === "weekly") return new Date(d.getTime() + 7 * DAY_MS * n).toISOString();
  const months = (interval === "monthly" ? 1 : interval === "quarterly" ? 3 : 12) * n;
  const day = d.getUTCDate();
  const r = new Date(d.getTime());
  r.setUTCDate(1);
  r.setUTCMonth(r.getUTCMonth() + months);
  const last = new Date(Date.UTC(r.getUTCFullYear(), r.getUTCMonth() + 1, 0)).getUTCDate();
  r.setUTCDate(Math.min(day, last));
  return r.toISOString();
}

/**
 * The customer's billing periods that overlap [fromMs, toMs), counted from the subscription's anchor
 * (each period n starts at anchor + n intervals, so a 31st anchor returns to the 31st after February).
 */
export function billingPeriods(
  anchorIso: string,
  interval: BillingInterval,
  fromMs: number,
  toMs: number,
): Array<{ start: string; end: string; days: number }> {
  const out: Array<{ start: string; end: string; days: number }> = [];
  // Skip the periods that surely end before fromMs: none is longer than LONGEST_MS, so the first n periods end by
  // anchor + n × LONGEST_MS (a weekly plan started years ago would otherwise walk every week since).
  const skip = Math.max(0, Math.floor((fromMs - Date.parse(anchorIso)) / LONGEST_MS[interval]));
  let end = addIntervals(anchorIso, interval, skip);
  for (let n = skip; out.length < 1_000; n++) {
    const start = end;
    end = addIntervals(anchorIso, interval, n + 1);
    const s = Date.parse(start);
    const e = Date.parse(end);
    if (s >= toMs) break;
    if (e > fromMs) out.push({ start, end, days: (e - s) / DAY_MS });
  }
  return out;
}
