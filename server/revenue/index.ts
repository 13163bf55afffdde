/**
 * server/revenue — the revenue overview for finance (/revenue): MRR/ARR by plan, MRR movements per month
 * and collections per month, and its audited CSV. Types and the URL schema: app/contracts/revenue.ts.
 */
export {
  BASE_CURRENCY,
  collectionsOf,
  loadRevenueOverview,
  monthlyAmount,
  monthsOf,
  movementOfEvent,
  movementsOf,
  mrrByPlan,
  TRANSACTION_PAGES,
  type RevenueSources,
} from "./overview.ts";
export { exportRevenueCsv, revenueCsvRows, type Exporter } from "./export.ts";
