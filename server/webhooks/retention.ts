/**
 * Retention of processed-event records (webhook_events): ids older than the retention are deleted in
 * small batches by a periodic task, so the dedupe table stays bounded (docs/decisions/0011-webhook-intake.md).
 */
import type { Clock } from "../db/index.ts";
import { webhookTables, type WebhookDatabase } from "./schema.ts";
import { startPeriodic } from "../periodic.ts";

const DAY_MS = 24 * 60 * 60_000;

/** Rows deleted per statement: a short transaction that never holds up the intake's group commits. */
export const PRUNE_BATCH = 1000;

export interface PruneOptions {
  retentionDays: number;
  clock?: Clock;
  batchSize?: number;
  /** Checked between batches: a stopping process does not wait for a long backlog. */
  shouldStop?: () => boolean;
}

/**
 * Deletes the records received more than `retentionDays` ago, batch by batch (oldest first, through the
 * received_at index), until none is left. A record younger than the retention is never touched, so a
 * redelivery inside it is still a duplicate. Returns how many were deleted.
 */
export async function pruneWebhookEvents(database: WebhookDatabase, options: PruneOptions): Promise<number> {
  const cutoff = (options.clock ?? Date.now)() - options.retentionDays * DAY_MS;
  const batch = options.batchSize ?? PRUNE_BATCH;
  const db = webhookTables(database);
  let deleted = 0;
  for (;;) {
    const result = await db
      .deleteFrom("webhook_events")
      .where("id", "in", (eb) =>
        eb
          .selectFrom("webhook_events")
          .select("id")
          .where("received_at", "<", cutoff)
          .orderBy("received_at")
          .limit(batch),
      )
      .executeTakeFirst();
    const n = Number(result.numDeletedRows);
    deleted += n;
    if (n < batch || options.shouldStop?.()) return deleted;
    // Let deliveries waiting on the database go first between batches.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

export interface WebhookEventPrunerOptions extends Omit<PruneOptions, "shouldStop"> {
  /** Time between runs (default 1 h). */
  intervalMs?: number;
  /** Delay before the first run (default 1 min: start-up work goes first). */
  initialDelayMs?: number;
  log?: (line: string) => void;
}

/**
 * Prunes now and then every `intervalMs`. Runs never overlap and the timer does not keep the process
 * alive. Returns `stop()`, which ends the loop after the current batch and waits for it.
 */
export function startWebhookEventPruner(
  database: WebhookDatabase,
  options: WebhookEventPrunerOptions,
): () => Promise<void> {
  const interval = options.intervalMs ?? 60 * 60_000;
  return startPeriodic(
    async (signal) => {
      const n = await pruneWebhookEvents(database, { ...options, shouldStop: () => signal.aborted });
      if (n > 0) options.log?.(`pruned ${n} processed-event records older than ${options.retentionDays} days`);
      return interval;
    },
    {
      initialDelayMs: options.initialDelayMs ?? 60_000,
      onError: (error) => {
        options.log?.(`pruning processed events failed: ${error instanceof Error ? error.message : String(error)}`);
        return interval;
      },
    },
  );
}
