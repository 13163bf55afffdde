/**
 * Group commit of verified deliveries: deduplication by event id (webhook_events) and the domains'
 * handlers and observers, all in one transaction per group (docs/decisions/0011-webhook-intake.md).
 */
import { chunks, type SchemalessDb } from "../db/index.ts";
import type { WebhookContext, WebhookEnvelope, WebhookHandler, WebhookObserver } from "./handlers.ts";
import { webhookTables, type WebhookDatabase } from "./schema.ts";

export type ApplyResult = "received" | "duplicate" | "ignored";

export interface PendingEvent {
  event: WebhookEnvelope;
  handler: WebhookHandler | undefined;
  /** The data as the handler's schema parsed it (the raw data when no handler). */
  data: unknown;
  /** The observers whose schema matched the data, with what they parsed. */
  observed: ReadonlyArray<{ observer: WebhookObserver; data: unknown }>;
  now: number;
}

/** Deliveries committed in one transaction at most (a few hundred statements' worth of parameters). */
const MAX_GROUP = 256;

/**
 * While one transaction runs, the deliveries that arrive meanwhile gather and commit together in the
 * next: no added wait when traffic is light, a few statements per batch instead of per event when it is
 * heavy. Each delivery is answered only after the transaction holding it committed, so an acknowledged
 * event is never lost. A failing batch is retried one delivery per transaction, so one bad event fails
 * only itself (500, Commet retries it).
 */
class CommitQueue {
  private pending: Array<PendingEvent & { settle: (r: ApplyResult) => void; fail: (e: unknown) => void }> = [];
  private running = false;

  constructor(private readonly database: WebhookDatabase) {}

  submit(job: PendingEvent): Promise<ApplyResult> {
    return new Promise<ApplyResult>((settle, fail) => {
      this.pending.push({ ...job, settle, fail });
      if (!this.running) {
        this.running = true;
        // Start after the I/O callbacks already due in this turn of the event loop: deliveries read in the
        // same turn join this first transaction (with SQLite a lone transaction finishes before the next
        // socket is even read, so starting at once would commit one delivery at a time).
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const group = this.pending.splice(0, MAX_GROUP);
        try {
          const results = await this.commit(group);
          group.forEach((job, i) => job.settle(results[i]!));
        } catch (error) {
          if (group.length === 1) {
            group[0]!.fail(error);
            continue;
          }
          for (const job of group) {
            try {
              job.settle((await this.commit([job]))[0]!);
            } catch (e) {
              job.fail(e);
            }
          }
        }
      }
    } finally {
      this.running = false;
    }
  }

  private commit(group: readonly PendingEvent[]): Promise<ApplyResult[]> {
    return this.database.db.transaction().execute((trx) => applyEvents(trx, group));
  }
}

const queues = new WeakMap<WebhookDatabase, CommitQueue>();

/** The one queue of a database (deliveries to the same database share it). */
export function commitQueue(database: WebhookDatabase): CommitQueue {
  let queue = queues.get(database);
  if (!queue) {
    queue = new CommitQueue(database);
    queues.set(database, queue);
  }
  return queue;
}

/**
 * Records the event ids (one multi-row insert; only ids not seen before come back) and applies the new
 * events: handlers without a batch form one by one in arrival order, then each batch handler once with
 * all of its events, then the observers.
 */
async function applyEvents(trx: SchemalessDb, group: readonly PendingEvent[]): Promise<ApplyResult[]> {
  const firstOf = new Map<string, number>();
  group.forEach((job, i) => {
    if (!firstOf.has(job.event.id)) firstOf.set(job.event.id, i);
  });
  const fresh = new Set<string>();
  const unique = [...firstOf.values()].map((i) => group[i]!);
  for (const part of chunks(unique, 300)) {
    const rows = await webhookTables({ db: trx })
      .insertInto("webhook_events")
      .values(part.map((j) => ({ id: j.event.id, type: j.event.event, received_at: j.now })))
      .onConflict((oc) => oc.column("id").doNothing())
      .returning("id")
      .execute();
    for (const r of rows) fresh.add(r.id);
  }
  const isNew = (job: PendingEvent, i: number) => fresh.has(job.event.id) && firstOf.get(job.event.id) === i;
  const ctx = (job: PendingEvent): WebhookContext => ({
    trx,
    envelope: job.event,
    eventAt: Date.parse(job.event.timestamp),
    now: job.now,
  });
  const batches = new Map<WebhookHandler, PendingEvent[]>();
  for (const [i, job] of group.entries()) {
    if (!isNew(job, i) || !job.handler) continue;
    if (job.handler.applyMany) {
      const list = batches.get(job.handler) ?? [];
      list.push(job);
      batches.set(job.handler, list);
    } else {
      await job.handler.apply(job.data, ctx(job));
    }
  }
  for (const [handler, jobs] of batches) {
    await handler.applyMany!(
      jobs.map((job) => ({ data: job.data, ctx: ctx(job) })),
      trx,
    );
  }
  for (const [i, job] of group.entries()) {
    if (!isNew(job, i)) continue;
    for (const { observer, data } of job.observed) await observer.apply(data, ctx(job));
  }
  return group.map((job, i) => (!isNew(job, i) ? "duplicate" : job.handler ? "received" : "ignored"));
}
