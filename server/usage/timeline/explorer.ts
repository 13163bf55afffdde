/**
 * Explorer queries (/usage, finance and admin): totals per feature over time, top customers with
 * sparklines, and the detail rows behind them (table + streamed CSV). They read the daily rollups
 * only, never usage_events: the unfiltered / plan / feature view reads usage_daily_plan (days × plans ×
 * features rows), customer and status filters read usage_daily. Days are UTC days.
 */
import type { Readable } from "node:stream";
import { csvStream, type CsvCell } from "../../csv/index.ts";
import { customerLabels, searchCustomers } from "../../directory/index.ts";
import { sql, type ExpressionBuilder, type SelectQueryBuilder } from "kysely";
import { z } from "zod";
import { rankingCandidates } from "./blocks.ts";
import { dayToIso, rangeDays, rangeSchema, resolveRange, TIMEZONE, type DayRange } from "./days.ts";
import { timelineDb, type TimelineDatabase, type TimelineDB, type TimelineDb } from "./schema.ts";
import type { CustomerLabel } from "../../../app/contracts/directory.ts";
import { minorDigits } from "../../../app/contracts/money.ts";
import type {
  IncludedByPlan,
  RangeEstimate,
  RangeEstimates,
  TopCustomers,
  UsageRow,
  UsageRowsPage,
  UsageSeries,
} from "../../../app/contracts/usage.ts";

export interface ExplorerFilters {
  range: DayRange;
  /** Commet plan ids ('' = plan unknown at ingest); empty = all. */
  plans?: readonly string[];
  features?: readonly string[];
  /** Customer subscription statuses as the directory indexes them (current status); empty = all. */
  statuses?: readonly string[];
  /** One customer (Commet id or externalId). */
  customer?: string;
  /** The refs `customer` resolved to (resolveCustomerSearch: by id, else by name or email); overrides `customer`. */
  customerRefs?: readonly string[];
}

/** Customers a name search in the explorer matched (at most this many are filtered on). */
export const CUSTOMER_SEARCH_MATCHES = 50;

/**
 * The explorer's customer box: a Commet id or externalId the directory knows is that customer; anything else is
 * searched by name / email in the directory index (and kept as a ref) and filters on every match. `matches` lists
 * the customers found that way (null when the term was a known id).
 */
export async function resolveCustomerSearch(
  database: TimelineDatabase,
  f: ExplorerFilters,
): Promise<{ filters: ExplorerFilters; matches: CustomerLabel[] | null }> {
  if (!f.customer) return { filters: f, matches: null };
  const db = timelineDb(database.db);
  const known = await db
    .selectFrom("directory_customers")
    .select("id")
    .where((eb) => eb.or([eb("id", "=", f.customer!), eb("external_id", "=", f.customer!)]))
    .executeTakeFirst();
  if (known) return { filters: { ...f, customerRefs: await customerRefs(db, f.customer) }, matches: null };
  const found = await searchCustomers(database, f.customer, { limit: CUSTOMER_SEARCH_MATCHES });
  const matches = found.hits.map((h) => ({ id: h.id, externalId: h.externalId, fullName: h.fullName, email: h.email }));
  // The term itself stays a ref: usage of a customer the directory does not know is stored under it.
  const matchedRefs = matches.flatMap((m) => (m.externalId ? [m.id, m.externalId] : [m.id]));
  return { filters: { ...f, customerRefs: [...new Set([f.customer, ...matchedRefs])] }, matches };
}

const list = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((v) => (v === undefined ? [] : (Array.isArray(v) ? v : v.split(",")).map((s) => s.trim()).filter(Boolean)))
  .pipe(z.array(z.string().max(200)).max(50));

/** The explorer's URL: range (7d|30d|90d|custom + from/to), plan, feature, status (repeated or comma-separated), customer. */
export const explorerQuerySchema = z.object({
  range: rangeSchema.shape.range,
  from: rangeSchema.shape.from,
  to: rangeSchema.shape.to,
  plan: list.catch([]),
  feature: list.catch([]),
  status: list.catch([]),
  customer: z.string().trim().min(1).max(200).optional().catch(undefined),
});

/** URLSearchParams (repeated keys kept) → filters; throws InvalidRangeError on an impossible range. */
export function parseExplorerFilters(params: URLSearchParams, now: number): ExplorerFilters {
  const raw: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    const all = params.getAll(key);
    raw[key] = all.length === 1 ? all[0]! : all;
  }
  const q = explorerQuerySchema.parse(raw);
  return {
    range: resolveRange({ range: q.range, from: q.from, to: q.to }, now),
    plans: q.plan,
    features: q.feature,
    statuses: q.status,
    customer: q.customer,
  };
}

/** The references a customer's usage is stored under (as given, its Commet id, its externalId). */
export async function customerRefs(db: TimelineDb, customer: string): Promise<string[]> {
  const row = await db
    .selectFrom("directory_customers")
    .select(["id", "external_id"])
    .where((eb) => eb.or([eb("id", "=", customer), eb("external_id", "=", customer)]))
    .executeTakeFirst();
  return [...new Set([customer, ...(row ? [row.id, row.external_id].filter((v): v is string => !!v) : [])])];
}

/** The reference the timeline stores a customer under: externalId when known, else the Commet id (as webhooks send it). */
export async function canonicalCustomerRef(db: TimelineDb, customer: string): Promise<string> {
  const row = await db
    .selectFrom("directory_customers")
    .select(["id", "external_id"])
    .where((eb) => eb.or([eb("id", "=", customer), eb("external_id", "=", customer)]))
    .executeTakeFirst();
  return row ? (row.external_id ?? row.id) : customer;
}

type DailyQuery<O> = SelectQueryBuilder<TimelineDB, "usage_daily", O>;

async function filterDaily<O>(db: TimelineDb, q: DailyQuery<O>, f: ExplorerFilters): Promise<DailyQuery<O>> {
  let out = q.where("usage_daily.day", ">=", f.range.fromDay).where("usage_daily.day", "<=", f.range.toDay);
  if (f.plans?.length) out = out.where("usage_daily.plan_id", "in", [...f.plans]);
  if (f.features?.length) out = out.where("usage_daily.feature_code", "in", [...f.features]);
  if (f.customerRefs) out = out.where("usage_daily.customer_id", "in", [...f.customerRefs]);
  else if (f.customer) out = out.where("usage_daily.customer_id", "in", await customerRefs(db, f.customer));
  if (f.statuses?.length) {
    const statuses = [...f.statuses];
    out = out.where("usage_daily.customer_id", "in", (eb: ExpressionBuilder<TimelineDB, "usage_daily">) =>
      eb
        .selectFrom("directory_customers")
        .select((e) => e.fn.coalesce("external_id", "id").as("ref"))
        .where("subscription_status", "in", statuses),
    );
  }
  return out;
}

/** Totals per feature per day (the stacked chart). */
export async function usageSeries(database: TimelineDatabase, f: ExplorerFilters): Promise<UsageSeries> {
  const db = timelineDb(database.db);
  let rows: Array<{ day: number; feature_code: string; total: number }>;
  if (!f.customer && !f.statuses?.length) {
    let q = db
      .selectFrom("usage_daily_plan")
      .select((eb) => ["day", "feature_code", eb.fn.sum<number>("total").as("total")])
      .where("day", ">=", f.range.fromDay)
      .where("day", "<=", f.range.toDay);
    if (f.plans?.length) q = q.where("plan_id", "in", [...f.plans]);
    if (f.features?.length) q = q.where("feature_code", "in", [...f.features]);
    rows = await q.groupBy(["day", "feature_code"]).execute();
  } else {
    const base = db
      .selectFrom("usage_daily")
      .select((eb) => [
        "usage_daily.day",
        "usage_daily.feature_code",
        eb.fn.sum<number>("usage_daily.total").as("total"),
      ]);
    rows = await (await filterDaily(db, base, f)).groupBy(["usage_daily.day", "usage_daily.feature_code"]).execute();
  }
  const features = [...new Set(rows.map((r) => r.feature_code))].sort();
  const byDay = new Map<number, Record<string, number>>();
  for (const r of rows) {
    const totals = byDay.get(Number(r.day)) ?? {};
    totals[r.feature_code] = Number(r.total);
    byDay.set(Number(r.day), totals);
  }
  let total = 0;
  const days = rangeDays(f.range).map((day) => {
    const totals: Record<string, number> = Object.fromEntries(features.map((c) => [c, 0]));
    Object.assign(totals, byDay.get(day));
    const dayTotal = Object.values(totals).reduce((s, v) => s + v, 0);
    total += dayTotal;
    return { date: dayToIso(day), totals, total: dayTotal };
  });
  return { timezone: TIMEZONE, from: dayToIso(f.range.fromDay), to: dayToIso(f.range.toDay), features, days, total };
}

/**
 * Top customers by usage or by (prorated) overage in the range, with sparklines. Overage needs
 * `included` (the plans' allowances); a plan or feature missing from it counts as unlimited.
 */
export async function topCustomers(
  database: TimelineDatabase,
  f: ExplorerFilters,
  options: { limit?: number; sort?: "usage" | "overage"; included?: IncludedByPlan } = {},
): Promise<TopCustomers> {
  const limit = Math.min(Math.max(options.limit ?? 20, 1), 200);
  const sort = options.sort ?? "usage";
  const db = timelineDb(database.db);
  const rangeLength = f.range.toDay - f.range.fromDay + 1;
  // Ranked in the database (only `limit` rows come back): per customer × feature the usage and the
  // largest allowance among the plans of its rows, then per customer the usage and the overage.
  const allowances = Object.entries(options.included ?? {}).flatMap(([plan, features]) =>
    Object.entries(features).flatMap(([feature, amount]) =>
      typeof amount === "number" ? [[plan, feature, amount] as const] : [],
    ),
  );
  const allow =
    allowances.length === 0
      ? sql<number | null>`cast(null as double precision)`
      : sql<number | null>`case ${sql.join(
          allowances.map(
            ([plan, feature, amount]) =>
              sql`when usage_daily.plan_id = ${plan} and usage_daily.feature_code = ${feature} then cast(${amount} as double precision)`,
          ),
          sql` `,
        )} else null end`;
  // Ranked by usage over all plans: bounds from usage_blocks leave only the customers that can make the top.
  const pruned =
    sort === "usage" && !f.plans?.length && !f.customer && !f.customerRefs
      ? await rankingCandidates(db, f, limit)
      : null;
  const perFeatureAll = (
    await filterDaily(
      db,
      db
        .selectFrom("usage_daily")
        .select((eb) => [
          "usage_daily.customer_id",
          "usage_daily.feature_code",
          eb.fn.sum<number>("usage_daily.total").as("used"),
          eb.fn.max(allow).as("allow"),
        ]),
      f,
    )
  ).groupBy(["usage_daily.customer_id", "usage_daily.feature_code"]);
  const perFeature = pruned?.candidates
    ? perFeatureAll.where("usage_daily.customer_id", "in", pruned.candidates)
    : perFeatureAll;
  const factor = sql`cast(${rangeLength / 30} as double precision)`;
  const overage = sql<number>`case when cf.allow is null then 0 when cf.used - cf.allow * ${factor} > 0 then cf.used - cf.allow * ${factor} else 0 end`;
  let ranked = db
    .selectFrom(perFeature.as("cf"))
    .select((eb) => [
      "cf.customer_id",
      eb.fn.sum<number>("cf.used").as("usage"),
      eb.fn.sum<number>(overage).as("overage"),
      sql<number>`count(*) over ()`.as("customers"),
    ])
    .groupBy("cf.customer_id");
  ranked =
    sort === "usage" ? ranked.orderBy("usage", "desc") : ranked.orderBy("overage", "desc").orderBy("usage", "desc");
  const top = await ranked.orderBy("cf.customer_id").limit(limit).execute();
  const ids = top.map((r) => r.customer_id);

  const byFeature = new Map<string, Record<string, number>>(ids.map((id) => [id, {}]));
  const planIds = new Map<string, Set<string>>(ids.map((id) => [id, new Set<string>()]));
  const sparks = new Map<string, number[]>(ids.map((id) => [id, new Array<number>(rangeLength).fill(0)]));
  if (ids.length) {
    // The ranked customers' rows of the range (one per customer × feature × day, with its plan).
    const details = await (
      await filterDaily(
        db,
        db
          .selectFrom("usage_daily")
          .select([
            "usage_daily.customer_id",
            "usage_daily.feature_code",
            "usage_daily.plan_id",
            "usage_daily.day",
            "usage_daily.total",
          ])
          .where("usage_daily.customer_id", "in", ids),
        f,
      )
    ).execute();
    for (const d of details) {
      const total = Number(d.total);
      const features = byFeature.get(d.customer_id)!;
      features[d.feature_code] = (features[d.feature_code] ?? 0) + total;
      planIds.get(d.customer_id)!.add(d.plan_id);
      sparks.get(d.customer_id)![Number(d.day) - f.range.fromDay]! += total;
    }
  }
  return {
    timezone: TIMEZONE,
    from: dayToIso(f.range.fromDay),
    to: dayToIso(f.range.toDay),
    sort,
    customers: pruned ? pruned.customers : top.length ? Number(top[0]!.customers) : 0,
    rows: top.map((r) => ({
      customerId: r.customer_id,
      planIds: [...planIds.get(r.customer_id)!].sort(),
      usage: Number(r.usage),
      byFeature: byFeature.get(r.customer_id)!,
      overage: Number(r.overage),
      spark: sparks.get(r.customer_id)!,
    })),
  };
}

export class InvalidUsageCursorError extends Error {}

const cursorSchema = z.tuple([z.number().int(), z.string(), z.string()]);

function decodeCursor(cursor: string): [number, string, string] {
  try {
    return cursorSchema.parse(JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")));
  } catch {
    throw new InvalidUsageCursorError("The page cursor is not valid");
  }
}

/** Detail rows ordered by day, customer, feature (keyset pages; limit ≤ 5000). */
export async function listUsageRows(
  database: TimelineDatabase,
  f: ExplorerFilters,
  options: { after?: string | null; limit?: number } = {},
): Promise<UsageRowsPage> {
  const limit = Math.min(Math.max(options.limit ?? 100, 1), 5000);
  const db = timelineDb(database.db);
  let q = await filterDaily(
    db,
    db
      .selectFrom("usage_daily")
      .select([
        "usage_daily.day",
        "usage_daily.customer_id",
        "usage_daily.plan_id",
        "usage_daily.feature_code",
        "usage_daily.total",
        "usage_daily.events",
      ]),
    f,
  );
  if (options.after) {
    const [day, customer, feature] = decodeCursor(options.after);
    q = q.where((eb) =>
      eb(
        eb.refTuple("usage_daily.day", "usage_daily.customer_id", "usage_daily.feature_code"),
        ">",
        eb.tuple(day, customer, feature),
      ),
    );
  }
  const found = await q
    .orderBy("usage_daily.day")
    .orderBy("usage_daily.customer_id")
    .orderBy("usage_daily.feature_code")
    .limit(limit + 1)
    .execute();
  const page = found.slice(0, limit);
  const last = page[page.length - 1];
  return {
    timezone: TIMEZONE,
    rows: page.map((r) => ({
      date: dayToIso(Number(r.day)),
      customerId: r.customer_id,
      planId: r.plan_id,
      featureCode: r.feature_code,
      total: Number(r.total),
      events: Number(r.events),
    })),
    nextCursor:
      found.length > limit && last
        ? Buffer.from(JSON.stringify([Number(last.day), last.customer_id, last.feature_code])).toString("base64url")
        : null,
  };
}

/** Ids and the names staff read beside them: customer_id is the Commet id (the stored ref when the index does not know it). */
export const USAGE_CSV_COLUMNS = [
  { key: "date", header: "date (UTC)" },
  { key: "customerId", header: "customer_id" },
  { key: "externalId", header: "customer_external_id" },
  { key: "customerName", header: "customer_name" },
  { key: "planId", header: "plan_id" },
  { key: "planName", header: "plan_name" },
  { key: "featureCode", header: "feature_code" },
  { key: "featureName", header: "feature_name" },
  { key: "unit", header: "unit" },
  { key: "total", header: "total" },
  { key: "currency", header: "currency" },
  { key: "estimatedAmount", header: "estimated_amount" },
  { key: "events", header: "events" },
] as const;

type UsageCsvKey = (typeof USAGE_CSV_COLUMNS)[number]["key"];

/** Plan and feature names from the catalog (one read per export); a missing entry leaves its name cell empty. */
export interface UsageCsvNames {
  plans: Readonly<Record<string, string>>;
  features: Readonly<Record<string, string>>;
  units: Readonly<Record<string, string | null>>;
}

/**
 * The detail rows of `f` as CSV, streamed: pages of `pageSize` are fetched as the consumer reads
 * (backpressure through the pipeline), so memory stays flat for any export size. Same rows and order
 * as listUsageRows. Customers are named from the directory index with one batched lookup per page.
 * For a Fetch Response: `new Response(Readable.toWeb(stream) as ReadableStream)`.
 */
export function streamUsageCsv(
  database: TimelineDatabase,
  f: ExplorerFilters,
  options: {
    pageSize?: number;
    names?: UsageCsvNames;
    /** Estimated amounts of a page's customers over the range (estimated_amount stays empty without it). */
    estimate?: (refs: readonly string[]) => Promise<RangeEstimates | null>;
  } = {},
): Readable {
  const names = options.names ?? { plans: {}, features: {}, units: {} };
  async function* rows(): AsyncGenerator<Record<UsageCsvKey, CsvCell>> {
    let after: string | null = null;
    do {
      const page: UsageRowsPage = await listUsageRows(database, f, { after, limit: options.pageSize ?? 2000 });
      const refs = [...new Set(page.rows.map((r) => r.customerId))];
      const [labels, estimates] = await Promise.all([
        customerLabels(database, refs),
        options.estimate ? options.estimate(refs) : Promise.resolve(null),
      ]);
      for (const r of page.rows) yield usageCsvRow(r, labels[r.customerId], names, estimates?.[r.customerId]);
      after = page.nextCursor;
    } while (after);
  }
  return csvStream(rows(), USAGE_CSV_COLUMNS);
}

function usageCsvRow(
  r: UsageRow,
  label: CustomerLabel | undefined,
  names: UsageCsvNames,
  estimate: RangeEstimate | undefined,
): Record<UsageCsvKey, CsvCell> {
  const amount = estimate ? (estimate.byDay[`${r.date}|${r.featureCode}`] ?? 0) : null;
  return {
    date: r.date,
    customerId: label?.id ?? r.customerId,
    externalId: label ? label.externalId : null,
    customerName: label ? (label.fullName ?? label.email) : null,
    planId: r.planId,
    planName: r.planId ? (names.plans[r.planId] ?? null) : null,
    featureCode: r.featureCode,
    featureName: names.features[r.featureCode] ?? null,
    unit: names.units[r.featureCode] ?? null,
    total: r.total,
    currency: estimate ? estimate.currency : null,
    estimatedAmount: amount === null ? null : decimalOf(amount, estimate!.currency),
    events: r.events,
  };
}

/** Minor units as the currency's decimal text ("12.34"), as the other money CSVs write amounts. */
export function decimalOf(minor: number, currency: string): string {
  const digits = minorDigits(currency);
  return (minor / 10 ** digits).toFixed(digits);
}
