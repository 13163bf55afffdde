/** The intake's one table (migration server/db/migrations/0002_directory.ts): event ids already applied. */
import type { Kysely } from "kysely";

export interface WebhookEventsTable {
  id: string;
  type: string;
  received_at: number;
}

export interface WebhookTables {
  webhook_events: WebhookEventsTable;
}

/** The console database as the intake hands it to handlers: each domain views it through its own tables. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the intake serves every domain's tables
export type AnyTables = Kysely<any>;

/** A migrated console database of either engine (server/db `Database`, or a domain's narrower view of it). */
export interface WebhookDatabase {
  db: AnyTables;
}

export function webhookTables(database: WebhookDatabase): Kysely<WebhookTables> {
  return database.db as Kysely<WebhookTables>;
}
