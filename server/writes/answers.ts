/** Answers for a reused idempotency key, read from the audit trail: nothing is sent to Commet again. */
import { formatUtc } from "../../app/contracts/format.ts";
import type { FieldErrors } from "../../app/contracts/ops-forms.ts";
import type { WriteResult } from "../../app/contracts/ops-results.ts";
import { redactParams, type AuditEntry } from "../audit/index.ts";
import type { WriteAction } from "./action.ts";

/** JSON with sorted keys and no undefined members: equal values compare equal. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

export function fieldErrors(errors: FieldErrors, message = "Check the highlighted fields"): WriteResult {
  return { kind: "field_errors", fieldErrors: errors, message };
}

export const noSuchPendingWrite = (): WriteResult =>
  fieldErrors({ _form: ["No such pending write"] }, "No such pending write");

/**
 * A final (or still running) row of this key and action. `form` is this submission's normalized form,
 * compared with the row's (null: no submission, e.g. "check again").
 */
export function answerFromRow(
  entry: AuditEntry,
  action: WriteAction,
  form: Record<string, unknown> | null,
): WriteResult {
  const by = entry.actor.email;
  if (entry.status === "succeeded") {
    const eventId = entry.commetIds?.eventId ?? null;
    const at = entry.finalizedAt ?? entry.createdAt;
    const sameRequest = form === null || stableJson(entry.params.form) === stableJson(redactParams(form));
    return {
      kind: "already_recorded",
      auditId: entry.id,
      at,
      by,
      eventId,
      sameRequest,
      message:
        `${action.noun.done} at ${formatUtc(at)} by ${by}${eventId ? ` (Commet id ${eventId})` : ""}` +
        (sameRequest
          ? ""
          : " — with different values than this form; nothing was sent again. Use a new key for a new change."),
    };
  }
  if (entry.status === "failed") {
    return {
      kind: "previous_failed",
      auditId: entry.id,
      at: entry.finalizedAt ?? entry.createdAt,
      by,
      errorCode: entry.errorCode ?? "error",
      message: `This key was used at ${formatUtc(entry.createdAt)} by ${by} and Commet refused it (${entry.errorCode ?? "error"}${
        entry.errorMessage ? `: ${entry.errorMessage}` : ""
      }). Use a new idempotency key.`,
    };
  }
  return {
    kind: "in_progress",
    auditId: entry.id,
    since: entry.createdAt,
    by,
    message: `This ${action.noun.what} is being written (started ${formatUtc(entry.createdAt)} by ${by}). Check again in a moment.`,
  };
}

/** The key was used for another action or customer: refused on the key field. */
export function keyTakenElsewhere(entry: AuditEntry, customerId: string): WriteResult {
  return fieldErrors(
    {
      idempotencyKey: [
        `This key was already used at ${formatUtc(entry.createdAt)} by ${entry.actor.email} for ${entry.action}${
          entry.customerId && entry.customerId !== customerId ? ` on customer ${entry.customerId}` : ""
        }. Use a new key.`,
      ],
    },
    "The idempotency key belongs to another write",
  );
}

/** A pending row older than the re-send cutoff: nothing is sent; a person checks Commet and settles it. */
export function windowClosed(entry: AuditEntry, action: WriteAction): WriteResult {
  return {
    kind: "commet_error",
    auditId: entry.id,
    retryable: false,
    outcome: "unknown",
    code: "idempotency_window_closed",
    message: `This ${action.noun.what} began at ${formatUtc(entry.createdAt)}, too close to the end of Commet's 24-hour idempotency window to send it again safely (it could apply twice). Check the customer in Commet and settle it by hand.`,
    problem: null,
  };
}
