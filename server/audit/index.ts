/**
 * server/audit — the write-ahead audit trail on the process database: a pending row before each side
 * effect, finalized once; params redacted; customers stored by their Commet id.
 * docs/decisions/0005-write-ahead-audit.md
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
  auditCursorBefore,
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
/** listAudit without the count of every match (panels that page by cursor). */
export const listAuditRows = async (filters: AuditFilters, paging: AuditPaging) =>
  (await auditLog()).rows(filters, paging);
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
