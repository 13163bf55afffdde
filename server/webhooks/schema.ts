/** The intake's one table (migrations 0002_directory.ts, 0005 its received_at index): event ids already applied. */
import type { Kysely } from "kysely";
import type { SchemalessDb } from "../db/index.ts";

export interface WebhookEventsTable {
  id: string;
  type: string;
  received_at: number;
}

export interface WebhookTables {
  webhook_events: WebhookEventsTable;
}

/** A migrated console database of either engine (server/db `Database`, or a domain's narrower view of it). */
export interface WebhookDatabase {
  db: SchemalessDb;
}

export function webhookTables(database: WebhookDatabase): Kysely<WebhookTables> {
  return database.db as Kysely<WebhookTables>;
}
