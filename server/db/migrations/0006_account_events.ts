import type { Engine } from "../database.ts";
import type { SchemalessDb } from "../schema.ts";

/**
 * Account activity (server/activity): every Commet webhook about a customer, kept with its payload for
 * the customer page's timeline (docs/decisions/0015-account-activity.md). One row per event id (the
 * intake writes it in the same transaction as the dedupe row). `customer_id` is the canonical Commet id
 * when the directory knew the customer at intake, else the raw key; `customer_key` is the key as sent.
 * `kind` is the timeline's filter (payments, subscription, …), fixed at intake.
 */
export async function up(db: SchemalessDb, _engine: Engine): Promise<void> {
  await db.schema
    .createTable("account_events")
    .addColumn("event_id", "text", (c) => c.primaryKey())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("customer_id", "text", (c) => c.notNull())
    .addColumn("customer_key", "text", (c) => c.notNull())
    .addColumn("occurred_at", "bigint", (c) => c.notNull())
    .addColumn("received_at", "bigint", (c) => c.notNull())
    .addColumn("payload", "text", (c) => c.notNull())
    .execute();
  // The timeline: one customer, newest first, keyset by (occurred_at, event_id) — all of it, or one kind.
  await db.schema
    .createIndex("account_events_customer_at")
    .on("account_events")
    .columns(["customer_id", "occurred_at", "event_id"])
    .execute();
  await db.schema
    .createIndex("account_events_customer_kind_at")
    .on("account_events")
    .columns(["customer_id", "kind", "occurred_at", "event_id"])
    .execute();
  // Retention: the oldest first.
  await db.schema.createIndex("account_events_occurred_at").on("account_events").column("occurred_at").execute();
}

export async function down(db: SchemalessDb): Promise<void> {
  await db.schema.dropTable("account_events").ifExists().execute();
}
