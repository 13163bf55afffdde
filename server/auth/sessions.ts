// Staff sessions stored in the database: idle and absolute timeouts, revocation, hashed tokens.

import { createHash, randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import { systemClock, type Clock, type DB, type StaffRow } from "../db/index.ts";

export const IDLE_TIMEOUT_MS = 12 * 60 * 60 * 1000;
export const ABSOLUTE_TIMEOUT_MS = 7 * 24 * 60 * 60 * 1000;
/** last_seen_at is written at most once a minute per session (idle expiry is exact to within that). */
export const TOUCH_INTERVAL_MS = 60 * 1000;

export interface SessionInfo {
  staffId: string;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  ip: string | null;
  userAgent: string | null;
}

/** The session token goes to the browser (in a signed cookie); the database keeps only its SHA-256. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export interface SessionStoreOptions {
  clock?: Clock;
  idleTimeoutMs?: number;
  absoluteTimeoutMs?: number;
}

/**
 * Database-backed staff sessions. A session is valid while it is not revoked, was seen within the
 * idle timeout (12 h), is younger than the absolute timeout (7 days) and its staff account is active.
 */
export function createSessionStore(db: Kysely<DB>, options: SessionStoreOptions = {}) {
  const clock = options.clock ?? systemClock;
  const idle = options.idleTimeoutMs ?? IDLE_TIMEOUT_MS;
  const absolute = options.absoluteTimeoutMs ?? ABSOLUTE_TIMEOUT_MS;

  /**
   * Starts a session; returns the token for the cookie (never stored) and the absolute expiry. `maxAgeMs` shortens
   * the absolute timeout for this session (OIDC sign-ins: OIDC_SESSION_MAX_AGE_HOURS); it never lengthens it.
   */
  async function createSession(
    staffId: string,
    meta: { ip?: string | null; userAgent?: string | null; maxAgeMs?: number } = {},
  ): Promise<{ token: string; expiresAt: number }> {
    const now = clock();
    const token = randomBytes(32).toString("base64url");
    const expiresAt = now + Math.min(absolute, meta.maxAgeMs ?? absolute);
    await db
      .insertInto("sessions")
      .values({
        id_hash: hashToken(token),
        staff_id: staffId,
        created_at: now,
        last_seen_at: now,
        expires_at: expiresAt,
        revoked_at: null,
        ip: meta.ip?.slice(0, 100) ?? null,
        user_agent: meta.userAgent?.slice(0, 300) ?? null,
      })
      .execute();
    // housekeeping: sessions long dead are of no further use
    await db
      .deleteFrom("sessions")
      .where("expires_at", "<", now - absolute)
      .execute();
    return { token, expiresAt };
  }

  /** The live session and its (active) staff account, or null. Touches last_seen_at. */
  async function getSession(
    token: string | null | undefined,
  ): Promise<{ session: SessionInfo; staff: StaffRow } | null> {
    if (!token) return null;
    const idHash = hashToken(token);
    const row = await db
      .selectFrom("sessions")
      .innerJoin("staff", "staff.id", "sessions.staff_id")
      .select([
        "sessions.staff_id",
        "sessions.created_at as s_created_at",
        "sessions.last_seen_at",
        "sessions.expires_at",
        "sessions.revoked_at",
        "sessions.ip",
        "sessions.user_agent",
        "staff.id",
        "staff.email",
        "staff.name",
        "staff.role",
        "staff.password_hash",
        "staff.created_at",
        "staff.updated_at",
        "staff.deactivated_at",
        "staff.last_sign_in_at",
      ])
      .where("sessions.id_hash", "=", idHash)
      .executeTakeFirst();
    if (!row) return null;
    const now = clock();
    if (row.revoked_at !== null || row.deactivated_at !== null) return null;
    if (now >= row.expires_at || now - row.last_seen_at >= idle) return null;
    let lastSeenAt = row.last_seen_at;
    if (now - lastSeenAt >= TOUCH_INTERVAL_MS) {
      await db.updateTable("sessions").set({ last_seen_at: now }).where("id_hash", "=", idHash).execute();
      lastSeenAt = now;
    }
    const {
      staff_id,
      s_created_at,
      last_seen_at: _seen,
      expires_at,
      revoked_at: _revoked,
      ip,
      user_agent,
      ...staff
    } = row;
    return {
      session: {
        staffId: staff_id,
        createdAt: s_created_at,
        lastSeenAt,
        expiresAt: expires_at,
        ip,
        userAgent: user_agent,
      },
      staff,
    };
  }

  async function revokeSession(token: string | null | undefined): Promise<boolean> {
    if (!token) return false;
    const result = await db
      .updateTable("sessions")
      .set({ revoked_at: clock() })
      .where("id_hash", "=", hashToken(token))
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Ends every session of one account at once (deactivation, password reset). Returns how many. */
  async function revokeAllForStaff(staffId: string, executor: Kysely<DB> = db): Promise<number> {
    const result = await executor
      .updateTable("sessions")
      .set({ revoked_at: clock() })
      .where("staff_id", "=", staffId)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  return { createSession, getSession, revokeSession, revokeAllForStaff };
}

export type SessionStore = ReturnType<typeof createSessionStore>;
