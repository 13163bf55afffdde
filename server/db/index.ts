/**
 * The console's own database: SQLite under DATA_DIR by default, PostgreSQL when DATABASE_URL says so — same Kysely
 * queries, same migrations (docs/decisions/0004-two-database-engines.md). Timestamps are epoch milliseconds.
 */
import { createDatabase, type Database } from "./database.ts";
import { readDbConfig } from "./config.ts";
import { migrateToLatest } from "./migrate.ts";

export { createDatabase, describeUrl, isUniqueViolation, parseDatabaseUrl } from "./database.ts";
export type { Database, Engine } from "./database.ts";
export { appliedMigrations, migrateToLatest } from "./migrate.ts";
export { readDbConfig, type DbConfig } from "./config.ts";
export { chunks } from "./chunks.ts";
export type * from "./schema.ts";

/** Milliseconds since the epoch. Injected everywhere time matters. */
export type Clock = () => number;
export const systemClock: Clock = () => Date.now();

// One per process: the server build holds the only copy of this module (docs/decisions/0009-one-module-graph.md).
let current: { database: Database; ready?: Promise<Database> } | undefined;

function getDb(): Database {
  current ??= { database: createDatabase(readDbConfig().databaseUrl) };
  return current.database;
}

export function getReadyDb(): Promise<Database> {
  const database = getDb();
  const singleton = current!;
  singleton.ready ??= migrateToLatest(database).then(
    () => database,
    (error: unknown) => {
      singleton.ready = undefined; // let the next call try again
      throw error;
    },
  );
  return singleton.ready;
}

export async function closeDb(): Promise<void> {
  const singleton = current;
  current = undefined;
  if (singleton) await singleton.database.close();
}
