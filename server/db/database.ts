// Opens the console's database, SQLite or PostgreSQL by DATABASE_URL (docs/decisions/0004-two-database-engines.md).

import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import SQLite from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect, type SqliteDatabase } from "kysely";
import pg from "pg";
import type { DB } from "./schema.ts";
import { logger } from "../observability/index.ts";

export type Engine = "sqlite" | "postgres";

export interface Database {
  db: Kysely<DB>;
  dialect: Engine;
  /** Where it lives, without credentials (for logs). */
  location: string;
  close(): Promise<void>;
}

const INT8_OID = 20;

/** int8 (bigint, count(*)) → JS number. Our int8 columns are epoch ms and counts, far below 2^53. */
const pgTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === INT8_OID && format !== "binary"
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format as "text")) as pg.CustomTypesConfig["getTypeParser"],
};

/** Which engine a DATABASE_URL names, and the SQLite file path when it is SQLite. */
export function parseDatabaseUrl(
  url: string,
): { dialect: "postgres"; url: string } | { dialect: "sqlite"; file: string } {
  if (/^postgres(ql)?:\/\//i.test(url)) return { dialect: "postgres", url };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && !/^(sqlite|file):/i.test(url)) {
    throw new Error(`DATABASE_URL: unsupported scheme in ${url.split(":")[0]}:// (use postgres:// or a SQLite path)`);
  }
  const file = url.replace(/^sqlite:(\/\/)?/i, "").replace(/^file:(\/\/)?/i, "");
  if (!file) throw new Error("DATABASE_URL: empty SQLite path");
  return { dialect: "sqlite", file };
}

/** Redacts the password of a postgres URL for logs. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "postgres (unparseable URL)";
  }
}

/**
 * Opens a database: `postgres://…` / `postgresql://…` → PostgreSQL through a pg Pool;
 * anything else is a SQLite file path (optionally prefixed `sqlite:` or `file:`; `:memory:` works).
 * SQLite runs in WAL mode with foreign keys on and a 5 s busy timeout (several processes may share the file).
 */
export function createDatabase(url: string, options: { poolSize?: number } = {}): Database {
  const parsed = parseDatabaseUrl(url);
  if (parsed.dialect === "postgres") {
    const pool = new pg.Pool({ connectionString: parsed.url, max: options.poolSize ?? 10, types: pgTypes });
    // An idle client that loses its connection (server restart, admin termination) must not crash the
    // process: pg-pool re-emits such errors on the pool, and an unhandled 'error' event would throw.
    pool.on("error", (error) => {
      logger("database").warn({ err: error }, "idle PostgreSQL connection lost; the pool reconnects on demand");
    });
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
    return { db, dialect: "postgres", location: describeUrl(parsed.url), close: () => db.destroy() };
  }
  const file = parsed.file === ":memory:" ? parsed.file : resolve(parsed.file);
  if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
  const sqlite = new SQLite(file);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  sqlite.pragma("synchronous = NORMAL");
  const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  return { db, dialect: "sqlite", location: file, close: () => db.destroy() };
}

/** Prepared statements kept per SQL text; beyond this many, the least recently used is dropped. */
export const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely's SQLite driver prepares every query anew; preparing (parsing and planning the SQL) cost more than
 * running most of the console's queries (docs/decisions/0025-where-the-cpu-goes.md). The same SQL text reuses
 * its statement (SQLite re-prepares it by itself after a schema change); a statement still being iterated
 * (`busy`) is never handed out twice.
 */
export function withStatementCache(sqlite: SQLite.Database, size = STATEMENT_CACHE_SIZE): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      const cached = cache.get(sql);
      if (cached && !cached.busy) {
        cache.delete(sql); // re-inserted below: Map order is recency order
        cache.set(sql, cached);
        return cached;
      }
      const statement = sqlite.prepare(sql);
      if (!cached) {
        cache.set(sql, statement);
        if (cache.size > size) cache.delete(cache.keys().next().value!);
      }
      return statement;
    },
  };
}

/** True when a database error is a unique-constraint violation, on either engine. */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const code = (error as { code?: unknown }).code;
  return code === "23505" || code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}
