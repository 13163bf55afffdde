import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { IDEMPOTENCY_TTL_MS, IdempotencyStore } from "./idempotency.ts";
import { type Db, openStore } from "./store.ts";

describe("IdempotencyStore", () => {
  let dir: string;
  let db: Db;
  let now: number;
  let store: IdempotencyStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "sbx-idem-"));
    db = openStore(dir);
    now = 1_800_000_000_000;
    store = new IdempotencyStore(db, () => now);
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const hash = IdempotencyStore.hash('{"a":1}');

  it("claims a new key, reports it in flight, then replays the stored response", () => {
    expect(store.begin("k1", "POST /api/v1/customers", hash)).toEqual({ kind: "new" });
    expect(store.begin("k1", "POST /api/v1/customers", hash)).toEqual({ kind: "in_progress" });
    store.complete("k1", 201, '{"success":true}');
    expect(store.begin("k1", "POST /api/v1/customers", hash)).toEqual({
      kind: "replay",
      status: 201,
      response: '{"success":true}',
    });
  });

  it("a different body or a different route with the same key is a mismatch", () => {
    store.begin("k2", "POST /api/v1/customers", hash);
    store.complete("k2", 200, "{}");
    expect(store.begin("k2", "POST /api/v1/customers", IdempotencyStore.hash('{"a":2}'))).toEqual({ kind: "mismatch" });
    expect(store.begin("k2", "PUT /api/v1/seats", hash)).toEqual({ kind: "mismatch" });
  });

  it("release drops an in-flight claim so a retry executes again", () => {
    store.begin("k3", "POST /x", hash);
    store.release("k3");
    expect(store.begin("k3", "POST /x", hash)).toEqual({ kind: "new" });
  });

  it("keys expire after 24 h: the same key then starts a new request", () => {
    store.begin("k4", "POST /x", hash);
    store.complete("k4", 200, "{}");
    now += IDEMPOTENCY_TTL_MS - 1;
    expect(store.begin("k4", "POST /x", IdempotencyStore.hash("other")).kind).toBe("mismatch");
    now += 2;
    expect(store.begin("k4", "POST /x", IdempotencyStore.hash("other"))).toEqual({ kind: "new" });
  });

  it("prune(true) clears expired keys and claims left in flight by a previous process", () => {
    store.begin("old", "POST /x", hash);
    store.complete("old", 200, "{}");
    store.begin("flying", "POST /x", hash);
    now += IDEMPOTENCY_TTL_MS + 1;
    store.begin("fresh", "POST /x", hash);
    store.complete("fresh", 200, "{}");
    store.prune(true);
    const keys = (db.prepare("SELECT key FROM idempotency ORDER BY key").all() as Array<{ key: string }>).map(
      (r) => r.key,
    );
    expect(keys).toEqual(["fresh"]);
  });
});
