/**
 * `npm run db:migrate` — applies pending migrations to the database named by DATABASE_URL
 * (or the SQLite file under $DATA_DIR) and exits. The server also migrates on start.
 */
import { appliedMigrations, createDatabase, migrateToLatest, readDbConfig } from "./index.ts";

const database = createDatabase(readDbConfig().databaseUrl);
try {
  const applied = await migrateToLatest(database);
  const all = await appliedMigrations(database);
  console.log(
    `db:migrate (${database.dialect} ${database.location}): ` +
      (applied.length ? `applied ${applied.join(", ")}` : "already up to date") +
      ` — ${all.length} migration(s) in place`,
  );
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
} finally {
  await database.close();
}
