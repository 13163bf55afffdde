/**
 * The sandbox's webhook delivery: signs events and sends the outbox with retries, as Commet does
 * (docs/decisions/0003-local-sandbox.md).
 */

import { createHmac } from "node:crypto";
import { Agent, request } from "undici";
import type { Db } from "./store.ts";
import { statements } from "./store.ts";

/** x-commet-signature: hex HMAC-SHA256 of the raw body with the endpoint's whsec_ secret (as the SDK verifies). */
export function sign(payload: string, secret: string): string {
  return createHmac("sha256", secret).update(payload).digest("hex");
}

export interface DeliveryOptions {
  /** First retry delay; doubles per attempt (capped at maxDelayMs). */
  retryBaseMs: number;
  maxDelayMs: number;
  maxAttempts: number;
  timeoutMs: number;
  /** Deliveries in flight at once (across endpoints). */
  concurrency: number;
}

export const DEFAULT_DELIVERY: DeliveryOptions = {
  retryBaseMs: 1000,
  maxDelayMs: 5 * 60_000,
  maxAttempts: 8,
  timeoutMs: 10_000,
  concurrency: 32,
};

export interface DeliveryHooks {
  /** Decides whether a delivery of this event type is dropped on purpose (fault rules). */
  dropDelivery?: (eventType: string) => boolean;
  /** Tops up the outbox when it runs dry (replayed history); returns how many deliveries it queued. */
  refill?: () => number;
}

type Outcome = "delivered" | "pending" | "failed" | "dropped";

interface Due {
  seq: number;
  event_id: string;
  endpoint_id: string;
  history: number;
  type: string;
  payload: string;
  created_at: string;
  attempts: number;
  url: string;
  secret: string;
}

/**
 * Webhook outbox delivery: rows in webhook_deliveries are sent by this loop, never by the API request
 * that queued them. Each attempt POSTs the event's stored payload unchanged (same event id on every
 * retry); non-2xx answers and network errors are retried with exponential backoff. Up to
 * `concurrency` attempts are in flight; live events are taken before replayed history (`history = 1`).
 */
export class Deliverer {
  private readonly q: ReturnType<typeof statements>;
  private readonly agent: Agent;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private closed = false;
  /** Bumped by forget(): results of attempts started before a reset are not written into the new store. */
  private epoch = 0;
  private inflight = new Set<Promise<void>>();
  private settled: Array<{
    d: Due;
    outcome: Outcome;
    attempts: number;
    status: number | null;
    error: string | null;
    next: number;
    at: string | null;
  }> = [];

  private readonly opts: DeliveryOptions;

  constructor(
    private readonly db: Db,
    opts: Partial<DeliveryOptions> = {},
    private readonly hooks: DeliveryHooks = {},
  ) {
    this.opts = { ...DEFAULT_DELIVERY, ...opts };
    this.q = statements(db);
    this.agent = new Agent({ connections: this.opts.concurrency });
    this.q("UPDATE webhook_deliveries SET status = 'pending' WHERE status = 'sending'").run();
  }

  kick(): void {
    if (this.closed || this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), 0);
  }

  /** The store is about to be wiped (reset): outcomes of attempts still in flight are discarded. */
  forget(): void {
    this.epoch += 1;
    this.settled = [];
  }

  private schedule(): void {
    if (this.closed) return;
    const next = this.q("SELECT MIN(next_attempt_at) AS at FROM webhook_deliveries WHERE status = 'pending'").get() as {
      at: number | null;
    };
    if (next.at === null) return;
    const delay = Math.max(0, Math.min(next.at - Date.now(), 60_000));
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), delay);
  }

  /**
   * Claims up to `n` due deliveries (live first, then oldest due; index webhook_deliveries_next gives that order)
   * and marks them 'sending' — in the same transaction as the outcomes settled since the last call.
   */
  private take(n: number): Due[] {
    const due =
      n > 0
        ? (this.q(
            `SELECT d.seq, d.event_id, d.endpoint_id, d.history, d.attempts, e.type, e.payload, e.created_at, w.url, w.secret
             FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id JOIN webhook_endpoints w ON w.id = d.endpoint_id
             WHERE d.status = 'pending' AND d.next_attempt_at <= ? ORDER BY d.history, d.next_attempt_at, d.seq LIMIT ?`,
          ).all(Date.now(), n) as Due[])
        : [];
    if (due.length > 0 || this.settled.length > 0) {
      const mark = this.q("UPDATE webhook_deliveries SET status = 'sending' WHERE seq = ?");
      this.db.transaction(() => {
        this.writeSettled();
        for (const d of due) mark.run(d.seq);
      })();
    }
    return due;
  }

  private async tick(): Promise<void> {
    if (this.closed || this.running) return;
    this.running = true;
    const low = Math.max(1, Math.floor(this.opts.concurrency / 4));
    try {
      while (!this.closed) {
        const free = this.opts.concurrency - this.inflight.size;
        // Refill in batches: wait until a quarter of the slots are free (or nothing is in flight).
        if (free >= low || this.inflight.size === 0) {
          let due = this.take(free);
          if (due.length < free && (this.hooks.refill?.() ?? 0) > 0) due = due.concat(this.take(free - due.length));
          for (const d of due) this.track(this.attempt(d, this.epoch));
        }
        if (this.inflight.size === 0) break;
        await Promise.race(this.inflight);
      }
    } finally {
      this.running = false;
      this.flush();
      this.schedule();
    }
  }

  private track(p: Promise<void>): void {
    const tracked = p.catch(() => {}).finally(() => this.inflight.delete(tracked));
    this.inflight.add(tracked);
  }

  private async attempt(d: Due, epoch: number): Promise<void> {
    // Live events were decided when queued (Sandbox.dropDelivery); replayed history is decided as it is sent.
    if (d.history === 1 && this.hooks.dropDelivery?.(d.type)) {
      this.settle(d, "dropped", {
        attempts: d.attempts,
        status: null,
        error: "dropped by a fault rule",
        next: Date.now(),
      });
      return;
    }
    let status: number | null = null;
    let error: string | null = null;
    try {
      const res = await request(d.url, {
        method: "POST",
        dispatcher: this.agent,
        headers: {
          "content-type": "application/json",
          "x-commet-signature": sign(d.payload, d.secret),
          "x-commet-event": d.type,
          "x-commet-event-id": d.event_id,
          "x-commet-timestamp": d.created_at,
          "user-agent": "commet-sandbox-webhooks/1",
        },
        body: d.payload,
        headersTimeout: this.opts.timeoutMs,
        bodyTimeout: this.opts.timeoutMs,
      });
      status = res.statusCode;
      await res.body.dump();
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    if (epoch !== this.epoch || !this.db.open) return;
    if (this.closed && status === null) {
      this.q("UPDATE webhook_deliveries SET status = 'pending' WHERE seq = ?").run(d.seq);
      return;
    }
    const attempts = d.attempts + 1;
    if (status !== null && status >= 200 && status < 300) {
      this.settle(d, "delivered", { attempts, status, error: null, next: Date.now() });
      return;
    }
    const failed = attempts >= this.opts.maxAttempts;
    const delay = Math.min(this.opts.retryBaseMs * 2 ** (attempts - 1), this.opts.maxDelayMs);
    this.settle(d, failed ? "failed" : "pending", { attempts, status, error, next: Date.now() + delay });
  }

  /**
   * Records an attempt's outcome. Outcomes are written in batches (one transaction per loop turn, with the next
   * claim): a commit per delivery would write a WAL frame per row and cap the outbox at a few hundred per second.
   * A crash before the write leaves the row 'sending', which the next start turns back into 'pending'.
   */
  private settle(
    d: Due,
    outcome: Outcome,
    r: { attempts: number; status: number | null; error: string | null; next: number },
  ): void {
    this.settled.push({ d, outcome, ...r, at: outcome === "delivered" ? new Date().toISOString() : null });
  }

  private writeSettled(): void {
    const rows = this.settled;
    if (rows.length === 0) return;
    this.settled = [];
    const update = this.q(
      `UPDATE webhook_deliveries SET status = ?, attempts = ?, last_status = ?, last_error = ?, next_attempt_at = ?,
         delivered_at = ? WHERE seq = ?`,
    );
    const progress = new Map<string, { delivered: number; failed: number }>();
    for (const r of rows) {
      update.run(r.outcome, r.attempts, r.status, r.error, r.next, r.at, r.d.seq);
      if (r.d.history === 1 && r.outcome !== "pending") {
        const p = progress.get(r.d.endpoint_id) ?? { delivered: 0, failed: 0 };
        if (r.outcome === "delivered") p.delivered++;
        else p.failed++;
        progress.set(r.d.endpoint_id, p);
      }
    }
    const bump = this.q(
      "UPDATE webhook_history SET delivered = delivered + ?, failed = failed + ? WHERE endpoint_id = ?",
    );
    for (const [endpointId, p] of progress) bump.run(p.delivered, p.failed, endpointId);
  }

  /** Writes the outcomes not yet written (before reads that must see them, and at close). */
  flush(): void {
    if (this.settled.length > 0 && this.db.open) this.db.transaction(() => this.writeSettled())();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await Promise.allSettled([...this.inflight]);
    this.flush();
    await this.agent.close();
  }
}
