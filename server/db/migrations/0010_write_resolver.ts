import type { Engine } from "../database.ts";
import type { SchemalessDb } from "../schema.ts";

/**
 * The write resolver's bookkeeping (server/writes/resolver.ts): one row per audit row whose outcome is
 * unknown — attempts, when to try next, the lease of the console process resolving it, when it was
 * alerted on, when it was handed to a person and when it settled. The audit trail itself stays
 * append-only; this table is the mutable part.
 */
export async function up(db: SchemalessDb, _engine: Engine): Promise<void> {
  await db.schema
    .createTable("write_resolutions")
    .addColumn("audit_id", "text", (c) => c.primaryKey())
    .addColumn("attempts", "integer", (c) => c.notNull())
    .addColumn("next_attempt_at", "bigint", (c) => c.notNull())
    .addColumn("lease_owner", "text")
    .addColumn("lease_until", "bigint")
    .addColumn("last_error", "text")
    .addColumn("alerted_at", "bigint")
    .addColumn("needs_person_at", "bigint")
    .addColumn("needs_person_reason", "text")
    .addColumn("settled_at", "bigint")
    .execute();
  await db.schema
    .createIndex("write_resolutions_due")
    .on("write_resolutions")
    .columns(["settled_at", "next_attempt_at"])
    .execute();
}

export async function down(db: SchemalessDb): Promise<void> {
  await db.schema.dropTable("write_resolutions").ifExists().execute();
}
