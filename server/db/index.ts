/**
 * server/db — the console's database: one data layer, two engines.
 *
 * Engine: SQLite file at `$DATA_DIR/console.sqlite` (embedded default) or PostgreSQL when
 * `DATABASE_URL=postgres://…`. Same Kysely queries and the same migrations for both
 * (docs/decisions/0004-two-database-engines.md). Timestamps are epoch milliseconds (JS numbers).
 *
 * Surface:
 *   getDb(): Database                     process singleton from DATABASE_URL / DATA_DIR (not migrated yet)
 *   getReadyDb(): Promise<Database>       the singleton, migrated once per process — call this from server code
 *   closeDb(): Promise<void>              closes the singleton (graceful shutdown, tests)
 *   createDatabase(url): Database         { db: Kysely<DB>, dialect: "sqlite" | "postgres", location, close() }
 *   migrateToLatest(database): Promise<string[]>   applies pending migrations (also `npm run db:migrate`)
 *   appliedMigrations(database): Promise<string[]>
 *   isUniqueViolation(error): boolean     unique-constraint error on either engine
 *   readDbConfig(env?): { dataDir, databaseUrl }
 *   type DB, StaffRow, SessionRow, AuditRow, …   table types (server/db/schema.ts)
 *   type Clock = () => number             epoch ms; every service takes one so tests never sleep
 *
 * Startup (server/main.ts): `await getReadyDb()` then `ensureInitialStaff(...)` from server/auth.
 * Migrations live in server/db/migrations/ and are listed statically in migrations/index.ts.
 * Tests: server/db/test-support.ts → `describeEachEngine(name, (ctx) => { … })` runs a suite on a fresh
 * SQLite file and on a fresh PostgreSQL database (TEST_DATABASE_URL).
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

interface Singleton {
  database: Database;
  ready?: Promise<Database>;
}

// Kept on globalThis so Vite's dev-mode module reloads reuse one pool / file handle.
const holder = globalThis as typeof globalThis & { __consoleDb?: Singleton };

export function getDb(): Database {
  holder.__consoleDb ??= { database: createDatabase(readDbConfig().databaseUrl) };
  return holder.__consoleDb.database;
}

export function getReadyDb(): Promise<Database> {
  const database = getDb();
  const singleton = holder.__consoleDb!;
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
  const singleton = holder.__consoleDb;
  holder.__consoleDb = undefined;
  if (singleton) await singleton.database.close();
}
