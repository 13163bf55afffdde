/** The bulk domain's tables (migration 0012_bulk_batches.ts): the uploaded batches and their rows. */
import type { Kysely } from "kysely";
import type { DB } from "../db/index.ts";

export interface BulkBatchesTable {
  /** bulk_<32 hex>. */
  id: string;
  /** A BulkKind: seats | usage. */
  kind: string;
  file_name: string;
  /** SHA-256 (hex) of the file's bytes as uploaded; the rows' keys derive from it. */
  file_hash: string;
  /** The file's text as uploaded (revalidation parses it again). */
  content: string;
  created_at: number;
  created_by_id: string | null;
  created_by_email: string;
  created_role: string | null;
  /** A BulkBatchStatus. */
  status: string;
  validated_at: number;
  /** JSON of the BulkTotals of the last validation. */
  totals: string;
  /** Set when any customer of the batch is in live mode. */
  livemode_at: number | null;
  approval_request_id: string | null;
  /** Who pressed Apply: the rows are written on their behalf. */
  applied_by_id: string | null;
  applied_by_email: string | null;
  applied_role: string | null;
  started_at: number | null;
  finished_at: number | null;
  /** The runner writing the batch now (one process at a time), until lease_until. */
  lease_owner: string | null;
  lease_until: number | null;
  updated_at: number;
}

export interface BulkRowsTable {
  batch_id: string;
  /** The file line the row starts on (header = 1). */
  line: number;
  /** A BulkRowStatus. */
  status: string;
  customer_ref: string;
  customer_id: string | null;
  summary: string;
  /** JSON BulkRowError[]. */
  errors: string;
  /** JSON BulkRowEffect (valid rows). */
  effect: string | null;
  /** JSON of the change to write (RowChange, valid rows). */
  change: string | null;
  /** The row's Idempotency-Key: the file hash and the line, or the row's own `key` (usage). */
  idempotency_key: string;
  audit_id: string | null;
  commet_id: string | null;
  message: string | null;
  finished_at: number | null;
}

export interface BulkTables extends DB {
  bulk_batches: BulkBatchesTable;
  bulk_rows: BulkRowsTable;
}

export type BulkDb = Kysely<BulkTables>;

export function bulkTables(db: Kysely<DB>): BulkDb {
  return db as unknown as BulkDb;
}
