/**
 * Replays the sandbox's seeded usage history as usage.recorded webhooks, once per endpoint
 * (docs/decisions/0003-local-sandbox.md).
 */

import { type EndpointRow, type Sandbox, type UsageEventRef, usageRecordedData } from "./model.ts";
import { getMeta, setMeta } from "./store.ts";

export interface HistoryProgress {
  historyEvents: number;
  historyDelivered: number;
  historyFailed: number;
}

export const HISTORY_CHUNK = 500;

interface HistoryRow {
  endpoint_id: string;
  last_seq: number;
  cursor_ts: string | null;
  cursor_seq: number | null;
}

type ReplayRow = UsageEventRef & { seq: number; customer_id: string; external_id: string | null };

/**
 * Every active endpoint subscribed to usage.recorded gets a `webhook_history` row the first time it is seen
 * (SANDBOX_WEBHOOK_URL at start, POST/PUT /api/v1/webhooks, the re-registration after a reset); that row is the
 * persisted "already replayed" flag and the progress counter. The outbox is then topped up lazily, oldest
 * event first (ts, seq), in chunks of `chunk` whenever fewer than `chunk` history deliveries of that endpoint
 * are pending — so a 425k-event history never sits in the outbox at once, live events stay ahead of it, and
 * an endpoint that keeps failing (≥ chunk/10 of its history deliveries waiting for a retry) is not fed more.
 */
export class HistoryReplay {
  constructor(
    private readonly sb: Sandbox,
    private readonly chunk = HISTORY_CHUNK,
  ) {}

  /** The last usage_events seq written by the seed (stores seeded before the meta key existed: derived once). */
  private seedLastSeq(): number {
    const stored = getMeta(this.sb.db, "seed_usage_last_seq");
    if (stored !== null) return Number(stored);
    // Seeded events are all dated before the seed anchor; live ones are created at (or after) the real now.
    const anchor = getMeta(this.sb.db, "seed_anchor") ?? "";
    const { last } = this.sb
      .q("SELECT COALESCE(MAX(seq), 0) AS last FROM usage_events WHERE created_at < ?")
      .get(anchor) as {
      last: number;
    };
    setMeta(this.sb.db, "seed_usage_last_seq", String(last));
    return last;
  }

  private subscribedEndpoints(): EndpointRow[] {
    const rows = this.sb.q("SELECT * FROM webhook_endpoints WHERE is_active = 1 ORDER BY seq").all() as EndpointRow[];
    return rows.filter((r) => (JSON.parse(r.events) as string[]).includes("usage.recorded"));
  }

  /** Gives every subscribed endpoint without a history row one (idempotent); returns how many were added. */
  register(): number {
    const fresh = this.subscribedEndpoints().filter(
      (e) => !this.sb.q("SELECT 1 FROM webhook_history WHERE endpoint_id = ?").get(e.id),
    );
    if (fresh.length === 0) return 0;
    // Built on first use, not with the seed: ~0.5 s at 425k events that a store without subscribers never needs.
    this.sb.db.exec("CREATE INDEX IF NOT EXISTS usage_events_replay ON usage_events (ts, seq) WHERE kind = 'track'");
    const lastSeq = this.seedLastSeq();
    const { total } = this.sb
      .q("SELECT COUNT(*) AS total FROM usage_events WHERE kind = 'track' AND seq <= ?")
      .get(lastSeq) as {
      total: number;
    };
    const now = this.sb.clock.iso();
    for (const e of fresh) {
      this.sb
        .q(
          `INSERT INTO webhook_history (endpoint_id, last_seq, total, created_at, completed_at)
           VALUES (?, ?, ?, ?, CASE WHEN ? = 0 THEN ? END)`,
        )
        .run(e.id, lastSeq, total, now, total, now);
    }
    return fresh.length;
  }

  /** Tops up the outbox with the next chunk of every endpoint that has room; returns how many events were queued. */
  refill(): number {
    const open = this.sb
      .q("SELECT endpoint_id, last_seq, cursor_ts, cursor_seq FROM webhook_history WHERE completed_at IS NULL")
      .all() as HistoryRow[];
    if (open.length === 0) return 0;
    const subscribed = new Set(this.subscribedEndpoints().map((e) => e.id));
    let queued = 0;
    for (const h of open) {
      if (!subscribed.has(h.endpoint_id)) continue;
      const { pending, retrying } = this.sb
        .q(
          `SELECT COUNT(*) AS pending, COALESCE(SUM(attempts > 0), 0) AS retrying FROM webhook_deliveries
           WHERE endpoint_id = ? AND history = 1 AND status IN ('pending', 'sending')`,
        )
        .get(h.endpoint_id) as { pending: number; retrying: number };
      if (pending >= this.chunk || retrying >= Math.max(1, this.chunk / 10)) continue;
      queued += this.sb.tx(() => this.queueChunk(h));
    }
    return queued;
  }

  private queueChunk(h: HistoryRow): number {
    const rows = this.sb
      .q(
        `SELECT u.seq, u.id, u.customer_id, u.subscription_id, u.feature_code, u.value, u.ts, c.external_id
         FROM usage_events u LEFT JOIN customers c ON c.id = u.customer_id
         WHERE u.kind = 'track' AND u.seq <= ? AND (u.ts, u.seq) > (?, ?)
         ORDER BY u.ts, u.seq LIMIT ?`,
      )
      .all(h.last_seq, h.cursor_ts ?? "", h.cursor_seq ?? 0, this.chunk) as ReplayRow[];
    for (const r of rows) {
      this.sb.enqueue(
        "usage.recorded",
        usageRecordedData(r, { id: r.customer_id, external_id: r.external_id }),
        [h.endpoint_id],
        true,
      );
    }
    const last = rows.at(-1);
    this.sb
      .q(
        `UPDATE webhook_history SET queued = queued + ?, cursor_ts = COALESCE(?, cursor_ts), cursor_seq = COALESCE(?, cursor_seq),
           completed_at = CASE WHEN ? THEN ? ELSE completed_at END WHERE endpoint_id = ?`,
      )
      .run(
        rows.length,
        last?.ts ?? null,
        last?.seq ?? null,
        rows.length < this.chunk ? 1 : 0,
        this.sb.clock.iso(),
        h.endpoint_id,
      );
    return rows.length;
  }

  /** For GET /__sandbox/health: seeded events owed to the existing endpoints, and how many were answered 2xx. */
  progress(): HistoryProgress {
    const row = this.sb
      .q(
        `SELECT COALESCE(SUM(h.total), 0) AS historyEvents, COALESCE(SUM(h.delivered), 0) AS historyDelivered,
           COALESCE(SUM(h.failed), 0) AS historyFailed
         FROM webhook_history h JOIN webhook_endpoints w ON w.id = h.endpoint_id`,
      )
      .get() as HistoryProgress;
    return row;
  }
}
