/**
 * The usage timeline as the screens show it (client-safe): the explorer's series, ranking and rows,
 * the timeline's ingest progress, and reconciliations with Commet. Days are UTC days.
 */
import type { CustomerLabel } from "./directory.ts";
import type { UsageSearch } from "./usage-search.ts";

export interface UsageSeries {
  timezone: "UTC";
  from: string;
  to: string;
  /** Feature codes present, sorted (stack order). */
  features: string[];
  /** One entry per UTC day of the range (zero-filled). */
  days: Array<{ date: string; totals: Record<string, number>; total: number }>;
  total: number;
}

export interface TopCustomerRow {
  customerId: string;
  /** Plan ids seen in the range (greatest per day). */
  planIds: string[];
  usage: number;
  byFeature: Record<string, number>;
  /** Usage above the included amount prorated to the range: Σ features max(0, usage − included × days ÷ 30). */
  overage: number;
  /** Daily totals over the range (all features), oldest first. */
  spark: number[];
}

export interface TopCustomers {
  timezone: "UTC";
  from: string;
  to: string;
  sort: "usage" | "overage";
  /** Customers with usage in the range (before the limit). */
  customers: number;
  rows: TopCustomerRow[];
}

/** One row of the explorer's detail table and of its CSV: a customer's usage of a feature on a UTC day. */
export interface UsageRow {
  date: string;
  customerId: string;
  planId: string;
  featureCode: string;
  total: number;
  events: number;
}

export interface UsageRowsPage {
  timezone: "UTC";
  rows: UsageRow[];
  /** Pass back as `after` for the next page; null at the end. */
  nextCursor: string | null;
}

export interface IngestStatus {
  timezone: "UTC";
  /** Usage events in the timeline (webhook and manual). */
  events: number;
  /** First and last UTC day holding usage, "YYYY-MM-DD" (null when empty). */
  firstDay: string | null;
  lastDay: string | null;
  /** Latest occurredAt seen (epoch ms). */
  latestOccurredAt: number | null;
}

export interface FeatureDrift {
  code: string;
  timeline: number;
  commet: number;
  /** commet − timeline: > 0 the timeline misses usage (e.g. lost webhooks, usage.set), < 0 it has extra. */
  diff: number;
}

export interface Reconciliation {
  customerId: string;
  checkedAt: number;
  status: "in_step" | "drifted" | "no_period";
  period: { start: number; end: number } | null;
  features: FeatureDrift[];
  maxAbsDiff: number;
}

/**
 * Estimated billable amount of one customer over the explorer's range (labelled "Estimate"): its usage priced per
 * billing period of its own (server/billing), the days inside the range summed. Minor units of `currency`.
 */
export interface RangeEstimate {
  currency: string;
  amount: number;
  byFeature: Record<string, number>;
  /** "YYYY-MM-DD|feature_code" → the day's amount (the part of the period's charge that day added). */
  byDay: Record<string, number>;
  note: string | null;
}

/** The detail rows' estimated amounts of one customer: `byDay` as in RangeEstimate, for the rows shown only. */
export type RowEstimates = Record<string, Pick<RangeEstimate, "currency" | "byDay">>;

/** Estimates per stored customer reference; a ref missing from it has no known plan or period. */
export type RangeEstimates = Record<string, RangeEstimate>;

/** The explorer's customers by the ref usage names them with (Commet id or externalId); unknown refs are missing. */
export type CustomerLabels = Record<string, CustomerLabel>;

/** Included units per plan id and feature code (from the plan catalog: server/commet listPlans). */
export type IncludedByPlan = Readonly<Record<string, Readonly<Record<string, number | null | undefined>>>>;

export interface UsageCatalog {
  plans: Array<{ id: string; name: string }>;
  /** Included units per plan and usage feature (overage); undefined when Commet's catalog could not be read. */
  included: IncludedByPlan | undefined;
  /** Unit name per usage feature code ("call"), null when the feature has none. */
  units: Record<string, string | null>;
  /** Display name per usage feature code ("API calls"), from the plan catalog; empty when it could not be read. */
  featureNames: Record<string, string>;
  catalogError: string | null;
}

/** The explorer (/usage) as its loader hands it to the screen. */
export interface UsageExplorerPage extends UsageCatalog {
  search: UsageSearch;
  ingest: IngestStatus;
  statuses: string[];
  /** Drifted customers as last checked, largest difference first. */
  drift: { rows: Reconciliation[]; labels: CustomerLabels };
  rangeError: string | null;
  /** Customers the customer box matched by name or email (null: no customer filter, or a known id). */
  customerMatches: CustomerLabel[] | null;
  result: {
    series: UsageSeries;
    /** With `compare=previous`: the same filters over the previous range (usage-compare.ts). */
    previous: UsageSeries | null;
    /** Streamed after the rest; null when the ranking failed. `estimates`: null when they could not be made. */
    top: Promise<(TopCustomers & { labels: CustomerLabels; estimates: RangeEstimates | null }) | null>;
    /** `estimates`: per customer, the amount of each row shown ("YYYY-MM-DD|feature_code"); null when they could not be made. */
    detail: UsageRowsPage & { labels: CustomerLabels; estimates: RowEstimates | null };
  } | null;
}

export interface ManualAnnotation {
  usageEventId: string;
  featureCode: string;
  quantity: number;
  occurredAt: number;
  date: string;
  staff: string | null;
  auditId: string | null;
  /** "track": a quantity added; "set": a correction to an exact period total (`quantity` is its adjustment). */
  kind: "track" | "set";
  /** For "set": the total it set. */
  setTo: number | null;
}

export interface CustomerUsage {
  timezone: "UTC";
  customerId: string;
  from: string;
  to: string;
  features: Array<{ code: string; total: number; series: Array<{ date: string; total: number; events: number }> }>;
  annotations: ManualAnnotation[];
}

export interface CustomerUsageTab extends CustomerUsage {
  /** Current period from Commet (ISO, exact instants; the chart marks the UTC days they fall on). */
  period: { start: string; end: string } | null;
  /** Per usage feature of the plan: included amount and Commet's live counter. */
  limits: Array<{ code: string; name: string; included: number | null; unlimited: boolean; current: number | null }>;
}

/** The customer page's Usage panel (GET /usage/customer/:customerId): the answer, or why the range is refused. */
export type CustomerUsagePanel =
  | { ok: false; message: string }
  | {
      ok: true;
      customerRef: string;
      search: { range: UsageSearch["range"]; from: string | null; to: string | null };
      usage: CustomerUsageTab;
      units: Record<string, string | null>;
      /** Commet could not be read: limits and period are missing, the timeline is shown alone. */
      liveProblem: { title: string; message: string } | null;
      /** The last stored check (the GET never calls Commet for it): null if never checked. */
      drift: Reconciliation | null;
      ingest: IngestStatus;
    };

/** POST /usage/customer/:customerId — a fresh check against Commet, stored; or why it could not run. */
export type CustomerReconcileAnswer = { ok: true; drift: Reconciliation } | { ok: false; message: string };

/** Finance's "check all against Commet" run, as the screen polls it (GET /usage/reconcile). */
export interface ReconcileSweepStatus {
  state: "idle" | "running" | "done" | "failed";
  startedBy: string | null;
  startedAt: number | null;
  finishedAt: number | null;
  /** Customers to check (known once the run has listed them), checked so far, drifted, not checkable. */
  total: number;
  checked: number;
  drifted: number;
  failed: number;
  error: string | null;
  /** When the next run may start (epoch ms): runs are spaced by a minimum interval. */
  nextRunAt: number | null;
}

/** POST /usage/reconcile: the run started (202), or why not (429, with Retry-After) and the run as it stands. */
export interface ReconcileSweepAnswer {
  refused: "running" | "too_soon" | null;
  status: ReconcileSweepStatus;
}
