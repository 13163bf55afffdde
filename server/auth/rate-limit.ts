/**
 * Sign-in throttling, counted in the database so every console instance sees the same counts. An attempt
 * reserves its place before the password is checked, inside a transaction serialized per account and address
 * (PostgreSQL advisory locks; SQLite's single writer), so parallel guesses cannot slip past the limit.
 * Limits, per 15 minutes: 5 failures per account *from one address* (an attacker locks only their own
 * address out), 20 per address across accounts, and 30 per account across addresses — the last does not
 * apply to addresses the account has signed in from recently, so distributed guessing stays slow without
 * locking the owner out. docs/decisions/0013-http-hardening.md
 */
import { randomUUID } from "node:crypto";
import { PostgresAdapter, sql, type Kysely } from "kysely";
import { systemClock, type Clock, type DB } from "../db/index.ts";

export const FAILURE_WINDOW_MS = 15 * 60 * 1000;
export const SIGN_IN_LIMITS = { perAccountAndAddress: 5, perAddress: 20, perAccount: 30 } as const;
export type SignInLimits = { [K in keyof typeof SIGN_IN_LIMITS]: number };
export type LockScope = "account" | "address" | "account_and_address";

export type SignInGate =
  | { allowed: true; attemptId: string }
  | { allowed: false; scope: LockScope; retryAfterSeconds: number; message: string };

export function lockedMessage(retryAfterSeconds: number): string {
  const minutes = Math.max(1, Math.ceil(retryAfterSeconds / 60));
  return `Too many failed sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`;
}

export function createSignInLimiter(
  db: Kysely<DB>,
  options: { clock?: Clock; limits?: Partial<SignInLimits>; windowMs?: number } = {},
) {
  const clock = options.clock ?? systemClock;
  const limits = { ...SIGN_IN_LIMITS, ...options.limits };
  const windowMs = options.windowMs ?? FAILURE_WINDOW_MS;

  /** When the `max`-th most recent failure matching `where` leaves the window, or null while under the limit. */
  async function unlockAt(
    trx: Kysely<DB>,
    where: { email?: string; ip?: string | null },
    max: number,
    now: number,
  ): Promise<number | null> {
    let query = trx
      .selectFrom("sign_in_attempts")
      .select("at")
      .where("at", ">", now - windowMs);
    if (where.email !== undefined) query = query.where("email", "=", where.email);
    if (where.ip !== undefined)
      query = where.ip === null ? query.where("ip", "is", null) : query.where("ip", "=", where.ip);
    const rows = await query.orderBy("at", "desc").limit(max).execute();
    return rows.length >= max ? rows[max - 1]!.at + windowMs : null;
  }

  /** Whether the account has (or recently had) a session from this address. */
  async function knownAddress(trx: Kysely<DB>, email: string, ip: string | null): Promise<boolean> {
    if (ip === null) return false;
    const row = await trx
      .selectFrom("sessions")
      .innerJoin("staff", "staff.id", "sessions.staff_id")
      .select("sessions.ip")
      .where("staff.email", "=", email)
      .where("sessions.ip", "=", ip)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  /**
   * Checks the limits and, when under them, records this attempt as a failure until `succeeded` clears it —
   * atomically with respect to other attempts on the same account or address.
   */
  async function reserve(email: string, ip: string | null): Promise<SignInGate> {
    return serialized(db, [`sign-in:account:${email}`, `sign-in:address:${ip ?? ""}`], async (trx) => {
      const now = clock();
      const checks: Array<[LockScope, number | null]> = [
        ["account_and_address", await unlockAt(trx, { email, ip }, limits.perAccountAndAddress, now)],
        ["address", ip === null ? null : await unlockAt(trx, { ip }, limits.perAddress, now)],
        [
          "account",
          (await knownAddress(trx, email, ip)) ? null : await unlockAt(trx, { email }, limits.perAccount, now),
        ],
      ];
      const locked = checks.filter((check): check is [LockScope, number] => check[1] !== null);
      if (locked.length > 0) {
        const [scope, until] = locked.reduce((a, b) => (b[1] > a[1] ? b : a));
        const retryAfterSeconds = Math.ceil((until - now) / 1000);
        return { allowed: false, scope, retryAfterSeconds, message: lockedMessage(retryAfterSeconds) };
      }
      const attemptId = randomUUID();
      await trx.insertInto("sign_in_attempts").values({ id: attemptId, email, ip, at: now }).execute();
      await trx
        .deleteFrom("sign_in_attempts")
        .where("at", "<=", now - windowMs)
        .execute();
      return { allowed: true, attemptId };
    });
  }

  /** A correct password: this attempt and the earlier failures of this account from this address are cleared. */
  async function succeeded(email: string, ip: string | null): Promise<void> {
    let query = db.deleteFrom("sign_in_attempts").where("email", "=", email);
    query = ip === null ? query.where("ip", "is", null) : query.where("ip", "=", ip);
    await query.execute();
  }

  return { reserve, succeeded };
}

export type SignInLimiter = ReturnType<typeof createSignInLimiter>;

/**
 * Runs `fn` in a transaction that no other instance runs concurrently for the same keys: PostgreSQL takes
 * transaction-scoped advisory locks (in the order given, so two callers never wait on each other crosswise);
 * SQLite takes the database's write lock up front (BEGIN IMMEDIATE), which serializes every connection.
 */
async function serialized<T>(db: Kysely<DB>, keys: string[], fn: (trx: Kysely<DB>) => Promise<T>): Promise<T> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    return db.transaction().execute(async (trx) => {
      for (const key of keys) await sql`select pg_advisory_xact_lock(hashtext(${key}))`.execute(trx);
      return fn(trx);
    });
  }
  return db.connection().execute(async (conn) => {
    await sql`begin immediate`.execute(conn);
    try {
      const result = await fn(conn);
      await sql`commit`.execute(conn);
      return result;
    } catch (error) {
      await sql`rollback`.execute(conn);
      throw error;
    }
  });
}
