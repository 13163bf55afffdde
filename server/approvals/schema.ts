/** The approvals domain's tables (migration 0011_approvals.ts): the policy and the requests. */
import type { Kysely } from "kysely";
import type { DB } from "../db/index.ts";

export interface ApprovalPolicyTable {
  /** An ApprovalRuleKey, or "requests" for the request settings (expiry). */
  rule: string;
  /** JSON of the rule (approvalRuleSchema) or of the settings. */
  config: string;
  updated_at: number;
  updated_by: string;
}

export interface ApprovalRequestsTable {
  id: string;
  /** The write's Idempotency-Key: sent to Commet only when the request is approved. */
  idempotency_key: string;
  /** The write action's name, e.g. "seats.change". */
  action: string;
  /** The ApprovalRuleKey that held it. */
  rule: string;
  /** Canonical Commet id when known. */
  customer_id: string;
  requested_by_id: string | null;
  requested_by_email: string;
  requested_role: string | null;
  requested_at: number;
  expires_at: number;
  /** JSON array of the roles that may approve (the policy's at request time). */
  approvers: string;
  /** JSON of the exact write: action, staff, customerId, idempotencyKey, request, form, details. */
  spec: string;
  /** JSON of the ApprovalPreview shown when it was requested. */
  preview: string;
  /** pending | approved | rejected | expired */
  status: string;
  decided_by_id: string | null;
  decided_by_email: string | null;
  decided_at: number | null;
  comment: string | null;
  /** The write's audit row, once the approved write began. */
  write_audit_id: string | null;
}

export interface ApprovalTables extends DB {
  approval_policy: ApprovalPolicyTable;
  approval_requests: ApprovalRequestsTable;
}

/** The console's database seen with the approvals tables (and the audit trail, for one transaction). */
export type ApprovalDb = Kysely<ApprovalTables>;

export function approvalTables(db: Kysely<DB>): ApprovalDb {
  return db as unknown as ApprovalDb;
}

/** The same connection (or transaction) as the audit trail's store sees it. */
export function asConsoleDb(db: Kysely<ApprovalTables>): Kysely<DB> {
  return db as unknown as Kysely<DB>;
}
