import { sql } from "kysely";
import type { Engine } from "../database.ts";
import type { SchemalessDb } from "../schema.ts";

/**
 * The revenue movements' narrow view of account_events (server/activity): one row per stored subscription
 * lifecycle webhook with only the fields the movements read (subscription, plans, interval), written by
 * the intake in the same transaction as the account event and pruned with it. /revenue reads these
 * instead of parsing every payload. See docs/decisions/0023-finance-read-performance.md.
 */
export async function up(db: SchemalessDb, engine: Engine): Promise<void> {
  await db.schema
    .createTable("subscription_movements")
    .addColumn("event_id", "text", (c) => c.primaryKey())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("occurred_at", "bigint", (c) => c.notNull())
    .addColumn("subscription_id", "text")
    .addColumn("plan_id", "text")
    .addColumn("previous_plan_id", "text")
    .addColumn("current_plan_id", "text")
    .addColumn("billing_interval", "text")
    .execute();
  // The window read (oldest first) and retention; covering, so the read never visits the table.
  await db.schema
    .createIndex("subscription_movements_at")
    .on("subscription_movements")
    .columns([
      "occurred_at",
      "event_id",
      "type",
      "subscription_id",
      "plan_id",
      "previous_plan_id",
      "current_plan_id",
      "billing_interval",
    ])
    .execute();
  await backfillSubscriptionMovements(db, engine);
}

/** The lifecycle webhooks the movements read (server/activity keeps the same list for the intake). */
const TYPES = sql.join(
  [
    "subscription.created",
    "subscription.activated",
    "subscription.reactivated",
    "subscription.plan_changed",
    "subscription.canceled",
  ].map((t) => sql.lit(t)),
);

/**
 * Rebuilds the rows of every stored lifecycle webhook in one INSERT … SELECT. A field counts only when it
 * is a non-empty string (a plan reference: an object whose `id` is one), as the intake extracts it.
 */
export async function backfillSubscriptionMovements(db: SchemalessDb, engine: Engine): Promise<void> {
  await sql`DELETE FROM subscription_movements`.execute(db);
  if (engine === "sqlite") {
    const text = (path: string) =>
      sql`CASE WHEN json_type(payload, ${path}) = 'text' AND json_extract(payload, ${path}) <> '' THEN json_extract(payload, ${path}) END`;
    await sql`INSERT INTO subscription_movements
      (event_id, type, occurred_at, subscription_id, plan_id, previous_plan_id, current_plan_id, billing_interval)
      SELECT event_id, type, occurred_at, ${text("$.subscriptionId")}, ${text("$.planId")},
        CASE WHEN json_type(payload, '$.previousPlan') = 'object' THEN ${text("$.previousPlan.id")} END,
        CASE WHEN json_type(payload, '$.currentPlan') = 'object' THEN ${text("$.currentPlan.id")} END,
        ${text("$.billingInterval")}
      FROM account_events WHERE type IN (${TYPES})`.execute(db);
    return;
  }
  const text = (path: string[]) => {
    const p = sql.raw(`'{${path.join(",")}}'`);
    return sql`CASE WHEN jsonb_typeof(payload::jsonb #> ${p}) = 'string' AND payload::jsonb #>> ${p} <> '' THEN payload::jsonb #>> ${p} END`;
  };
  await sql`INSERT INTO subscription_movements
    (event_id, type, occurred_at, subscription_id, plan_id, previous_plan_id, current_plan_id, billing_interval)
    SELECT event_id, type, occurred_at, ${text(["subscriptionId"])}, ${text(["planId"])},
      CASE WHEN jsonb_typeof(payload::jsonb -> 'previousPlan') = 'object' THEN ${text(["previousPlan", "id"])} END,
      CASE WHEN jsonb_typeof(payload::jsonb -> 'currentPlan') = 'object' THEN ${text(["currentPlan", "id"])} END,
      ${text(["billingInterval"])}
    FROM account_events WHERE type IN (${TYPES})`.execute(db);
}

export async function down(db: SchemalessDb): Promise<void> {
  await db.schema.dropTable("subscription_movements").ifExists().execute();
}
