/**
 * The console's audit trail store: write-ahead rows begun before a write and finalized once, then listed
 * and exported (docs/decisions/0005-write-ahead-audit.md).
 */

import { randomUUID } from "node:crypto";
import { sql, type Kysely, type SelectQueryBuilder } from "kysely";
import { isUniqueViolation, systemClock, type AuditRow, type Clock, type DB } from "../db/index.ts";
import { MAX_PAGE_SIZE, SECURITY_ACTIONS, type AuditFilters, type AuditPaging, type AuditStatus } from "./filters.ts";
import { redactParams, redactText } from "./redact.ts";
import { logger } from "../observability/index.ts";

export interface AuditActor {
  /** Staff id; null when nobody is identified (a failed sign-in with an unknown email, the system). */
  id: string | null;
  email: string;
}

export interface BeginAuditInput {
  actor: AuditActor;
  /** The actor's role at the time (null when not signed in). */
  role: string | null;
  /** Dotted action name, e.g. "seats.update", "portal.issue", "staff.create", "sign_in.failed". */
  action: string;
  /** As the request named it (Commet id or external id); stored as the canonical Commet id when known. */
  customerId?: string | null;
  /** Parameters of the write; redacted before storage. */
  params: Record<string, unknown>;
  /** The Idempotency-Key sent to Commet (unique per action). */
  idempotencyKey: string;
}

export type AuditOutcome =
  | { status: "succeeded"; commetIds?: Record<string, string>; requestId?: string | null }
  | { status: "failed"; errorCode: string; message?: string | null; requestId?: string | null };

export interface AuditEntry {
  id: string;
  createdAt: number;
  finalizedAt: number | null;
  actor: AuditActor;
  role: string | null;
  action: string;
  customerId: string | null;
  params: Record<string, unknown>;
  idempotencyKey: string;
  status: AuditStatus;
  commetIds: Record<string, string> | null;
  requestId: string | null;
  errorCode: string | null;
  errorMessage: string | null;
}

export interface AuditPage {
  rows: AuditEntry[];
  /** Rows matching the filters (for the table's page count). */
  total: number;
  /** Pass back as `cursor` for the next page (keyset); null on the last page. */
  nextCursor: string | null;
}

/** beginAudit found a row with the same (idempotency key, action): the write was already attempted. */
export class DuplicateAuditKeyError extends Error {
  constructor(readonly existing: AuditEntry) {
    super(`An audit entry already exists for ${existing.action} with this idempotency key (status ${existing.status})`);
    this.name = "DuplicateAuditKeyError";
  }
}

/** finalizeAudit on a row that does not exist or is no longer pending. */
export class AuditFinalizeError extends Error {
  constructor(
    readonly id: string,
    readonly reason: "not_found" | "already_final",
  ) {
    super(reason === "not_found" ? `No audit entry ${id}` : `Audit entry ${id} is already final`);
    this.name = "AuditFinalizeError";
  }
}

const ACTION = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/;
const MAX_MESSAGE = 500;

function toEntry(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    createdAt: row.created_at,
    finalizedAt: row.finalized_at,
    actor: { id: row.actor_id, email: row.actor_email },
    role: row.actor_role,
    action: row.action,
    customerId: row.customer_id,
    params: JSON.parse(row.params) as Record<string, unknown>,
    idempotencyKey: row.idempotency_key,
    status: row.status as AuditStatus,
    commetIds: row.commet_ids ? (JSON.parse(row.commet_ids) as Record<string, string>) : null,
    requestId: row.request_id,
    errorCode: row.error_code,
    errorMessage: row.error_message,
  };
}

function validate(input: BeginAuditInput): void {
  if (!ACTION.test(input.action)) throw new TypeError(`Invalid audit action name: ${input.action}`);
  if (!input.idempotencyKey || input.idempotencyKey.length > 255) throw new TypeError("Invalid idempotency key");
  if (!input.actor.email) throw new TypeError("Audit actor needs an email");
}

function outcomeColumns(outcome: AuditOutcome, now: number) {
  return outcome.status === "succeeded"
    ? {
        status: "succeeded" as const,
        finalized_at: now,
        commet_ids:
          outcome.commetIds && Object.keys(outcome.commetIds).length ? JSON.stringify(outcome.commetIds) : null,
        request_id: outcome.requestId ?? null,
        error_code: null,
        error_message: null,
      }
    : {
        status: "failed" as const,
        finalized_at: now,
        commet_ids: null,
        request_id: outcome.requestId ?? null,
        error_code: outcome.errorCode.slice(0, 100),
        error_message: outcome.message ? redactText(outcome.message).slice(0, MAX_MESSAGE) : null,
      };
}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- Kysely's row type before any select
type AuditQuery = SelectQueryBuilder<DB, "audit_log", {}>;

/** `column LIKE pattern ESCAPE '\'` — the ESCAPE clause makes it behave the same on both engines. */
function likeEscaped(column: "action" | "lower(actor_email)", pattern: string) {
  const col = column === "action" ? sql.ref("action") : sql`lower(${sql.ref("actor_email")})`;
  return sql<boolean>`${col} like ${pattern} escape '\\'`;
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function applyFilters(query: AuditQuery, filters: AuditFilters): AuditQuery {
  let q = query;
  if (filters.actor) {
    const actor = filters.actor;
    const pattern = `%${escapeLike(actor.toLowerCase())}%`;
    q = q.where((eb) => eb.or([eb("actor_id", "=", actor), likeEscaped("lower(actor_email)", pattern)]));
  }
  if (filters.action) {
    q = filters.action.endsWith(".")
      ? q.where(likeEscaped("action", `${escapeLike(filters.action)}%`))
      : q.where("action", "=", filters.action);
  }
  const customer = filters.customerId;
  if (typeof customer === "string") {
    if (customer) q = q.where("customer_id", "=", customer);
  } else if (customer) {
    q = customer.length ? q.where("customer_id", "in", customer) : q.where(sql<boolean>`0 = 1`);
  }
  if (filters.status) q = q.where("status", "=", filters.status);
  if (filters.from !== undefined) q = q.where("created_at", ">=", filters.from);
  if (filters.to !== undefined) q = q.where("created_at", "<", filters.to);
  if (filters.excludeSecurity) {
    for (const name of SECURITY_ACTIONS) {
      q = name.endsWith(".")
        ? q.where(sql<boolean>`not (${likeEscaped("action", `${escapeLike(name)}%`)})`)
        : q.where("action", "!=", name);
    }
  }
  return q;
}

function encodeCursor(row: { created_at: number; id: string }): string {
  return Buffer.from(`${row.created_at}:${row.id}`).toString("base64url");
}

/** The keyset cursor that lists rows strictly older than (createdAt, id): for readers merging the trail with other lists. */
export function auditCursorBefore(createdAt: number, id: string): string {
  return encodeCursor({ created_at: createdAt, id });
}

function decodeCursor(cursor: string): { createdAt: number; id: string } | null {
  const raw = Buffer.from(cursor, "base64url").toString();
  const sep = raw.indexOf(":");
  const createdAt = Number(raw.slice(0, sep));
  if (sep < 1 || !Number.isSafeInteger(createdAt)) return null;
  return { createdAt, id: raw.slice(sep + 1) };
}

function afterCursor<O>(
  query: SelectQueryBuilder<DB, "audit_log", O>,
  cursor: string | null | undefined,
): SelectQueryBuilder<DB, "audit_log", O> {
  const c = cursor ? decodeCursor(cursor) : null;
  if (!c) return query;
  // A row-value comparison: both engines walk the (created_at, id) index straight from the cursor.
  return query.where((eb) => eb(eb.refTuple("created_at", "id"), "<", eb.tuple(c.createdAt, c.id)));
}

export interface AuditLogOptions {
  clock?: Clock;
  newId?: () => string;
  /**
   * A customer reference (Commet id or external id) → its Commet id, so that one customer is one id
   * in the trail whichever URL the write came through; unknown references are kept as given.
   */
  canonicalCustomer?: (ref: string) => Promise<string>;
}

/**
 * The write-ahead audit trail over one database. Rows are only ever inserted, and a pending row
 * finalized once; the database refuses anything else (triggers in migration 0001).
 */
export function createAuditLog(db: Kysely<DB>, options: AuditLogOptions = {}) {
  const clock = options.clock ?? systemClock;
  const newId = options.newId ?? randomUUID;
  const canonicalCustomer = options.canonicalCustomer ?? (async (ref: string) => ref);

  async function insert(input: BeginAuditInput, outcome: AuditOutcome | null): Promise<AuditEntry> {
    validate(input);
    const customerId = input.customerId ? await canonicalCustomer(input.customerId) : null;
    const now = clock();
    const pending = {
      finalized_at: null,
      status: "pending",
      commet_ids: null,
      request_id: null,
      error_code: null,
      error_message: null,
    };
    const row: AuditRow = {
      id: newId(),
      created_at: now,
      actor_id: input.actor.id,
      actor_email: input.actor.email,
      actor_role: input.role,
      action: input.action,
      customer_id: customerId,
      params: JSON.stringify(redactParams(input.params)),
      idempotency_key: input.idempotencyKey,
      ...(outcome ? outcomeColumns(outcome, now) : pending),
    };
    try {
      await db.insertInto("audit_log").values(row).execute();
    } catch (error) {
      if (isUniqueViolation(error)) {
        const existing = await findByIdempotencyKey(input.idempotencyKey, input.action);
        if (existing) throw new DuplicateAuditKeyError(existing);
      }
      throw error;
    }
    return toEntry(row);
  }

  async function get(id: string): Promise<AuditEntry | null> {
    const row = await db.selectFrom("audit_log").selectAll().where("id", "=", id).executeTakeFirst();
    return row ? toEntry(row) : null;
  }

  async function findByIdempotencyKey(key: string, action?: string): Promise<AuditEntry | null> {
    let q = db.selectFrom("audit_log").selectAll().where("idempotency_key", "=", key);
    if (action) q = q.where("action", "=", action);
    const row = await q.orderBy("created_at", "desc").orderBy("id", "desc").executeTakeFirst();
    return row ? toEntry(row) : null;
  }

  /** Writes the pending row before the side effect. Throws DuplicateAuditKeyError when the key was used. */
  async function begin(input: BeginAuditInput): Promise<string> {
    return (await insert(input, null)).id;
  }

  /** pending → succeeded | failed, exactly once. Throws AuditFinalizeError otherwise. */
  async function finalize(id: string, outcome: AuditOutcome): Promise<AuditEntry> {
    const result = await db
      .updateTable("audit_log")
      .set(outcomeColumns(outcome, clock()))
      .where("id", "=", id)
      .where("status", "=", "pending")
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) {
      throw new AuditFinalizeError(id, (await get(id)) ? "already_final" : "not_found");
    }
    return (await get(id))!;
  }

  /** An event that has no external side effect (sign-in events): one row, already final. */
  function record(input: BeginAuditInput, outcome: AuditOutcome): Promise<AuditEntry> {
    return insert(input, outcome);
  }

  type Describe<T> = {
    success?: (result: T) => { commetIds?: Record<string, string>; requestId?: string | null };
    failure?: (error: unknown) => { errorCode: string; message?: string | null; requestId?: string | null };
  };

  /**
   * begin → fn() → finalize. On success the row records `describe.success(result)`; on a thrown error
   * it records `describe.failure(error)` (default: the error's string `code`, else "internal_error")
   * and rethrows the original error. If the process dies inside fn — or the finalize write itself
   * fails — the row stays pending: "outcome unknown" in the UI. A failed finalize after a successful
   * call is logged, not thrown: throwing would invite a retry with a new key, i.e. a second write.
   */
  async function run<T>(
    input: BeginAuditInput,
    fn: (auditId: string) => Promise<T>,
    describe: Describe<T> = {},
  ): Promise<T> {
    const id = await begin(input);
    const finalizeOrLog = (outcome: AuditOutcome) =>
      finalize(id, outcome).catch((error: unknown) => {
        logger("audit").error({ err: error, auditId: id, action: input.action }, "entry left pending, finalize failed");
      });
    let result: T;
    try {
      result = await fn(id);
    } catch (error) {
      await finalizeOrLog({ status: "failed", ...(describe.failure ?? defaultFailure)(error) });
      throw error;
    }
    await finalizeOrLog({ status: "succeeded", ...describe.success?.(result) });
    return result;
  }

  /**
   * One page of rows, newest first, without counting every match: for panels that show the latest few and page
   * by cursor (the customer page's staff actions and activity). `list` adds the count the trail's table needs.
   */
  async function rows(filters: AuditFilters, paging: AuditPaging): Promise<Omit<AuditPage, "total">> {
    const pageSize = Math.min(Math.max(1, Math.trunc(paging.pageSize)), MAX_PAGE_SIZE);
    let q = applyFilters(db.selectFrom("audit_log"), filters)
      .selectAll()
      .orderBy("created_at", "desc")
      .orderBy("id", "desc")
      .limit(pageSize + 1);
    if ("page" in paging) q = q.offset((Math.max(1, Math.trunc(paging.page)) - 1) * pageSize);
    else q = afterCursor(q, paging.cursor);
    const found = await q.execute();
    const more = found.length > pageSize;
    const page = more ? found.slice(0, pageSize) : found;
    const last = page.at(-1);
    return { rows: page.map(toEntry), nextCursor: more && last ? encodeCursor(last) : null };
  }

  async function list(filters: AuditFilters, paging: AuditPaging): Promise<AuditPage> {
    const { total } = await applyFilters(db.selectFrom("audit_log"), filters)
      .select((eb) => eb.fn.countAll<number>().as("total"))
      .executeTakeFirstOrThrow();
    return { ...(await rows(filters, paging)), total: Number(total) };
  }

  /** All matching rows, newest first, fetched `batchSize` at a time by keyset (never all in memory). */
  async function* iterate(filters: AuditFilters, batchSize = 500): AsyncGenerator<AuditEntry> {
    let cursor: string | null = null;
    for (;;) {
      const q = afterCursor(applyFilters(db.selectFrom("audit_log"), filters), cursor);
      const rows = await q.selectAll().orderBy("created_at", "desc").orderBy("id", "desc").limit(batchSize).execute();
      for (const row of rows) yield toEntry(row);
      const last = rows.at(-1);
      if (rows.length < batchSize || !last) return;
      cursor = encodeCursor(last);
      // let other requests run between batches (better-sqlite3 answers synchronously)
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  return { begin, finalize, record, run, get, findByIdempotencyKey, rows, list, iterate, canonicalCustomer };
}

export type AuditLog = ReturnType<typeof createAuditLog>;

function defaultFailure(error: unknown): { errorCode: string; message?: string | null } {
  const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
  return {
    errorCode: typeof code === "string" && code ? code : "internal_error",
    message: error instanceof Error ? error.message : null,
  };
}
