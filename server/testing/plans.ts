/** Hand-made plans for estimator, billing-period and reconciliation tests: one metered feature, 1 cent a unit by default. */
import type { PlanView } from "../../app/contracts/plans.ts";

export function meteredPlan(
  options: { id?: string; name?: string; included?: number; interval?: string; price?: number; unitRate?: number } = {},
): PlanView {
  const id = options.id ?? "plan_metered";
  return {
    id,
    code: id,
    name: options.name ?? "Metered",
    description: null,
    isPublic: true,
    isDefault: false,
    isFree: false,
    consumptionModel: "usage",
    prices: [
      {
        interval: options.interval ?? "monthly",
        price: options.price ?? 290_000,
        isDefault: true,
        trialDays: 0,
        includedCredits: null,
        includedBalance: null,
      },
    ],
    features: [
      {
        code: "api_calls",
        name: "API calls",
        type: "usage",
        unitName: "call",
        enabled: true,
        included: options.included ?? 100,
        unlimited: false,
        // Rate scale: 100 = 0.01 of the currency = 1 cent a call.
        overageUnitPrice: options.unitRate ?? 100,
      },
    ],
    livemode: false,
  };
}
