import type { Engine } from "../database.ts";
import type { SchemalessDb } from "../schema.ts";

/**
 * Named leases (server/cluster/leases.ts, docs/decisions/0026-workers-and-instances.md): which console
 * process — of any worker on any machine — holds a job such as the background work, until when. Taken and
 * renewed with conditional updates, so the database decides the one holder on both engines.
 */
export async function up(db: SchemalessDb, _engine: Engine): Promise<void> {
  await db.schema
    .createTable("leases")
    .addColumn("name", "text", (c) => c.primaryKey())
    .addColumn("holder", "text", (c) => c.notNull())
    .addColumn("acquired_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .execute();
}

export async function down(db: SchemalessDb): Promise<void> {
  await db.schema.dropTable("leases").ifExists().execute();
}
