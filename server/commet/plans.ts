// The plan catalog from Commet, as the console's plan views.

import type { Plan } from "@commet/node";
import { getCommet } from "./client.ts";
import { callCommet } from "./errors.ts";
import type { PlanView } from "../../app/contracts/plans.ts";

export function toPlanView(plan: Plan): PlanView {
  return {
    id: plan.id,
    code: plan.code,
    name: plan.name,
    description: plan.description,
    isPublic: plan.isPublic,
    isDefault: plan.isDefault,
    isFree: plan.isFree,
    consumptionModel: plan.consumptionModel,
    prices: (plan.prices ?? []).map((p) => ({
      interval: p.billingInterval,
      price: p.price,
      isDefault: p.isDefault,
      trialDays: p.trialDays,
      includedCredits: p.includedCredits,
      includedBalance: p.includedBalance,
    })),
    features: (plan.features ?? []).map((f) => ({
      code: f.code,
      name: f.name,
      type: f.type,
      unitName: f.unitName,
      enabled: f.enabled,
      included: f.includedAmount,
      unlimited: f.unlimited,
      overageUnitPrice: f.overage?.enabled ? f.overage.unitPrice : null,
    })),
    livemode: plan.livemode,
  };
}

/** Every plan of the organization, private ones included (this is an internal console), in Commet's sort order. */
export async function listPlans(): Promise<PlanView[]> {
  const response = await callCommet(() => getCommet().plans.list({ includePrivate: "true" }));
  return (response.data ?? []).map(toPlanView);
}
