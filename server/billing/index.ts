/**
 * server/billing — what a customer is billed on (plan, current period, seat types and usage features), the estimator of
 * the next invoice, and billing-period views of many customers (current / last closed period, estimated charges).
 */
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
export {
  exportBillingPeriodCsv,
  intervalOf,
  loadBillingPeriodView,
  PERIOD_CSV_COLUMNS,
  periodIndexAt,
  periodRows,
  pricePeriod,
  type PeriodSources,
} from "./period-views.ts";
export {
  estimateRangeAmounts,
  exportPricedTopCustomersCsv,
  exportPricedUsageCsv,
  loadPricedUsageExplorer,
} from "./range-amounts.ts";
