import type { Plan } from "@commet/node";
import { getCommet } from "./client.ts";
import { callCommet } from "./errors.ts";

/** A plan as the console shows it (serializable, no SDK types leak to the screen). */
export type PlanView = {
  id: string;
  code: string;
  name: string;
  description: string | null;
  isPublic: boolean;
  isDefault: boolean;
  isFree: boolean;
  consumptionModel: string | null;
  /** Prices on Commet's rate scale (10000 = 1.00 of the currency), as @commet/node 7.10.0 documents amounts. */
  prices: Array<{
    interval: string;
    price: number;
    isDefault: boolean;
    trialDays: number;
    includedCredits: number | null;
    includedBalance: number | null;
  }>;
  features: PlanFeatureView[];
  livemode: boolean;
};

export type PlanFeatureView = {
  code: string;
  name: string;
  type: string;
  unitName: string | null;
  enabled: boolean;
  /** Units included in the plan (null when the feature has no allowance, e.g. boolean features). */
  included: number | null;
  unlimited: boolean;
  /**
   * Price per extra unit beyond `included`, on Commet's rate scale (10000 = 1.00 of the
   * currency), or null without overage. For seat features this is the price of an extra seat.
   */
  overageUnitPrice: number | null;
};

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
