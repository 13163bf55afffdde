import type { Engine } from "../database.ts";
import type { SchemalessDb } from "../schema.ts";

/**
 * Four-eyes approvals (server/approvals, docs/decisions/0017-four-eyes-approvals.md): the policy as
 * edited by admins (one row per rule, JSON; missing rows take the defaults), and the requests — the exact
 * write (action, request, form, audit details) with its idempotency key, the preview shown when it was
 * asked for, and the decision. The key is unique: one request per key, whatever its outcome.
 */
export async function up(db: SchemalessDb, _engine: Engine): Promise<void> {
  await db.schema
    .createTable("approval_policy")
    .addColumn("rule", "text", (c) => c.primaryKey())
    .addColumn("config", "text", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addColumn("updated_by", "text", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("approval_requests")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("idempotency_key", "text", (c) => c.notNull())
    .addColumn("action", "text", (c) => c.notNull())
    .addColumn("rule", "text", (c) => c.notNull())
    .addColumn("customer_id", "text", (c) => c.notNull())
    .addColumn("requested_by_id", "text")
    .addColumn("requested_by_email", "text", (c) => c.notNull())
    .addColumn("requested_role", "text")
    .addColumn("requested_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .addColumn("approvers", "text", (c) => c.notNull())
    .addColumn("spec", "text", (c) => c.notNull())
    .addColumn("preview", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("decided_by_id", "text")
    .addColumn("decided_by_email", "text")
    .addColumn("decided_at", "bigint")
    .addColumn("comment", "text")
    .addColumn("write_audit_id", "text")
    .execute();
  await db.schema
    .createIndex("approval_requests_key")
    .on("approval_requests")
    .column("idempotency_key")
    .unique()
    .execute();
  // The inbox and the navigation count: pending requests, soonest to expire first.
  await db.schema
    .createIndex("approval_requests_status_expires")
    .on("approval_requests")
    .columns(["status", "expires_at"])
    .execute();
  await db.schema
    .createIndex("approval_requests_customer")
    .on("approval_requests")
    .columns(["customer_id", "requested_at"])
    .execute();
}

export async function down(db: SchemalessDb): Promise<void> {
  await db.schema.dropTable("approval_requests").ifExists().execute();
  await db.schema.dropTable("approval_policy").ifExists().execute();
}
