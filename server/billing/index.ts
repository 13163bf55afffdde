/** server/billing — what a customer is billed on (plan, current period, seat types and usage features) and the estimator of the next invoice. */
export {
  loadBillingContext,
  periodStartOf,
  usageFeaturesOf,
  type BillingContext,
  type BillingContextResult,
} from "./context.ts";
export {
  addIntervals,
  basePriceOf,
  billingPeriods,
  estimateNextInvoice,
  rateToMinor,
  type BillingInterval,
  type EstimateInput,
} from "./estimate.ts";
export { loadProjectedInvoice, type ProjectedInvoiceCommet, type ProjectedInvoiceOptions } from "./projected.ts";
export {
  estimateCustomerPeriods,
  estimateUsageByPeriod,
  periodsWithChanges,
  type BillingPeriod,
  type FeaturePeriodEstimate,
} from "./periods.ts";
