/**
 * Resumable sync of the index from Commet: pages `customers.list`, then `subscriptions.list`
 * (fetching each live subscription's seat counts), then `invoices.list` (invoice numbers for the
 * search), saving the cursor with every page in the same
 * transaction as the page's rows. A run interrupted (abort, crash, error) resumes from the saved
 * phase and cursor; a completed run makes the next one start over (the periodic re-sync that repairs
 * anything webhooks missed).
 *
 * Rate limits: the SDK already retries a 429 that carries Retry-After (up to 3 times). When it gives
 * up, the sync waits — the server's retry-after when the error carries one in `details`, else a
 * doubling back-off — shows `waiting` with `retryAt` in its status, and retries the same page.
 *
 * One run at a time per database: a lease (`run_id` + `heartbeat_at`) that a crashed process loses
 * after `leaseMs`.
 */
import { randomUUID } from "node:crypto";
import { CommetAPIError, type Commet } from "@commet/node";
import { z } from "zod";
import type { Clock } from "../db/index.ts";
import { tables, type Db, type DirectoryDb, type DirectorySyncStateTable } from "./schema.ts";
import type { SyncPhase, SyncRunStatus, SyncStatus } from "../../app/contracts/directory.ts";
import { commetCustomerSchema, customerInput } from "./commet-customer.ts";
import { recordInvoice, upsertCustomers, upsertSubscriptions, type SubscriptionInput } from "./store.ts";

const STATE = "directory";

/** The part of the SDK the sync uses (a real `Commet` fits). */
export interface SyncCommet {
  customers: Pick<Commet["customers"], "list">;
  invoices: Pick<Commet["invoices"], "list">;
  subscriptions: Pick<Commet["subscriptions"], "list" | "get">;
}

const NEXT_PHASE: Record<SyncPhase, SyncPhase> = {
  customers: "subscriptions",
  subscriptions: "invoices",
  invoices: "done",
  done: "done",
};

export interface RunSyncOptions {
  /** Progress lines (default: console.info with a prefix). */
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

const featureSchema = z.object({
  code: z.string(),
  type: z.string(),
  usage: z.object({ current: z.number() }).optional(),
});

const subscriptionSchema = z.object({
  id: z.string().min(1),
  customerId: z.string().min(1),
  plan: z.object({ id: z.string(), name: z.string() }).nullable().optional(),
  status: z.string(),
  startDate: z.string().nullable().optional(),
  features: z.array(featureSchema).optional(),
});

const LIVE = new Set(["active", "trialing", "past_due"]);

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

function toStatus(
  row: DirectorySyncStateTable | undefined,
  indexedCustomers: number,
  indexedInvoices: number,
): SyncStatus {
  return {
    status: (row?.status as SyncRunStatus | undefined) ?? "never",
    phase: (row?.phase as SyncPhase | undefined) ?? "done",
    customersSynced: Number(row?.customers_synced ?? 0),
    subscriptionsSynced: Number(row?.subscriptions_synced ?? 0),
    pages: Number(row?.pages ?? 0),
    rateLimited: Number(row?.rate_limited ?? 0),
    startedAt: row?.started_at == null ? null : Number(row.started_at),
    finishedAt: row?.finished_at == null ? null : Number(row.finished_at),
    heartbeatAt: row?.heartbeat_at == null ? null : Number(row.heartbeat_at),
    retryAt: row?.retry_at == null ? null : Number(row.retry_at),
    lastError: row?.last_error ?? null,
    lastCompletedAt: row?.last_completed_at == null ? null : Number(row.last_completed_at),
    indexedCustomers,
    indexedInvoices,
  };
}

/** Progress of the sync, for the UI. */
export async function getSyncStatus(database: DirectoryDb): Promise<SyncStatus> {
  const db = tables(database);
  const row = await db.selectFrom("directory_sync_state").selectAll().where("name", "=", STATE).executeTakeFirst();
  const customers = await db
    .selectFrom("directory_customers")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirstOrThrow();
  const invoices = await db
    .selectFrom("directory_invoices")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirstOrThrow();
  return toStatus(row, Number(customers.n), Number(invoices.n));
}

/** Seconds the server asked us to wait, if the error carries them (details.retryAfter…). */
export function retryAfterMs(error: unknown): number | null {
  if (!(error instanceof CommetAPIError)) return null;
  const details = error.details;
  if (typeof details !== "object" || details === null) return null;
  for (const key of ["retryAfter", "retry_after", "retryAfterSeconds"]) {
    const value = Number((details as Record<string, unknown>)[key]);
    if (Number.isFinite(value) && value > 0) return value * 1000;
  }
  return null;
}

export function isRateLimited(error: unknown): boolean {
  return error instanceof CommetAPIError && (error.statusCode === 429 || error.code === "rate_limited");
}

function describeError(error: unknown): string {
  if (error instanceof CommetAPIError) return `${error.statusCode} ${error.code ?? "error"}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

class LeaseLostError extends Error {}

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
  const db = tables(database);
  const clock = options.clock ?? Date.now;
  const log = options.log ?? ((line: string) => console.info(`[directory sync] ${line}`));
  const sleep = options.sleep ?? defaultSleep;
  const pageSize = Math.min(Math.max(options.pageSize ?? 100, 1), 100);
  const leaseMs = options.leaseMs ?? 120_000;
  const backoffMs = options.rateLimitBackoffMs ?? 5_000;
  const maxWaitMs = options.maxWaitMs ?? 60_000;
  const maxWaits = options.maxRateLimitWaits ?? 20;
  const fetchSeats = options.fetchSeats ?? true;
  const signal = options.signal;
  const runId = randomUUID();
  const status = () => getSyncStatus(database);

  // --- acquire the lease (and decide: resume or start over) ---
  const now = clock();
  await db
    .insertInto("directory_sync_state")
    .values({
      name: STATE,
      status: "idle",
      phase: "done",
      run_id: null,
      cursor: null,
      customers_synced: 0,
      subscriptions_synced: 0,
      pages: 0,
      rate_limited: 0,
      started_at: null,
      finished_at: null,
      heartbeat_at: null,
      retry_at: null,
      last_error: null,
      last_completed_at: null,
    })
    .onConflict((oc) => oc.column("name").doNothing())
    .execute();
  const before = await db
    .selectFrom("directory_sync_state")
    .selectAll()
    .where("name", "=", STATE)
    .executeTakeFirstOrThrow();
  const claimed = await db
    .updateTable("directory_sync_state")
    .set({ run_id: runId, status: "running", heartbeat_at: now, retry_at: null })
    .where("name", "=", STATE)
    .where((eb) =>
      eb.or([
        eb("status", "not in", ["running", "waiting"]),
        eb("heartbeat_at", "is", null),
        eb("heartbeat_at", "<", now - leaseMs),
      ]),
    )
    .executeTakeFirst();
  if (Number(claimed.numUpdatedRows) === 0) {
    log("another sync run is active; not starting");
    return { outcome: "busy", status: await status() };
  }
  const initial = await db
    .selectFrom("directory_sync_state")
    .selectAll()
    .where("name", "=", STATE)
    .executeTakeFirstOrThrow();
  if (initial.phase === "done") {
    await db
      .updateTable("directory_sync_state")
      .set({
        phase: "customers",
        cursor: null,
        customers_synced: 0,
        subscriptions_synced: 0,
        pages: 0,
        rate_limited: 0,
        started_at: now,
        finished_at: null,
        last_error: null,
      })
      .where("run_id", "=", runId)
      .execute();
    log("started a full sync");
  } else {
    log(
      `resuming the ${before.status} sync at ${initial.phase}` +
        (initial.cursor ? ` (cursor ${initial.cursor})` : " (first page)") +
        ` after ${initial.customers_synced} customers, ${initial.subscriptions_synced} subscriptions`,
    );
  }

  /** State write guarded by our lease. */
  const writeState = async (trx: Db, values: Partial<DirectorySyncStateTable>) => {
    const r = await trx
      .updateTable("directory_sync_state")
      .set({ ...values, heartbeat_at: clock() })
      .where("name", "=", STATE)
      .where("run_id", "=", runId)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) throw new LeaseLostError("sync lease lost to another run");
  };

  let consecutiveWaits = 0;
  try {
    for (;;) {
      const state = await db
        .selectFrom("directory_sync_state")
        .selectAll()
        .where("name", "=", STATE)
        .executeTakeFirstOrThrow();
      if (state.run_id !== runId) throw new LeaseLostError("sync lease lost to another run");
      if (state.phase === "done") break;
      if (signal?.aborted) {
        await writeState(db, { status: "interrupted" });
        log(`interrupted at ${state.phase} (cursor ${state.cursor ?? "start"}); the next run resumes there`);
        return { outcome: "interrupted", status: await status() };
      }
      const cursor = state.cursor ?? undefined;
      let fetched: { apply: (trx: Db, at: number) => Promise<number>; next: string | null; kind: SyncPhase };
      try {
        fetched =
          state.phase === "customers"
            ? await fetchCustomers(commet, cursor, pageSize, log)
            : state.phase === "subscriptions"
              ? await fetchSubscriptions(commet, cursor, pageSize, fetchSeats, signal, log)
              : await fetchInvoices(commet, cursor, pageSize, log);
        consecutiveWaits = 0;
      } catch (error) {
        if (!isRateLimited(error)) throw error;
        consecutiveWaits += 1;
        if (consecutiveWaits > maxWaits) throw error;
        const wait = Math.min(retryAfterMs(error) ?? backoffMs * 2 ** (consecutiveWaits - 1), maxWaitMs);
        const retryAt = clock() + wait;
        // heartbeat in the future: the lease stays ours while we wait.
        await db
          .updateTable("directory_sync_state")
          .set({
            status: "waiting",
            retry_at: retryAt,
            rate_limited: Number(state.rate_limited) + 1,
            heartbeat_at: retryAt,
          })
          .where("name", "=", STATE)
          .where("run_id", "=", runId)
          .execute();
        log(
          `rate limited by Commet (429) at ${state.phase}; waiting ${Math.ceil(
            wait / 1000,
          )} s before retrying the same page`,
        );
        await sleep(wait, signal);
        await writeState(db, { status: "running", retry_at: null });
        continue;
      }
      const at = clock();
      const written = await retryOnConflict(() =>
        db.transaction().execute(async (trx) => {
          const n = await fetched.apply(trx, at);
          const done = fetched.next === null;
          const nextPhase: SyncPhase = done ? NEXT_PHASE[state.phase as SyncPhase] : (state.phase as SyncPhase);
          await writeState(trx, {
            phase: nextPhase,
            cursor: done ? null : fetched.next,
            pages: Number(state.pages) + 1,
            ...(state.phase === "customers"
              ? { customers_synced: Number(state.customers_synced) + n }
              : state.phase === "subscriptions"
                ? { subscriptions_synced: Number(state.subscriptions_synced) + n }
                : {}),
            ...(nextPhase === "done" ? { status: "idle", finished_at: at, last_completed_at: at } : {}),
          });
          return n;
        }),
      );
      log(
        `${state.phase} page ${Number(state.pages) + 1}: ${written} rows` +
          (fetched.next === null ? `, ${state.phase} done` : ""),
      );
    }
    const final = await status();
    log(
      `completed: ${final.customersSynced} customers, ${final.subscriptionsSynced} subscriptions in ${final.pages} pages` +
        (final.startedAt ? ` (${Math.round((clock() - final.startedAt) / 100) / 10} s)` : ""),
    );
    return { outcome: "completed", status: final };
  } catch (error) {
    const message = describeError(error);
    if (error instanceof LeaseLostError) {
      log(message);
      return { outcome: "busy", status: await status() };
    }
    await db
      .updateTable("directory_sync_state")
      .set({ status: "failed", last_error: message, retry_at: null, heartbeat_at: clock() })
      .where("name", "=", STATE)
      .where("run_id", "=", runId)
      .execute();
    log(`failed: ${message}; the next run resumes from the saved cursor`);
    return { outcome: "failed", error: message, status: await status() };
  }
}

/** Items of a page that do not have the documented shape are skipped (and logged), not fatal. */
function validItems<S extends z.ZodType>(
  items: unknown[] | undefined,
  schema: S,
  what: string,
  log: (l: string) => void,
): z.infer<S>[] {
  const out: z.infer<S>[] = [];
  for (const item of items ?? []) {
    const parsed = schema.safeParse(item);
    if (parsed.success) out.push(parsed.data);
    else {
      const id = typeof item === "object" && item !== null && "id" in item ? String(item.id) : "?";
      log(`skipped ${what} ${id}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    }
  }
  return out;
}

async function fetchCustomers(commet: SyncCommet, cursor: string | undefined, limit: number, log: (l: string) => void) {
  const res = await commet.customers.list({ limit, ...(cursor ? { cursor } : {}) });
  const rows = validItems(res.data, commetCustomerSchema, "customer", log).map(customerInput);
  return {
    kind: "customers" as const,
    next: res.hasMore && res.nextCursor ? res.nextCursor : null,
    apply: async (trx: Db, at: number) => {
      await upsertCustomers(trx, rows, at);
      return rows.length;
    },
  };
}

async function fetchSubscriptions(
  commet: SyncCommet,
  cursor: string | undefined,
  limit: number,
  fetchSeats: boolean,
  signal: AbortSignal | undefined,
  log: (l: string) => void,
) {
  // The SDK's ListSubscriptionsParams lacks the paging fields the endpoint pages with; they travel
  // as query parameters like every other GET param.
  const params: Parameters<SyncCommet["subscriptions"]["list"]>[0] = { limit, ...(cursor ? { cursor } : {}) } as never;
  const res = await commet.subscriptions.list(params);
  const rows: SubscriptionInput[] = [];
  for (const s of validItems(res.data, subscriptionSchema, "subscription", log)) {
    let features = s.features;
    if (!features && fetchSeats && LIVE.has(s.status) && !signal?.aborted) {
      const full = await commet.subscriptions.get({ id: s.id });
      features = subscriptionSchema.shape.features.parse((full.data as { features?: unknown } | undefined)?.features);
    }
    const seatFeatures = (features ?? []).filter((f) => f.type === "seats");
    rows.push({
      id: s.id,
      customerRef: s.customerId,
      status: s.status,
      planId: s.plan?.id ?? null,
      planName: s.plan?.name ?? null,
      startDate: s.startDate ?? null,
      seats: features ? Object.fromEntries(seatFeatures.map((f) => [f.code, f.usage?.current ?? 0])) : null,
    });
  }
  return {
    kind: "subscriptions" as const,
    next: res.hasMore && res.nextCursor ? res.nextCursor : null,
    apply: async (trx: Db, at: number) => {
      await upsertSubscriptions(trx, rows, at, at);
      return rows.length;
    },
  };
}

const invoiceSchema = z.object({
  id: z.string().min(1),
  customerId: z.string().min(1),
  invoiceNumber: z.string().min(1),
});

async function fetchInvoices(commet: SyncCommet, cursor: string | undefined, limit: number, log: (l: string) => void) {
  const res = await commet.invoices.list({ limit, ...(cursor ? { cursor } : {}) });
  const rows = validItems(res.data, invoiceSchema, "invoice", log);
  return {
    kind: "invoices" as const,
    next: res.hasMore && res.nextCursor ? res.nextCursor : null,
    apply: async (trx: Db, at: number) => {
      for (const i of rows)
        await recordInvoice(trx, { invoiceNumber: i.invoiceNumber, invoiceId: i.id, customerRef: i.customerId }, at);
      return rows.length;
    },
  };
}

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
 * Keep the index repaired: run the sync now (resuming any interrupted run) and again every
 * `intervalMs`. Returns `stop()`, which aborts a run in progress (it stays resumable) and waits for it.
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
