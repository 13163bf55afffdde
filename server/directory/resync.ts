/** The periodic re-sync that repairs anything webhooks missed: runSync now and again every interval. */
import type { DirectoryDb } from "./schema.ts";
import type { SyncCommet } from "./sync-pages.ts";
import { describeError, runSync, type RunSyncOptions, type SyncOutcome } from "./sync.ts";

export interface PeriodicResyncOptions extends Omit<RunSyncOptions, "signal"> {
  /** Time between the end of one run and the start of the next (default 15 min). */
  intervalMs?: number;
  /** Delay before the first run (default 0: at once — it resumes an interrupted run). */
  initialDelayMs?: number;
  /** After a failed or busy run, try again sooner (default 60 s, capped at intervalMs). */
  retryMs?: number;
  onResult?: (result: SyncOutcome) => void;
}

/**
 * Runs the sync now (resuming any interrupted run) and again every `intervalMs`. Returns `stop()`, which
 * aborts a run in progress (it stays resumable) and waits for it.
 */
export function startPeriodicResync(
  database: DirectoryDb,
  commet: SyncCommet,
  options: PeriodicResyncOptions = {},
): () => Promise<void> {
  const interval = options.intervalMs ?? 15 * 60_000;
  const retry = Math.min(options.retryMs ?? 60_000, interval);
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> | null = null;
  let stopped = false;

  const schedule = (ms: number) => {
    if (stopped) return;
    timer = setTimeout(tick, ms);
    timer.unref();
  };
  const tick = () => {
    current = runSync(database, commet, { ...options, signal: controller.signal })
      .then(
        (result) => {
          options.onResult?.(result);
          return result.outcome === "completed" ? interval : retry;
        },
        (error: unknown) => {
          (options.log ?? console.error)(`[directory sync] crashed: ${describeError(error)}`);
          return retry;
        },
      )
      .then((next) => {
        current = null;
        schedule(next);
      });
  };
  schedule(options.initialDelayMs ?? 0);

  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    controller.abort();
    await current;
  };
}
