import { sql } from "kysely";
import type { Engine } from "../database.ts";
import type { SchemalessDb } from "../schema.ts";

/**
 * Usage per customer × feature × 32-day block (block = floor(UTC epoch day / 32)), kept by the ingest in the
 * same transaction as usage_daily: total, event count and `neg` (the sum of the negative quantities — manual
 * corrections — so a block's partial sums are bounded by [neg, total − neg]). The top-customers ranking bounds
 * every customer from these few rows and reads days only for the customers that can still make the top.
 * See docs/decisions/0023-finance-read-performance.md. Backfilled here from usage_events in one
 * INSERT … SELECT … GROUP BY (one sequential pass over the events: tens of seconds at 10 M events).
 */
export async function up(db: SchemalessDb, engine: Engine): Promise<void> {
  await db.schema
    .createTable("usage_blocks")
    .addColumn("block", "integer", (c) => c.notNull())
    .addColumn("customer_id", "text", (c) => c.notNull())
    .addColumn("feature_code", "text", (c) => c.notNull())
    .addColumn("total", "double precision", (c) => c.notNull())
    .addColumn("neg", "double precision", (c) => c.notNull())
    .addColumn("events", "integer", (c) => c.notNull())
    .addPrimaryKeyConstraint("usage_blocks_pk", ["block", "customer_id", "feature_code"])
    // SQLite: rows stored in key order, so a range of blocks is read without a second lookup per row.
    .$call((b) => (engine === "sqlite" ? b.modifyEnd(sql`without rowid`) : b))
    .execute();
  await sql`insert into usage_blocks (block, customer_id, feature_code, total, neg, events)
    select day / 32, customer_id, feature_code, sum(quantity),
      sum(case when quantity < 0 then quantity else 0 end), count(*)
    from usage_events group by day / 32, customer_id, feature_code`.execute(db);
  // Statistics now, not at the next autovacuum: the planner's first top-customers query should see the rows.
  await sql`analyze usage_blocks`.execute(db);
}

export async function down(db: SchemalessDb): Promise<void> {
  await db.schema.dropTable("usage_blocks").ifExists().execute();
}
