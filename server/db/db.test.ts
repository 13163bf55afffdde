import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { appliedMigrations, isUniqueViolation, migrateToLatest, parseDatabaseUrl, readDbConfig } from "./index.ts";
import { MIGRATIONS } from "./migrations/index.ts";
import { describeEachEngine } from "../testing/db.ts";

describeEachEngine("database", (ctx) => {
  it("applies every migration and is idempotent on a second run", async () => {
    expect(await appliedMigrations(ctx.database)).toEqual(Object.keys(MIGRATIONS));
    expect(await migrateToLatest(ctx.database)).toEqual([]);
  });

  it("round-trips epoch-millisecond timestamps as JS numbers and counts as numbers", async () => {
    const at = Date.UTC(2026, 10, 21, 23, 59, 59, 123);
    await ctx.db
      .insertInto("staff")
      .values({
        id: "s-1",
        email: "a@example.com",
        name: "A",
        role: "admin",
        password_hash: "x",
        created_at: at,
        updated_at: at,
        deactivated_at: null,
        last_sign_in_at: null,
      })
      .execute();
    const row = await ctx.db.selectFrom("staff").selectAll().where("id", "=", "s-1").executeTakeFirstOrThrow();
    expect(row.created_at).toBe(at);
    expect(typeof row.created_at).toBe("number");
    const { n } = await ctx.db
      .selectFrom("staff")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    expect(n).toBe(1);
  });

  it("enforces unique emails and reports it as a unique violation", async () => {
    const error = await ctx.db
      .insertInto("staff")
      .values({
        id: "s-2",
        email: "a@example.com",
        name: "B",
        role: "ops",
        password_hash: "x",
        created_at: 1,
        updated_at: 1,
      })
      .execute()
      .catch((e: unknown) => e);
    expect(isUniqueViolation(error)).toBe(true);
    expect(isUniqueViolation(new Error("other"))).toBe(false);
  });

  it("enforces foreign keys (sessions → staff)", async () => {
    await expect(
      ctx.db
        .insertInto("sessions")
        .values({ id_hash: "h", staff_id: "nobody", created_at: 1, last_seen_at: 1, expires_at: 2 })
        .execute(),
    ).rejects.toThrow();
  });

  it("runs in the expected mode (SQLite: WAL + foreign keys)", async () => {
    if (ctx.engine === "sqlite") {
      const { rows } = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(ctx.db);
      expect(rows[0]?.journal_mode).toBe("wal");
      const fk = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(ctx.db);
      expect(fk.rows[0]?.foreign_keys).toBe(1);
    } else {
      const { rows } = await sql<{ v: string }>`select current_setting('server_version') as v`.execute(ctx.db);
      expect(rows[0]?.v).toMatch(/^\d+/);
    }
  });
});

describe("database configuration", () => {
  it("defaults to a SQLite file under DATA_DIR and accepts postgres URLs", () => {
    expect(readDbConfig({ DATA_DIR: "/tmp/x" }).databaseUrl).toBe("/tmp/x/console.sqlite");
    expect(readDbConfig({ DATA_DIR: "/tmp/x", DATABASE_URL: " " }).databaseUrl).toBe("/tmp/x/console.sqlite");
    expect(readDbConfig({ DATABASE_URL: "postgres://u@h/db" }).databaseUrl).toBe("postgres://u@h/db");
    expect(parseDatabaseUrl("postgresql://u@h/db")).toEqual({ dialect: "postgres", url: "postgresql://u@h/db" });
    expect(parseDatabaseUrl("sqlite:./data/c.sqlite")).toEqual({ dialect: "sqlite", file: "./data/c.sqlite" });
    expect(() => parseDatabaseUrl("mysql://u@h/db")).toThrow(/unsupported scheme/);
  });
});
