/**
 * The account_events table: a Commet webhook about a customer stored once per event id inside the intake's
 * transaction, read back per customer newest first by keyset, and pruned after the retention.
 */
import type { ActivityKind } from "../../app/contracts/activity.ts";
import type { Clock, SchemalessDb } from "../db/index.ts";
import { redactText } from "../audit/index.ts";
import { customerLabels } from "../directory/index.ts";
import type { WebhookEnvelope } from "../webhooks/index.ts";
import { customerKeyOf, kindOfEvent } from "./catalogue.ts";
import { activityTables, type AccountEventsTable, type ActivityDatabase } from "./schema.ts";

/**
 * The payload as stored: every string value loses what the audit trail never stores — URLs (recovery and
 * checkout links are bearer links: whoever holds one can pay or see the account) and secret-looking
 * tokens. Keys and ids stay as Commet sent them.
 */
export function storedPayload(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return redactText(value);
  if (value === null || typeof value !== "object" || depth > 8) return value;
  if (Array.isArray(value)) return value.map((v) => storedPayload(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, storedPayload(v, depth + 1)]));
}

/**
 * Stores one new event when it is about a customer (see catalogue.ts); returns whether it did. Runs in
 * the intake's transaction after the dedupe row, so it happens exactly once per event id, and the
 * directory's handlers of the same event (customer.created) have already run.
 */
export async function recordAccountEvent(trx: SchemalessDb, envelope: WebhookEnvelope, now: number): Promise<boolean> {
  const kind = kindOfEvent(envelope.event);
  if (!kind) return false;
  const key = customerKeyOf(envelope.event, envelope.data);
  if (!key) return false;
  const label = (await customerLabels({ db: trx }, [key]))[key];
  await activityTables({ db: trx })
    .insertInto("account_events")
    .values({
      event_id: envelope.id,
      type: envelope.event,
      kind,
      customer_id: label?.id ?? key,
      customer_key: key,
      occurred_at: Date.parse(envelope.timestamp),
      received_at: now,
      payload: JSON.stringify(storedPayload(envelope.data)),
    })
    // The dedupe row makes this unreachable for a redelivery; kept so a pruned dedupe id never fails a commit.
    .onConflict((oc) => oc.column("event_id").doNothing())
    .execute();
  if (SUBSCRIPTION_LIFECYCLE_TYPES.includes(envelope.event)) {
    await activityTables({ db: trx })
      .insertInto("subscription_movements")
      .values(movementRow(envelope.id, envelope.event, Date.parse(envelope.timestamp), envelope.data))
      .onConflict((oc) => oc.column("event_id").doNothing())
      .execute();
  }
  return true;
}

/** The subscription lifecycle webhooks kept in subscription_movements (migration 0015 backfills the same). */
export const SUBSCRIPTION_LIFECYCLE_TYPES: readonly string[] = [
  "subscription.created",
  "subscription.activated",
  "subscription.reactivated",
  "subscription.plan_changed",
  "subscription.canceled",
];

const text = (v: unknown) => (typeof v === "string" && v ? v : null);
const planRef = (v: unknown) =>
  v && typeof v === "object" && !Array.isArray(v) ? text((v as { id?: unknown }).id) : null;

function movementRow(eventId: string, type: string, occurredAt: number, data: Record<string, unknown>) {
  // Stored redacted like the payload, so both reads see the same values.
  const d = storedPayload(data) as Record<string, unknown>;
  return {
    event_id: eventId,
    type,
    occurred_at: occurredAt,
    subscription_id: text(d.subscriptionId),
    plan_id: text(d.planId),
    previous_plan_id: planRef(d.previousPlan),
    current_plan_id: planRef(d.currentPlan),
    billing_interval: text(d.billingInterval),
  };
}

/** A stored subscription lifecycle event, as the revenue movements read it. */
export interface SubscriptionMovement {
  type: string;
  occurredAt: number;
  subscriptionId: string | null;
  planId: string | null;
  previousPlanId: string | null;
  currentPlanId: string | null;
  billingInterval: string | null;
}

/**
 * The subscription lifecycle events that occurred in [from, to), oldest first (then by event id), at most
 * `limit`: the same events and order as listEventsOfTypes over SUBSCRIPTION_LIFECYCLE_TYPES, without
 * reading or parsing the payloads.
 */
export async function listSubscriptionMovements(
  database: ActivityDatabase,
  query: { from: number; to: number; limit: number },
): Promise<SubscriptionMovement[]> {
  const rows = await activityTables(database)
    .selectFrom("subscription_movements")
    .select([
      "type",
      "occurred_at",
      "subscription_id",
      "plan_id",
      "previous_plan_id",
      "current_plan_id",
      "billing_interval",
    ])
    .where("occurred_at", ">=", query.from)
    .where("occurred_at", "<", query.to)
    .orderBy("occurred_at", "asc")
    .orderBy("event_id", "asc")
    .limit(query.limit)
    .execute();
  // Tens of thousands of rows per /revenue: one plain loop, no per-row closure.
  const out: SubscriptionMovement[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    out[i] = {
      type: r.type,
      occurredAt: Number(r.occurred_at),
      subscriptionId: r.subscription_id,
      planId: r.plan_id,
      previousPlanId: r.previous_plan_id,
      currentPlanId: r.current_plan_id,
      billingInterval: r.billing_interval,
    };
  }
  return out;
}

export interface AccountEvent {
  eventId: string;
  type: string;
  kind: Exclude<ActivityKind, "staff">;
  customerId: string;
  customerKey: string;
  occurredAt: number;
  payload: Record<string, unknown>;
}

function toEvent(row: AccountEventsTable): AccountEvent {
  return {
    eventId: row.event_id,
    type: row.type,
    kind: row.kind as AccountEvent["kind"],
    customerId: row.customer_id,
    customerKey: row.customer_key,
    occurredAt: Number(row.occurred_at),
    payload: JSON.parse(row.payload) as Record<string, unknown>,
  };
}

export interface AccountEventQuery {
  /** The customer's ids as events may have stored it (Commet id, externalId). */
  customerIds: readonly string[];
  kind?: Exclude<ActivityKind, "staff">;
  /** Only events strictly older than this (occurred_at, event_id). */
  before?: { at: number; id: string };
  limit: number;
}

/**
 * The customer's newest events first. One indexed range scan per id (customer_id[, kind], occurred_at,
 * event_id), merged here: never a sort of the customer's whole history.
 */
export async function listAccountEvents(database: ActivityDatabase, query: AccountEventQuery): Promise<AccountEvent[]> {
  const ids = [...new Set(query.customerIds)].filter(Boolean);
  const lists = await Promise.all(
    ids.map((customerId) => {
      let q = activityTables(database).selectFrom("account_events").selectAll().where("customer_id", "=", customerId);
      if (query.kind) q = q.where("kind", "=", query.kind);
      const before = query.before;
      if (before) q = q.where((eb) => eb(eb.refTuple("occurred_at", "event_id"), "<", eb.tuple(before.at, before.id)));
      return q.orderBy("occurred_at", "desc").orderBy("event_id", "desc").limit(query.limit).execute();
    }),
  );
  return lists
    .flat()
    .map(toEvent)
    .sort((a, b) => b.occurredAt - a.occurredAt || (a.eventId < b.eventId ? 1 : a.eventId > b.eventId ? -1 : 0))
    .slice(0, query.limit);
}

/**
 * Every customer's events of the given types that occurred in [from, to), oldest first, at most `limit`
 * (org-wide reports such as the revenue movements; the (type, occurred_at) scan is bounded by the window).
 */
export async function listEventsOfTypes(
  database: ActivityDatabase,
  query: { types: readonly string[]; from: number; to: number; limit: number },
): Promise<AccountEvent[]> {
  if (query.types.length === 0) return [];
  const rows = await activityTables(database)
    .selectFrom("account_events")
    .selectAll()
    .where("type", "in", [...query.types])
    .where("occurred_at", ">=", query.from)
    .where("occurred_at", "<", query.to)
    .orderBy("occurred_at", "asc")
    .orderBy("event_id", "asc")
    .limit(query.limit)
    .execute();
  return rows.map(toEvent);
}

const DAY_MS = 86_400_000;

/** Deletes events that occurred more than `retentionDays` ago, `batchSize` rows per statement; returns how many. */
export async function pruneAccountEvents(
  database: ActivityDatabase,
  options: { retentionDays: number; clock?: Clock; batchSize?: number; shouldStop?: () => boolean },
): Promise<number> {
  const cutoff = (options.clock ?? Date.now)() - options.retentionDays * DAY_MS;
  const batch = options.batchSize ?? 1000;
  let deleted = 0;
  for (;;) {
    const result = await activityTables(database)
      .deleteFrom("account_events")
      .where("event_id", "in", (eb) =>
        eb
          .selectFrom("account_events")
          .select("event_id")
          .where("occurred_at", "<", cutoff)
          .orderBy("occurred_at")
          .limit(batch),
      )
      .executeTakeFirst();
    const n = Number(result.numDeletedRows);
    deleted += n;
    // Their narrow rows go with them (same cutoff), so the movements never see a pruned event.
    if (n > 0)
      await activityTables(database).deleteFrom("subscription_movements").where("occurred_at", "<", cutoff).execute();
    if (n < batch || options.shouldStop?.()) return deleted;
    await new Promise((resolve) => setImmediate(resolve));
  }
}
