/**
 * Tables of the customer directory (migration server/db/migrations/*_directory.ts).
 * Conventions follow server/db/schema.ts: timestamps are epoch milliseconds, structured values are
 * JSON text. These types are private to server/directory: other modules use the functions in
 * server/directory/index.ts.
 */
import type { Kysely } from "kysely";
import type { Engine } from "../db/database.ts";
import type { SchemalessDb } from "../db/index.ts";

export interface DirectoryCustomersTable {
  // (`pk`, a surrogate integer key the SQLite FTS5 index points at, is left out on purpose.)
  /** Commet customer id (cus_…). */
  id: string;
  external_id: string | null;
  email: string;
  /** `email` trimmed and lower-cased: prefix search by range (collation "C" on PostgreSQL). */
  email_norm: string;
  full_name: string | null;
  /** Accent-folded, lower-cased name tokens joined by one space (normalize.ts); full-text indexed. */
  name_search: string;
  /** Summary of the customer's most relevant subscription (see store.ts `pickSummary`). */
  subscription_id: string | null;
  subscription_status: string | null;
  plan_id: string | null;
  plan_name: string | null;
  /** JSON object featureCode → seat count, of the summary subscription. */
  seats: string;
  seats_total: number;
  /** Commet's createdAt / updatedAt (epoch ms). */
  created_at: number;
  updated_at: number;
  /** When the console last wrote this row. */
  indexed_at: number;
}

export interface DirectorySubscriptionsTable {
  id: string;
  /** Customer reference as Commet sent it: the externalId when the customer has one, else its id. */
  customer_ref: string;
  /** Commet customer id once the customer is in the index (resolved from customer_ref). */
  customer_id: string | null;
  status: string | null;
  plan_id: string | null;
  plan_name: string | null;
  start_date: number | null;
  /** JSON object featureCode → seat count, or null when unknown. */
  seats: string | null;
  /** Time of the information this row carries (webhook timestamp, or the sync's clock). */
  source_at: number;
  indexed_at: number;
}

export interface DirectoryInvoicesTable {
  /** Invoice number lower-cased (case-insensitive exact search). */
  invoice_number_norm: string;
  invoice_number: string;
  invoice_id: string | null;
  customer_ref: string;
  seen_at: number;
}

export interface DirectorySyncStateTable {
  /** Always "directory" (one row). */
  name: string;
  /** idle | running | waiting | interrupted | failed */
  status: string;
  /** customers | subscriptions | done */
  phase: string;
  /** Random id of the run holding the lease (state writes of other runs are refused). */
  run_id: string | null;
  cursor: string | null;
  customers_synced: number;
  subscriptions_synced: number;
  pages: number;
  rate_limited: number;
  started_at: number | null;
  finished_at: number | null;
  heartbeat_at: number | null;
  retry_at: number | null;
  last_error: string | null;
  last_completed_at: number | null;
}

export interface DirectoryTables {
  directory_customers: DirectoryCustomersTable;
  directory_subscriptions: DirectorySubscriptionsTable;
  directory_invoices: DirectoryInvoicesTable;
  directory_sync_state: DirectorySyncStateTable;
}

/** What every directory function needs: a migrated database of either engine (server/db `Database`). */
export interface DirectoryDb {
  db: SchemalessDb;
  dialect: Engine;
}

export type Db = Kysely<DirectoryTables>;

/** The directory's typed view of the app database. */
export function tables(database: Pick<DirectoryDb, "db">): Db {
  return database.db as Db;
}
