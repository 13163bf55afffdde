/**
 * The write resolver (docs/decisions/0016-writes-resolve-themselves.md): writes whose outcome is unknown
 * are re-sent in the background with their own idempotency key — bounded, with backoff, one console
 * process per write (a lease row) — until Commet answers, and never once Commet's 24 h window could close.
 */
import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { UnsettledCounts, UnsettledState, UnsettledWrite } from "../../app/contracts/unsettled-writes.ts";
import { IN_FLIGHT_GRACE_MS } from "../audit/index.ts";
import type { AuditLogTable, SchemalessDb } from "../db/index.ts";
import { startPeriodic } from "../periodic.ts";
import { declaredWriteActionNames, writeActionNamed } from "./action.ts";
import type { WriteEngine } from "./engine.ts";
import { RESEND_CUTOFF_MS, mayResend } from "./window.ts";

export interface WriteResolutionsTable {
  audit_id: string;
  attempts: number;
  next_attempt_at: number;
  lease_owner: string | null;
  lease_until: number | null;
  last_error: string | null;
  alerted_at: number | null;
  needs_person_at: number | null;
  needs_person_reason: string | null;
  settled_at: number | null;
}

interface ResolverTables {
  audit_log: AuditLogTable;
  write_resolutions: WriteResolutionsTable;
}

const tables = (db: SchemalessDb) => db as Kysely<ResolverTables>;

export const RESOLVER_DEFAULTS = {
  /** Between two runs of the loop. */
  intervalMs: 30_000,
  /** A pending row younger than this may still be answered by the submission that began it. */
  graceMs: IN_FLIGHT_GRACE_MS,
  /** Longer than one send with the SDK's retries (timeout × attempts + waits). */
  leaseMs: 5 * 60_000,
  /** Re-sends before the write is handed to a person (waits of 1, 2, 4, … min, capped: ≈ 2 h in all). */
  maxAttempts: 8,
  baseBackoffMs: 60_000,
  maxBackoffMs: 60 * 60_000,
  /** Unconfirmed this long: a log line, and the write shows as an alert to its author and admins. */
  alertAfterMs: 12 * 60 * 60_000,
  batchSize: 20,
};

export type ResolverSettings = typeof RESOLVER_DEFAULTS;

export interface ResolverOptions extends Partial<ResolverSettings> {
  db: SchemalessDb;
  engine: Pick<WriteEngine, "resolveUnattended">;
  /** This process's lease name. */
  owner?: string;
  clock?: () => number;
  log?: (line: string) => void;
}

export interface ResolverRun {
  /** Unknown outcomes newly taken on. */
  discovered: number;
  /** Re-sent by this process in this run. */
  resent: number;
  /** Settled in this run (by this process's re-send, or found final — a person or a resubmission). */
  settled: number;
  /** Handed to a person in this run. */
  handedOver: number;
  alerted: number;
}

/** Backoff after `attempts` re-sends: base × 2^(attempts − 1), capped. */
export function backoffMs(attempts: number, s: Pick<ResolverSettings, "baseBackoffMs" | "maxBackoffMs">): number {
  return Math.min(s.maxBackoffMs, s.baseBackoffMs * 2 ** Math.max(0, attempts - 1));
}

const FINAL_KINDS = new Set(["ok", "already_recorded", "previous_failed", "duplicate_unknown"]);

export function createWriteResolver(options: ResolverOptions) {
  const s: ResolverSettings = { ...RESOLVER_DEFAULTS, ...stripUndefined(options) };
  const db = tables(options.db);
  const owner = options.owner ?? randomUUID();
  const now = options.clock ?? Date.now;
  const log = options.log ?? (() => {});

  /** Pending rows of declared write actions past the grace period (a crash) get a resolution row. */
  async function discover(at: number): Promise<number> {
    const names = declaredWriteActionNames();
    if (!names.length) return 0;
    const rows = await db
      .selectFrom("audit_log as a")
      .leftJoin("write_resolutions as r", "r.audit_id", "a.id")
      .select(["a.id", "a.action"])
      .where("a.status", "=", "pending")
      .where("a.action", "in", names)
      .where("a.created_at", "<=", at - s.graceMs)
      .where("r.audit_id", "is", null)
      .orderBy("a.created_at")
      .limit(500)
      .execute();
    const fresh = rows.filter((row) => writeActionNamed(row.action));
    if (!fresh.length) return 0;
    await enqueue(
      options.db,
      fresh.map((row) => row.id),
      at,
    );
    return fresh.length;
  }

  /** Rows settled elsewhere (a person's "check again", a resubmission, another process) leave the queue. */
  async function closeFinal(at: number): Promise<number> {
    const r = await db
      .updateTable("write_resolutions")
      .set({ settled_at: at, lease_owner: null, lease_until: null })
      .where("settled_at", "is", null)
      // Correlated on the audit row's primary key: only the (few) open resolutions are visited.
      .where(({ exists, selectFrom, ref }) =>
        exists(
          selectFrom("audit_log")
            .select("audit_log.id")
            .whereRef("audit_log.id", "=", ref("write_resolutions.audit_id"))
            .where("audit_log.status", "!=", "pending"),
        ),
      )
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  async function open(at: number) {
    return db
      .selectFrom("write_resolutions as r")
      .innerJoin("audit_log as a", "a.id", "r.audit_id")
      .select([
        "r.audit_id",
        "r.alerted_at",
        "r.needs_person_at",
        "a.created_at",
        "a.action",
        "a.idempotency_key",
        "a.customer_id",
        "a.actor_email",
      ])
      .where("r.settled_at", "is", null)
      .where("a.status", "=", "pending")
      .where((eb) =>
        eb.or([
          eb.and([eb("r.alerted_at", "is", null), eb("a.created_at", "<=", at - s.alertAfterMs)]),
          eb.and([eb("r.needs_person_at", "is", null), eb("a.created_at", "<=", at - RESEND_CUTOFF_MS)]),
        ]),
      )
      .execute();
  }

  /** Alerts and window hand-overs; each is logged by the one process whose conditional update wins. */
  async function escalate(at: number): Promise<{ alerted: number; handedOver: number }> {
    let alerted = 0;
    let handedOver = 0;
    for (const row of await open(at)) {
      const what = `${row.action} key ${row.idempotency_key} for ${row.customer_id ?? "—"} by ${row.actor_email}`;
      if (row.alerted_at === null && row.created_at <= at - s.alertAfterMs) {
        const r = await db
          .updateTable("write_resolutions")
          .set({ alerted_at: at })
          .where("audit_id", "=", row.audit_id)
          .where("alerted_at", "is", null)
          .executeTakeFirst();
        if (Number(r.numUpdatedRows) === 1) {
          alerted++;
          log(
            `ALERT unconfirmed write: ${what}, begun ${new Date(row.created_at).toISOString()}; ` +
              `no re-send after ${new Date(row.created_at + RESEND_CUTOFF_MS).toISOString()}`,
          );
        }
      }
      if (row.needs_person_at === null && !mayResend(row.created_at, at)) {
        if (await handOver(row.audit_id, "window", at, null)) {
          handedOver++;
          log(`needs a person: ${what} — too close to Commet's 24 h idempotency window to re-send`);
        }
      }
    }
    return { alerted, handedOver };
  }

  async function handOver(auditId: string, reason: "window" | "attempts", at: number, leased: string | null) {
    let q = db
      .updateTable("write_resolutions")
      .set({ needs_person_at: at, needs_person_reason: reason, lease_owner: null, lease_until: null })
      .where("audit_id", "=", auditId)
      .where("needs_person_at", "is", null);
    if (leased) q = q.where("lease_owner", "=", leased);
    return Number((await q.executeTakeFirst()).numUpdatedRows) === 1;
  }

  /** Takes the lease of one due row; false when another process holds it or it is no longer due. */
  async function claim(auditId: string, at: number): Promise<boolean> {
    const r = await db
      .updateTable("write_resolutions")
      .set({ lease_owner: owner, lease_until: at + s.leaseMs })
      .where("audit_id", "=", auditId)
      .where("settled_at", "is", null)
      .where("needs_person_at", "is", null)
      .where("next_attempt_at", "<=", at)
      .where((eb) => eb.or([eb("lease_until", "is", null), eb("lease_until", "<", at)]))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async function due(at: number) {
    return db
      .selectFrom("write_resolutions as r")
      .innerJoin("audit_log as a", "a.id", "r.audit_id")
      .select(["r.audit_id", "r.attempts", "a.action", "a.idempotency_key", "a.customer_id", "a.created_at"])
      .where("r.settled_at", "is", null)
      .where("r.needs_person_at", "is", null)
      .where("r.next_attempt_at", "<=", at)
      .where((eb) => eb.or([eb("r.lease_until", "is", null), eb("r.lease_until", "<", at)]))
      .where("a.status", "=", "pending")
      .where("a.created_at", ">", at - RESEND_CUTOFF_MS)
      .orderBy("r.next_attempt_at")
      .limit(s.batchSize)
      .execute();
  }

  /** Re-sends one claimed write through the engine and records what Commet answered. */
  async function resolveOne(row: Awaited<ReturnType<typeof due>>[number]): Promise<"settled" | "retry" | "handed"> {
    const attempts = row.attempts + 1;
    const what = `${row.action} key ${row.idempotency_key} for ${row.customer_id ?? "—"}`;
    let kind: string;
    let code: string | null = null;
    let message: string | null = null;
    try {
      const result = await options.engine.resolveUnattended(row.audit_id);
      kind = result?.kind ?? "gone";
      if (result && "message" in result) message = result.message;
      if (result?.kind === "commet_error") {
        code = result.code;
        if (result.outcome === "failed") kind = "failed";
      }
    } catch (error) {
      kind = "error";
      message = error instanceof Error ? error.message : String(error);
    }
    const at = now();
    const mine = db
      .updateTable("write_resolutions")
      .where("audit_id", "=", row.audit_id)
      .where("lease_owner", "=", owner);
    if (FINAL_KINDS.has(kind) || kind === "failed" || kind === "gone") {
      await mine.set({ attempts, settled_at: at, lease_owner: null, lease_until: null, last_error: null }).execute();
      log(`settled ${what} by re-sending it with its key (attempt ${attempts}): ${kind}`);
      return "settled";
    }
    const lastError = (code ? `${code}: ${message ?? ""}` : (message ?? kind)).slice(0, 500);
    if (code === "idempotency_window_closed" || attempts >= s.maxAttempts) {
      await mine.set({ attempts, last_error: lastError }).execute();
      const reason = code === "idempotency_window_closed" ? "window" : "attempts";
      await handOver(row.audit_id, reason, at, owner);
      log(`needs a person: ${what} still unconfirmed after ${attempts} re-sends (${lastError})`);
      return "handed";
    }
    await mine
      .set({
        attempts,
        last_error: lastError,
        next_attempt_at: at + backoffMs(attempts, s),
        lease_owner: null,
        lease_until: null,
      })
      .execute();
    return "retry";
  }

  /** One pass: take on new unknown outcomes, escalate old ones, re-send the due ones this process claims. */
  async function runOnce(signal?: AbortSignal): Promise<ResolverRun> {
    const at = now();
    const discovered = await discover(at);
    let settled = await closeFinal(at);
    const { alerted, handedOver: byWindow } = await escalate(at);
    let handedOver = byWindow;
    let resent = 0;
    for (const row of await due(at)) {
      if (signal?.aborted) break;
      // The window is checked again right before the send (the engine checks it once more).
      if (!mayResend(row.created_at, now())) continue;
      if (!(await claim(row.audit_id, now()))) continue;
      resent++;
      const outcome = await resolveOne(row);
      if (outcome === "settled") settled++;
      if (outcome === "handed") handedOver++;
    }
    return { discovered, resent, settled, handedOver, alerted };
  }

  return { runOnce, owner, settings: s };
}

export type WriteResolver = ReturnType<typeof createWriteResolver>;

async function enqueue(database: SchemalessDb, auditIds: string[], at: number): Promise<void> {
  await tables(database)
    .insertInto("write_resolutions")
    .values(
      auditIds.map((id) => ({
        audit_id: id,
        attempts: 0,
        next_attempt_at: at,
        lease_owner: null,
        lease_until: null,
        last_error: null,
        alerted_at: null,
        needs_person_at: null,
        needs_person_reason: null,
        settled_at: null,
      })),
    )
    .onConflict((oc) => oc.column("audit_id").doNothing())
    .execute();
}

/** Queues a write whose outcome just became unknown: the resolver's next run re-sends it (no grace to wait out). */
export function enqueueUnresolved(database: SchemalessDb, auditId: string, at: number): Promise<void> {
  return enqueue(database, [auditId], at);
}

/** Runs the resolver every `intervalMs` in the background (the console's start-up task); returns stop(). */
export function startWriteResolver(options: ResolverOptions): () => Promise<void> {
  const resolver = createWriteResolver(options);
  const log = options.log ?? (() => {});
  return startPeriodic(
    async (signal) => {
      await resolver.runOnce(signal);
      return resolver.settings.intervalMs;
    },
    {
      initialDelayMs: 5_000,
      onError: (error) => {
        log(`run failed: ${error instanceof Error ? error.message : String(error)}`);
        return resolver.settings.intervalMs;
      },
    },
  );
}

/** Unsettled writes (pending rows of declared actions), newest first, with the resolver's state. */
export async function listUnsettledWrites(
  database: SchemalessDb,
  filter: { actorId?: string; customerId?: string; reader?: string | null; limit?: number },
  at: number = Date.now(),
): Promise<UnsettledWrite[]> {
  const names = declaredWriteActionNames();
  if (!names.length) return [];
  let q = tables(database)
    .selectFrom("audit_log as a")
    .leftJoin("write_resolutions as r", "r.audit_id", "a.id")
    .select([
      "a.id",
      "a.action",
      "a.customer_id",
      "a.idempotency_key",
      "a.actor_id",
      "a.actor_email",
      "a.created_at",
      "r.attempts",
      "r.next_attempt_at",
      "r.last_error",
      "r.alerted_at",
      "r.needs_person_at",
      "r.needs_person_reason",
    ])
    .where("a.status", "=", "pending")
    .where("a.action", "in", names);
  if (filter.actorId) q = q.where("a.actor_id", "=", filter.actorId);
  if (filter.customerId) q = q.where("a.customer_id", "=", filter.customerId);
  const rows = await q
    .orderBy("a.created_at", "desc")
    .orderBy("a.id", "desc")
    .limit(filter.limit ?? 200)
    .execute();
  const out: UnsettledWrite[] = [];
  for (const row of rows) {
    const action = writeActionNamed(row.action);
    if (!action) continue;
    const needsPerson = row.needs_person_at !== null || !mayResend(row.created_at, at);
    const state: UnsettledState = needsPerson
      ? "needs_person"
      : row.alerted_at !== null || at - row.created_at >= RESOLVER_DEFAULTS.alertAfterMs
        ? "alert"
        : "awaiting";
    out.push({
      auditId: row.id,
      action: row.action,
      what: action.noun.what,
      customerId: row.customer_id,
      idempotencyKey: row.idempotency_key,
      by: row.actor_email,
      mine: filter.reader != null && row.actor_id === filter.reader,
      createdAt: row.created_at,
      attempts: row.attempts ?? 0,
      nextAttemptAt: needsPerson ? null : (row.next_attempt_at ?? null),
      lastError: row.last_error ?? null,
      state,
      needsPersonReason: row.needs_person_reason ?? (needsPerson ? "window" : null),
      resendUntil: row.created_at + RESEND_CUTOFF_MS,
    });
  }
  return out;
}

/** For the navigation: how many of these writes are unsettled, and how many of those need attention. */
export function unsettledCounts(writes: readonly UnsettledWrite[]): UnsettledCounts {
  return { total: writes.length, attention: writes.filter((write) => write.state !== "awaiting").length };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
