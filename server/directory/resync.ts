/** The periodic re-sync that repairs anything webhooks missed: runSync now and again every interval. */
import { startPeriodic } from "../periodic.ts";
import type { DirectoryDb } from "./schema.ts";
import type { SyncCommet } from "./sync-pages.ts";
import { describeError, runSync, type RunSyncOptions, type SyncOutcome } from "./sync.ts";
import { lineLogger } from "../observability/index.ts";

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
  return startPeriodic(
    async (signal) => {
      const result = await runSync(database, commet, { ...options, signal });
      options.onResult?.(result);
      return result.outcome === "completed" ? interval : retry;
    },
    {
      initialDelayMs: options.initialDelayMs ?? 0,
      onError: (error) => {
        (options.log ?? lineLogger("directory-sync"))(`crashed: ${describeError(error)}`);
        return retry;
      },
    },
  );
}
