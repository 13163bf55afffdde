/**
 * The customer page's "Projected next invoice": the active subscription (period, live counters, discount,
 * scheduled plan change) and its plans read from Commet, priced by the estimator (estimate.ts).
 */
import type { Commet, Subscription } from "@commet/node";
import type { ProjectedInvoicePanel } from "../../app/contracts/estimate.ts";
import { getCommet } from "../commet/client.ts";
import { toPlanView } from "../commet/plans.ts";
import { estimateNextInvoice } from "./estimate.ts";

export type ProjectedInvoiceCommet = {
  subscriptions: Pick<Commet["subscriptions"], "getActive">;
  plans: Pick<Commet["plans"], "get">;
};

export interface ProjectedInvoiceOptions {
  commet?: ProjectedInvoiceCommet;
  timeoutMs?: number;
  /** The moment the projection is made at (default: now). */
  now?: number;
}

const DEFAULT_TIMEOUT_MS = 3_500;
// Commet's base currency: its subscription carries no currency unless it has a balance.
const DEFAULT_CURRENCY = "USD";

export async function loadProjectedInvoice(
  customerRef: string,
  options: ProjectedInvoiceOptions = {},
): Promise<ProjectedInvoicePanel> {
  const commet = options.commet ?? getCommet();
  const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const sub = (await commet.subscriptions.getActive({ customerId: customerRef }, { timeout })).data;
  if (!sub) return { kind: "none", reason: "No active subscription: Commet has no next invoice to project." };
  if (!sub.currentPeriod) return { kind: "none", reason: "The subscription has no current billing period yet." };
  if (sub.cancelAtPeriodEnd) {
    return {
      kind: "none",
      reason: `The subscription ends at the period end (${sub.currentPeriod.end.slice(0, 10)}): no renewal invoice is expected.`,
    };
  }
  const change = sub.scheduledPlanChange;
  const nextPlanId = change?.newPlanId && change.newPlanId !== sub.plan.id ? change.newPlanId : null;
  const getPlan = async (id: string) => {
    const plan = (await commet.plans.get({ id }, { timeout })).data;
    if (!plan) throw new Error(`Commet returned no plan ${id}`);
    return toPlanView(plan);
  };
  const [plan, nextPlan] = await Promise.all([getPlan(sub.plan.id), nextPlanId ? getPlan(nextPlanId) : null]);
  const estimate = estimateNextInvoice({
    now: options.now ?? Date.now(),
    currency: sub.balance?.currency ?? DEFAULT_CURRENCY,
    status: sub.status,
    interval: change?.newBillingInterval ?? sub.billingInterval,
    period: { start: sub.currentPeriod.start, end: sub.currentPeriod.end },
    plan,
    nextPlan,
    counts: countsOf(sub),
    discount: sub.discount,
  });
  if (!sub.features?.some((f) => f.usage)) {
    estimate.assumptions.unshift("Commet sent no usage counters with the subscription: usage counts as zero.");
  }
  return { kind: "estimate", estimate };
}

/** Commet's live counters per feature: usage this period, seats and quota held. */
function countsOf(sub: Subscription): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const f of sub.features ?? []) if (f.usage) counts[f.code] = f.usage.current;
  return counts;
}
