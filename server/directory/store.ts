/**
 * Index writes: customers, subscriptions, seat counts and invoice numbers. Called by the sync and the
 * webhook handlers inside their transactions. Every write is idempotent and ignores stale data
 * (a customer older than the indexed `updated_at`, a subscription fact older than its `source_at`),
 * so webhooks and re-syncs may interleave in any order.
 */
import { sql } from "kysely";
import { chunks } from "../db/index.ts";
import { nameSearchText, normalizeEmail } from "./normalize.ts";
import type { Db } from "./schema.ts";

export interface CustomerInput {
  id: string;
  externalId: string | null;
  email: string;
  fullName: string | null;
  /** ISO 8601 */
  createdAt: string;
  /** ISO 8601 */
  updatedAt: string;
}

export interface SubscriptionInput {
  id: string;
  /** Commet's customerId on the subscription: the customer's externalId when it has one, else its id. */
  customerRef: string;
  /** Fields left undefined keep their indexed value. */
  status?: string | null;
  planId?: string | null;
  planName?: string | null;
  /** ISO 8601 */
  startDate?: string | null;
  seats?: Record<string, number> | null;
}

/** Subscription status order for the customer summary: the most "live" subscription wins. */
const STATUS_RANK: Record<string, number> = {
  active: 6,
  trialing: 5,
  past_due: 4,
  pending_payment: 3,
  draft: 2,
  canceled: 1,
};

/** Order of the subscription lifecycle (docs: webhooks/introduction), for events with equal timestamps. */
const LIFECYCLE: Record<string, number> = {
  draft: 0,
  pending_payment: 1,
  trialing: 2,
  active: 3,
  past_due: 3,
  canceled: 4,
};

/** The LIFECYCLE rank of a status column, in SQL (unknown or null → 0). */
function lifecycleSql(column: ReturnType<typeof sql.ref>) {
  const whens = Object.entries(LIFECYCLE).map(([status, rank]) => sql`when ${sql.lit(status)} then ${sql.lit(rank)}`);
  return sql<number>`(case ${column} ${sql.join(whens, sql` `)} else 0 end)`;
}

function isoToMs(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : null;
}

function seatsTotal(seats: Record<string, number>): number {
  return Object.values(seats).reduce((sum, n) => sum + (Number.isFinite(n) ? n : 0), 0);
}

/** A customer's index row without its subscription summary; the search columns are derived here only. */
export function customerRow(
  c: Pick<CustomerInput, "id" | "externalId" | "email" | "fullName">,
  createdAt: number,
  updatedAt: number,
  now: number,
) {
  return {
    id: c.id,
    external_id: c.externalId,
    email: c.email,
    email_norm: normalizeEmail(c.email),
    full_name: c.fullName,
    name_search: nameSearchText(c.fullName),
    subscription_id: null,
    subscription_status: null,
    plan_id: null,
    plan_name: null,
    seats: "{}",
    seats_total: 0,
    created_at: createdAt,
    updated_at: updatedAt,
    indexed_at: now,
  };
}

/** Insert or refresh customers (a page from the sync, or one from a webhook). */
export async function upsertCustomers(trx: Db, customers: readonly CustomerInput[], now: number): Promise<void> {
  if (customers.length === 0) return;
  for (const batch of chunks(customers, 200)) {
    await trx
      .insertInto("directory_customers")
      .values(batch.map((c) => customerRow(c, isoToMs(c.createdAt) ?? now, isoToMs(c.updatedAt) ?? now, now)))
      .onConflict((oc) =>
        oc
          .column("id")
          .doUpdateSet({
            external_id: sql.ref("excluded.external_id"),
            email: sql.ref("excluded.email"),
            email_norm: sql.ref("excluded.email_norm"),
            full_name: sql.ref("excluded.full_name"),
            name_search: sql.ref("excluded.name_search"),
            created_at: sql.ref("excluded.created_at"),
            updated_at: sql.ref("excluded.updated_at"),
            indexed_at: sql.ref("excluded.indexed_at"),
          })
          .where(sql.ref("directory_customers.updated_at"), "<=", sql.ref("excluded.updated_at")),
      )
      .execute();
  }
  // Subscriptions that arrived before their customer: link them now and refresh the summaries.
  const refs = [...new Set(customers.flatMap((c) => (c.externalId ? [c.id, c.externalId] : [c.id])))];
  const linked = new Set<string>();
  for (const batch of chunks(refs, 400)) {
    const rows = await trx
      .selectFrom("directory_subscriptions as s")
      .innerJoin("directory_customers as c", (j) =>
        j.on((eb) =>
          eb.or([eb("c.id", "=", eb.ref("s.customer_ref")), eb("c.external_id", "=", eb.ref("s.customer_ref"))]),
        ),
      )
      .select(["s.id as subscriptionId", "c.id as customerId", "s.customer_id as current"])
      .where("s.customer_ref", "in", batch)
      .execute();
    for (const row of rows) {
      if (row.current === row.customerId) continue;
      await trx
        .updateTable("directory_subscriptions")
        .set({ customer_id: row.customerId })
        .where("id", "=", row.subscriptionId)
        .execute();
      linked.add(row.customerId);
      if (row.current) linked.add(row.current);
    }
  }
  await refreshSummaries(trx, [...linked], now);
}

/** The Commet customer id a webhook/subscription reference (externalId or id) points at, if indexed. */
export async function resolveCustomerIds(trx: Db, refs: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const unique = [...new Set(refs)];
  for (const batch of chunks(unique, 400)) {
    if (batch.length === 0) continue;
    const rows = await trx
      .selectFrom("directory_customers")
      .select(["id", "external_id"])
      .where((eb) => eb.or([eb("id", "in", batch), eb("external_id", "in", batch)]))
      .execute();
    // An exact id match wins over an externalId that happens to equal another customer's id.
    for (const row of rows) if (row.external_id && batch.includes(row.external_id)) out.set(row.external_id, row.id);
    for (const row of rows) if (batch.includes(row.id)) out.set(row.id, row.id);
  }
  return out;
}

/**
 * Insert or update subscriptions with facts observed at `sourceAt` (epoch ms). Facts older than the
 * indexed ones are ignored; undefined fields keep their value. Refreshes the owners' summaries.
 */
export async function upsertSubscriptions(
  trx: Db,
  subscriptions: readonly SubscriptionInput[],
  sourceAt: number,
  now: number,
): Promise<void> {
  if (subscriptions.length === 0) return;
  const owners = await resolveCustomerIds(
    trx,
    subscriptions.map((s) => s.customerRef),
  );
  const touched = new Set<string>();
  for (const s of subscriptions) {
    const customerId = owners.get(s.customerRef) ?? null;
    const seats = s.seats === undefined ? undefined : s.seats ? JSON.stringify(s.seats) : null;
    // Concurrent deliveries may create the same subscription: insert-or-nothing, then a partial
    // UPDATE that the database re-checks against the latest committed row (no lost updates).
    const inserted = await trx
      .insertInto("directory_subscriptions")
      .values({
        id: s.id,
        customer_ref: s.customerRef,
        customer_id: customerId,
        status: s.status ?? null,
        plan_id: s.planId ?? null,
        plan_name: s.planName ?? null,
        start_date: isoToMs(s.startDate),
        seats: seats ?? null,
        source_at: sourceAt,
        indexed_at: now,
      })
      .onConflict((oc) => oc.column("id").doNothing())
      .returning("customer_id")
      .executeTakeFirst();
    if (inserted) {
      if (inserted.customer_id) touched.add(inserted.customer_id);
      continue;
    }
    const updated = await trx
      .updateTable("directory_subscriptions")
      .set({
        customer_ref: s.customerRef,
        customer_id: sql<string | null>`coalesce(${customerId}, customer_id)`,
        ...(s.status !== undefined
          ? {
              // Commet emits some events in the same millisecond (subscription.created
              // "pending_payment", then subscription.activated) and may deliver them in any order:
              // at a tie, a status never moves back in the lifecycle.
              status:
                s.status === null
                  ? null
                  : sql<string>`case when source_at = ${sourceAt} and ${lifecycleSql(sql.ref("status"))} > ${sql.lit(
                      LIFECYCLE[s.status] ?? 0,
                    )} then status else ${s.status} end`,
            }
          : {}),
        ...(s.planId !== undefined ? { plan_id: s.planId } : {}),
        ...(s.planName !== undefined ? { plan_name: s.planName } : {}),
        ...(s.startDate !== undefined ? { start_date: isoToMs(s.startDate) } : {}),
        ...(seats !== undefined ? { seats } : {}),
        source_at: sourceAt,
        indexed_at: now,
      })
      .where("id", "=", s.id)
      .where("source_at", "<=", sourceAt) // older facts lose
      .returning("customer_id")
      .executeTakeFirst();
    if (updated?.customer_id) touched.add(updated.customer_id);
  }
  await refreshSummaries(trx, [...touched], now);
}

/** A seat count change (seats.updated). With a subscription it lands on it; without, on the customer. */
export async function setSeatCount(
  trx: Db,
  change: { customerRef: string; subscriptionId: string | null; featureCode: string; count: number },
  sourceAt: number,
  now: number,
): Promise<void> {
  if (change.subscriptionId) {
    const sub = await trx
      .selectFrom("directory_subscriptions")
      .select(["seats", "source_at"])
      .where("id", "=", change.subscriptionId)
      .executeTakeFirst();
    const seats = parseSeats(sub?.seats ?? null);
    seats[change.featureCode] = change.count;
    // Seat counts are their own fact: apply them even if another fact about the subscription is newer.
    await upsertSubscriptions(
      trx,
      [{ id: change.subscriptionId, customerRef: change.customerRef, seats }],
      Math.max(sourceAt, sub?.source_at ?? 0),
      now,
    );
    return;
  }
  const customerId = (await resolveCustomerIds(trx, [change.customerRef])).get(change.customerRef);
  if (!customerId) return;
  const row = await trx
    .selectFrom("directory_customers")
    .select("seats")
    .where("id", "=", customerId)
    .executeTakeFirst();
  const seats = parseSeats(row?.seats ?? null);
  seats[change.featureCode] = change.count;
  await trx
    .updateTable("directory_customers")
    .set({ seats: JSON.stringify(seats), seats_total: seatsTotal(seats), indexed_at: now })
    .where("id", "=", customerId)
    .execute();
}

/** Remember which customer an invoice number belongs to (for search). */
export async function recordInvoice(
  trx: Db,
  invoice: { invoiceNumber: string; invoiceId: string | null; customerRef: string },
  now: number,
): Promise<void> {
  const norm = invoice.invoiceNumber.trim().toLowerCase();
  if (!norm) return;
  await trx
    .insertInto("directory_invoices")
    .values({
      invoice_number_norm: norm,
      invoice_number: invoice.invoiceNumber.trim(),
      invoice_id: invoice.invoiceId,
      customer_ref: invoice.customerRef,
      seen_at: now,
    })
    .onConflict((oc) =>
      oc.column("invoice_number_norm").doUpdateSet({
        invoice_id: sql.ref("excluded.invoice_id"),
        customer_ref: sql.ref("excluded.customer_ref"),
        seen_at: sql.ref("excluded.seen_at"),
      }),
    )
    .execute();
}

export function parseSeats(json: string | null): Record<string, number> {
  if (!json) return {};
  try {
    const value: unknown = JSON.parse(json);
    if (typeof value !== "object" || value === null || Array.isArray(value)) return {};
    return Object.fromEntries(Object.entries(value).filter((e): e is [string, number] => typeof e[1] === "number"));
  } catch {
    return {};
  }
}

interface SummaryCandidate {
  id: string;
  status: string | null;
  start_date: number | null;
}

/** The subscription that describes the customer: highest status rank, then the newest start. */
export function pickSummary<T extends SummaryCandidate>(subscriptions: readonly T[]): T | null {
  let best: T | null = null;
  for (const s of subscriptions) {
    if (!best) {
      best = s;
      continue;
    }
    const rank = STATUS_RANK[s.status ?? ""] ?? 0;
    const bestRank = STATUS_RANK[best.status ?? ""] ?? 0;
    if (rank !== bestRank) {
      if (rank > bestRank) best = s;
      continue;
    }
    const start = s.start_date ?? 0;
    const bestStart = best.start_date ?? 0;
    if (start > bestStart || (start === bestStart && s.id > best.id)) best = s;
  }
  return best;
}

/** Recompute plan / status / seats of customers from their indexed subscriptions. */
export async function refreshSummaries(trx: Db, customerIds: readonly string[], now: number): Promise<void> {
  const ids = [...new Set(customerIds)];
  for (const batch of chunks(ids, 400)) {
    if (batch.length === 0) continue;
    const subs = await trx
      .selectFrom("directory_subscriptions")
      .select(["id", "customer_id", "status", "plan_id", "plan_name", "start_date", "seats"])
      .where("customer_id", "in", batch)
      .execute();
    const byCustomer = new Map<string, typeof subs>();
    for (const s of subs) {
      const list = byCustomer.get(s.customer_id!) ?? [];
      list.push(s);
      byCustomer.set(s.customer_id!, list);
    }
    for (const customerId of batch) {
      const best = pickSummary(byCustomer.get(customerId) ?? []);
      const seats = best?.seats ? parseSeats(best.seats) : null;
      await trx
        .updateTable("directory_customers")
        .set({
          subscription_id: best?.id ?? null,
          subscription_status: best?.status ?? null,
          plan_id: best?.plan_id ?? null,
          plan_name: best?.plan_name ?? null,
          ...(seats ? { seats: JSON.stringify(seats), seats_total: seatsTotal(seats) } : {}),
          indexed_at: now,
        })
        .where("id", "=", customerId)
        .execute();
    }
  }
}
