import { sql } from "kysely";
import type { Engine } from "../database.ts";
import type { SchemalessDb } from "../schema.ts";

/**
 * Usage timeline (server/usage/timeline/): every usage event the console has seen (Commet's
 * usage.recorded webhooks and the console's own manual entries, one row per usageEventId), daily
 * rollups per customer × feature and per plan × feature kept in the same transaction as the event,
 * and the last reconciliation of each customer against Commet's live counters.
 * See docs/decisions/0008-usage-timeline.md.
 *
 * Days are UTC epoch days (floor(epoch ms / 86 400 000)). Quantities are double precision.
 * `plan_id` is '' when the plan was unknown at ingest (primary keys stay non-null).
 */
export async function up(db: SchemalessDb, _engine: Engine): Promise<void> {
  await db.schema
    .createTable("usage_events")
    .addColumn("usage_event_id", "text", (c) => c.primaryKey())
    .addColumn("webhook_event_id", "text")
    .addColumn("customer_id", "text", (c) => c.notNull())
    .addColumn("subscription_id", "text")
    .addColumn("feature_code", "text", (c) => c.notNull())
    .addColumn("quantity", "double precision", (c) => c.notNull())
    .addColumn("occurred_at", "bigint", (c) => c.notNull())
    .addColumn("day", "integer", (c) => c.notNull())
    .addColumn("plan_id", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("source", "text", (c) => c.notNull().check(sql`source in ('webhook', 'manual')`))
    .addColumn("manual_staff", "text")
    .addColumn("manual_audit_id", "text")
    .addColumn("received_at", "bigint", (c) => c.notNull())
    .execute();
  // Current-period sums (reconciliation).
  await db.schema
    .createIndex("usage_events_customer_feature_at")
    .on("usage_events")
    .columns(["customer_id", "feature_code", "occurred_at"])
    .execute();
  await db.schema.createIndex("usage_events_occurred_at").on("usage_events").column("occurred_at").execute();
  // Manual entries (annotations on the customer's Usage tab): few rows among millions.
  await db.schema
    .createIndex("usage_events_manual")
    .on("usage_events")
    .columns(["customer_id", "occurred_at"])
    .where(sql.ref("manual_audit_id"), "is not", null)
    .execute();

  await db.schema
    .createTable("usage_daily")
    .addColumn("day", "integer", (c) => c.notNull())
    .addColumn("customer_id", "text", (c) => c.notNull())
    .addColumn("feature_code", "text", (c) => c.notNull())
    .addColumn("plan_id", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("total", "double precision", (c) => c.notNull())
    .addColumn("events", "integer", (c) => c.notNull())
    .addPrimaryKeyConstraint("usage_daily_pk", ["day", "customer_id", "feature_code"])
    .execute();
  await db.schema
    .createIndex("usage_daily_customer_day")
    .on("usage_daily")
    .columns(["customer_id", "day", "feature_code", "total"])
    .execute();

  await db.schema
    .createTable("usage_daily_plan")
    .addColumn("day", "integer", (c) => c.notNull())
    .addColumn("plan_id", "text", (c) => c.notNull())
    .addColumn("feature_code", "text", (c) => c.notNull())
    .addColumn("total", "double precision", (c) => c.notNull())
    .addColumn("events", "integer", (c) => c.notNull())
    .addPrimaryKeyConstraint("usage_daily_plan_pk", ["day", "plan_id", "feature_code"])
    .execute();

  await db.schema
    .createTable("usage_reconciliation")
    .addColumn("customer_id", "text", (c) => c.primaryKey())
    .addColumn("checked_at", "bigint", (c) => c.notNull())
    .addColumn("period_start", "bigint")
    .addColumn("period_end", "bigint")
    .addColumn("drifted_at", "bigint")
    .addColumn("max_abs_diff", "double precision", (c) => c.notNull().defaultTo(0))
    .addColumn("details", "text", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("usage_reconciliation_drifted")
    .on("usage_reconciliation")
    .columns(["drifted_at", "max_abs_diff"])
    .execute();
}

export async function down(db: SchemalessDb): Promise<void> {
  await db.schema.dropTable("usage_reconciliation").ifExists().execute();
  await db.schema.dropTable("usage_daily_plan").ifExists().execute();
  await db.schema.dropTable("usage_daily").ifExists().execute();
  await db.schema.dropTable("usage_events").ifExists().execute();
}
