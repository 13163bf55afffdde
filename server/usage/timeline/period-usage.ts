/**
 * Usage of many customers, each in its own billing period: the billable customers the directory indexes (their
 * subscription's plan, status and start date) and, per chunk of customers, one query on usage_daily joined to a
 * VALUES list of (customer ref, key, first day, end day) — index-friendly (usage_daily_customer_day).
 */
import { sql, type Kysely } from "kysely";
import { timelineDb, type TimelineDatabase } from "./schema.ts";

/** Customers per query (two refs each at most: Commet id and externalId). */
const CHUNK = 500;

/** Subscription statuses that have billing periods running. */
export const BILLED_STATUSES = ["active", "trialing", "past_due"] as const;

export interface BillableCustomer {
  customerId: string;
  externalId: string | null;
  fullName: string | null;
  email: string;
  subscriptionId: string;
  status: string;
  planId: string;
  /** The subscription's start (epoch ms): the anchor its periods are counted from. */
  startDate: number;
}

interface DirectoryRows {
  directory_customers: {
    id: string;
    external_id: string | null;
    full_name: string | null;
    email: string;
    subscription_id: string | null;
  };
  directory_subscriptions: { id: string; status: string | null; plan_id: string | null; start_date: number | null };
}

/**
 * Every indexed customer whose summary subscription bills periods (optionally of these plans / statuses), or with
 * `refs` the customers known under those references (Commet id or externalId) whatever their status.
 */
export async function listBillableCustomers(
  database: TimelineDatabase,
  filters: { plans?: readonly string[]; statuses?: readonly string[]; refs?: readonly string[] } = {},
): Promise<BillableCustomer[]> {
  if (filters.refs) return billableByRefs(database, filters.refs);
  const statuses = filters.statuses?.length
    ? BILLED_STATUSES.filter((s) => filters.statuses!.includes(s))
    : [...BILLED_STATUSES];
  if (statuses.length === 0) return [];
  let q = billableQuery(database).where("s.status", "in", statuses);
  if (filters.plans?.length) q = q.where("s.plan_id", "in", [...filters.plans]);
  return (await q.orderBy("c.id").execute()).map(toBillable);
}

function billableQuery(database: TimelineDatabase) {
  return (database.db as unknown as Kysely<DirectoryRows>)
    .selectFrom("directory_customers as c")
    .innerJoin("directory_subscriptions as s", "s.id", "c.subscription_id")
    .select([
      "c.id",
      "c.external_id",
      "c.full_name",
      "c.email",
      "s.id as sub_id",
      "s.status",
      "s.plan_id",
      "s.start_date",
    ])
    .where("s.start_date", "is not", null)
    .where("s.plan_id", "is not", null);
}

async function billableByRefs(database: TimelineDatabase, refs: readonly string[]): Promise<BillableCustomer[]> {
  const out: BillableCustomer[] = [];
  for (let i = 0; i < refs.length; i += CHUNK) {
    const chunk = [...refs.slice(i, i + CHUNK)];
    const rows = await billableQuery(database)
      .where((eb) => eb.or([eb("c.id", "in", chunk), eb("c.external_id", "in", chunk)]))
      .execute();
    out.push(...rows.map(toBillable));
  }
  return out;
}

function toBillable(r: {
  id: string;
  external_id: string | null;
  full_name: string | null;
  email: string;
  sub_id: string;
  status: string | null;
  plan_id: string | null;
  start_date: number | null;
}): BillableCustomer {
  return {
    customerId: r.id,
    externalId: r.external_id,
    fullName: r.full_name,
    email: r.email,
    subscriptionId: r.sub_id,
    status: r.status!,
    planId: r.plan_id!,
    startDate: Number(r.start_date),
  };
}

export interface PeriodWindow {
  /** The caller's key for the period (e.g. the customer id). */
  key: string;
  /** Every reference the timeline may store the customer under. */
  refs: readonly string[];
  /** UTC epoch days [fromDay, toDay). */
  fromDay: number;
  toDay: number;
}

/** Usage per window and feature over the window's whole UTC days. */
export async function usageInWindows(
  database: TimelineDatabase,
  windows: readonly PeriodWindow[],
): Promise<Map<string, Map<string, number>>> {
  const db = timelineDb(database.db);
  const out = new Map<string, Map<string, number>>(windows.map((w) => [w.key, new Map()]));
  const pairs = windows.flatMap((w) =>
    w.toDay > w.fromDay ? [...new Set(w.refs)].map((ref) => ({ ref, key: w.key, d0: w.fromDay, d1: w.toDay })) : [],
  );
  const bigint = (n: number) => sql`CAST(${n} AS BIGINT)`;
  for (let i = 0; i < pairs.length; i += CHUNK) {
    const values = pairs.slice(i, i + CHUNK).map((p) => sql`(${p.ref}, ${p.key}, ${bigint(p.d0)}, ${bigint(p.d1)})`);
    const { rows } = await sql<{ k: string; feature_code: string; total: number | string }>`
      WITH w(ref, k, d0, d1) AS (VALUES ${sql.join(values)})
      SELECT w.k AS k, u.feature_code AS feature_code, SUM(u.total) AS total
      FROM w JOIN usage_daily u ON u.customer_id = w.ref AND u.day >= w.d0 AND u.day < w.d1
      GROUP BY w.k, u.feature_code`.execute(db);
    for (const r of rows) {
      const m = out.get(r.k)!;
      m.set(r.feature_code, (m.get(r.feature_code) ?? 0) + Number(r.total));
    }
  }
  return out;
}

/** Daily usage per stored reference, day and feature over UTC days [fromDay, toDay) for these references. */
export async function dailyUsageOfRefs(
  database: TimelineDatabase,
  refs: readonly string[],
  fromDay: number,
  toDay: number,
): Promise<Array<{ ref: string; day: number; featureCode: string; total: number }>> {
  const db = timelineDb(database.db);
  const out: Array<{ ref: string; day: number; featureCode: string; total: number }> = [];
  for (let i = 0; i < refs.length; i += CHUNK) {
    const rows = await db
      .selectFrom("usage_daily")
      .select(["customer_id", "day", "feature_code", (eb) => eb.fn.sum<number>("total").as("total")])
      .where("customer_id", "in", [...refs.slice(i, i + CHUNK)])
      .where("day", ">=", fromDay)
      .where("day", "<", toDay)
      .groupBy(["customer_id", "day", "feature_code"])
      .execute();
    for (const r of rows)
      out.push({ ref: r.customer_id, day: Number(r.day), featureCode: r.feature_code, total: Number(r.total) });
  }
  return out;
}

export interface SplitWindow {
  /** The caller's key (e.g. a customer's period). */
  key: string;
  /** Every reference the timeline may store the customer under. */
  refs: readonly string[];
  /** UTC epoch days: usage in [fromDay, splitDay) is `before`, in [splitDay, toDay) is `within`. */
  fromDay: number;
  splitDay: number;
  toDay: number;
}

/**
 * Per window and feature: the usage before its split day, from it on, and how many stored days (per ref) fall
 * from it on — a range's priced totals need the period's usage up to the range and within it, not every day.
 */
export async function usageSplitInWindows(
  database: TimelineDatabase,
  windows: readonly SplitWindow[],
): Promise<Map<string, Map<string, { before: number; within: number; days: number }>>> {
  const db = timelineDb(database.db);
  const out = new Map<string, Map<string, { before: number; within: number; days: number }>>(
    windows.map((w) => [w.key, new Map()]),
  );
  const rows = windows.flatMap((w) =>
    w.toDay > w.fromDay
      ? [...new Set(w.refs)].map((ref) => ({ ref, key: w.key, d0: w.fromDay, d1: w.splitDay, d2: w.toDay }))
      : [],
  );
  const bigint = (n: number) => sql`CAST(${n} AS BIGINT)`;
  for (let i = 0; i < rows.length; i += CHUNK) {
    const values = rows
      .slice(i, i + CHUNK)
      .map((w) => sql`(${w.ref}, ${w.key}, ${bigint(w.d0)}, ${bigint(w.d1)}, ${bigint(w.d2)})`);
    const { rows: found } = await sql<{
      k: string;
      feature_code: string;
      before: number | string;
      within: number | string;
      days: number | string;
    }>`
      WITH w(ref, k, d0, d1, d2) AS (VALUES ${sql.join(values)})
      SELECT w.k AS k, u.feature_code AS feature_code,
        SUM(CASE WHEN u.day < w.d1 THEN u.total ELSE 0 END) AS before,
        SUM(CASE WHEN u.day >= w.d1 THEN u.total ELSE 0 END) AS within,
        SUM(CASE WHEN u.day >= w.d1 THEN 1 ELSE 0 END) AS days
      FROM w JOIN usage_daily u ON u.customer_id = w.ref AND u.day >= w.d0 AND u.day < w.d2
      GROUP BY w.k, u.feature_code`.execute(db);
    for (const r of found) {
      const m = out.get(r.k)!;
      const s = m.get(r.feature_code) ?? { before: 0, within: 0, days: 0 };
      s.before += Number(r.before);
      s.within += Number(r.within);
      s.days += Number(r.days);
      m.set(r.feature_code, s);
    }
  }
  return out;
}
