// Runs the console's schema migrations on either engine (docs/decisions/0004-two-database-engines.md).

import { Migrator, type Kysely, type MigrationResult } from "kysely";
import type { Database, Engine } from "./database.ts";
import { MIGRATIONS } from "./migrations/index.ts";
import type { DB } from "./schema.ts";
import type { SchemalessDb } from "./schema.ts";

function migratorFor(db: Kysely<DB>, engine: Engine): Migrator {
  return new Migrator({
    db,
    provider: {
      async getMigrations() {
        return Object.fromEntries(
          Object.entries(MIGRATIONS).map(([name, m]) => [
            name,
            {
              up: (tx: SchemalessDb) => m.up(tx, engine),
              down: m.down ? (tx: SchemalessDb) => m.down!(tx, engine) : undefined,
            },
          ]),
        );
      },
    },
  });
}

/** Runs every pending migration; returns the names applied now. Throws on the first failure. */
export async function migrateToLatest(database: Pick<Database, "db" | "dialect">): Promise<string[]> {
  const { error, results } = await migratorFor(database.db, database.dialect).migrateToLatest();
  if (error) {
    const failed = results?.find((r: MigrationResult) => r.status === "Error")?.migrationName;
    throw new Error(
      `Database migration ${failed ?? ""} failed: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    );
  }
  return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
}

/** Names of the migrations already applied, oldest first. */
export async function appliedMigrations(database: Pick<Database, "db" | "dialect">): Promise<string[]> {
  const all = await migratorFor(database.db, database.dialect).getMigrations();
  return all.filter((m) => m.executedAt).map((m) => m.name);
}
