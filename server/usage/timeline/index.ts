/**
 * server/usage/timeline — the console's own usage history (Commet's API has only the current
 * period's counters): usage.recorded webhooks + the console's manual entries, daily rollups, explorer
 * queries, and reconciliation with Commet's live counters. docs/decisions/0008-usage-timeline.md.
 * All days are UTC days; every result carries `timezone: "UTC"` for labels.
 * `database` = server/db's Database from getReadyDb(); `commet` = the SDK client (featureAccess.list,
 * subscriptions.getActive are all that is used).
 *
 * Ingest
 *   usageWebhooks — the timeline's contribution to POST /webhooks/commet (server/webhooks):
 *     commetWebhookRouter(path, { database, secret, commet, domains: [directoryWebhooks, usageWebhooks] })
 *   recordManualUsageEvent(database, { usageEventId, customerId, feature, quantity, occurredAt, staff, auditId })
 *     → { result: "recorded" | "already_recorded" }   call after Commet accepted a manual usage.track
 *     (usageEventId = the returned event id) or usage.set (quantity = its adjustment); dedups with the webhook.
 *   getIngestStatus(database) → { events, firstDay, lastDay, latestOccurredAt }   (history arriving: progress)
 * Rollups
 *   rebuildRollups(database) (`npm run usage:rebuild`), compareRollups(database) → differences ([] = equal)
 * Screens (pages.ts): loadUsageExplorer(search), startReconcileSweep(staff) / reconcileSweepStatus(),
 *   exportUsageCsv(staff, search), loadCustomerUsagePanel(ref, search) (read-only), checkCustomerUsage(ref)
 *   — one call per route; customers labelled from the directory, plans named from usageCatalog (catalog.ts).
 * Explorer (finance, admin)
 *   parseExplorerFilters(URLSearchParams, now) → ExplorerFilters (range 7d|30d|90d|custom&from&to, plan, feature, status, customer)
 *   usageSeries(database, filters) → per UTC day, totals per feature (stacked chart)
 *   topCustomers(database, filters, { limit, sort: "usage" | "overage", included }) → rows with sparklines
 *   listUsageRows(database, filters, { after, limit }) → detail table page (keyset cursor)
 *   streamUsageCsv(database, filters) → Node Readable CSV of exactly listUsageRows' rows, streamed
 * Customer Usage tab
 *   resolveRange({ range, from, to }, now) → DayRange
 *   customerUsage(database, customerId, range) / customerUsageTab(database, commet, customerId, range)
 *     → per feature daily series, manual annotations (+ included, live current, period boundaries)
 *   assignMissingPlans(database) → usage stored before its plan was known gets it; startPlanAssigner runs it
 *     every few seconds while such events exist (server/main.ts)
 * Reconciliation
 *   reconcileCustomer(database, commet, customerId) → { status: in_step | drifted | no_period, features: [{ code, timeline, commet, diff }] } (stored)
 *   getDriftStatus(database, customerId) → last stored check (drift badge) | null
 *   listDrift(database, commet, { limit, concurrency }) → sweep; listStoredDrift(database, { limit }) → last results, drifted only
 */
export {
  getIngestStatus,
  recordManualUsageEvent,
  usageRecordedSchema,
  usageWebhooks,
  type ManualUsageEventInput,
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
export { DRIFT_TOLERANCE, getDriftStatus, listDrift, listStoredDrift, reconcileCustomer } from "./reconcile.ts";
export type { TimelineCommet } from "./commet.ts";
export { usageCatalog, usageUnits } from "./catalog.ts";
export {
  EXPLORER_DETAIL_ROWS,
  exportUsageCsv,
  loadCustomerUsagePanel,
  loadUsageExplorer,
  checkCustomerUsage,
  reconcileSweepStatus,
  startReconcileSweep,
} from "./pages.ts";
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
