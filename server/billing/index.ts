/** server/billing — what a customer is billed on: plan, current period, seat types and usage features. */
export {
  loadBillingContext,
  periodStartOf,
  usageFeaturesOf,
  type BillingContext,
  type BillingContextResult,
} from "./context.ts";
