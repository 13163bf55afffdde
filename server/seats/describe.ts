/** The effect of a seat change before it happens, as the confirmation states it (pure). */
import { formatUtc } from "../../app/contracts/format.ts";
import { formatRateCents } from "../../app/contracts/money.ts";
import { isLargeSeatChange, seatTarget, type SeatOp } from "../../app/contracts/ops-forms.ts";
import type { SeatPreview } from "../../app/contracts/ops-results.ts";
import type { PlanView } from "../../app/contracts/plans.ts";

const DAY_MS = 24 * 60 * 60 * 1000;

export interface SeatPreviewInput {
  customer: { id: string; email: string };
  /** Seat feature code, e.g. "editor". */
  seatType: string;
  op: SeatOp;
  quantity: number;
  /** The count the staffer sees (the form carries it). */
  seenCount: number;
  plan: Pick<PlanView, "name" | "features" | "livemode">;
  subscription: { currentPeriod: { start: string; end: string } | null; livemode?: boolean };
  now: Date;
}

/**
 * The confirmation text of a seat change, before it happens. The estimate follows Commet's seat
 * billing (knowledge base "Seats" and "Invoices"): seats above the plan's included count are charged
 * per seat; seats added mid-period are trued up prorated by day; removals take effect at the end of
 * the period, with no refund.
 */
export function describeSeatChange(input: SeatPreviewInput): SeatPreview {
  const feature = input.plan.features.find((f) => f.code === input.seatType && f.type === "seats");
  const label = feature?.name ?? `${input.seatType} seats`;
  const from = input.seenCount;
  const to = seatTarget(input.op, from, input.quantity);
  const delta = to - from;
  const livemode = Boolean(input.plan.livemode || input.subscription.livemode);
  const period = input.subscription.currentPeriod;
  const base = {
    seatType: input.seatType,
    label,
    from,
    to,
    delta,
    livemode,
    needsEmailConfirmation: to >= 0 && isLargeSeatChange(from, to),
  };

  if (!feature) {
    return {
      ...base,
      direction: "none",
      effect: `${input.seatType} is not a seat type of plan ${input.plan.name}`,
      charge: null,
      effectiveAt: null,
      valid: false,
      problem: "not_a_seat_type",
    };
  }
  if (to < 0) {
    return {
      ...base,
      direction: "decrease",
      effect: `Cannot remove ${input.quantity}: ${label} is ${from} (seats cannot go below 0)`,
      charge: null,
      effectiveAt: null,
      valid: false,
      problem: "below_zero",
    };
  }
  if (delta === 0) {
    return {
      ...base,
      direction: "none",
      effect: `${label} are already ${from} — nothing to change`,
      charge: null,
      effectiveAt: null,
      valid: false,
      problem: "no_change",
    };
  }

  const arrow = `${label} ${from} → ${to}`;
  if (delta < 0) {
    const end = period ? formatUtc(period.end) : "the end of the current period";
    return {
      ...base,
      direction: "decrease",
      effect: `${arrow}; the removal takes effect at the end of the period (${end}), no refund`,
      charge: null,
      effectiveAt: period?.end ?? null,
      valid: true,
      problem: null,
    };
  }

  const included = feature.unlimited ? Number.POSITIVE_INFINITY : (feature.included ?? 0);
  const extraSeats = Math.max(0, to - included) - Math.max(0, from - included);
  if (extraSeats <= 0) {
    return {
      ...base,
      direction: "increase",
      effect: `${arrow}; within the ${feature.unlimited ? "unlimited" : included} included seats, no extra charge`,
      charge: null,
      effectiveAt: null,
      valid: true,
      problem: null,
    };
  }
  const unitPrice = feature.overageUnitPrice;
  if (unitPrice === null) {
    return {
      ...base,
      direction: "increase",
      effect: `${arrow}; plan ${input.plan.name} has no price for extra seats, no charge`,
      charge: null,
      effectiveAt: null,
      valid: true,
      problem: null,
    };
  }
  if (!period) {
    return {
      ...base,
      direction: "increase",
      effect: `${arrow}; ${extraSeats} extra seat${extraSeats === 1 ? "" : "s"} at ${formatRateCents(unitPrice)} each (no current period to prorate)`,
      charge: null,
      effectiveAt: null,
      valid: true,
      problem: null,
    };
  }
  const start = new Date(period.start).getTime();
  const end = new Date(period.end).getTime();
  const daysInPeriod = Math.max(1, Math.round((end - start) / DAY_MS));
  const daysLeft = Math.min(daysInPeriod, Math.max(0, Math.ceil((end - input.now.getTime()) / DAY_MS)));
  const amount = Math.round((extraSeats * unitPrice * daysLeft) / daysInPeriod);
  return {
    ...base,
    direction: "increase",
    effect: `${arrow}; prorated charge for the ${daysLeft} day${daysLeft === 1 ? "" : "s"} left ≈ ${formatRateCents(amount)}`,
    charge: { amount, formatted: formatRateCents(amount), extraSeats, unitPrice, daysLeft, daysInPeriod },
    effectiveAt: null,
    valid: true,
    problem: null,
  };
}
