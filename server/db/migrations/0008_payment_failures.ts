import type { Engine } from "../database.ts";
import type { SchemalessDb } from "../schema.ts";

/**
 * Why a charge failed: Commet's transactions carry no failure reason, its payment.failed and
 * payment.retry_failed webhooks do (per invoice). server/payments keeps the latest one per invoice.
 */
export async function up(db: SchemalessDb, _engine: Engine): Promise<void> {
  await db.schema
    .createTable("payment_failures")
    .addColumn("invoice_id", "text", (c) => c.primaryKey())
    .addColumn("customer_ref", "text")
    .addColumn("event", "text", (c) => c.notNull())
    .addColumn("code", "text")
    .addColumn("message", "text")
    .addColumn("event_at", "bigint", (c) => c.notNull())
    .execute();
}

export async function down(db: SchemalessDb): Promise<void> {
  await db.schema.dropTable("payment_failures").ifExists().execute();
}
