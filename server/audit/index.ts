/**
 * server/audit — the write-ahead audit trail (docs/decisions/0005-write-ahead-audit.md).
 *
 * Every write (seats, usage, portal links, staff changes, sign-in events) is recorded BEFORE the
 * side effect as a `pending` row, then finalized once: `succeeded` (Commet ids / request id) or
 * `failed` (error code). A crash in between leaves `pending` = "outcome unknown": the UI offers
 * "check again / retry with the same key" (findByIdempotencyKey → call Commet again with the same
 * Idempotency-Key → finalizeAudit on the same row). Parameters and messages pass through `redact`:
 * no portal URLs, API keys, passwords or tokens are stored. The app never updates or deletes
 * history except that one finalize step, and the database refuses it too (triggers).
 *
 * Surface (all use the process database from server/db, migrated on first use):
 *   beginAudit({ actor: { id, email }, role, action, customerId?, params, idempotencyKey }): Promise<string>
 *       (customerId, an external or Commet id, is stored as the Commet id the directory knows it by)
 *       → row id; throws DuplicateAuditKeyError(existing) when (idempotencyKey, action) was used already
 *   finalizeAudit(id, { status: "succeeded", commetIds?, requestId? } | { status: "failed", errorCode, message?, requestId? })
 *       : Promise<AuditEntry>; throws AuditFinalizeError(id, "not_found" | "already_final")
 *   recordAudit(input, outcome): Promise<AuditEntry>     one already-final row (events with no external call)
 *   runAudited(input, fn, { success?, failure? }): Promise<T>   begin → fn(auditId) → finalize; rethrows
 *   findByIdempotencyKey(key, action?): Promise<AuditEntry | null>
 *   getAuditEntry(id): Promise<AuditEntry | null>
 *   listAudit(filters: AuditFilters, paging: { pageSize, page } | { pageSize, cursor? }): Promise<AuditPage>
 *       → { rows, total, nextCursor } newest first (created_at desc, id desc); pageSize ≤ 200
 *   streamAuditCsv(filters, { batchSize? }): Readable   CSV (server/csv), keyset batches of 500
 *   auditCsvResponse(filters, { filename? }): Response  text/csv download for the /audit export route
 *   parseAuditSearch(URLSearchParams) → { filters, paging }  URL: actor, action, customer, status,
 *       from, to (YYYY-MM-DD UTC, inclusive), page | cursor, pageSize (bad values fall back to defaults)
 *   auditOutcome(entry, now?) → "in_flight" | "unknown" | "succeeded" | "failed"; AUDIT_STATUS_LABELS
 *       (pending older than IN_FLIGHT_GRACE_MS = 60 s is "Outcome unknown": show check again / retry)
 *   redact(value), redactParams(params), redactText(text)
 *   createAuditLog(db, { clock? }) → the same operations bound to another database (tests).
 * Permissions (app/contracts/permissions.ts): "audit:read" to list, "export:csv" to download.
 * Bench: `node --expose-gc --import tsx server/audit/bench.ts [--rows N]` (write-ahead cost, paging, CSV).
 */
import { csvResponse } from "../csv/index.ts";
import { getReadyDb } from "../db/index.ts";
import { customerLabels } from "../directory/index.ts";
import {
  createAuditLog,
  type AuditEntry,
  type AuditLog,
  type AuditOutcome,
  type BeginAuditInput,
} from "./audit-log.ts";
import { entriesToCsv } from "./csv.ts";
import type { AuditFilters, AuditPaging } from "./filters.ts";

export {
  AuditFinalizeError,
  DuplicateAuditKeyError,
  createAuditLog,
  type AuditActor,
  type AuditEntry,
  type AuditLog,
  type AuditOutcome,
  type AuditPage,
  type BeginAuditInput,
} from "./audit-log.ts";
export { AUDIT_CSV_COLUMNS, entriesToCsv } from "./csv.ts";
export {
  AUDIT_STATUS_LABELS,
  AUDIT_STATUSES,
  IN_FLIGHT_GRACE_MS,
  auditOutcome,
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  auditSearchSchema,
  parseAuditSearch,
  type AuditFilters,
  type AuditPaging,
  type AuditStatus,
} from "./filters.ts";
export { REDACTED, redact, redactParams, redactText } from "./redact.ts";

let instance: Promise<AuditLog> | undefined;
function auditLog(): Promise<AuditLog> {
  instance ??= getReadyDb().then(
    (database) =>
      createAuditLog(database.db, {
        canonicalCustomer: async (ref) => (await customerLabels(database, [ref]))[ref]?.id ?? ref,
      }),
    (error: unknown) => {
      instance = undefined;
      throw error;
    },
  );
  return instance;
}

export const beginAudit = async (input: BeginAuditInput) => (await auditLog()).begin(input);
export const finalizeAudit = async (id: string, outcome: AuditOutcome) => (await auditLog()).finalize(id, outcome);
export const recordAudit = async (input: BeginAuditInput, outcome: AuditOutcome) =>
  (await auditLog()).record(input, outcome);
export const findByIdempotencyKey = async (key: string, action?: string) =>
  (await auditLog()).findByIdempotencyKey(key, action);
export const getAuditEntry = async (id: string) => (await auditLog()).get(id);
export const listAudit = async (filters: AuditFilters, paging: AuditPaging) => (await auditLog()).list(filters, paging);
/** The Commet id audit rows store for a customer reference (from the directory index; unknown → as given). */
export const canonicalAuditCustomer = async (ref: string) => (await auditLog()).canonicalCustomer(ref);
export const runAudited: AuditLog["run"] = async (input, fn, describe) => (await auditLog()).run(input, fn, describe);

export function streamAuditCsv(filters: AuditFilters, options: { batchSize?: number } = {}) {
  async function* entries(): AsyncGenerator<AuditEntry> {
    yield* (await auditLog()).iterate(filters, options.batchSize);
  }
  return entriesToCsv(entries());
}

export function auditCsvResponse(filters: AuditFilters, options: { filename?: string; signal?: AbortSignal } = {}) {
  const filename = options.filename ?? `audit-${new Date().toISOString().slice(0, 10)}.csv`;
  return csvResponse(streamAuditCsv(filters), filename, options.signal);
}
