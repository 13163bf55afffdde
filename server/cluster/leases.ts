/**
 * Named leases in the database (table `leases`, migration 0013): one holder at a time across every worker and
 * machine sharing the database; work runs only while its lease is held (docs/decisions/0026-workers-and-instances.md).
 */
import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import { sql, type Kysely, type RawBuilder } from "kysely";
import type { Engine, SchemalessDb } from "../db/index.ts";

interface LeasesTable {
  name: string;
  holder: string;
  acquired_at: number;
  expires_at: number;
}
type LeaseDb = Kysely<{ leases: LeasesTable }>;

export interface LeaseDatabase {
  db: SchemalessDb;
  dialect: Engine;
}

/** This process's identity in the lease table: machine, pid and a random part (pids are reused). */
export function newHolderId(): string {
  return `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
}

/**
 * The database's own clock in epoch ms: every holder compares expiry against the same clock, so skew between
 * machines cannot let a second holder in early.
 */
function dbNow(dialect: Engine): RawBuilder<number> {
  return dialect === "postgres"
    ? sql<number>`(extract(epoch from clock_timestamp()) * 1000)::bigint`
    : sql<number>`cast((julianday('now') - 2440587.5) * 86400000 as integer)`;
}

/**
 * Takes the lease when it is free or expired, or renews it when `holder` has it; true when `holder` holds it
 * afterwards. One conditional UPDATE (an INSERT for a name never seen): the database serializes concurrent
 * callers, so exactly one of them wins.
 */
export async function acquireLease(
  database: LeaseDatabase,
  lease: { name: string; holder: string; ttlMs: number },
): Promise<boolean> {
  const db = database.db as LeaseDb;
  const now = dbNow(database.dialect);
  const updated = await db
    .updateTable("leases")
    .set({
      holder: lease.holder,
      expires_at: sql<number>`${now} + ${lease.ttlMs}`,
      acquired_at: sql<number>`case when holder = ${lease.holder} then acquired_at else ${now} end`,
    })
    .where("name", "=", lease.name)
    .where((eb) => eb.or([eb("holder", "=", lease.holder), eb("expires_at", "<=", now)]))
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 1) return true;
  const inserted = await db
    .insertInto("leases")
    .values({
      name: lease.name,
      holder: lease.holder,
      acquired_at: now,
      expires_at: sql<number>`${now} + ${lease.ttlMs}`,
    })
    .onConflict((oc) => oc.column("name").doNothing())
    .executeTakeFirst();
  return Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1;
}

/** Gives the lease up at once (only if `holder` has it), so another process may take it on its next try. */
export async function releaseLease(database: LeaseDatabase, lease: { name: string; holder: string }): Promise<void> {
  await (database.db as LeaseDb)
    .updateTable("leases")
    .set({ expires_at: 0 })
    .where("name", "=", lease.name)
    .where("holder", "=", lease.holder)
    .execute();
}

/** Who holds a lease now (null when nobody or it has expired), by the database's clock. */
export async function leaseHolder(database: LeaseDatabase, name: string): Promise<string | null> {
  const row = await (database.db as LeaseDb)
    .selectFrom("leases")
    .select("holder")
    .where("name", "=", name)
    .where("expires_at", ">", dbNow(database.dialect))
    .executeTakeFirst();
  return row?.holder ?? null;
}

export interface LeasedWorkOptions {
  database: () => Promise<LeaseDatabase>;
  name: string;
  holder?: string;
  /** How long a lease lasts without renewal (default 10 s): the takeover time after a holder dies. */
  ttlMs?: number;
  /** How often the holder renews and the others try to take it (default 2 s). */
  intervalMs?: number;
  /** Starts the work; returns its stop(). */
  start: () => Promise<() => Promise<void>>;
  log: (line: string) => void;
}

export interface LeasedWork {
  readonly holder: string;
  /** True while this process holds the lease and its work runs. */
  held(): boolean;
  /** Stops the work (waiting for it) and releases the lease at once. */
  stop(): Promise<void>;
}

/**
 * Runs `start()` only while this process holds the lease `name`: tries every `intervalMs`, renews while held,
 * and stops the work when a renewal is refused or when it could not renew for `ttlMs - intervalMs` (the
 * database unreachable: by then another process may take the lease, so the work must already be stopped).
 */
export function runUnderLease(options: LeasedWorkOptions): LeasedWork {
  const holder = options.holder ?? newHolderId();
  const ttlMs = options.ttlMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 2_000;
  const lease = { name: options.name, holder, ttlMs };
  let stopWork: (() => Promise<void>) | null = null;
  let renewedAt = 0; // performance.now() of the last successful renewal: local and monotonic
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const lose = async (why: string) => {
    const stop = stopWork;
    stopWork = null;
    options.log(`lease ${options.name} lost (${why}): stopping its work`);
    await stop?.();
  };

  const tick = async () => {
    try {
      const database = await options.database();
      const holds = await acquireLease(database, lease);
      if (holds) renewedAt = performance.now();
      if (holds && !stopWork && !stopped) {
        options.log(`lease ${options.name} taken by ${holder}: starting its work`);
        stopWork = await options.start();
      } else if (!holds && stopWork) {
        await lose("another process holds it");
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (stopWork && performance.now() - renewedAt >= ttlMs - intervalMs) await lose(`renewal failed: ${message}`);
      else options.log(`lease ${options.name}: ${message}`);
    }
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = tick().finally(schedule);
    }, intervalMs);
    timer.unref();
  };
  running = tick().finally(schedule);

  return {
    holder,
    held: () => stopWork !== null,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      if (!stopWork) return;
      const stop = stopWork;
      stopWork = null;
      await stop();
      await releaseLease(await options.database(), lease).catch((error: unknown) => {
        options.log(`lease ${options.name}: release failed (${String(error)}); it expires in ${ttlMs / 1000} s`);
      });
      options.log(`lease ${options.name} released by ${holder}`);
    },
  };
}
