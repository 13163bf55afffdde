import type { Engine } from "../database.ts";
import type { SchemalessDb } from "../schema.ts";

/**
 * Processed-event records (webhook_events) are pruned after a retention, oldest first
 * (server/webhooks/retention.ts): an index on received_at finds them without scanning the table.
 */
export async function up(db: SchemalessDb, _engine: Engine): Promise<void> {
  await db.schema.createIndex("webhook_events_received").on("webhook_events").column("received_at").execute();
}

export async function down(db: SchemalessDb): Promise<void> {
  await db.schema.dropIndex("webhook_events_received").ifExists().execute();
}
