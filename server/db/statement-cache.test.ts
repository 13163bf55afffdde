import SQLite from "better-sqlite3";
import { Kysely, SqliteDialect, sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { withStatementCache } from "./database.ts";

describe("SQLite statement cache", () => {
  let sqlite: SQLite.Database;
  beforeEach(() => {
    sqlite = new SQLite(":memory:");
    sqlite.exec("create table t (id integer primary key, v text)");
  });
  afterEach(() => {
    if (sqlite.open) sqlite.close();
  });

  it("hands the same statement back for the same SQL, a new one for other SQL", () => {
    const cached = withStatementCache(sqlite);
    const a = cached.prepare("select v from t where id = ?");
    expect(cached.prepare("select v from t where id = ?")).toBe(a);
    expect(cached.prepare("select id from t where v = ?")).not.toBe(a);
  });

  it("never hands out a statement that is still being iterated", () => {
    sqlite.exec("insert into t (v) values ('a'), ('b')");
    const cached = withStatementCache(sqlite);
    const first = cached.prepare("select v from t order by id");
    const iterator = first.iterate([]);
    iterator.next();
    const second = cached.prepare("select v from t order by id");
    expect(second).not.toBe(first);
    expect(second.all([])).toEqual([{ v: "a" }, { v: "b" }]);
    iterator.return?.();
    expect(cached.prepare("select v from t order by id")).toBe(first);
  });

  it("keeps at most `size` statements, dropping the least recently used", () => {
    const cached = withStatementCache(sqlite, 2);
    const one = cached.prepare("select 1");
    const two = cached.prepare("select 2");
    expect(cached.prepare("select 1")).toBe(one); // "select 2" is now the least recently used
    cached.prepare("select 3");
    expect(cached.prepare("select 1")).toBe(one);
    expect(cached.prepare("select 2")).not.toBe(two);
  });

  it("gives Kysely the same answers across writes and a schema change", async () => {
    const db = new Kysely<{ t: { id: number; v: string } }>({
      dialect: new SqliteDialect({ database: withStatementCache(sqlite) }),
    });
    const read = () => db.selectFrom("t").selectAll().orderBy("id").execute();
    await db.insertInto("t").values({ id: 1, v: "a" }).execute();
    expect(await read()).toEqual([{ id: 1, v: "a" }]);
    await db.insertInto("t").values({ id: 2, v: "b" }).execute();
    expect(await read()).toEqual([
      { id: 1, v: "a" },
      { id: 2, v: "b" },
    ]);
    await sql`alter table t add column w text`.execute(db);
    await db.updateTable("t").set({ v: "c" }).where("id", "=", 1).execute();
    expect(await read()).toEqual([
      { id: 1, v: "c", w: null },
      { id: 2, v: "b", w: null },
    ]);
    await db.destroy();
  });
});
