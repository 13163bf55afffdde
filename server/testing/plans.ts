/**
 * Plan catalog fixtures for tests: a PlanView as Commet's catalog would give it (prices on the rate scale,
 * 10000 = 1.00) — a price, a seat feature, and a plan with one metered feature (1 cent a unit by default) for the
 * estimator, billing-period and reconciliation tests.
 */
import type { PlanView } from "../../app/contracts/plans.ts";

export const priceView = (interval: string, rate: number, isDefault: boolean): PlanView["prices"][number] => ({
  interval,
  price: rate,
  isDefault,
  trialDays: 0,
  includedCredits: null,
  includedBalance: null,
});

/** A seat feature: `included` seats, then `rate` per extra seat and billing period. */
export const seatFeature = (included: number, rate: number): PlanView["features"][number] => ({
  code: "editor",
  name: "Editor seats",
  type: "seats",
  unitName: "seat",
  enabled: true,
  included,
  unlimited: false,
  overageUnitPrice: rate,
});

export const planView = (
  id: string,
  name: string,
  prices: PlanView["prices"],
  features: PlanView["features"],
): PlanView => ({
  id,
  code: id,
  name,
  description: null,
  isPublic: true,
  isDefault: false,
  isFree: false,
  consumptionModel: "metered",
  prices,
  features,
  livemode: false,
});

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
