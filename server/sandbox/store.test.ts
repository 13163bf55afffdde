import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Db, WriteBatch, atomic, openStore } from "./store.ts";

describe("atomic and WriteBatch", () => {
  let dir: string;
  let db: Db;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "sbx-store-"));
    db = openStore(dir);
    db.exec("CREATE TABLE t (v INTEGER)");
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const values = () => (db.prepare("SELECT v FROM t ORDER BY v").all() as Array<{ v: number }>).map((r) => r.v);

  it("a throw undoes the outermost unit; nested atomic calls join it", () => {
    atomic(db, () => db.prepare("INSERT INTO t VALUES (1)").run());
    expect(() =>
      atomic(db, () => {
        db.prepare("INSERT INTO t VALUES (2)").run();
        atomic(db, () => db.prepare("INSERT INTO t VALUES (3)").run());
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(values()).toEqual([1]);
    expect(db.inTransaction).toBe(false);
    atomic(db, () => atomic(db, () => db.prepare("INSERT INTO t VALUES (4)").run()));
    expect(values()).toEqual([1, 4]);
  });

  it("writes of one turn share a transaction; callbacks run after its COMMIT", async () => {
    const batch = new WriteBatch(db);
    const seen: Array<{ ok: boolean; inTx: boolean }> = [];
    batch.run(() => db.prepare("INSERT INTO t VALUES (1)").run());
    expect(() =>
      batch.run(() => {
        db.prepare("INSERT INTO t VALUES (2)").run();
        throw new Error("rejected request");
      }),
    ).toThrow();
    batch.run(() => db.prepare("INSERT INTO t VALUES (3)").run());
    batch.afterCommit((ok) => seen.push({ ok, inTx: db.inTransaction }));
    expect(db.inTransaction).toBe(true);
    expect(seen).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual([{ ok: true, inTx: false }]);
    expect(values()).toEqual([1, 3]);
    batch.afterCommit((ok) => seen.push({ ok, inTx: db.inTransaction }));
    expect(seen).toHaveLength(2);
  });
});
