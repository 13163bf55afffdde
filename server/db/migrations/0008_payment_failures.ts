import type { Engine } from "../database.ts";
import type { SchemalessDb } from "../schema.ts";

/**
 * Why charges failed: Commet's transactions carry no failure reason, its payment.failed and
 * payment.retry_failed webhooks do (per invoice, one event per failed attempt). server/payments keeps
 * each event's reason and matches it to the failed charge it followed.
 */
export async function up(db: SchemalessDb, _engine: Engine): Promise<void> {
  await db.schema
    .createTable("payment_failures")
    .addColumn("event_id", "text", (c) => c.primaryKey())
    .addColumn("invoice_id", "text", (c) => c.notNull())
    .addColumn("customer_ref", "text")
    .addColumn("event", "text", (c) => c.notNull())
    .addColumn("code", "text")
    .addColumn("message", "text")
    .addColumn("event_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("payment_failures_invoice")
    .on("payment_failures")
    .columns(["invoice_id", "event_at"])
    .execute();
}

export async function down(db: SchemalessDb): Promise<void> {
  await db.schema.dropTable("payment_failures").ifExists().execute();
}
