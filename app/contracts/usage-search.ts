/**
 * The usage explorer's URL state (/usage): range (or custom UTC days), plan / feature / status filters, one
 * customer, the top-customers sort. Parsed alike by the screen, the explorer and its CSV export; bad values fall
 * back to defaults. Client-safe (docs/decisions/0008-usage-timeline.md).
 */

import { z } from "zod";
import { USAGE_COMPARES } from "./usage-compare.ts";
import { USAGE_GRAINS } from "./usage-grain.ts";

export const USAGE_RANGES = ["7d", "30d", "90d", "custom"] as const;
export type UsageRange = (typeof USAGE_RANGES)[number];
export const TOP_SORTS = ["usage", "overage"] as const;

const isoDay = z.iso.date();
const values = z.array(z.string().trim().min(1).max(200)).max(50);

export const usageSearchSchema = z.object({
  range: z.enum(USAGE_RANGES).catch("30d"),
  from: isoDay.optional().catch(undefined),
  to: isoDay.optional().catch(undefined),
  plan: values.catch([]),
  feature: values.catch([]),
  status: values.catch([]),
  customer: z.string().trim().min(1).max(200).optional().catch(undefined),
  sort: z.enum(TOP_SORTS).catch("usage"),
  /** The chart's grain (the rows and the CSV stay daily). */
  grain: z.enum(USAGE_GRAINS).catch("day"),
  /** Compare with the previous range (chart, totals and their CSV). */
  compare: z.enum(USAGE_COMPARES).catch("none"),
});

export type UsageSearch = z.infer<typeof usageSearchSchema>;

function listOf(params: URLSearchParams, key: string): string[] {
  return params
    .getAll(key)
    .flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter(Boolean);
}

export function parseUsageSearch(params: URLSearchParams): UsageSearch {
  const search = usageSearchSchema.parse({
    range: params.get("range") ?? undefined,
    from: params.get("from") || undefined,
    to: params.get("to") || undefined,
    plan: listOf(params, "plan"),
    feature: listOf(params, "feature"),
    status: listOf(params, "status"),
    customer: params.get("customer") || undefined,
    sort: params.get("sort") ?? undefined,
    grain: params.get("grain") ?? undefined,
    compare: params.get("compare") ?? undefined,
  });
  // A custom range without both ends is no range: fall back to the default preset.
  if (search.range === "custom" && (!search.from || !search.to))
    return { ...search, range: "30d", from: undefined, to: undefined };
  if (search.range !== "custom") return { ...search, from: undefined, to: undefined };
  return search;
}

/** The query string of a state (defaults left out), "" or "?…". `sort`, `grain` and `compare` only matter to the screen. */
export function usageSearchString(search: UsageSearch, options: { withSort?: boolean } = {}): string {
  const params = new URLSearchParams();
  if (search.range !== "30d") params.set("range", search.range);
  if (search.range === "custom") {
    if (search.from) params.set("from", search.from);
    if (search.to) params.set("to", search.to);
  }
  for (const p of search.plan) params.append("plan", p);
  for (const f of search.feature) params.append("feature", f);
  for (const s of search.status) params.append("status", s);
  if (search.customer) params.set("customer", search.customer);
  if ((options.withSort ?? true) && search.sort !== "usage") params.set("sort", search.sort);
  if ((options.withSort ?? true) && search.grain !== "day") params.set("grain", search.grain);
  if ((options.withSort ?? true) && search.compare !== "none") params.set("compare", search.compare);
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** The CSV of the top-customers ranking for the same filters and sort. */
export function usageTopExportHref(search: UsageSearch): string {
  const params = new URLSearchParams(usageSearchString({ ...search, grain: "day" }));
  return `/usage/top.csv${params.size ? `?${params}` : ""}`;
}

/** The CSV of the chart's buckets and totals beside the previous range's (grain and comparison as on the page). */
export function usageCompareExportHref(search: UsageSearch): string {
  return `/usage/compare.csv${usageSearchString({ ...search, sort: "usage", compare: "previous" })}`;
}

/** The CSV export of exactly the rows the filters show. */
export function usageExportHref(search: UsageSearch): string {
  return `/usage/export.csv${usageSearchString(search, { withSort: false })}`;
}

export function hasFilters(search: UsageSearch): boolean {
  return search.plan.length + search.feature.length + search.status.length > 0 || !!search.customer;
}
