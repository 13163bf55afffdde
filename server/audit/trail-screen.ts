/**
 * The audit trail screen (/audit): a page of rows as staff read them, and the two things a pending
 * row allows — check it again, or retry the write with the same key (server/writes replays it).
 */
import type { AuditIntent, AuditIntentResult, AuditRowOutcome, AuditRowView } from "../../app/contracts/audit-trail.ts";
import { can, type Role } from "../../app/contracts/permissions.ts";
import { resolvePendingWrite, writeActionNamed } from "../writes/index.ts";
import { AUDIT_STATUS_LABELS, AUDIT_STATUSES, auditOutcome, isSecurityAction, parseAuditSearch } from "./filters.ts";
import { getReadyDb } from "../db/index.ts";
import { customerLabels } from "../directory/index.ts";
import { auditCsvResponse, canonicalAuditCustomer, getAuditEntry, listAudit, recordAudit } from "./index.ts";

type Staff = { id: string; email: string; role: Role };

const OUTCOME_LABELS: Record<AuditRowOutcome, string> = {
  in_flight: "In progress",
  unknown: AUDIT_STATUS_LABELS.pending,
  succeeded: AUDIT_STATUS_LABELS.succeeded,
  failed: AUDIT_STATUS_LABELS.failed,
};

/** The permission a pending write of this action needs to be retried (undefined: not an exactly-once write). */
function retryPermission(action: string) {
  return writeActionNamed(action)?.permission;
}

function canRetry(role: Role, action: string): boolean {
  const permission = retryPermission(action);
  return permission !== undefined && can(role, permission);
}

/** A short "key: value · …" line of a row's (already redacted) params; the CSV has them whole. */
function summarize(params: Record<string, unknown>): string {
  const skip = new Set(["request", "form", "userAgent", "staffId"]);
  const parts = Object.entries(params)
    .filter(([key, value]) => !skip.has(key) && value !== null && value !== undefined && value !== "")
    .map(([key, value]) => `${key}: ${typeof value === "object" ? JSON.stringify(value) : String(value)}`);
  const text = parts.join(" · ");
  return text.length > 140 ? `${text.slice(0, 137)}…` : text;
}

/**
 * The trail's filters as this staff member may read it: security events for admins only. A customer
 * is looked up by the Commet id rows store, whether the URL names it by that or by its external id.
 */
async function readableBy(staff: Staff, params: URLSearchParams) {
  const parsed = parseAuditSearch(params);
  const filters = { ...parsed.filters, excludeSecurity: !can(staff.role, "audit:security") };
  if (typeof filters.customerId === "string") filters.customerId = await canonicalAuditCustomer(filters.customerId);
  return { ...parsed, filters };
}

/** One page of the trail, filtered as the URL says, with what this staff member may do on each row. */
export async function loadAuditTrail(staff: Staff, params: URLSearchParams) {
  const { filters, paging: search } = await readableBy(staff, params);
  const paging = { pageSize: search.pageSize, page: "page" in search ? search.page : 1 };
  const result = await listAudit(filters, paging);
  const customers = await customerLabels(
    await getReadyDb(),
    result.rows.flatMap((entry) => (entry.customerId ? [entry.customerId] : [])),
  );
  const now = Date.now();
  const rows: AuditRowView[] = result.rows.map((entry) => {
    const outcome = auditOutcome(entry, now);
    // Rows written before ids were made canonical may hold an external id: shown by the Commet id too.
    const customer = entry.customerId ? customers[entry.customerId] : undefined;
    return {
      id: entry.id,
      createdAt: entry.createdAt,
      finalizedAt: entry.finalizedAt,
      actorEmail: entry.actor.email,
      role: entry.role,
      action: entry.action,
      customerId: customer?.id ?? entry.customerId,
      customerExternalId: customer?.externalId ?? null,
      idempotencyKey: entry.idempotencyKey,
      outcome,
      outcomeLabel: OUTCOME_LABELS[outcome],
      details: summarize(entry.params),
      error: entry.errorCode ? `${entry.errorCode}${entry.errorMessage ? `: ${entry.errorMessage}` : ""}` : null,
      commetIds:
        entry.commetIds && Object.keys(entry.commetIds).length ? Object.values(entry.commetIds).join(", ") : null,
      canRetry: outcome === "unknown" && canRetry(staff.role, entry.action),
    };
  });
  const raw = Object.fromEntries(params);
  return {
    rows,
    total: result.total,
    page: paging.page,
    pageSize: paging.pageSize,
    search: {
      actor: raw.actor ?? "",
      action: raw.action ?? "",
      customer: raw.customer ?? "",
      status: filters.status,
      from: raw.from ?? "",
      to: raw.to ?? "",
    },
    canExport: can(staff.role, "export:csv"),
    showsSecurityEvents: can(staff.role, "audit:security"),
    statusOptions: AUDIT_STATUSES.map((status) => ({ value: status, label: AUDIT_STATUS_LABELS[status] })),
  };
}

/**
 * check — re-reads the row (a write finished elsewhere shows its outcome); retry — a pending seat/usage
 * write is sent to Commet again with the stored request and the SAME idempotency key, then finalized;
 * it needs the permission of the original action. Nothing else in the trail can change.
 * Answers with the HTTP status to use: 404 for an unknown row, 403 when the role may not retry.
 */
export async function runAuditIntent(
  staff: Staff,
  { intent, auditId }: AuditIntent,
): Promise<{ status: 200 | 400 | 403 | 404; result: AuditIntentResult | null; message?: string }> {
  const entry = await getAuditEntry(auditId);
  if (!entry || (isSecurityAction(entry.action) && !can(staff.role, "audit:security"))) {
    return { status: 404, result: null, message: "No such audit entry" };
  }

  if (intent === "check" || entry.status !== "pending") {
    const outcome = auditOutcome(entry);
    return {
      status: 200,
      result: {
        auditId,
        tone: outcome === "succeeded" ? "good" : outcome === "failed" ? "bad" : "warn",
        message:
          entry.status === "pending"
            ? `Still no outcome for ${entry.action} (key ${entry.idempotencyKey}).${retryPermission(entry.action) ? " It can be retried with the same key — Commet will not apply it twice." : " This action is not retried from the console."}`
            : `${entry.action} is final: ${AUDIT_STATUS_LABELS[entry.status]}${entry.errorCode ? ` (${entry.errorCode})` : ""}.`,
      },
    };
  }
  const permission = retryPermission(entry.action);
  if (!permission) {
    return {
      status: 400,
      result: { auditId, tone: "bad", message: `${entry.action} cannot be retried from the console.` },
    };
  }
  if (!can(staff.role, permission)) {
    return { status: 403, result: null, message: `Your role (${staff.role}) may not retry ${entry.action}.` };
  }
  const outcome = await resolvePendingWrite(auditId, { actor: { id: staff.id, email: staff.email }, role: staff.role });
  if (outcome.kind === "forbidden") return { status: 403, result: null, message: outcome.message };
  const tone: AuditIntentResult["tone"] =
    outcome.kind === "ok" || outcome.kind === "already_recorded"
      ? "good"
      : outcome.kind === "in_progress"
        ? "warn"
        : "bad";
  return { status: 200, result: { auditId, tone, message: outcome.message } };
}

/** The trail as CSV with the same filters as the screen (streamed); the export itself is audited first. */
export async function exportAuditTrail(staff: Staff, params: URLSearchParams): Promise<Response> {
  const { filters } = await readableBy(staff, params);
  await recordAudit(
    {
      actor: { id: staff.id, email: staff.email },
      role: staff.role,
      action: "audit.export",
      params: { filters },
      idempotencyKey: crypto.randomUUID(),
    },
    { status: "succeeded" },
  );
  return auditCsvResponse(filters);
}
