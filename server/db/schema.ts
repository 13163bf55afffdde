/**
 * Table types of the console's database, shared by both engines.
 *
 * Portable column conventions (see docs/decisions/0004-two-database-engines.md):
 * - ids are text (random UUIDs, or a SHA-256 hex digest for session ids);
 * - every timestamp is an integer of epoch milliseconds (`bigint` on PostgreSQL, read back as a JS
 *   number by the pool's type parser; `integer` on SQLite), column names end in `_at`;
 * - booleans are avoided: a nullable `*_at` timestamp says when something became true;
 * - structured values are JSON text.
 */
import type { Insertable, Kysely, Selectable, Updateable } from "kysely";

/**
 * A connection whose tables this code does not name: migrations (which must not depend on today's schema) and
 * modules that view it through their own table types. Kysely's documented convention is `Kysely<any>`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type SchemalessDb = Kysely<any>;

export interface StaffTable {
  id: string;
  /** Lower-cased, trimmed; unique. */
  email: string;
  name: string;
  /** One of ROLES in app/contracts/permissions.ts. */
  role: string;
  /** `scrypt$N$r$p$salt$hash` (see server/auth/password.ts). */
  password_hash: string;
  created_at: number;
  updated_at: number;
  /** Set when an admin deactivates the account; its sessions end at the same moment. */
  deactivated_at: number | null;
  last_sign_in_at: number | null;
}

export interface SessionsTable {
  /** SHA-256 (hex) of the random session token; the token itself is never stored. */
  id_hash: string;
  staff_id: string;
  created_at: number;
  last_seen_at: number;
  /** Absolute expiry (created_at + 7 days). */
  expires_at: number;
  revoked_at: number | null;
  ip: string | null;
  user_agent: string | null;
}

export interface SignInAttemptsTable {
  id: string;
  /** Normalised email as typed (may not belong to any account). */
  email: string;
  ip: string | null;
  at: number;
}

export interface AuditLogTable {
  id: string;
  created_at: number;
  finalized_at: number | null;
  actor_id: string | null;
  actor_email: string;
  actor_role: string | null;
  action: string;
  customer_id: string | null;
  /** JSON of the redacted parameters. */
  params: string;
  idempotency_key: string;
  /** pending | succeeded | failed */
  status: string;
  /** JSON object of ids Commet returned (or local ids for staff changes). */
  commet_ids: string | null;
  request_id: string | null;
  error_code: string | null;
  error_message: string | null;
}

/** Kysely's bookkeeping tables are not listed: the app never queries them. */
export interface DB {
  staff: StaffTable;
  sessions: SessionsTable;
  sign_in_attempts: SignInAttemptsTable;
  audit_log: AuditLogTable;
}

export type StaffRow = Selectable<StaffTable>;
export type NewStaffRow = Insertable<StaffTable>;
export type StaffUpdate = Updateable<StaffTable>;
export type SessionRow = Selectable<SessionsTable>;
export type AuditRow = Selectable<AuditLogTable>;
export type NewAuditRow = Insertable<AuditLogTable>;
