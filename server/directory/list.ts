/**
 * The customers and subscriptions tables, served from the index: server-side sort, filters and
 * paging (opaque keyset cursor, or offset for page-number UIs), and counts per subscription status.
 */
import { sql, type Expression, type Selectable, type SqlBool } from "kysely";
import { z } from "zod";
import { chunks } from "../db/index.ts";
import { parseSeats } from "./store.ts";
import { normalizeEmail } from "./normalize.ts";
import { tables, type DirectoryCustomersTable, type DirectoryDb } from "./schema.ts";
import type { CustomerLabel, IndexedCustomer, IndexedSubscription, Page } from "../../app/contracts/directory.ts";

export const SUBSCRIPTION_STATUSES = [
  "draft",
  "pending_payment",
  "trialing",
  "active",
  "past_due",
  "canceled",
] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];
/** A customer's summary status filter: a subscription status, or "none" (no subscription indexed). */
export type CustomerStatusFilter = SubscriptionStatus | "none";

export const CUSTOMER_SORTS = ["created", "email", "name", "plan", "status", "seats"] as const;
export const SUBSCRIPTION_SORTS = ["started", "status", "plan", "customer"] as const;
export const LIST_MAX_LIMIT = 200;

const base = {
  dir: z.enum(["asc", "desc"]).default("desc"),
  plan: z.array(z.string().min(1)).max(50).default([]),
  /** Opaque cursor from a previous page's nextCursor (keyset paging). Wins over offset. */
  cursor: z.string().max(1000).optional(),
  /** Offset paging for page-number UIs. */
  offset: z.number().int().min(0).max(10_000_000).default(0),
  limit: z.number().int().min(1).max(LIST_MAX_LIMIT).default(50),
};

export const customerListOptionsSchema = z.object({
  ...base,
  sort: z.enum(CUSTOMER_SORTS).default("created"),
  status: z
    .array(z.enum([...SUBSCRIPTION_STATUSES, "none"]))
    .max(7)
    .default([]),
});
export type CustomerListOptions = z.input<typeof customerListOptionsSchema>;

export const subscriptionListOptionsSchema = z.object({
  ...base,
  sort: z.enum(SUBSCRIPTION_SORTS).default("started"),
  status: z.array(z.enum(SUBSCRIPTION_STATUSES)).max(6).default([]),
});
export type SubscriptionListOptions = z.input<typeof subscriptionListOptionsSchema>;

/** Keyset cursor: the last row's sort value and id, bound to the sort it was made for. */
interface CursorData {
  s: string;
  d: "asc" | "desc";
  v: string | number;
  id: string;
}

function encodeCursor(c: CursorData): string {
  return Buffer.from(JSON.stringify(c)).toString("base64url");
}

const cursorSchema = z.object({
  s: z.string(),
  d: z.enum(["asc", "desc"]),
  v: z.union([z.string(), z.number()]),
  id: z.string(),
});

export class InvalidCursorError extends Error {
  constructor() {
    super("Invalid or stale cursor");
    this.name = "InvalidCursorError";
  }
}

function decodeCursor(cursor: string, sort: string, dir: "asc" | "desc"): CursorData {
  try {
    const parsed = cursorSchema.parse(JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")));
    if (parsed.s !== sort || parsed.d !== dir) throw new InvalidCursorError();
    return parsed;
  } catch {
    throw new InvalidCursorError();
  }
}

/** `(expr, id)` strictly after the cursor in the given direction. */
function afterCursor(expr: Expression<unknown>, idRef: string, c: CursorData): Expression<SqlBool> {
  const op = sql.raw(c.d === "asc" ? ">" : "<");
  return sql<SqlBool>`(${expr} ${op} ${c.v} or (${expr} = ${c.v} and ${sql.ref(idRef)} ${op} ${c.id}))`;
}

function toIndexedCustomer(r: Selectable<DirectoryCustomersTable>): IndexedCustomer {
  return {
    id: r.id,
    externalId: r.external_id,
    email: r.email,
    fullName: r.full_name,
    subscriptionId: r.subscription_id,
    subscriptionStatus: r.subscription_status,
    planId: r.plan_id,
    planName: r.plan_name,
    seats: parseSeats(r.seats),
    seatsTotal: Number(r.seats_total),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    indexedAt: Number(r.indexed_at),
  };
}

/** Splits rows fetched with limit+1 into the page and its next cursor. */
function toPage<R, T>(
  rows: R[],
  total: number,
  o: { sort: string; dir: "asc" | "desc"; limit: number },
  key: (row: R) => { v: string | number; id: string },
  map: (row: R) => T,
): Page<T> {
  const hasMore = rows.length > o.limit;
  if (hasMore) rows.length = o.limit;
  const last = rows[rows.length - 1];
  return {
    rows: rows.map(map),
    total,
    nextCursor: hasMore && last ? encodeCursor({ s: o.sort, d: o.dir, ...key(last) }) : null,
  };
}

const customerSortExpr: Record<(typeof CUSTOMER_SORTS)[number], Expression<string | number>> = {
  created: sql.ref("created_at"),
  email: sql.ref("email_norm"),
  name: sql.ref("name_search"),
  plan: sql`coalesce(plan_name, '')`,
  status: sql`coalesce(subscription_status, '')`,
  seats: sql.ref("seats_total"),
};

/** List indexed customers. Throws ZodError on bad options and InvalidCursorError on a bad cursor. */
export async function listIndexedCustomers(
  database: DirectoryDb,
  options: CustomerListOptions = {},
): Promise<Page<IndexedCustomer>> {
  const o = customerListOptionsSchema.parse(options);
  const trx = tables(database);
  const expr = customerSortExpr[o.sort];
  let q = trx.selectFrom("directory_customers");
  if (o.status.length > 0) {
    const statuses = o.status.filter((s) => s !== "none");
    const none = o.status.includes("none");
    q = q.where((eb) =>
      eb.or([
        ...(statuses.length > 0 ? [eb("subscription_status", "in", statuses)] : []),
        ...(none ? [eb("subscription_status", "is", null)] : []),
      ]),
    );
  }
  if (o.plan.length > 0) q = q.where("plan_id", "in", o.plan);

  const countRow = await q.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
  let pageQuery = q.selectAll();
  if (o.cursor) pageQuery = pageQuery.where(afterCursor(expr, "id", decodeCursor(o.cursor, o.sort, o.dir)));
  pageQuery = pageQuery
    .orderBy(expr, o.dir)
    .orderBy("id", o.dir)
    .limit(o.limit + 1);
  if (!o.cursor && o.offset > 0) pageQuery = pageQuery.offset(o.offset);
  const rows = await pageQuery.execute();
  const sortValue = (r: (typeof rows)[number]): string | number =>
    ({
      created: Number(r.created_at),
      email: r.email_norm,
      name: r.name_search,
      plan: r.plan_name ?? "",
      status: r.subscription_status ?? "",
      seats: Number(r.seats_total),
    })[o.sort];
  return toPage(rows, Number(countRow.n), o, (r) => ({ v: sortValue(r), id: r.id }), toIndexedCustomer);
}

/** One indexed customer by Commet id or externalId (e.g. to resolve a URL); null when not indexed. */
export async function getIndexedCustomer(
  database: DirectoryDb,
  idOrExternalId: string,
): Promise<IndexedCustomer | null> {
  const rows = await tables(database)
    .selectFrom("directory_customers")
    .selectAll()
    .where((eb) => eb.or([eb("id", "=", idOrExternalId), eb("external_id", "=", idOrExternalId)]))
    .limit(2)
    .execute();
  const match = rows.find((r) => r.id === idOrExternalId) ?? rows[0];
  return match ? toIndexedCustomer(match) : null;
}

/**
 * The indexed customers with these emails (case-insensitive), keyed by the normalized email — how a
 * payment (Commet's transactions carry the customer's email, not its id) finds its customer and plan.
 */
export async function indexedCustomersByEmail(
  database: DirectoryDb,
  emails: readonly string[],
): Promise<Map<string, IndexedCustomer>> {
  const wanted = [...new Set(emails.map(normalizeEmail))].filter(Boolean);
  const found = new Map<string, IndexedCustomer>();
  for (const batch of chunks(wanted, 500)) {
    const rows = await tables(database)
      .selectFrom("directory_customers")
      .selectAll()
      .where("email_norm", "in", batch)
      .orderBy("id")
      .execute();
    for (const r of rows) if (!found.has(r.email_norm)) found.set(r.email_norm, toIndexedCustomer(r));
  }
  return found;
}

/**
 * Labels of the customers that `refs` name (Commet ids or externalIds, as usage carries them), keyed
 * by the ref; refs the index does not know are left out.
 */
export async function customerLabels(
  // Only the connection: a webhook observer passes the intake's transaction.
  database: Pick<DirectoryDb, "db">,
  refs: readonly string[],
): Promise<Record<string, CustomerLabel>> {
  const wanted = [...new Set(refs)].filter(Boolean);
  if (wanted.length === 0) return {};
  const labels: Record<string, CustomerLabel> = {};
  for (const batch of chunks(wanted, 500)) {
    const rows = await tables(database)
      .selectFrom("directory_customers")
      .select(["id", "external_id", "full_name", "email"])
      .where((eb) => eb.or([eb("id", "in", batch), eb("external_id", "in", batch)]))
      .execute();
    for (const r of rows) {
      const label = { id: r.id, externalId: r.external_id, fullName: r.full_name, email: r.email };
      if (batch.includes(r.id)) labels[r.id] = label;
      if (r.external_id && batch.includes(r.external_id)) labels[r.external_id] ??= label;
    }
  }
  return labels;
}

const subscriptionSortExpr: Record<(typeof SUBSCRIPTION_SORTS)[number], Expression<string | number>> = {
  started: sql`coalesce(s.start_date, 0)`,
  status: sql`coalesce(s.status, '')`,
  plan: sql`coalesce(s.plan_name, '')`,
  customer: sql`coalesce(c.email_norm, s.customer_ref)`,
};

/** List indexed subscriptions with their customer. Same errors as listIndexedCustomers. */
export async function listIndexedSubscriptions(
  database: DirectoryDb,
  options: SubscriptionListOptions = {},
): Promise<Page<IndexedSubscription>> {
  const o = subscriptionListOptionsSchema.parse(options);
  const trx = tables(database);
  const expr = subscriptionSortExpr[o.sort];
  let q = trx.selectFrom("directory_subscriptions as s").leftJoin("directory_customers as c", "c.id", "s.customer_id");
  if (o.status.length > 0) q = q.where("s.status", "in", o.status);
  if (o.plan.length > 0) q = q.where("s.plan_id", "in", o.plan);

  const countRow = await q.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
  let pageQuery = q.select([
    "s.id",
    "s.status",
    "s.plan_id",
    "s.plan_name",
    "s.start_date",
    "s.seats",
    "s.customer_id",
    "s.customer_ref",
    "c.email as customer_email",
    "c.full_name as customer_name",
    sql<string | number>`${expr}`.as("sort_value"),
  ]);
  if (o.cursor) pageQuery = pageQuery.where(afterCursor(expr, "s.id", decodeCursor(o.cursor, o.sort, o.dir)));
  pageQuery = pageQuery
    .orderBy(expr, o.dir)
    .orderBy("s.id", o.dir)
    .limit(o.limit + 1);
  if (!o.cursor && o.offset > 0) pageQuery = pageQuery.offset(o.offset);
  const rows = await pageQuery.execute();
  return toPage(
    rows,
    Number(countRow.n),
    o,
    (r) => ({ v: typeof r.sort_value === "string" ? r.sort_value : Number(r.sort_value), id: r.id }),
    (r) => ({
      id: r.id,
      status: r.status,
      planId: r.plan_id,
      planName: r.plan_name,
      startDate: r.start_date === null ? null : Number(r.start_date),
      seats: r.seats === null ? null : parseSeats(r.seats),
      customerId: r.customer_id,
      customerRef: r.customer_ref,
      customerEmail: r.customer_email,
      customerName: r.customer_name,
    }),
  );
}

/**
 * Every indexed subscription's id, status, plan, start and seats in one scan (org-wide reports such as the
 * revenue overview; no customer join, no count, no paging).
 */
export async function indexedSubscriptionFacts(
  database: DirectoryDb,
): Promise<Array<Pick<IndexedSubscription, "id" | "status" | "planId" | "planName" | "startDate" | "seats">>> {
  const rows = await tables(database)
    .selectFrom("directory_subscriptions")
    .select(["id", "status", "plan_id", "plan_name", "start_date", "seats"])
    .execute();
  return rows.map((r) => ({
    id: r.id,
    status: r.status,
    planId: r.plan_id,
    planName: r.plan_name,
    startDate: r.start_date === null ? null : Number(r.start_date),
    seats: r.seats === null ? null : parseSeats(r.seats),
  }));
}

/** Every subscription's id, status, plan and start, without its seats (nothing parsed): one narrow scan. */
export async function indexedSubscriptionPlans(
  database: DirectoryDb,
): Promise<Array<Pick<IndexedSubscription, "id" | "status" | "planId" | "startDate">>> {
  const rows = await tables(database)
    .selectFrom("directory_subscriptions")
    .select(["id", "status", "plan_id", "start_date"])
    .execute();
  return rows.map((r) => ({
    id: r.id,
    status: r.status,
    planId: r.plan_id,
    startDate: r.start_date === null ? null : Number(r.start_date),
  }));
}

/**
 * The subscriptions of one status grouped by plan and seats, with how many share each (one grouped query:
 * a few rows per plan however many subscriptions there are).
 */
export async function subscriptionGroups(
  database: DirectoryDb,
  status: string,
): Promise<Array<Pick<IndexedSubscription, "planId" | "seats"> & { count: number }>> {
  const rows = await tables(database)
    .selectFrom("directory_subscriptions")
    .select(["plan_id", "seats", (eb) => eb.fn.countAll().as("n")])
    .where("status", "=", status)
    .groupBy(["plan_id", "seats"])
    .execute();
  return rows.map((r) => ({
    planId: r.plan_id,
    seats: r.seats === null ? null : parseSeats(r.seats),
    count: Number(r.n),
  }));
}

export interface StatusCounts {
  counts: Record<SubscriptionStatus, number>;
  total: number;
}

/** Number of indexed subscriptions per status (all statuses present, zero-filled), optionally for some plans. */
export async function subscriptionStatusCounts(
  database: DirectoryDb,
  options: { plan?: readonly string[] } = {},
): Promise<StatusCounts> {
  let q = tables(database).selectFrom("directory_subscriptions").where("status", "is not", null);
  if (options.plan && options.plan.length > 0) q = q.where("plan_id", "in", [...options.plan]);
  const rows = await q
    .select((eb) => ["status", eb.fn.countAll<number>().as("n")])
    .groupBy("status")
    .execute();
  const counts = Object.fromEntries(SUBSCRIPTION_STATUSES.map((s) => [s, 0])) as Record<SubscriptionStatus, number>;
  let total = 0;
  for (const row of rows) {
    const n = Number(row.n);
    total += n;
    if ((SUBSCRIPTION_STATUSES as readonly string[]).includes(row.status!))
      counts[row.status as SubscriptionStatus] = n;
  }
  return { counts, total };
}

/** Plans seen on indexed subscriptions (for the plan filter), with how many subscriptions each has. */
export async function listIndexedPlans(
  database: DirectoryDb,
): Promise<Array<{ planId: string; planName: string | null; subscriptions: number }>> {
  const rows = await tables(database)
    .selectFrom("directory_subscriptions")
    .where("plan_id", "is not", null)
    .select((eb) => ["plan_id", eb.fn.max("plan_name").as("plan_name"), eb.fn.countAll<number>().as("n")])
    .groupBy("plan_id")
    .orderBy("plan_id")
    .execute();
  return rows.map((r) => ({ planId: r.plan_id!, planName: r.plan_name ?? null, subscriptions: Number(r.n) }));
}
