import { Readable, pipeline } from "node:stream";
import { stringify } from "csv-stringify";
import type { AuditEntry } from "./audit-log.ts";

/** CSV columns, in order. Times are ISO 8601 UTC. Parameters are the (already redacted) JSON. */
export const AUDIT_CSV_COLUMNS = [
  "id",
  "created_at",
  "finalized_at",
  "actor_id",
  "actor_email",
  "actor_role",
  "action",
  "customer_id",
  "status",
  "idempotency_key",
  "commet_ids",
  "request_id",
  "error_code",
  "error_message",
  "params",
] as const;

function toRecord(e: AuditEntry): Record<(typeof AUDIT_CSV_COLUMNS)[number], string> {
  return {
    id: e.id,
    created_at: new Date(e.createdAt).toISOString(),
    finalized_at: e.finalizedAt === null ? "" : new Date(e.finalizedAt).toISOString(),
    actor_id: e.actor.id ?? "",
    actor_email: e.actor.email,
    actor_role: e.role ?? "",
    action: e.action,
    customer_id: e.customerId ?? "",
    status: e.status,
    idempotency_key: e.idempotencyKey,
    commet_ids: e.commetIds ? JSON.stringify(e.commetIds) : "",
    request_id: e.requestId ?? "",
    error_code: e.errorCode ?? "",
    error_message: e.errorMessage ?? "",
    params: JSON.stringify(e.params),
  };
}

/**
 * A Node Readable of CSV text (header + one line per entry) fed from an async iterable, with
 * back-pressure: rows are pulled from the database only as fast as the client reads.
 * Cells starting with = + - @ are escaped against spreadsheet formula injection.
 */
export function entriesToCsv(entries: AsyncIterable<AuditEntry>): Readable {
  const source = Readable.from(
    (async function* () {
      for await (const entry of entries) yield toRecord(entry);
    })(),
  );
  const csv = stringify({ header: true, columns: [...AUDIT_CSV_COLUMNS], escape_formulas: true });
  // pipeline destroys the CSV stream with the source's error (a failed query ends the download).
  return pipeline(source, csv, () => {});
}
