import { sql } from "kysely";
import type { Engine } from "../database.ts";
import type { SchemalessDb } from "../schema.ts";

/**
 * Customer directory (server/directory/): the local search index of Commet customers and
 * subscriptions, invoice numbers seen in webhooks, the resumable sync's state, and the processed
 * webhook event ids (dedup). See docs/decisions/0006-customer-search-index.md.
 *
 * Full-text index of names: SQLite FTS5 (external content on directory_customers, kept in step by
 * triggers inside the writing transaction); PostgreSQL a generated tsvector ('simple') with a GIN
 * index. Prefix columns (email_norm, name_search) use byte order (COLLATE "C" on PostgreSQL) so a
 * range `>= p AND < succ(p)` is a prefix match on both engines.
 */
export async function up(db: SchemalessDb, engine: Engine): Promise<void> {
  const pg = engine === "postgres";
  const bytewiseText = pg ? sql`text collate "C"` : sql`text`;

  await db.schema
    .createTable("directory_customers")
    .addColumn("pk", pg ? "bigserial" : "integer", (c) => c.primaryKey())
    .addColumn("id", "text", (c) => c.notNull().unique())
    .addColumn("external_id", "text")
    .addColumn("email", "text", (c) => c.notNull())
    .addColumn("email_norm", bytewiseText, (c) => c.notNull())
    .addColumn("full_name", "text")
    .addColumn("name_search", bytewiseText, (c) => c.notNull().defaultTo(""))
    .addColumn("subscription_id", "text")
    .addColumn("subscription_status", "text")
    .addColumn("plan_id", "text")
    .addColumn("plan_name", "text")
    .addColumn("seats", "text", (c) => c.notNull().defaultTo("{}"))
    .addColumn("seats_total", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addColumn("indexed_at", "bigint", (c) => c.notNull())
    .execute();
  const customerIndexes: Array<[string, string[]]> = [
    ["directory_customers_external_id", ["external_id"]],
    ["directory_customers_email_norm", ["email_norm", "id"]],
    ["directory_customers_name_search", ["name_search", "id"]],
    ["directory_customers_created", ["created_at", "id"]],
    ["directory_customers_status", ["subscription_status", "created_at"]],
    ["directory_customers_plan", ["plan_id", "created_at"]],
  ];
  for (const [name, columns] of customerIndexes) {
    await db.schema.createIndex(name).on("directory_customers").columns(columns).execute();
  }
  // Sorts of the customers table on nullable columns (server/directory/list.ts orders by these exact expressions).
  await sql`create index directory_customers_plan_sort on directory_customers ((coalesce(plan_name, '')), id)`.execute(
    db,
  );
  await sql`create index directory_customers_status_sort on directory_customers ((coalesce(subscription_status, '')), id)`.execute(
    db,
  );
  await db.schema
    .createIndex("directory_customers_seats")
    .on("directory_customers")
    .columns(["seats_total", "id"])
    .execute();

  if (pg) {
    await sql`alter table directory_customers add column name_tsv tsvector
      generated always as (to_tsvector('simple'::regconfig, name_search)) stored`.execute(db);
    await sql`create index directory_customers_name_tsv on directory_customers using gin (name_tsv)`.execute(db);
  } else {
    await sql`create virtual table directory_customers_fts using fts5(
      name_search, content='directory_customers', content_rowid='pk',
      tokenize='unicode61 remove_diacritics 2', prefix='1 2 3')`.execute(db);
    await sql`create trigger directory_customers_fts_ai after insert on directory_customers begin
      insert into directory_customers_fts(rowid, name_search) values (new.pk, new.name_search);
    end`.execute(db);
    await sql`create trigger directory_customers_fts_ad after delete on directory_customers begin
      insert into directory_customers_fts(directory_customers_fts, rowid, name_search) values ('delete', old.pk, old.name_search);
    end`.execute(db);
    await sql`create trigger directory_customers_fts_au after update of name_search on directory_customers begin
      insert into directory_customers_fts(directory_customers_fts, rowid, name_search) values ('delete', old.pk, old.name_search);
      insert into directory_customers_fts(rowid, name_search) values (new.pk, new.name_search);
    end`.execute(db);
  }

  await db.schema
    .createTable("directory_subscriptions")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("customer_ref", "text", (c) => c.notNull())
    .addColumn("customer_id", "text")
    .addColumn("status", "text")
    .addColumn("plan_id", "text")
    .addColumn("plan_name", "text")
    .addColumn("start_date", "bigint")
    .addColumn("seats", "text")
    .addColumn("source_at", "bigint", (c) => c.notNull())
    .addColumn("indexed_at", "bigint", (c) => c.notNull())
    .execute();
  const subscriptionIndexes: Array<[string, string[]]> = [
    ["directory_subscriptions_customer_ref", ["customer_ref"]],
    ["directory_subscriptions_customer_id", ["customer_id"]],
    ["directory_subscriptions_status", ["status", "start_date"]],
    ["directory_subscriptions_plan", ["plan_id", "status"]],
  ];
  for (const [name, columns] of subscriptionIndexes) {
    await db.schema.createIndex(name).on("directory_subscriptions").columns(columns).execute();
  }

  await db.schema
    .createTable("directory_invoices")
    .addColumn("invoice_number_norm", "text", (c) => c.primaryKey())
    .addColumn("invoice_number", "text", (c) => c.notNull())
    .addColumn("invoice_id", "text")
    .addColumn("customer_ref", "text", (c) => c.notNull())
    .addColumn("seen_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("directory_sync_state")
    .addColumn("name", "text", (c) => c.primaryKey())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("phase", "text", (c) => c.notNull())
    .addColumn("run_id", "text")
    .addColumn("cursor", "text")
    .addColumn("customers_synced", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("subscriptions_synced", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("pages", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("rate_limited", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("started_at", "bigint")
    .addColumn("finished_at", "bigint")
    .addColumn("heartbeat_at", "bigint")
    .addColumn("retry_at", "bigint")
    .addColumn("last_error", "text")
    .addColumn("last_completed_at", "bigint")
    .execute();

  await db.schema
    .createTable("webhook_events")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("received_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("webhook_events_type_received")
    .on("webhook_events")
    .columns(["type", "received_at"])
    .execute();
}

export async function down(db: SchemalessDb, engine: Engine): Promise<void> {
  await db.schema.dropTable("webhook_events").ifExists().execute();
  await db.schema.dropTable("directory_sync_state").ifExists().execute();
  await db.schema.dropTable("directory_invoices").ifExists().execute();
  await db.schema.dropTable("directory_subscriptions").ifExists().execute();
  if (engine === "sqlite") await sql`drop table if exists directory_customers_fts`.execute(db);
  await db.schema.dropTable("directory_customers").ifExists().execute();
}
