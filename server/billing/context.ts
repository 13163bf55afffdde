/**
 * The billing context of a customer, read fresh from Commet for each write: active subscription
 * (current period), plan (seat types, usage features, seat price) and, for confirmations, the email.
 */
import type { Commet } from "@commet/node";
import { allowsDecimals, type UsageFeatureOption } from "../../app/contracts/ops-forms.ts";
import type { PlanView } from "../../app/contracts/plans.ts";
import { toPlanView } from "../commet/plans.ts";

export interface BillingContext {
  customer: { id: string; email: string; livemode: boolean } | null;
  subscription: {
    id: string;
    status: string;
    currentPeriod: { start: string; end: string } | null;
    livemode: boolean;
  };
  plan: PlanView;
  livemode: boolean;
}

export type BillingContextResult =
  { ok: true; context: BillingContext } | { ok: false; reason: "no_active_subscription" };

export async function loadBillingContext(
  commet: Commet,
  customerId: string,
  /** timeoutMs: per-attempt timeout of each read (default: the SDK's); the customer page passes its panels'. */
  options: { customer?: boolean; timeoutMs?: number } = {},
): Promise<BillingContextResult> {
  const request = options.timeoutMs === undefined ? undefined : { timeout: options.timeoutMs };
  const [subscription, customer] = await Promise.all([
    commet.subscriptions.getActive({ customerId }, request),
    options.customer ? commet.customers.get({ id: customerId }, request) : Promise.resolve(null),
  ]);
  const sub = subscription.data;
  if (!sub) return { ok: false, reason: "no_active_subscription" };
  const plan = (await commet.plans.get({ id: sub.plan.id }, request)).data;
  if (!plan) throw new Error(`Commet returned no plan ${sub.plan.id}`);
  const c = customer?.data;
  return {
    ok: true,
    context: {
      customer: c ? { id: c.id, email: c.email, livemode: c.livemode } : null,
      subscription: {
        id: sub.id,
        status: sub.status,
        currentPeriod: sub.currentPeriod ? { start: sub.currentPeriod.start, end: sub.currentPeriod.end } : null,
        livemode: sub.livemode,
      },
      plan: toPlanView(plan),
      livemode: sub.livemode || plan.livemode,
    },
  };
}

/** Usage features (enabled, type "usage") of a plan, as the usage forms offer them. */
export function usageFeaturesOf(plan: PlanView): UsageFeatureOption[] {
  return plan.features
    .filter((f) => f.type === "usage" && f.enabled)
    .map((f) => ({ code: f.code, name: f.name, unitName: f.unitName, allowsDecimals: allowsDecimals(f.unitName) }));
}

/** Start of the current period; without one, the subscription can take no period usage. */
export function periodStartOf(context: BillingContext): Date | null {
  const start = context.subscription.currentPeriod?.start;
  return start ? new Date(start) : null;
}
