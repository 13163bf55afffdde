/**
 * Resumable sync of the index from Commet: customers, then subscriptions (with the seat counts of live
 * ones), then invoice numbers, one page per transaction together with the saved phase and cursor. An
 * interrupted run (abort, crash, error) resumes there; a completed one makes the next start over.
 * 429s the SDK gave up on are waited out (the server's retry-after, else a doubling back-off).
 */
import { randomUUID } from "node:crypto";
import { CommetAPIError } from "@commet/node";
import type { Clock } from "../db/index.ts";
import { tables, type Db, type DirectoryDb, type DirectorySyncStateTable } from "./schema.ts";
import { fetchPage, type FetchedPage, type SyncCommet } from "./sync-pages.ts";
import type { SyncPhase, SyncStatus } from "../../app/contracts/directory.ts";
import { claimLease, getSyncStatus, LeaseLostError, NEXT_PHASE, type SyncLease } from "./sync-state.ts";
import { lineLogger } from "../observability/index.ts";

export interface RunSyncOptions {
  /** Progress lines (default: the `directory-sync` log). */
  log?: (line: string) => void;
  /** Abort → the run stops between requests, state `interrupted`, resumable. */
  signal?: AbortSignal;
  clock?: Clock;
  /** Waiting primitive (tests pass a fast one). Must resolve early when the signal aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Page size asked from Commet (max 100). */
  pageSize?: number;
  /** A run whose heartbeat is older than this is considered dead and may be taken over. */
  leaseMs?: number;
  /** First wait after a 429 the SDK gave up on, when the error says nothing; doubles up to maxWaitMs. */
  rateLimitBackoffMs?: number;
  maxWaitMs?: number;
  /** Consecutive 429 waits before the run fails (it resumes on the next run). */
  maxRateLimitWaits?: number;
  /** Fetch each live subscription (subscriptions.get) for its seat counts. Default true. */
  fetchSeats?: boolean;
}

export type SyncOutcome =
  | { outcome: "completed"; status: SyncStatus }
  | { outcome: "interrupted"; status: SyncStatus }
  | { outcome: "failed"; error: string; status: SyncStatus }
  /** Another run holds the lease. */
  | { outcome: "busy"; status: SyncStatus };

type Settings = Required<Omit<RunSyncOptions, "signal">> & { signal: AbortSignal | undefined };

function settings(options: RunSyncOptions): Settings {
  return {
    log: options.log ?? lineLogger("directory-sync"),
    signal: options.signal,
    clock: options.clock ?? Date.now,
    sleep: options.sleep ?? defaultSleep,
    pageSize: Math.min(Math.max(options.pageSize ?? 100, 1), 100),
    leaseMs: options.leaseMs ?? 120_000,
    rateLimitBackoffMs: options.rateLimitBackoffMs ?? 5_000,
    maxWaitMs: options.maxWaitMs ?? 60_000,
    maxRateLimitWaits: options.maxRateLimitWaits ?? 20,
    fetchSeats: options.fetchSeats ?? true,
  };
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Seconds the server asked us to wait, if the error carries them (details.retryAfter…). */
function retryAfterMs(error: unknown): number | null {
  if (!(error instanceof CommetAPIError)) return null;
  const details = error.details;
  if (typeof details !== "object" || details === null) return null;
  for (const key of ["retryAfter", "retry_after", "retryAfterSeconds"]) {
    const value = Number((details as Record<string, unknown>)[key]);
    if (Number.isFinite(value) && value > 0) return value * 1000;
  }
  return null;
}

function isRateLimited(error: unknown): boolean {
  return error instanceof CommetAPIError && (error.statusCode === 429 || error.code === "rate_limited");
}

export function describeError(error: unknown): string {
  if (error instanceof CommetAPIError) return `${error.statusCode} ${error.code ?? "error"}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/**
 * A page transaction and a webhook may lock the same customer and subscription rows in opposite
 * orders; PostgreSQL then aborts one of them (deadlock 40P01 / serialization 40001). The page is
 * idempotent, so it is simply redone.
 */
async function retryOnConflict<T>(fn: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      if (attempt >= attempts || (code !== "40P01" && code !== "40001")) throw error;
    }
  }
}

/**
 * Run (or resume) the sync until it completes, is aborted, fails or finds another run active.
 * Never throws for Commet or network errors: they end the run as `failed` (resumable).
 */
export async function runSync(
  database: DirectoryDb,
  commet: SyncCommet,
  options: RunSyncOptions = {},
): Promise<SyncOutcome> {
  const run = settings(options);
  const db = tables(database);
  const status = () => getSyncStatus(database);
  const lease = await claimLease(db, randomUUID(), run);
  if (!lease) {
    run.log("another sync run is active; not starting");
    return { outcome: "busy", status: await status() };
  }
  let consecutiveWaits = 0;
  try {
    for (;;) {
      const state = await lease.read();
      if (state.phase === "done") break;
      if (run.signal?.aborted) {
        await lease.write({ status: "interrupted" });
        run.log(`interrupted at ${state.phase} (cursor ${state.cursor ?? "start"}); the next run resumes there`);
        return { outcome: "interrupted", status: await status() };
      }
      let page: FetchedPage;
      try {
        page = await fetchPage(commet, state.phase as SyncPhase, {
          cursor: state.cursor ?? undefined,
          limit: run.pageSize,
          fetchSeats: run.fetchSeats,
          signal: run.signal,
          log: run.log,
        });
        consecutiveWaits = 0;
      } catch (error) {
        if (!isRateLimited(error)) throw error;
        consecutiveWaits += 1;
        if (consecutiveWaits > run.maxRateLimitWaits) throw error;
        await waitOutRateLimit(lease, state, error, consecutiveWaits, run);
        continue;
      }
      await commitPage(db, lease, state, page, run);
    }
    const final = await status();
    run.log(
      `completed: ${final.customersSynced} customers, ${final.subscriptionsSynced} subscriptions in ${final.pages} pages` +
        (final.startedAt ? ` (${Math.round((run.clock() - final.startedAt) / 100) / 10} s)` : ""),
    );
    return { outcome: "completed", status: final };
  } catch (error) {
    const message = describeError(error);
    if (error instanceof LeaseLostError) {
      run.log(message);
      return { outcome: "busy", status: await status() };
    }
    await lease.fail(message);
    run.log(`failed: ${message}; the next run resumes from the saved cursor`);
    return { outcome: "failed", error: message, status: await status() };
  }
}

async function waitOutRateLimit(
  lease: SyncLease,
  state: DirectorySyncStateTable,
  error: unknown,
  consecutiveWaits: number,
  run: Settings,
): Promise<void> {
  const wait = Math.min(retryAfterMs(error) ?? run.rateLimitBackoffMs * 2 ** (consecutiveWaits - 1), run.maxWaitMs);
  await lease.waitUntil(run.clock() + wait, Number(state.rate_limited) + 1);
  run.log(
    `rate limited by Commet (429) at ${state.phase}; waiting ${Math.ceil(wait / 1000)} s before retrying the same page`,
  );
  await run.sleep(wait, run.signal);
  await lease.write({ status: "running", retry_at: null });
}

/** The page's rows and the advanced phase / cursor / counters, in one transaction. */
async function commitPage(
  db: Db,
  lease: SyncLease,
  state: DirectorySyncStateTable,
  page: FetchedPage,
  run: Settings,
): Promise<void> {
  const phase = state.phase as SyncPhase;
  const at = run.clock();
  const written = await retryOnConflict(() =>
    db.transaction().execute(async (trx) => {
      const n = await page.apply(trx, at);
      const done = page.next === null;
      const nextPhase: SyncPhase = done ? NEXT_PHASE[phase] : phase;
      await lease.write(
        {
          phase: nextPhase,
          cursor: done ? null : page.next,
          pages: Number(state.pages) + 1,
          ...(phase === "customers"
            ? { customers_synced: Number(state.customers_synced) + n }
            : phase === "subscriptions"
              ? { subscriptions_synced: Number(state.subscriptions_synced) + n }
              : {}),
          ...(nextPhase === "done" ? { status: "idle", finished_at: at, last_completed_at: at } : {}),
        },
        trx,
      );
      return n;
    }),
  );
  run.log(`${phase} page ${Number(state.pages) + 1}: ${written} rows` + (page.next === null ? `, ${phase} done` : ""));
}
