import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import { systemClock, type Clock, type DB } from "../db/index.ts";

export const MAX_FAILURES = 5;
export const FAILURE_WINDOW_MS = 15 * 60 * 1000;

export type SignInGate =
  { allowed: true } | { allowed: false; scope: "account" | "ip"; retryAfterSeconds: number; message: string };

export function lockedMessage(retryAfterSeconds: number): string {
  const minutes = Math.max(1, Math.ceil(retryAfterSeconds / 60));
  return `Too many failed sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`;
}

/**
 * Failed sign-ins, counted per account (email as typed, normalised) and per client IP in the
 * database, so every process sees the same counts: `max` failures within `windowMs` lock the account
 * (or the IP) until the oldest of those failures leaves the window. A successful sign-in clears the
 * account's failures. While locked, attempts are refused without checking the password and are not
 * counted (the lock does not extend itself).
 */
export function createSignInLimiter(
  db: Kysely<DB>,
  options: { clock?: Clock; maxFailures?: number; windowMs?: number } = {},
) {
  const clock = options.clock ?? systemClock;
  const max = options.maxFailures ?? MAX_FAILURES;
  const windowMs = options.windowMs ?? FAILURE_WINDOW_MS;

  async function unlockAt(column: "email" | "ip", value: string, now: number): Promise<number | null> {
    const rows = await db
      .selectFrom("sign_in_attempts")
      .select("at")
      .where(column, "=", value)
      .where("at", ">", now - windowMs)
      .orderBy("at", "desc")
      .limit(max)
      .execute();
    return rows.length >= max ? rows[max - 1]!.at + windowMs : null;
  }

  async function check(email: string, ip: string | null): Promise<SignInGate> {
    const now = clock();
    const byAccount = await unlockAt("email", email, now);
    const byIp = ip ? await unlockAt("ip", ip, now) : null;
    if (byAccount === null && byIp === null) return { allowed: true };
    const scope = (byAccount ?? 0) >= (byIp ?? 0) ? "account" : "ip";
    const retryAfterSeconds = Math.ceil((Math.max(byAccount ?? 0, byIp ?? 0) - now) / 1000);
    return { allowed: false, scope, retryAfterSeconds, message: lockedMessage(retryAfterSeconds) };
  }

  async function recordFailure(email: string, ip: string | null): Promise<void> {
    const now = clock();
    await db.insertInto("sign_in_attempts").values({ id: randomUUID(), email, ip, at: now }).execute();
    await db
      .deleteFrom("sign_in_attempts")
      .where("at", "<=", now - windowMs)
      .execute();
  }

  async function reset(email: string): Promise<void> {
    await db.deleteFrom("sign_in_attempts").where("email", "=", email).execute();
  }

  return { check, recordFailure, reset };
}

export type SignInLimiter = ReturnType<typeof createSignInLimiter>;
