import { randomUUID } from "node:crypto";
import { createCookie, redirect } from "@remix-run/node";
import type { Kysely } from "kysely";
import { z } from "zod";
import { createAuditLog, type AuditLog } from "../audit/index.ts";
import { systemClock, type Clock, type DB } from "../db/index.ts";
import { assertSameOrigin } from "./csrf.ts";
import {
  DEFAULT_COST,
  burnPasswordCheck,
  hashPassword,
  needsRehash,
  verifyPassword,
  type ScryptCost,
} from "./password.ts";
import { can, isRole, type Permission, type Role } from "./permissions.ts";
import { createSignInLimiter } from "./rate-limit.ts";
import { ABSOLUTE_TIMEOUT_MS, createSessionStore } from "./sessions.ts";
import { createStaffDirectory, emailSchema } from "./staff.ts";

/** The signed-in staff member, as loaders and actions see them. */
export interface CurrentStaff {
  id: string;
  email: string;
  name: string;
  role: Role;
}

export const signInSchema = z.object({
  email: emailSchema,
  password: z.string().min(1, "Enter your password").max(1024),
});

export type SignInResult =
  | { ok: true; staff: CurrentStaff; setCookie: string }
  | {
      ok: false;
      status: 400 | 401 | 403 | 429;
      error: "invalid_input" | "invalid_credentials" | "deactivated" | "locked";
      message: string;
      fieldErrors?: Partial<Record<"email" | "password", string[]>>;
      retryAfterSeconds?: number;
    };

export const INVALID_CREDENTIALS = "Email or password is incorrect.";
export const DEACTIVATED = "This account has been deactivated. Ask a console admin.";

export interface AuthOptions {
  db: Kysely<DB>;
  /** ≥ 32 characters (see loadSessionSecret). Older secrets may follow for rotation. */
  secrets: [string, ...string[]];
  /** Secure cookies (true outside development). */
  secureCookies: boolean;
  clock?: Clock;
  audit?: AuditLog;
  limits?: { maxFailures?: number; windowMs?: number };
  /** Public origins accepted by the CSRF check besides the request URL's own. */
  trustedOrigins?: string[];
  loginPath?: string;
  /** scrypt cost of new hashes (tests pass TEST_COST). */
  passwordCost?: ScryptCost;
}

export function createAuth(options: AuthOptions) {
  const { db, secureCookies } = options;
  const clock = options.clock ?? systemClock;
  const audit = options.audit ?? createAuditLog(db, { clock });
  const sessions = createSessionStore(db, { clock });
  const limiter = createSignInLimiter(db, { clock, ...options.limits });
  const passwordCost = options.passwordCost ?? DEFAULT_COST;
  const staff = createStaffDirectory({ db, audit, sessions, clock, passwordCost });
  const loginPath = options.loginPath ?? "/login";
  const trustedOrigins = options.trustedOrigins ?? [];

  // Remix's signed-cookie primitive; the value is the random session token. The "__Host-" prefix
  // (Secure, Path=/, no Domain) keeps sibling subdomains from planting a session cookie.
  const cookie = createCookie(secureCookies ? "__Host-console_session" : "console_session", {
    httpOnly: true,
    sameSite: "lax",
    secure: secureCookies,
    path: "/",
    secrets: options.secrets,
    maxAge: ABSOLUTE_TIMEOUT_MS / 1000,
  });

  async function tokenOf(request: Request): Promise<string | null> {
    const value: unknown = await cookie.parse(request.headers.get("Cookie"));
    return typeof value === "string" && value ? value : null;
  }

  function eventAudit(
    action: string,
    actor: { id: string | null; email: string },
    role: Role | null,
    params: Record<string, unknown>,
  ) {
    return { actor, role, action, params, idempotencyKey: randomUUID() };
  }

  /**
   * Email + password sign-in with rate limiting (per account and per IP) and audit events
   * sign_in.succeeded / sign_in.failed (never the password). On success, `setCookie` starts the session.
   */
  async function signIn(input: {
    email: unknown;
    password: unknown;
    ip?: string | null;
    userAgent?: string | null;
  }): Promise<SignInResult> {
    const parsed = signInSchema.safeParse({ email: input.email, password: input.password });
    if (!parsed.success) {
      return {
        ok: false,
        status: 400,
        error: "invalid_input",
        message: "Check the highlighted fields.",
        fieldErrors: z.flattenError(parsed.error).fieldErrors,
      };
    }
    const { email, password } = parsed.data;
    const ip = input.ip ?? null;
    const meta = { ip, userAgent: input.userAgent?.slice(0, 300) ?? null };
    const failed = async (errorCode: string, message: string) =>
      audit.record(eventAudit("sign_in.failed", { id: null, email }, null, { ...meta, reason: errorCode }), {
        status: "failed",
        errorCode,
        message,
      });

    const gate = await limiter.check(email, ip);
    if (!gate.allowed) {
      await failed("rate_limited", gate.message);
      return {
        ok: false,
        status: 429,
        error: "locked",
        message: gate.message,
        retryAfterSeconds: gate.retryAfterSeconds,
      };
    }

    const row = await staff.findByEmail(email);
    const passwordOk = row
      ? await verifyPassword(password, row.password_hash)
      : (await burnPasswordCheck(password, passwordCost), false);
    if (!row || !passwordOk) {
      await limiter.recordFailure(email, ip);
      await failed("invalid_credentials", INVALID_CREDENTIALS);
      return { ok: false, status: 401, error: "invalid_credentials", message: INVALID_CREDENTIALS };
    }
    if (row.deactivated_at !== null || !isRole(row.role)) {
      await failed("account_deactivated", DEACTIVATED);
      return { ok: false, status: 403, error: "deactivated", message: DEACTIVATED };
    }

    await limiter.reset(email);
    const { token } = await sessions.createSession(row.id, meta);
    const rehashed = needsRehash(row.password_hash, passwordCost)
      ? { password_hash: await hashPassword(password, passwordCost) }
      : {};
    await db
      .updateTable("staff")
      .set({ last_sign_in_at: clock(), ...rehashed })
      .where("id", "=", row.id)
      .execute();
    await audit.record(eventAudit("sign_in.succeeded", { id: row.id, email: row.email }, row.role, meta), {
      status: "succeeded",
      commetIds: {},
    });
    return {
      ok: true,
      staff: { id: row.id, email: row.email, name: row.name, role: row.role },
      setCookie: await cookie.serialize(token),
    };
  }

  /** The signed-in staff member, or null (no cookie, bad signature, expired, revoked, deactivated). */
  async function getCurrentStaff(request: Request): Promise<CurrentStaff | null> {
    const found = await sessions.getSession(await tokenOf(request));
    if (!found || !isRole(found.staff.role)) return null;
    const { id, email, name, role } = found.staff;
    return { id, email, name, role: role as Role };
  }

  /**
   * For every loader and action: the signed-in staff member allowed `permission`.
   * Throws a redirect to /login?redirectTo=… when signed out, a 403 Response when the role lacks the
   * permission, and (for POST/PUT/PATCH/DELETE) a 403 Response for a cross-site request.
   */
  async function requireStaff(request: Request, permission?: Permission): Promise<CurrentStaff> {
    assertSameOrigin(request, trustedOrigins);
    const current = await getCurrentStaff(request);
    if (!current) {
      const url = new URL(request.url);
      url.searchParams.delete("_data"); // Remix's client-side data requests: come back to the page itself
      const back = request.method.toUpperCase() === "GET" ? `${url.pathname}${url.search}` : url.pathname;
      throw redirect(`${loginPath}?${new URLSearchParams({ redirectTo: back })}`);
    }
    if (permission && !can(current.role, permission)) {
      throw new Response(`Your role (${current.role}) may not do this.`, { status: 403, statusText: "Forbidden" });
    }
    return current;
  }

  /** Ends the session (audited as sign_out) and returns the Set-Cookie header that clears it. */
  async function signOut(request: Request): Promise<{ setCookie: string }> {
    const token = await tokenOf(request);
    const found = await sessions.getSession(token);
    if (await sessions.revokeSession(token)) {
      const actor = found ? { id: found.staff.id, email: found.staff.email } : { id: null, email: "unknown" };
      const role = found && isRole(found.staff.role) ? found.staff.role : null;
      await audit.record(eventAudit("sign_out", actor, role, {}), { status: "succeeded" });
    }
    return { setCookie: await cookie.serialize("", { maxAge: 0, expires: new Date(0) }) };
  }

  return { signIn, signOut, getCurrentStaff, requireStaff, staff, sessions, limiter, audit, cookie };
}

export type Auth = ReturnType<typeof createAuth>;

/** A same-site path to return to after sign-in; anything else (absolute, protocol-relative) → fallback. */
export function safeRedirect(to: FormDataEntryValue | string | null | undefined, fallback = "/"): string {
  if (typeof to !== "string" || !to.startsWith("/") || to.startsWith("//") || to.startsWith("/\\")) return fallback;
  return to;
}
