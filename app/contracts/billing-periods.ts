/**
 * Billing-period views for many customers (/usage/periods, client-safe): each customer's current or last closed
 * period (its own anchor), usage per feature, the estimated usage charges and, for a closed period, what Commet
 * invoiced. URL state: mode, sort ("amount" ascending, "-amount" descending, as the console's tables), page, page
 * size, plan and status filters.
 */
import { z } from "zod";

export const PERIOD_MODES = ["current", "closed"] as const;
export type PeriodMode = (typeof PERIOD_MODES)[number];
export const PERIOD_SORTS = ["amount", "usage", "customer", "plan", "periodEnd"] as const;
export type PeriodSort = (typeof PERIOD_SORTS)[number];
export const PERIOD_PAGE_SIZES = [25, 50, 100, 200] as const;

const values = z.array(z.string().trim().min(1).max(200)).max(50);

export const periodSearchSchema = z.object({
  mode: z.enum(PERIOD_MODES).catch("current"),
  sort: z.enum(PERIOD_SORTS).catch("amount"),
  dir: z.enum(["asc", "desc"]).catch("desc"),
  page: z.coerce.number().int().min(1).max(10_000).catch(1),
  pageSize: z.coerce
    .number()
    .refine((n) => (PERIOD_PAGE_SIZES as readonly number[]).includes(n))
    .catch(50),
  plan: values.catch([]),
  status: values.catch([]),
});
export type PeriodSearch = z.infer<typeof periodSearchSchema>;

const listOf = (params: URLSearchParams, key: string) =>
  params
    .getAll(key)
    .flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter(Boolean);

/** Bad values fall back to the defaults (a shared link never breaks). */
export function parsePeriodSearch(params: URLSearchParams): PeriodSearch {
  const sort = params.get("sort") ?? "-amount";
  return periodSearchSchema.parse({
    mode: params.get("mode") ?? undefined,
    sort: sort.replace(/^-/, ""),
    dir: sort.startsWith("-") ? "desc" : "asc",
    page: params.get("page") ?? undefined,
    pageSize: params.get("pageSize") ?? undefined,
    plan: listOf(params, "plan"),
    status: listOf(params, "status"),
  });
}

/** "" or "?…", defaults left out; `page` only when asked (the CSV has every row). */
export function periodSearchString(search: PeriodSearch, options: { withPage?: boolean } = {}): string {
  const p = new URLSearchParams();
  if (search.mode !== "current") p.set("mode", search.mode);
  const sort = sortParam(search);
  if (sort !== "-amount") p.set("sort", sort);
  if (search.pageSize !== 50) p.set("pageSize", String(search.pageSize));
  for (const v of search.plan) p.append("plan", v);
  for (const v of search.status) p.append("status", v);
  if ((options.withPage ?? true) && search.page !== 1) p.set("page", String(search.page));
  const s = p.toString();
  return s ? `?${s}` : "";
}

/** The `sort` URL parameter of a state ("-amount": estimated charges, largest first). */
export const sortParam = (search: Pick<PeriodSearch, "sort" | "dir">) =>
  `${search.dir === "desc" ? "-" : ""}${search.sort}`;

export const periodExportHref = (search: PeriodSearch) =>
  `/usage/periods/export.csv${periodSearchString(search, { withPage: false })}`;

export interface PeriodFeatureUsage {
  code: string;
  used: number;
  included: number;
  overageUnits: number;
  /** Estimated overage charge, minor units. */
  amount: number;
  /** Current period only: usage and charge projected to the period end at the rate so far. */
  projectedUsed: number | null;
  projectedAmount: number | null;
}

/** What Commet invoiced when the period closed (read for the rows on the page and the CSV). */
export interface PeriodInvoice {
  id: string;
  number: string;
  /** Sum of the invoice's overage lines for the period, minor units. */
  overageAmount: number;
  /** The same per usage feature code. */
  overageByFeature: Record<string, number>;
  /** The whole invoice (includes the next period's base and seats, charged in advance). */
  total: number;
  currency: string;
}

export interface PeriodRow {
  customerId: string;
  externalId: string | null;
  customerName: string | null;
  email: string;
  subscriptionId: string;
  status: string;
  planId: string;
  planName: string;
  interval: string;
  periodStart: string;
  periodEnd: string;
  currency: string;
  features: PeriodFeatureUsage[];
  usage: number;
  /** Estimated usage charges (overage beyond the included amounts), minor units. */
  amount: number;
  projectedAmount: number | null;
  /** Closed mode: the invoice, null when none was found, undefined when not read. */
  invoice?: PeriodInvoice | null;
  /** Why there is no estimate (trial, credits plan), shown beside the amount. */
  note: string | null;
}

export interface PeriodView {
  search: PeriodSearch;
  generatedAt: string;
  currency: string;
  rows: PeriodRow[];
  page: number;
  pages: number;
  pageSize: number;
  /** All customers of the filters (every page). */
  totals: {
    customers: number;
    usageByFeature: Record<string, number>;
    amount: number;
    projectedAmount: number | null;
    /** Of the rows on this page only (invoices are read per page). */
    pageInvoicedOverage: number | null;
    pageAmount: number;
  };
  features: Array<{ code: string; name: string; unit: string | null }>;
  plans: Array<{ id: string; name: string }>;
  statuses: string[];
  catalogError: string | null;
  invoiceError: string | null;
  /** Customers left out: their plan is not in the catalog or bills no recurring periods. */
  skipped: number;
  assumptions: string[];
}

export const PERIOD_SORT_LABELS: Record<PeriodSort, string> = {
  amount: "Estimated charges",
  usage: "Usage",
  customer: "Customer",
  plan: "Plan",
  periodEnd: "Period end",
};
