/** The plan catalog as the screens show it (client-safe, no SDK types): server/commet maps Commet's plans to it. */

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
