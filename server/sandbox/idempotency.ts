// The sandbox's Idempotency-Key handling, as Commet's API answers a repeated write (stored response, in-flight claim).

import { createHash } from "node:crypto";
import type { Db } from "./store.ts";
import { statements } from "./store.ts";

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

export type Begin =
  | { kind: "new" }
  | { kind: "replay"; status: number; response: string }
  | { kind: "mismatch" }
  | { kind: "in_progress" };

/**
 * Idempotency-Key records: key, route, body hash, state (in_flight | done), stored status and body.
 * `begin` claims a key synchronously (the event loop makes the check-and-insert atomic); the in-flight
 * row stays visible until `complete` stores the response or `release` drops it (5xx, dropped handler).
 */
export class IdempotencyStore {
  private q: ReturnType<typeof statements>;
  constructor(
    db: Db,
    private readonly now: () => number = Date.now,
  ) {
    this.q = statements(db);
  }

  static hash(body: string): string {
    return createHash("sha256").update(body).digest("hex");
  }

  begin(key: string, route: string, bodyHash: string): Begin {
    const row = this.q(
      "SELECT route, body_hash, state, status, response, created_at FROM idempotency WHERE key = ?",
    ).get(key) as
      | {
          route: string;
          body_hash: string;
          state: string;
          status: number | null;
          response: string | null;
          created_at: number;
        }
      | undefined;
    const now = this.now();
    if (row && now - row.created_at < IDEMPOTENCY_TTL_MS) {
      if (row.route !== route || row.body_hash !== bodyHash) return { kind: "mismatch" };
      if (row.state === "in_flight") return { kind: "in_progress" };
      return { kind: "replay", status: row.status ?? 200, response: row.response ?? "" };
    }
    this.q(
      `INSERT INTO idempotency (key, route, body_hash, state, status, response, created_at) VALUES (?, ?, ?, 'in_flight', NULL, NULL, ?)
       ON CONFLICT(key) DO UPDATE SET route = excluded.route, body_hash = excluded.body_hash, state = 'in_flight',
         status = NULL, response = NULL, created_at = excluded.created_at`,
    ).run(key, route, bodyHash, now);
    return { kind: "new" };
  }

  complete(key: string, status: number, response: string): void {
    this.q("UPDATE idempotency SET state = 'done', status = ?, response = ? WHERE key = ?").run(status, response, key);
  }

  release(key: string): void {
    this.q("DELETE FROM idempotency WHERE key = ? AND state = 'in_flight'").run(key);
  }

  /** Drops expired keys and in-flight claims left by a previous process. */
  prune(clearInFlight = false): void {
    this.q("DELETE FROM idempotency WHERE created_at < ?").run(this.now() - IDEMPOTENCY_TTL_MS);
    if (clearInFlight) this.q("DELETE FROM idempotency WHERE state = 'in_flight'").run();
  }
}
