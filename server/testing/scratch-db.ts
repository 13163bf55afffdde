/**
 * Throwaway databases for tests and benches: a fresh, migrated database on either engine, removed by
 * `dispose()`. SQLite: a new file in a temporary directory. PostgreSQL: a uniquely named database on
 * TEST_DATABASE_URL (a server-level URL; default postgres://postgres@127.0.0.1:5432/postgres), dropped
 * afterwards. No vitest import here, so bench scripts can use it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { createDatabase, type Database, type Engine } from "../db/database.ts";
import { migrateToLatest } from "../db/migrate.ts";

export function testServerUrl(): string {
  return process.env.TEST_DATABASE_URL?.trim() || "postgres://postgres@127.0.0.1:5432/postgres";
}

export interface ScratchDatabase extends Database {
  /** What DATABASE_URL would name it (a console process started on it). */
  url: string;
  /** Drops the database (PostgreSQL) or deletes its directory (SQLite), after closing it. */
  dispose(): Promise<void>;
}

let counter = 0;

export async function createScratchDatabase(engine: Engine): Promise<ScratchDatabase> {
  if (engine === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "console-db-test-"));
    const database = createDatabase(join(dir, "console.sqlite"));
    await migrateToLatest(database);
    return {
      ...database,
      url: join(dir, "console.sqlite"),
      async dispose() {
        await database.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const serverUrl = testServerUrl();
  const name = `console_test_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  // Dropped without FORCE while the pool's last connections finish closing (FORCE could terminate a
  // backend whose client has not seen its own goodbye yet, which surfaces as an unhandled 57P01);
  // FORCE only as the last resort.
  const drop = () =>
    withAdminClient(serverUrl, async (client) => {
      for (let attempt = 0; attempt < 30; attempt++) {
        try {
          await client.query(`DROP DATABASE IF EXISTS "${name}"`);
          return;
        } catch (error) {
          if ((error as { code?: string }).code !== "55006") throw error; // 55006: object in use
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    });
  await withAdminClient(serverUrl, (client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = createDatabase(url.toString(), { poolSize: 4 });
  try {
    await migrateToLatest(database);
  } catch (error) {
    await database.close();
    await drop();
    throw error;
  }
  return {
    ...database,
    url: url.toString(),
    async dispose() {
      await database.close();
      await drop();
    },
  };
}

async function withAdminClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${url} (set TEST_DATABASE_URL, or run the tests through npm test): ${String(error)}`,
      { cause: error },
    );
  }
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
