/**
 * Retention of account activity: events that occurred more than ACCOUNT_EVENT_RETENTION_DAYS ago are
 * deleted hourly, oldest first, in small batches (docs/decisions/0015-account-activity.md).
 */
import { startPeriodic } from "../periodic.ts";
import type { ActivityDatabase } from "./schema.ts";
import { pruneAccountEvents } from "./store.ts";

export interface AccountEventPrunerOptions {
  retentionDays: number;
  intervalMs?: number;
  initialDelayMs?: number;
  log?: (line: string) => void;
}

/** Prunes now and then every `intervalMs` (default 1 h); returns stop(). The timer never keeps the process alive. */
export function startAccountEventPruner(database: ActivityDatabase, options: AccountEventPrunerOptions) {
  const interval = options.intervalMs ?? 60 * 60_000;
  return startPeriodic(
    async (signal) => {
      const n = await pruneAccountEvents(database, {
        retentionDays: options.retentionDays,
        shouldStop: () => signal.aborted,
      });
      if (n > 0) options.log?.(`pruned ${n} account events older than ${options.retentionDays} days`);
      return interval;
    },
    {
      initialDelayMs: options.initialDelayMs ?? 90_000,
      onError: (error) => {
        options.log?.(`pruning account events failed: ${error instanceof Error ? error.message : String(error)}`);
        return interval;
      },
    },
  );
}
