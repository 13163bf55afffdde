/**
 * A customer's subscription as the subscription actions need it, read fresh from Commet for each
 * check: the active subscription, the customer's email, and the plans of its plan group.
 */
import type { Commet, Plan, Subscription } from "@commet/node";
import type { PlanOption, SubscriptionActionsPanel } from "../../app/contracts/subscription-actions.ts";

export interface SubscriptionContext {
  customer: { id: string; email: string } | null;
  subscription: Subscription;
  /** The subscription's plan (null if the catalog no longer lists it). */
  plan: Plan | null;
  /** The plans of its plan group, current one included, in the group's order ([] without a group). */
  group: Plan[];
  planGroup: string | null;
  livemode: boolean;
}

/** null: the customer has no active subscription. timeoutMs: per-attempt timeout of each read (default: the SDK's). */
export async function loadSubscriptionContext(
  commet: Commet,
  customerId: string,
  options: { timeoutMs?: number } = {},
): Promise<SubscriptionContext | null> {
  const request = options.timeoutMs === undefined ? undefined : { timeout: options.timeoutMs };
  const [active, customer] = await Promise.all([
    commet.subscriptions.getActive({ customerId }, request),
    commet.customers.get({ id: customerId }, request),
  ]);
  const subscription = active.data;
  if (!subscription) return null;
  const plans = (await commet.plans.list({ includePrivate: "true" }, request)).data ?? [];
  const plan = plans.find((p) => p.id === subscription.plan.id) ?? null;
  const groupId = plan?.planGroupId ?? null;
  let planGroup: string | null = null;
  let group: Plan[] = [];
  if (groupId) {
    const detail = (await commet.planGroups.get({ id: groupId }, request)).data;
    planGroup = detail?.name ?? groupId;
    // The group's own order when it lists its plans; the plans' sort order otherwise.
    const order = new Map((detail?.plans ?? []).map((p) => [p.id, p.sortOrder]));
    group = plans
      .filter((p) => p.planGroupId === groupId)
      .sort((a, b) => (order.get(a.id) ?? a.sortOrder) - (order.get(b.id) ?? b.sortOrder));
  }
  const c = customer.data;
  return {
    customer: c ? { id: c.id, email: c.email } : null,
    subscription,
    plan,
    group,
    planGroup,
    livemode: subscription.livemode || !!plan?.livemode,
  };
}

/** The price of a plan for an interval (rate scale), or its default price. */
function priceFor(plan: Plan, interval: string | null): { price: number; interval: string } | null {
  const prices = plan.prices ?? [];
  const p = prices.find((x) => x.billingInterval === interval) ?? prices.find((x) => x.isDefault) ?? prices[0];
  return p ? { price: p.price, interval: p.billingInterval } : null;
}

/**
 * What Commet does with a change to `target` (plan groups docs): free → paid needs the customer's
 * checkout; paid → free and a lower plan of the group wait for the period end; a higher one is now.
 */
export function directionOf(group: Plan[], current: Plan, target: Plan): PlanOption["direction"] {
  if (current.isFree && !target.isFree) return "checkout";
  if (target.isFree) return "downgrade";
  return group.indexOf(target) > group.indexOf(current) ? "upgrade" : "downgrade";
}

export function planOptions(context: SubscriptionContext): PlanOption[] {
  const { plan: current, group, subscription } = context;
  if (!current) return [];
  return group
    .filter((p) => p.id !== current.id)
    .map((p) => {
      const price = priceFor(p, subscription.billingInterval);
      return {
        id: p.id,
        name: p.name,
        price: price?.price ?? null,
        interval: price?.interval ?? null,
        isFree: p.isFree,
        direction: directionOf(group, current, p),
      };
    });
}

/**
 * When a cancellation at the period end takes effect. Commet cancels free, past-due and
 * pending-payment subscriptions immediately (Manage subscriptions, "Cancel"), so those have none.
 */
export function periodEndCancel(context: SubscriptionContext): SubscriptionActionsPanel["periodEndCancel"] {
  const s = context.subscription;
  if (context.plan?.isFree) return { ok: false, reason: "Commet cancels a free plan immediately, not at a period end" };
  if (s.status === "past_due" || s.status === "pending_payment" || s.status === "draft") {
    return {
      ok: false,
      reason: `Commet cancels a ${s.status.replace("_", " ")} subscription immediately, not at a period end`,
    };
  }
  if (!s.currentPeriod) return { ok: false, reason: "The subscription has no current period to end" };
  return { ok: true, effectiveAt: s.currentPeriod.end };
}

/** A cancellation is scheduled (not yet effective). */
export function scheduledCancellation(s: Subscription): { effectiveAt: string; reason: string | null } | null {
  if (s.status === "canceled") return null;
  if (s.cancellation) return { effectiveAt: s.cancellation.effectiveAt, reason: s.cancellation.reason };
  if (s.cancelAtPeriodEnd) return { effectiveAt: s.currentPeriod?.end ?? s.endDate ?? "", reason: null };
  return null;
}

export function toActionsPanel(context: SubscriptionContext): SubscriptionActionsPanel {
  const s = context.subscription;
  const cancellation = scheduledCancellation(s);
  return {
    customer: context.customer,
    subscription: {
      id: s.id,
      status: s.status,
      planId: s.plan.id,
      planName: s.plan.name,
      billingInterval: s.billingInterval,
      currentPeriod: s.currentPeriod ? { start: s.currentPeriod.start, end: s.currentPeriod.end } : null,
      cancellation: cancellation
        ? {
            scheduledAt: s.cancellation?.scheduledAt ?? "",
            reason: cancellation.reason,
            effectiveAt: cancellation.effectiveAt,
          }
        : null,
      scheduledPlanChange: s.scheduledPlanChange
        ? {
            changeType: s.scheduledPlanChange.changeType,
            newPlanName: s.scheduledPlanChange.newPlanName,
            scheduledFor: s.scheduledPlanChange.scheduledFor,
          }
        : null,
    },
    periodEndCancel: periodEndCancel(context),
    planGroup: context.planGroup,
    plans: planOptions(context),
    livemode: context.livemode,
  };
}
