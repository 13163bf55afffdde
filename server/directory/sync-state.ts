/**
 * The sync's one state row (directory_sync_state): progress for the UI, and the lease that lets one
 * run at a time write it (`run_id` + `heartbeat_at`, lost by a crashed process after `leaseMs`).
 */
import type { SyncPhase, SyncRunStatus, SyncStatus } from "../../app/contracts/directory.ts";
import type { Clock } from "../db/index.ts";
import { tables, type Db, type DirectoryDb, type DirectorySyncStateTable } from "./schema.ts";

const STATE = "directory";

export const NEXT_PHASE: Record<SyncPhase, SyncPhase> = {
  customers: "subscriptions",
  subscriptions: "invoices",
  invoices: "done",
  done: "done",
};

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

export class LeaseLostError extends Error {}

function readState(db: Db) {
  return db.selectFrom("directory_sync_state").selectAll().where("name", "=", STATE).executeTakeFirstOrThrow();
}

/** The state row as the run holding the lease writes it. */
export class SyncLease {
  constructor(
    private readonly db: Db,
    private readonly runId: string,
    private readonly clock: Clock,
  ) {}

  /** The current state; throws LeaseLostError once another run took the lease. */
  async read(): Promise<DirectorySyncStateTable> {
    const state = await readState(this.db);
    if (state.run_id !== this.runId) throw new LeaseLostError("sync lease lost to another run");
    return state;
  }

  /** A state write (with a heartbeat), through `trx` when given; refused once the lease is lost. */
  async write(values: Partial<DirectorySyncStateTable>, trx: Db = this.db): Promise<void> {
    const r = await trx
      .updateTable("directory_sync_state")
      .set({ ...values, heartbeat_at: this.clock() })
      .where("name", "=", STATE)
      .where("run_id", "=", this.runId)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) throw new LeaseLostError("sync lease lost to another run");
  }

  /** `waiting` until `retryAt`; the heartbeat set to then keeps the lease ours while we wait. */
  async waitUntil(retryAt: number, rateLimited: number): Promise<void> {
    await this.db
      .updateTable("directory_sync_state")
      .set({ status: "waiting", retry_at: retryAt, rate_limited: rateLimited, heartbeat_at: retryAt })
      .where("name", "=", STATE)
      .where("run_id", "=", this.runId)
      .execute();
  }

  async fail(message: string): Promise<void> {
    await this.db
      .updateTable("directory_sync_state")
      .set({ status: "failed", last_error: message, retry_at: null, heartbeat_at: this.clock() })
      .where("name", "=", STATE)
      .where("run_id", "=", this.runId)
      .execute();
  }
}

/**
 * Takes the lease unless a live run holds it (null then). A run that had completed makes this one start
 * over from the customers; an interrupted or failed one is resumed from its phase and cursor.
 */
export async function claimLease(
  db: Db,
  runId: string,
  options: { clock: Clock; leaseMs: number; log: (line: string) => void },
): Promise<SyncLease | null> {
  const now = options.clock();
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
  const before = await readState(db);
  const claimed = await db
    .updateTable("directory_sync_state")
    .set({ run_id: runId, status: "running", heartbeat_at: now, retry_at: null })
    .where("name", "=", STATE)
    .where((eb) =>
      eb.or([
        eb("status", "not in", ["running", "waiting"]),
        eb("heartbeat_at", "is", null),
        eb("heartbeat_at", "<", now - options.leaseMs),
      ]),
    )
    .executeTakeFirst();
  if (Number(claimed.numUpdatedRows) === 0) return null;
  const initial = await readState(db);
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
    options.log("started a full sync");
  } else {
    options.log(
      `resuming the ${before.status} sync at ${initial.phase}` +
        (initial.cursor ? ` (cursor ${initial.cursor})` : " (first page)") +
        ` after ${initial.customers_synced} customers, ${initial.subscriptions_synced} subscriptions`,
    );
  }
  return new SyncLease(db, runId, options.clock);
}
