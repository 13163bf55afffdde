/**
 * Period-over-period comparison in the explorer: the same filters over the previous range (app/contracts/usage-compare.ts
 * decides which), and its CSV — the chart's buckets and the totals per feature, current beside previous, Δ and Δ%.
 */
import type { Readable } from "node:stream";
import { compareTotals, pairBuckets, previousRange, totalsOf } from "../../../app/contracts/usage-compare.ts";
import { bucketSeries } from "../../../app/contracts/usage-grain.ts";
import type { UsageSearch } from "../../../app/contracts/usage-search.ts";
import type { UsageCatalog, UsageSeries } from "../../../app/contracts/usage.ts";
import { csvStream, type CsvCell, type CsvColumn } from "../../csv/index.ts";
import { daysBetween, dayToIso, isoToDay } from "./days.ts";
import { usageSeries, type ExplorerFilters } from "./explorer.ts";
import type { TimelineDatabase } from "./schema.ts";

/** The previous range's series for the same filters (its range per the grain). */
export async function previousSeries(
  database: TimelineDatabase,
  filters: ExplorerFilters,
  grain: UsageSearch["grain"],
): Promise<UsageSeries> {
  const prev = previousRange(dayToIso(filters.range.fromDay), dayToIso(filters.range.toDay), grain);
  return usageSeries(database, { ...filters, range: daysBetween(isoToDay(prev.from), isoToDay(prev.to)) });
}

type CompareKey =
  | "row"
  | "bucket"
  | "previous_bucket"
  | "feature_code"
  | "feature_name"
  | "unit"
  | "current"
  | "previous"
  | "delta"
  | "delta_pct";

export const COMPARE_CSV_COLUMNS: readonly CsvColumn<CompareKey>[] = (
  [
    "row",
    "bucket",
    "previous_bucket",
    "feature_code",
    "feature_name",
    "unit",
    "current",
    "previous",
    "delta",
    "delta_pct",
  ] as const
).map((key) => ({ key, header: key }));

/**
 * One row per bucket (the chart's grain) and feature, then one "total" row per feature (the page's totals table);
 * buckets are paired by position, as the chart draws them. delta_pct is empty when the previous value is zero.
 */
export function comparisonCsv(
  current: UsageSeries,
  previous: UsageSeries,
  grain: UsageSearch["grain"],
  catalog: Pick<UsageCatalog, "featureNames" | "units">,
): Readable {
  const codes = [...new Set([...current.features, ...previous.features])].sort();
  const rows: Array<Record<CompareKey, CsvCell>> = [];
  const row = (
    kind: string,
    bucket: string,
    prevBucket: string | null,
    c: ReturnType<typeof compareTotals>[number],
  ) => ({
    row: kind,
    bucket,
    previous_bucket: prevBucket,
    feature_code: c.code,
    feature_name: catalog.featureNames[c.code] ?? null,
    unit: catalog.units[c.code] ?? null,
    current: c.current,
    previous: c.previous,
    delta: c.delta,
    delta_pct: c.deltaPct === null ? null : Math.round(c.deltaPct * 10) / 10,
  });
  for (const pair of pairBuckets(bucketSeries(current.days, grain), bucketSeries(previous.days, grain)))
    for (const c of compareTotals(pair.current.totals, pair.previous?.totals ?? {}, codes))
      rows.push(row("bucket", pair.date, pair.previousDate, c));
  for (const c of compareTotals(totalsOf(current.days), totalsOf(previous.days), codes))
    rows.push(row("total", `${current.from}..${current.to}`, `${previous.from}..${previous.to}`, c));
  return csvStream(rows, COMPARE_CSV_COLUMNS);
}
