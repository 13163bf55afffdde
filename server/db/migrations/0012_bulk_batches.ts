import type { Engine } from "../database.ts";
import type { SchemalessDb } from "../schema.ts";

/**
 * Bulk changes from a CSV file (server/bulk, docs/decisions/0028-bulk-changes.md): one row per uploaded
 * batch (its state, totals, the runner's lease) and one per data row of the file (what it asks, its
 * validation, its key and, once applied, its outcome) — what a restarted console resumes from.
 */
export async function up(db: SchemalessDb, _engine: Engine): Promise<void> {
  await db.schema
    .createTable("bulk_batches")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("file_name", "text", (c) => c.notNull())
    .addColumn("file_hash", "text", (c) => c.notNull())
    // The file as uploaded (≤ 5 MB): a dry run again re-reads it, never a copy rebuilt from the rows.
    .addColumn("content", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("created_by_id", "text")
    .addColumn("created_by_email", "text", (c) => c.notNull())
    .addColumn("created_role", "text")
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("validated_at", "bigint", (c) => c.notNull())
    .addColumn("totals", "text", (c) => c.notNull())
    .addColumn("livemode_at", "bigint")
    .addColumn("approval_request_id", "text")
    .addColumn("applied_by_id", "text")
    .addColumn("applied_by_email", "text")
    .addColumn("applied_role", "text")
    .addColumn("started_at", "bigint")
    .addColumn("finished_at", "bigint")
    .addColumn("lease_owner", "text")
    .addColumn("lease_until", "bigint")
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();
  // The same file uploaded twice is the same batch (its rows' keys derive from the file's hash).
  await db.schema.createIndex("bulk_batches_file").on("bulk_batches").columns(["kind", "file_hash"]).unique().execute();
  await db.schema.createIndex("bulk_batches_created").on("bulk_batches").column("created_at").execute();
  await db.schema.createIndex("bulk_batches_status").on("bulk_batches").column("status").execute();

  await db.schema
    .createTable("bulk_rows")
    .addColumn("batch_id", "text", (c) => c.notNull())
    .addColumn("line", "integer", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("customer_ref", "text", (c) => c.notNull())
    .addColumn("customer_id", "text")
    .addColumn("summary", "text", (c) => c.notNull())
    .addColumn("errors", "text", (c) => c.notNull())
    .addColumn("effect", "text")
    .addColumn("change", "text")
    .addColumn("idempotency_key", "text", (c) => c.notNull())
    .addColumn("audit_id", "text")
    .addColumn("commet_id", "text")
    .addColumn("message", "text")
    .addColumn("finished_at", "bigint")
    .addPrimaryKeyConstraint("bulk_rows_pk", ["batch_id", "line"])
    .execute();
  await db.schema.createIndex("bulk_rows_status").on("bulk_rows").columns(["batch_id", "status", "line"]).execute();
}

export async function down(db: SchemalessDb): Promise<void> {
  await db.schema.dropTable("bulk_rows").ifExists().execute();
  await db.schema.dropTable("bulk_batches").ifExists().execute();
}
