import { sql } from "kysely";
import type { Engine } from "../database.ts";
import type { SchemalessDb } from "../schema.ts";

/**
 * Staff accounts, their sessions, failed sign-in attempts and the audit trail.
 * Timestamps are epoch milliseconds in `bigint` columns (INTEGER affinity on SQLite).
 * The audit trail is append-only at the database level too: a trigger refuses DELETE, and any
 * UPDATE other than finalizing a pending row (status and outcome columns only).
 */
export async function up(db: SchemalessDb, engine: Engine): Promise<void> {
  await db.schema
    .createTable("staff")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("email", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("role", "text", (c) => c.notNull())
    .addColumn("password_hash", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addColumn("deactivated_at", "bigint")
    .addColumn("last_sign_in_at", "bigint")
    .execute();
  await db.schema.createIndex("staff_email_unique").on("staff").column("email").unique().execute();

  await db.schema
    .createTable("sessions")
    .addColumn("id_hash", "text", (c) => c.primaryKey())
    .addColumn("staff_id", "text", (c) => c.notNull().references("staff.id").onDelete("cascade"))
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("last_seen_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .addColumn("revoked_at", "bigint")
    .addColumn("ip", "text")
    .addColumn("user_agent", "text")
    .execute();
  await db.schema.createIndex("sessions_staff_id").on("sessions").column("staff_id").execute();

  await db.schema
    .createTable("sign_in_attempts")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("email", "text", (c) => c.notNull())
    .addColumn("ip", "text")
    .addColumn("at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("sign_in_attempts_email_at").on("sign_in_attempts").columns(["email", "at"]).execute();
  await db.schema.createIndex("sign_in_attempts_ip_at").on("sign_in_attempts").columns(["ip", "at"]).execute();

  await db.schema
    .createTable("audit_log")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("finalized_at", "bigint")
    .addColumn("actor_id", "text")
    .addColumn("actor_email", "text", (c) => c.notNull())
    .addColumn("actor_role", "text")
    .addColumn("action", "text", (c) => c.notNull())
    .addColumn("customer_id", "text")
    .addColumn("params", "text", (c) => c.notNull())
    .addColumn("idempotency_key", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull().check(sql`status in ('pending', 'succeeded', 'failed')`))
    .addColumn("commet_ids", "text")
    .addColumn("request_id", "text")
    .addColumn("error_code", "text")
    .addColumn("error_message", "text")
    .execute();
  // Exactly-once per action: one row per (idempotency key, action); the key prefix serves key look-ups.
  await db.schema
    .createIndex("audit_log_key_action_unique")
    .on("audit_log")
    .columns(["idempotency_key", "action"])
    .unique()
    .execute();
  for (const column of ["created_at", "status", "actor_id", "customer_id", "action"] as const) {
    const columns = column === "created_at" ? ["created_at", "id"] : [column, "created_at", "id"];
    await db.schema.createIndex(`audit_log_${column}`).on("audit_log").columns(columns).execute();
  }

  const immutable = [
    "id",
    "created_at",
    "actor_id",
    "actor_email",
    "actor_role",
    "action",
    "customer_id",
    "params",
    "idempotency_key",
  ];
  if (engine === "sqlite") {
    const changed = immutable.map((c) => `NEW.${c} IS NOT OLD.${c}`).join(" OR ");
    await sql
      .raw(
        `CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
         BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END`,
      )
      .execute(db);
    await sql
      .raw(
        `CREATE TRIGGER audit_log_finalize_only BEFORE UPDATE ON audit_log
         WHEN OLD.status <> 'pending' OR NEW.status = 'pending' OR ${changed}
         BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: only a pending row may be finalized'); END`,
      )
      .execute(db);
  } else {
    const changed = immutable.map((c) => `NEW.${c} IS DISTINCT FROM OLD.${c}`).join(" OR ");
    await sql
      .raw(
        `CREATE FUNCTION audit_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
           IF TG_OP = 'DELETE' THEN
             RAISE EXCEPTION 'audit_log is append-only';
           END IF;
           IF OLD.status <> 'pending' OR NEW.status = 'pending' OR ${changed} THEN
             RAISE EXCEPTION 'audit_log is append-only: only a pending row may be finalized';
           END IF;
           RETURN NEW;
         END $$`,
      )
      .execute(db);
    await sql
      .raw(
        `CREATE TRIGGER audit_log_guard BEFORE UPDATE OR DELETE ON audit_log
         FOR EACH ROW EXECUTE FUNCTION audit_log_guard()`,
      )
      .execute(db);
  }
}

export async function down(db: SchemalessDb, engine: Engine): Promise<void> {
  if (engine === "postgres") await sql.raw("DROP FUNCTION IF EXISTS audit_log_guard() CASCADE").execute(db);
  await db.schema.dropTable("audit_log").ifExists().execute();
  await db.schema.dropTable("sign_in_attempts").ifExists().execute();
  await db.schema.dropTable("sessions").ifExists().execute();
  await db.schema.dropTable("staff").ifExists().execute();
}
