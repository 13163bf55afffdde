// The audit trail's statuses, security actions and filters, parsed from the URL for the list and the CSV export.

import { z } from "zod";
import { wholeNumberParam } from "../../app/contracts/number-input.ts";

export const AUDIT_STATUSES = ["pending", "succeeded", "failed"] as const;
export type AuditStatus = (typeof AUDIT_STATUSES)[number];

/** What the UI calls each status. A pending row is a write whose outcome we do not know. */
export const AUDIT_STATUS_LABELS: Record<AuditStatus, string> = {
  pending: "Outcome unknown",
  succeeded: "Succeeded",
  failed: "Failed",
};

/** A write still pending after this long is no longer "in flight": offer "check again / retry". */
export const IN_FLIGHT_GRACE_MS = 60_000;

/** "in_flight" right after begin, "unknown" once the grace period has passed, else the final status. */
export function auditOutcome(
  entry: { status: AuditStatus; createdAt: number },
  now: number = Date.now(),
): "in_flight" | "unknown" | "succeeded" | "failed" {
  if (entry.status !== "pending") return entry.status;
  return now - entry.createdAt < IN_FLIGHT_GRACE_MS ? "in_flight" : "unknown";
}

/** Filters of the audit list and CSV export. `from` inclusive, `to` exclusive, epoch ms. */
export interface AuditFilters {
  /** Exact staff id, or a case-insensitive part of the actor's email. */
  actor?: string;
  /** Exact action name (e.g. "seats.update"), or a prefix ending in "." (e.g. "staff."). */
  action?: string;
  /** One customer id, or several (the Commet id and the externalId of one customer: one query for both). */
  customerId?: string | readonly string[];
  status?: AuditStatus;
  from?: number;
  to?: number;
  /** Leave out security events (sign-ins, staff administration, trail exports): only admins read those. */
  excludeSecurity?: boolean;
}

/** Actions that are security events rather than customer work: an exact name, or a prefix ending in ".". */
export const SECURITY_ACTIONS = ["sign_in.", "sign_out", "staff.", "audit.export"] as const;

export function isSecurityAction(action: string): boolean {
  return SECURITY_ACTIONS.some((name) => (name.endsWith(".") ? action.startsWith(name) : action === name));
}

export const MAX_PAGE_SIZE = 200;
export const DEFAULT_PAGE_SIZE = 50;

/** Offset paging (page numbers for the table) or keyset paging (an opaque cursor from the last page). */
export type AuditPaging = { pageSize: number; page: number } | { pageSize: number; cursor?: string | null };

const text = z
  .string()
  .trim()
  .max(200)
  .transform((v) => v || undefined)
  .optional()
  .catch(undefined);

const DAY_MS = 86_400_000;
const dateOrInstant = z
  .string()
  .trim()
  .optional()
  .transform((v, ctx) => {
    if (!v) return undefined;
    const dayOnly = /^\d{4}-\d{2}-\d{2}$/.test(v);
    const ms = Date.parse(dayOnly ? `${v}T00:00:00.000Z` : v);
    if (Number.isNaN(ms)) {
      ctx.addIssue({ code: "custom", message: "Not a date" });
      return z.NEVER;
    }
    return { ms, dayOnly };
  })
  .catch(undefined);

/**
 * The audit table's URL search parameters: actor, action, customer, status, from, to (YYYY-MM-DD,
 * UTC days, both inclusive — or full ISO instants), page (1-based) or cursor, pageSize.
 * Invalid values fall back to "no filter" / defaults, so a hand-edited URL never breaks the page.
 */
export const auditSearchSchema = z.object({
  actor: text,
  action: text,
  customer: text,
  status: z.enum(AUDIT_STATUSES).optional().catch(undefined),
  from: dateOrInstant,
  to: dateOrInstant,
  page: z.preprocess(wholeNumberParam, z.number().int().min(1).max(1_000_000)).optional().catch(undefined),
  cursor: text,
  pageSize: z
    .preprocess(wholeNumberParam, z.number().int().min(1).max(MAX_PAGE_SIZE))
    .default(DEFAULT_PAGE_SIZE)
    .catch(DEFAULT_PAGE_SIZE),
});

export function parseAuditSearch(search: URLSearchParams | string): { filters: AuditFilters; paging: AuditPaging } {
  const params = typeof search === "string" ? new URLSearchParams(search) : search;
  const s = auditSearchSchema.parse(Object.fromEntries(params));
  const filters: AuditFilters = {};
  if (s.actor) filters.actor = s.actor;
  if (s.action) filters.action = s.action;
  if (s.customer) filters.customerId = s.customer;
  if (s.status) filters.status = s.status;
  if (s.from) filters.from = s.from.ms;
  if (s.to) filters.to = s.to.dayOnly ? s.to.ms + DAY_MS : s.to.ms;
  const paging: AuditPaging = s.cursor
    ? { pageSize: s.pageSize, cursor: s.cursor }
    : { pageSize: s.pageSize, page: s.page ?? 1 };
  return { filters, paging };
}
