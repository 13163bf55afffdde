/**
 * Plan catalog fixtures for tests: a PlanView as Commet's catalog would give it (prices on the rate scale,
 * 10000 = 1.00), a price, and a seat feature.
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
