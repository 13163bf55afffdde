import { sql } from "kysely";
import type { Engine } from "../database.ts";
import type { SchemalessDb } from "../schema.ts";

/**
 * 1. Manual usage entries say what they were: `manual_kind` 'track' (usage.track: a quantity added) or
 * 'set' (usage.set: a correction to an exact period total, stored as its signed adjustment, with the
 * total it set in `manual_set_value`). Null on webhook-only rows; older manual rows read as 'track'.
 * 2. Events stored before their plan was known (plan_id '': usage arriving before the directory's first
 *    sync) are found through a small partial index, so assignMissingPlans never scans the whole table.
 * 3. usage_daily's per-customer index becomes (customer_id, feature_code, plan_id, day, total, events):
 *    it covers the top-customers ranking (grouped by customer × feature × plan, read in index order
 *    without touching the table or sorting) and one customer's days (an index-only read: a heavy
 *    customer's 90 days × features rows sit on a few index pages instead of as many heap pages).
 */
export async function up(db: SchemalessDb, _engine: Engine): Promise<void> {
  await db.schema.alterTable("usage_events").addColumn("manual_kind", "text").execute();
  await db.schema.alterTable("usage_events").addColumn("manual_set_value", "double precision").execute();
  await db.schema
    .createIndex("usage_events_unplanned")
    .on("usage_events")
    .columns(["customer_id", "subscription_id"])
    .where(sql<boolean>`plan_id = ''`)
    .execute();
  await db.schema
    .createIndex("usage_daily_customer_feature_plan")
    .on("usage_daily")
    .columns(["customer_id", "feature_code", "plan_id", "day", "total", "events"])
    .execute();
  await db.schema.dropIndex("usage_daily_customer_day").execute();
}

export async function down(db: SchemalessDb): Promise<void> {
  await db.schema
    .createIndex("usage_daily_customer_day")
    .on("usage_daily")
    .columns(["customer_id", "day", "feature_code", "total"])
    .execute();
  await db.schema.dropIndex("usage_daily_customer_feature_plan").ifExists().execute();
  await db.schema.dropIndex("usage_events_unplanned").ifExists().execute();
  await db.schema.alterTable("usage_events").dropColumn("manual_set_value").execute();
  await db.schema.alterTable("usage_events").dropColumn("manual_kind").execute();
}
