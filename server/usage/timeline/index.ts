/**
 * server/usage/timeline — the console's own usage history (webhooks + manual entries), daily rollups,
 * explorer queries and reconciliation with Commet's live counters (docs/decisions/0008-usage-timeline.md).
 * Screens call pages.ts (one call per route); all days are UTC days.
 */
export {
  getIngestStatus,
  ingestUsageEvents,
  recordManualUsageEvent,
  usageRecordedSchema,
  usageWebhooks,
  type ManualUsageEventInput,
  type UsageEventInput,
} from "./ingest.ts";
export { compareRollups, rebuildRollups, type RebuildResult, type RollupDifference } from "./rollups.ts";
export { assignMissingPlans, hasUnplannedEvents, startPlanAssigner, type AssignPlansResult } from "./plans.ts";
export {
  explorerQuerySchema,
  InvalidUsageCursorError,
  listUsageRows,
  parseExplorerFilters,
  streamUsageCsv,
  topCustomers,
  usageSeries,
  USAGE_CSV_COLUMNS,
  type ExplorerFilters,
} from "./explorer.ts";
export { customerUsage, customerUsageTab } from "./customer.ts";
export { loadDailyUsage, type DailyUsage } from "./daily.ts";
export { DRIFT_TOLERANCE, getDriftStatus, listDrift, listStoredDrift, reconcileCustomer } from "./reconcile.ts";
export type { TimelineCommet } from "./commet.ts";
export type { TimelineDatabase } from "./schema.ts";
export { usageCatalog, usageUnits } from "./catalog.ts";
export {
  EXPLORER_DETAIL_ROWS,
  exportClosedPeriodCsv,
  exportComparisonCsv,
  exportUsageCsv,
  loadClosedPeriodReport,
  RECON_CSV_COLUMNS,
  exportTopCustomersCsv,
  TOP_EXPORT_ROWS,
  type EstimateAmounts,
  type Exporter,
  loadCustomerUsagePanel,
  loadUsageExplorer,
  checkCustomerUsage,
  reconcileSweepStatus,
  startReconcileSweep,
} from "./pages.ts";
export { COMPARE_CSV_COLUMNS, comparisonCsv, previousSeries } from "./compare.ts";
export {
  BILLED_STATUSES,
  dailyUsageOfRefs,
  listBillableCustomers,
  usageInWindows,
  usageSplitInWindows,
  type BillableCustomer,
  type PeriodWindow,
} from "./period-usage.ts";
export { reconcileClosedPeriods, RECON_MAX_SCAN, type ClosedPeriodSources } from "./closed-periods.ts";
export { createReconcileSweep, reconcileCustomerNow, type ReconcileSweep, type SweepStart } from "./reconcile-runs.ts";
export {
  dayToIso,
  epochDay,
  InvalidRangeError,
  isoToDay,
  RANGE_PRESETS,
  rangeSchema,
  resolveRange,
  TIMEZONE,
  type DayRange,
  type RangeInput,
  type RangePreset,
} from "./days.ts";
