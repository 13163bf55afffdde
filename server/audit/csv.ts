/** The audit trail's CSV columns, written by the console's one CSV writer (server/csv). */
import type { Readable } from "node:stream";
import { csvStream } from "../csv/index.ts";
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

/** CSV text (header + one line per entry), pulled from the database only as fast as the client reads. */
export function entriesToCsv(entries: AsyncIterable<AuditEntry>): Readable {
  return csvStream(
    (async function* () {
      for await (const entry of entries) yield toRecord(entry);
    })(),
    AUDIT_CSV_COLUMNS.map((key) => ({ key, header: key })),
  );
}
