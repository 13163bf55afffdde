/**
 * What the usage screens read in one call each: the explorer (/usage), its reconcile sweep and CSV
 * export, the customer page's Usage panel and its check against Commet. Customers are labelled from
 * the directory index.
 */
import type { Readable } from "node:stream";
import type { PlanView } from "../../../app/contracts/plans.ts";
import type {
  CustomerLabels,
  CustomerUsagePanel,
  RangeEstimate,
  RangeEstimates,
  RowEstimates,
  TopCustomers,
  UsageExplorerPage,
} from "../../../app/contracts/usage.ts";
import { usageSearchString, type UsageSearch } from "../../../app/contracts/usage-search.ts";
import { createAuditLog } from "../../audit/index.ts";
import { csvStream, type CsvColumn } from "../../csv/index.ts";
import { getCommet } from "../../commet/client.ts";
import { listPlans, toCommetProblem } from "../../commet/index.ts";
import { getReadyDb } from "../../db/index.ts";
import { customerLabels, SUBSCRIPTION_STATUSES } from "../../directory/index.ts";
import { usageCatalog, usageUnits } from "./catalog.ts";
import type { TimelineCommet } from "./commet.ts";
import { customerUsage, customerUsageTab } from "./customer.ts";
import { dayToIso, InvalidRangeError, isoToDay, resolveRange, type DayRange } from "./days.ts";
import {
  decimalOf,
  listUsageRows,
  parseExplorerFilters,
  resolveCustomerSearch,
  streamUsageCsv,
  topCustomers,
  usageSeries,
} from "./explorer.ts";
import type { ExplorerFilters } from "./explorer.ts";
import { comparisonCsv, previousSeries } from "./compare.ts";
import { getIngestStatus } from "./ingest.ts";
import { getDriftStatus, listStoredDrift } from "./reconcile.ts";
import { createReconcileSweep, reconcileCustomerNow } from "./reconcile-runs.ts";
import type { TimelineDatabase } from "./schema.ts";
import type { Commet } from "@commet/node";
import { reconcileClosedPeriods } from "./closed-periods.ts";
import { minorDigits } from "../../../app/contracts/money.ts";
import type { ReconReport, ReconSearch } from "../../../app/contracts/reconciliation.ts";

/** Rows of the explorer's detail table (the CSV export has all of them). */
export const EXPLORER_DETAIL_ROWS = 25;

/** Estimated amounts of customers over a range (server/billing passes its estimator: billing imports this module). */
export type EstimateAmounts = (
  database: TimelineDatabase,
  plans: readonly PlanView[],
  refs: readonly string[],
  range: DayRange,
  /** byDay false: amounts and per-feature totals only, `byDay` left empty (cheaper: no day-by-day read). */
  options?: { byDay?: boolean },
) => Promise<RangeEstimates>;

interface Sources {
  database?: TimelineDatabase;
  commet?: TimelineCommet;
  plans?: () => Promise<PlanView[]>;
  now?: number;
  estimate?: EstimateAmounts;
}

/** The catalog read once per page (the names and, for estimates, the prices). */
function plansOnce(plans: () => Promise<PlanView[]>): () => Promise<PlanView[]> {
  let read: Promise<PlanView[]> | undefined;
  return () => (read ??= plans());
}

/** Estimates for `refs`, or null when there is no estimator or it failed (the amounts columns say so). */
async function estimatesOf(
  sources: Sources,
  database: TimelineDatabase,
  plans: () => Promise<PlanView[]>,
  refs: readonly string[],
  range: DayRange,
  options: { byDay?: boolean } = {},
): Promise<RangeEstimates | null> {
  if (!sources.estimate) return null;
  try {
    return await sources.estimate(database, await plans(), refs, range, options);
  } catch (error) {
    console.error("usage explorer: estimates failed", error);
    return null;
  }
}

/** The top customers' estimates as the table shows them: totals per customer and feature, not each day's amount. */
function topEstimates(estimates: RangeEstimates | null): RangeEstimates | null {
  return estimates ? sharedMap(estimates, (e) => ({ ...e, byDay: {} })) : null;
}

/** The detail rows' amounts: for each customer only the `days` ("YYYY-MM-DD|feature") of the rows shown. */
function rowEstimates(estimates: RangeEstimates | null, days: ReadonlySet<string>): RowEstimates | null {
  if (!estimates) return null;
  return sharedMap(estimates, (e) => {
    const byDay: Record<string, number> = {};
    for (const key of days) if (key in e.byDay) byDay[key] = e.byDay[key]!;
    return { currency: e.currency, byDay };
  });
}

/** Maps each estimate once: an estimate shared by a customer's two refs stays one object. */
function sharedMap<T>(estimates: RangeEstimates, map: (e: RangeEstimates[string]) => T): Record<string, T> {
  const done = new Map<RangeEstimates[string], T>();
  const out: Record<string, T> = {};
  for (const [ref, e] of Object.entries(estimates)) {
    let t = done.get(e);
    if (t === undefined) done.set(e, (t = map(e)));
    out[ref] = t;
  }
  return out;
}

function explorerFilters(search: UsageSearch, now: number): ExplorerFilters {
  return parseExplorerFilters(new URLSearchParams(usageSearchString(search, { withSort: false })), now);
}

/** An export's filters (a customer name search resolved) and database, or the range error to answer with (nothing is audited then). */
async function exportFilters(
  search: UsageSearch,
  sources: Sources,
): Promise<{ error: string } | { filters: ExplorerFilters; matches: unknown[] | null; database: TimelineDatabase }> {
  let filters: ExplorerFilters;
  try {
    filters = explorerFilters(search, sources.now ?? Date.now());
  } catch (error) {
    if (error instanceof InvalidRangeError) return { error: error.message };
    throw error;
  }
  const database = sources.database ?? (await getReadyDb());
  const resolved = await resolveCustomerSearch(database, filters);
  return { database, filters: resolved.filters, matches: resolved.matches };
}

/**
 * The explorer: catalog, ingest progress, stored drift, and for the range the series, the first detail
 * rows and (streamed, failing alone) the top customers. A range that cannot be resolved gives
 * `rangeError` and no result.
 */
export async function loadUsageExplorer(search: UsageSearch, sources: Sources = {}): Promise<UsageExplorerPage> {
  const database = sources.database ?? (await getReadyDb());
  const plans = plansOnce(sources.plans ?? listPlans);
  const [catalog, ingest, drifted] = await Promise.all([
    usageCatalog(database, plans),
    getIngestStatus(database),
    listStoredDrift(database, { limit: 50 }),
  ]);
  const common = { search, ingest, ...catalog, statuses: [...SUBSCRIPTION_STATUSES] };
  let filters: ExplorerFilters;
  try {
    filters = explorerFilters(search, sources.now ?? Date.now());
  } catch (error) {
    if (!(error instanceof InvalidRangeError)) throw error;
    return {
      ...common,
      drift: {
        rows: drifted,
        labels: await customerLabels(
          database,
          drifted.map((d) => d.customerId),
        ),
      },
      rangeError: error.message,
      customerMatches: null,
      result: null,
    };
  }
  const resolved = await resolveCustomerSearch(database, filters);
  filters = resolved.filters;
  // The ranking reads every customer's days of the range (the slowest query here): it streams in after
  // the chart and the rows; a failure shows in its section only.
  const range = filters.range;
  const top: Promise<(TopCustomers & { labels: CustomerLabels; estimates: RangeEstimates | null }) | null> =
    topCustomers(database, filters, {
      limit: 20,
      sort: search.sort,
      included: catalog.included,
    })
      .then(async (ranked) => {
        const refs = ranked.rows.map((r) => r.customerId);
        const [labels, estimates] = await Promise.all([
          customerLabels(database, refs),
          estimatesOf(sources, database, plans, refs, range, { byDay: false }),
        ]);
        return { ...ranked, labels, estimates: topEstimates(estimates) };
      })
      .catch((error: unknown) => {
        console.error("usage explorer: top customers failed", error);
        return null;
      });
  const [series, previous, detail] = await Promise.all([
    usageSeries(database, filters),
    search.compare === "previous" ? previousSeries(database, filters, search.grain) : null,
    listUsageRows(database, filters, { limit: EXPLORER_DETAIL_ROWS }),
  ]);
  // The rows' amounts: a day's amount depends only on its period's usage up to that day, so the range is priced up
  // to the last row's day (the first page of rows is the range's first days), not to its end.
  const lastRowDay = Math.max(range.fromDay, ...detail.rows.map((r) => isoToDay(r.date)));
  const [labels, detailEstimates] = await Promise.all([
    customerLabels(database, [...detail.rows.map((r) => r.customerId), ...drifted.map((d) => d.customerId)]),
    estimatesOf(sources, database, plans, [...new Set(detail.rows.map((r) => r.customerId))], {
      ...range,
      toDay: Math.min(range.toDay, lastRowDay),
    }),
  ]);
  return {
    ...common,
    drift: { rows: drifted, labels },
    rangeError: null,
    customerMatches: resolved.matches,
    result: {
      series,
      previous,
      top,
      detail: {
        ...detail,
        labels,
        estimates: rowEstimates(detailEstimates, new Set(detail.rows.map((r) => `${r.date}|${r.featureCode}`))),
      },
    },
  };
}

/** Finance's "check all against Commet": one run at a time per console, spaced, polled for progress. */
const processSweep = createReconcileSweep({
  sources: async () => ({ database: await getReadyDb(), commet: getCommet() }),
});
export const startReconcileSweep = (staff: { email: string }) => processSweep.start(staff.email);
export const reconcileSweepStatus = () => processSweep.status();

/** The customer panel's "check against Commet now": a fresh reconciliation, stored. */
export async function checkCustomerUsage(customerRef: string, sources: Sources = {}) {
  return reconcileCustomerNow(sources.database ?? (await getReadyDb()), sources.commet ?? getCommet(), customerRef);
}

/** Who downloads: the export is audited (who, which filters) before the first row is read. */
export interface Exporter {
  id: string;
  email: string;
  role: string;
}

/** The explorer's rows for the same filters as CSV, streamed; `error` for a range that cannot be resolved. */
export async function exportUsageCsv(
  staff: Exporter,
  search: UsageSearch,
  sources: Sources = {},
): Promise<{ error: string } | { error: null; csv: Readable; filename: string }> {
  const exported = await exportFilters(search, sources);
  if ("error" in exported) return exported;
  const { database, filters } = exported;
  const canonicalCustomer = async (ref: string) => (await customerLabels(database, [ref]))[ref]?.id ?? ref;
  await createAuditLog(database.db, { canonicalCustomer }).record(
    {
      actor: { id: staff.id, email: staff.email },
      role: staff.role,
      action: "usage.export",
      // A name search is no customer id: it stays in the filters.
      customerId: exported.matches === null ? (filters.customer ?? null) : null,
      params: { filters: { ...search, from: dayToIso(filters.range.fromDay), to: dayToIso(filters.range.toDay) } },
      idempotencyKey: crypto.randomUUID(),
    },
    { status: "succeeded" },
  );
  const plans = plansOnce(sources.plans ?? listPlans);
  const catalog = await usageCatalog(database, plans);
  const range = filters.range;
  const csv = streamUsageCsv(database, filters, {
    names: {
      plans: Object.fromEntries(catalog.plans.map((p) => [p.id, p.name])),
      features: catalog.featureNames,
      units: catalog.units,
    },
    estimate: sources.estimate ? (refs) => estimatesOf(sources, database, plans, refs, range) : undefined,
  });
  const filename = `usage_${dayToIso(filters.range.fromDay)}_${dayToIso(filters.range.toDay)}_UTC.csv`;
  return { error: null, csv, filename };
}

/**
 * The customer page's Usage panel: the timeline's daily series per feature and manual entries,
 * Commet's included amounts and period, and the last stored reconciliation (a GET writes nothing:
 * checking again is checkCustomerUsage, a POST). Commet down → the timeline alone with `liveProblem`;
 * a bad range → `ok: false`.
 */
export async function loadCustomerUsagePanel(
  customerRef: string,
  search: UsageSearch,
  sources: Sources = {},
): Promise<CustomerUsagePanel> {
  let range;
  try {
    range = resolveRange({ range: search.range, from: search.from, to: search.to }, sources.now ?? Date.now());
  } catch (error) {
    if (error instanceof InvalidRangeError) return { ok: false as const, message: error.message };
    throw error;
  }
  const database = sources.database ?? (await getReadyDb());
  const commet = sources.commet ?? getCommet();
  const [tab, drift, ingest, plans] = await Promise.all([
    customerUsageTab(database, commet, customerRef, range).then(
      (value) => ({ value, problem: null }),
      async (error: unknown) => ({ value: null, problem: toCommetProblem(error) }),
    ),
    getDriftStatus(database, customerRef),
    getIngestStatus(database),
    (sources.plans ?? listPlans)().catch(() => []),
  ]);
  const usage = tab.value ?? { ...(await customerUsage(database, customerRef, range)), period: null, limits: [] };
  return {
    ok: true as const,
    customerRef,
    search: { range: search.range, from: search.from ?? null, to: search.to ?? null },
    usage,
    units: usageUnits(plans),
    liveProblem: tab.value
      ? null
      : {
          title: tab.problem?.title ?? "Commet could not be read",
          message: tab.problem?.message ?? "The included amounts and the current period are missing.",
        },
    drift,
    ingest,
  };
}

/** The chart's buckets and totals beside the previous range's as CSV (same filters and grain); audited. */
export async function exportComparisonCsv(
  staff: Exporter,
  search: UsageSearch,
  sources: Sources = {},
): Promise<{ error: string } | { error: null; csv: Readable; filename: string }> {
  const exported = await exportFilters(search, sources);
  if ("error" in exported) return exported;
  const { database, filters } = exported;
  const [current, previous, catalog] = await Promise.all([
    usageSeries(database, filters),
    previousSeries(database, filters, search.grain),
    usageCatalog(database, sources.plans),
  ]);
  await createAuditLog(database.db).record(
    {
      actor: { id: staff.id, email: staff.email },
      role: staff.role,
      action: "usage.compare_export",
      customerId: null,
      params: {
        filters: { ...search, from: current.from, to: current.to },
        previous: { from: previous.from, to: previous.to },
      },
      idempotencyKey: crypto.randomUUID(),
    },
    { status: "succeeded" },
  );
  return {
    error: null,
    csv: comparisonCsv(current, previous, search.grain, catalog),
    filename: `usage_compare_${search.grain}_${current.from}_${current.to}_vs_${previous.from}_${previous.to}_UTC.csv`,
  };
}

/** Rows of the top-customers CSV (the page's table is its first rows). */
export const TOP_EXPORT_ROWS = 200;

const TOP_CSV_COLUMNS = [
  { key: "rank", header: "rank" },
  { key: "customerId", header: "customer_id" },
  { key: "externalId", header: "customer_external_id" },
  { key: "customerName", header: "customer_name" },
  { key: "planIds", header: "plan_ids" },
  { key: "planNames", header: "plan_names" },
  { key: "usage", header: "usage" },
  { key: "overage", header: "overage" },
  { key: "byFeature", header: "by_feature" },
  { key: "currency", header: "currency" },
  { key: "estimatedAmount", header: "estimated_amount" },
  { key: "estimatedByFeature", header: "estimated_amount_by_feature" },
] as const;

/**
 * The top-customers ranking of the same filters and sort as CSV (the first TOP_EXPORT_ROWS), named from the directory
 * and the catalog; several plans are joined with " | ", by_feature is "feature name: quantity unit; …". Audited.
 */
export async function exportTopCustomersCsv(
  staff: Exporter,
  search: UsageSearch,
  sources: Sources = {},
): Promise<{ error: string } | { error: null; csv: Readable; filename: string }> {
  const exported = await exportFilters(search, sources);
  if ("error" in exported) return exported;
  const { database, filters } = exported;
  await createAuditLog(database.db).record(
    {
      actor: { id: staff.id, email: staff.email },
      role: staff.role,
      action: "usage.top_export",
      customerId: null,
      params: { filters: { ...search, from: dayToIso(filters.range.fromDay), to: dayToIso(filters.range.toDay) } },
      idempotencyKey: crypto.randomUUID(),
    },
    { status: "succeeded" },
  );
  const plans = plansOnce(sources.plans ?? listPlans);
  const catalog = await usageCatalog(database, plans);
  const ranked = await topCustomers(database, filters, {
    limit: TOP_EXPORT_ROWS,
    sort: search.sort,
    included: catalog.included,
  });
  const refs = ranked.rows.map((r) => r.customerId);
  const [labels, estimates] = await Promise.all([
    customerLabels(database, refs),
    estimatesOf(sources, database, plans, refs, filters.range, { byDay: false }),
  ]);
  const planName = (id: string) => (id ? (catalog.plans.find((p) => p.id === id)?.name ?? id) : "");
  const rows = ranked.rows.map((r, i) => {
    const label = labels[r.customerId];
    return {
      rank: i + 1,
      customerId: label?.id ?? r.customerId,
      externalId: label?.externalId ?? null,
      customerName: label ? (label.fullName ?? label.email) : null,
      planIds: r.planIds.filter(Boolean).join(" | "),
      planNames: r.planIds.filter(Boolean).map(planName).join(" | "),
      usage: r.usage,
      // Overage needs Commet's catalog (the allowances): empty without it.
      overage: catalog.included ? Math.round(r.overage * 100) / 100 : null,
      byFeature: Object.entries(r.byFeature)
        .map(
          ([code, v]) =>
            `${catalog.featureNames[code] ?? code}: ${v}${catalog.units[code] ? ` ${catalog.units[code]}` : ""}`,
        )
        .join("; "),
      ...estimateCells(estimates?.[r.customerId], catalog.featureNames),
    };
  });
  const filename = `usage_top_${search.sort}_${dayToIso(filters.range.fromDay)}_${dayToIso(filters.range.toDay)}_UTC.csv`;
  return { error: null, csv: csvStream(rows, TOP_CSV_COLUMNS), filename };
}

/** The top CSV's estimate columns: empty when the customer has no known plan or period, or estimates failed. */
function estimateCells(e: RangeEstimate | undefined, featureNames: Record<string, string>) {
  if (!e) return { currency: null, estimatedAmount: null, estimatedByFeature: null };
  return {
    currency: e.currency,
    estimatedAmount: decimalOf(e.amount, e.currency),
    estimatedByFeature: Object.entries(e.byFeature)
      .map(([code, v]) => `${featureNames[code] ?? code}: ${decimalOf(v, e.currency)}`)
      .join("; "),
  };
}

/** The reconciliation report (/usage/reconciliation): Commet errors while listing invoices throw (answerCommet). */
export async function loadClosedPeriodReport(
  search: ReconSearch,
  sources: Omit<Sources, "commet"> & { commet?: Pick<Commet, "invoices"> } = {},
): Promise<ReconReport> {
  const database = sources.database ?? (await getReadyDb());
  return reconcileClosedPeriods(
    database,
    { commet: sources.commet ?? getCommet(), plans: sources.plans },
    { from: search.from, to: search.to, now: sources.now },
  );
}

type ReconCsvKey =
  | "customer_id"
  | "customer_external_id"
  | "customer_name"
  | "invoice_number"
  | "invoice_id"
  | "plan"
  | "period_start"
  | "period_end"
  | "feature_code"
  | "feature_name"
  | "unit"
  | "included"
  | "invoiced_used"
  | "tracked_used"
  | "used_diff"
  | "invoiced_overage"
  | "tracked_overage"
  | "overage_diff"
  | "currency"
  | "invoiced_amount"
  | "tracked_amount"
  | "amount_diff"
  | "flag";

export const RECON_CSV_COLUMNS: readonly CsvColumn<ReconCsvKey>[] = (
  [
    "customer_id",
    "customer_external_id",
    "customer_name",
    "invoice_number",
    "invoice_id",
    "plan",
    "period_start",
    "period_end",
    "feature_code",
    "feature_name",
    "unit",
    "included",
    "invoiced_used",
    "tracked_used",
    "used_diff",
    "invoiced_overage",
    "tracked_overage",
    "overage_diff",
    "currency",
    "invoiced_amount",
    "tracked_amount",
    "amount_diff",
    "flag",
  ] as const
).map((key) => ({ key, header: key }));

/** Minor units as a decimal string of the currency ("12.34"), as the other money CSVs write amounts. */
const decimal = (minor: number | null, currency: string) =>
  minor === null ? null : (minor / 10 ** minorDigits(currency)).toFixed(minorDigits(currency));

/**
 * The report's rows (the page's filter: flagged only, or all) as CSV; the export is audited as
 * "usage.reconciliation.export" after the report is read and before the first byte.
 */
export async function exportClosedPeriodCsv(
  staff: Exporter,
  search: ReconSearch,
  sources: Parameters<typeof loadClosedPeriodReport>[1] = {},
): Promise<{ csv: Readable; filename: string }> {
  const database = sources.database ?? (await getReadyDb());
  const report = await loadClosedPeriodReport(search, { ...sources, database });
  await createAuditLog(database.db).record(
    {
      actor: { id: staff.id, email: staff.email },
      role: staff.role,
      action: "usage.reconciliation.export",
      customerId: null,
      params: { filters: { from: report.from, to: report.to, show: search.show }, rows: report.rows.length },
      idempotencyKey: crypto.randomUUID(),
    },
    { status: "succeeded" },
  );
  const rows = report.rows
    .filter((r) => search.show === "all" || r.flag !== "match")
    .map((r) => ({
      customer_id: r.customerId,
      customer_external_id: r.customerExternalId,
      customer_name: r.customerName,
      invoice_number: r.invoiceNumber,
      invoice_id: r.invoiceId,
      plan: r.planName,
      period_start: r.periodStart,
      period_end: r.periodEnd,
      feature_code: r.featureCode,
      feature_name: r.featureName,
      unit: r.unitName,
      included: r.included,
      invoiced_used: r.invoicedUsed,
      tracked_used: r.trackedUsed,
      used_diff: r.usedDiff,
      invoiced_overage: r.invoicedOverage,
      tracked_overage: r.trackedOverage,
      overage_diff: r.overageDiff,
      currency: r.currency,
      invoiced_amount: decimal(r.invoicedAmount, r.currency),
      tracked_amount: decimal(r.trackedAmount, r.currency),
      amount_diff: decimal(r.amountDiff, r.currency),
      flag: r.flag,
    }));
  return { csv: csvStream(rows, RECON_CSV_COLUMNS), filename: `reconciliation_${report.from}_${report.to}_UTC.csv` };
}
