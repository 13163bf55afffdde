/** What the entitlement routes (access, seats, usage, quota) share: the live context and query shapes. */
import { z } from "zod";
import { nonEmpty, pageQuery } from "../api.ts";
import type { CustomerRow, PlanFeatureRow, PlanRow, SubscriptionRow } from "../model.ts";

export interface Live {
  customer: CustomerRow;
  sub: SubscriptionRow;
  plan: PlanRow;
}

/** Metered overage is allowed by the plan, except during a trial ("blocked at included limits"). */
export function usageOverage(sub: SubscriptionRow, pf: PlanFeatureRow): boolean {
  return pf.overage_enabled === 1 && sub.status !== "trialing";
}

export const byCustomer = z.object({ customerId: nonEmpty });
export const byCustomerPaged = z.object({ customerId: nonEmpty, ...pageQuery });
export const byCustomerFeature = z.object({ customerId: nonEmpty, featureCode: nonEmpty });
