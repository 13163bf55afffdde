/** featureAccess: what a customer's plan allows, per feature, and whether one more unit may be used. */
import { z } from "zod";
import { type RouteDef, nonEmpty, pageArray, parse } from "../api.ts";
import type { CustomerRow, FeatureRow, PlanFeatureRow, Sandbox } from "../model.ts";
import { byCustomerPaged, type Live, usageOverage } from "./entitlement-common.ts";

function featureAccess(sb: Sandbox, live: Live, f: FeatureRow, pf: PlanFeatureRow | undefined) {
  const base = { code: f.code, name: f.name, type: f.type };
  const enabled = pf !== undefined && pf.enabled === 1;
  if (!pf || !enabled || f.type === "boolean") {
    return { ...base, allowed: enabled, enabled, object: "feature" as const, livemode: false };
  }
  if (f.type === "usage" && live.plan.consumption_model === "credits") {
    const remaining = live.sub.credits_remaining ?? 0;
    const perUnit = pf.credits_per_unit ?? 1;
    return {
      ...base,
      allowed: remaining >= perUnit || live.plan.block_on_exhaustion !== 1,
      enabled,
      current: sb.usageTotal(live.sub, f.code),
      included: live.plan.included_credits ?? 0,
      remaining,
      unlimited: false,
      overageEnabled: false,
      object: "feature" as const,
      livemode: false,
    };
  }
  const current =
    f.type === "usage"
      ? sb.usageTotal(live.sub, f.code)
      : f.type === "seats"
        ? sb.seatCount(live.customer.id, f.code)
        : sb.quotaCount(live.customer.id, f.code);
  const included = pf.included ?? 0;
  const unlimited = pf.unlimited === 1;
  const overageEnabled = f.type === "usage" ? usageOverage(live.sub, pf) : pf.overage_enabled === 1;
  const overageQuantity = unlimited ? 0 : Math.max(0, current - included);
  return {
    ...base,
    allowed: unlimited || overageEnabled || current < included,
    enabled,
    current,
    included,
    remaining: unlimited ? 0 : Math.max(0, included - current),
    overageQuantity,
    ...(pf.overage_unit_price !== null ? { overageUnitPrice: pf.overage_unit_price } : {}),
    unlimited,
    overageEnabled,
    billedQuantity: overageEnabled ? overageQuantity : 0,
    object: "feature" as const,
    livemode: false,
  };
}

function resolveLive(sb: Sandbox, customerRef: string): Live | { customer: CustomerRow; sub: null } {
  const customer = sb.customer(customerRef);
  const sub = sb.liveSubscription(customer.id);
  if (!sub) return { customer, sub: null };
  return { customer, sub, plan: sb.catalog.plansById.get(sub.plan_id)! };
}

export const accessRoutes: RouteDef[] = [
  [
    "GET",
    "/api/v1/feature-access",
    ({ sb, query }) => {
      const q = parse(byCustomerPaged, query);
      const live = sb.liveContext(q.customerId);
      const items = [...(sb.catalog.planFeatures.get(live.plan.id)?.values() ?? [])].map((pf) =>
        featureAccess(sb, live, sb.catalog.featuresByCode.get(pf.feature_code)!, pf),
      );
      return pageArray(items, q);
    },
  ],
  [
    "GET",
    "/api/v1/feature-access/:code",
    ({ sb, params, query }) => {
      const q = parse(z.object({ customerId: nonEmpty, action: z.enum(["canUse"]).optional() }), query);
      const f = sb.feature(params.code!, "code");
      const live = resolveLive(sb, q.customerId);
      if (!live.sub) {
        return {
          data: {
            allowed: false,
            code: f.code,
            name: f.name,
            type: f.type,
            reason: "no_active_subscription",
            object: "feature",
            livemode: false,
          },
        };
      }
      const l = live as Live;
      const pf = sb.catalog.planFeature(l.plan.id, f.code);
      const access: Record<string, unknown> = featureAccess(sb, l, f, pf);
      if (!pf || !pf.enabled) access.reason = "feature_not_in_plan";
      if (q.action === "canUse" && pf && pf.enabled && f.type !== "boolean") {
        const current = typeof access.current === "number" ? access.current : 0;
        const included = typeof access.included === "number" ? access.included : 0;
        if (l.plan.consumption_model === "credits" && f.type === "usage") {
          access.willBeCharged = true;
          if (!access.allowed) access.reason = "insufficient_credits";
        } else {
          const unlimited = pf.unlimited === 1;
          const overage = f.type === "usage" ? usageOverage(l.sub, pf) : pf.overage_enabled === 1;
          access.allowed = unlimited || current + 1 <= included || overage;
          access.willBeCharged = !unlimited && current + 1 > included && overage;
          if (!access.allowed) access.reason = "included_limit_reached";
        }
      }
      return { data: access };
    },
  ],
];
