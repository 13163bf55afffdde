// Staff sign-in, sign-out and the current staff member behind every loader and action, plus safe redirects.

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
import { can, isRole, type Permission, type Role } from "../../app/contracts/permissions.ts";
import { MIN_BREAK_GLASS_REASON } from "../../app/contracts/sign-in.ts";
import { createSignInLimiter, type SignInLimits } from "./rate-limit.ts";
import { ABSOLUTE_TIMEOUT_MS, createSessionStore } from "./sessions.ts";
import { createStaffDirectory, emailSchema } from "./staff.ts";
import { createOidcSignIn, type OidcClient } from "./oidc.ts";

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
  | { ok: true; staff: CurrentStaff; setCookie: string; breakGlass: boolean }
  | {
      ok: false;
      status: 400 | 401 | 403 | 429;
      error: "invalid_input" | "invalid_credentials" | "deactivated" | "locked" | "password_sign_in_off";
      message: string;
      fieldErrors?: Partial<Record<"email" | "password" | "reason", string[]>>;
      retryAfterSeconds?: number;
    };

export const INVALID_CREDENTIALS = "Email or password is incorrect.";
export const DEACTIVATED = "This account has been deactivated. Ask a console admin.";
export const PASSWORD_SIGN_IN_OFF = "Password sign-in is switched off: use the identity provider button.";
export { MIN_BREAK_GLASS_REASON };

/**
 * Password sign-in policy. `enabled: false` (CONSOLE_PASSWORD_SIGN_IN=false, only with OIDC on) leaves one
 * password account: the first-run admin (`breakGlassEmail`), who must give a reason, audited as sign_in.break_glass.
 */
export interface PasswordSignInPolicy {
  enabled: boolean;
  breakGlassEmail?: string;
}

export interface AuthOptions {
  db: Kysely<DB>;
  /** ≥ 32 characters (see loadSessionSecret). Older secrets may follow for rotation. */
  secrets: [string, ...string[]];
  /** Secure cookies (true outside development). */
  secureCookies: boolean;
  clock?: Clock;
  audit?: AuditLog;
  limits?: Partial<SignInLimits>;
  /**
   * The console's public origins: state-changing requests must name one of them (Origin/Referer). Without
   * them (tests) the request URL's own origin is used.
   */
  origins?: readonly string[];
  loginPath?: string;
  /** scrypt cost of new hashes (tests pass TEST_COST). */
  passwordCost?: ScryptCost;
  /** OpenID Connect sign-in, discovered (./oidc.ts discoverOidc); absent = off. */
  oidc?: OidcClient;
  passwordSignIn?: PasswordSignInPolicy;
}

/** The 403 body of a role that may not do what it asked (pages, actions and the search answered ahead of Remix). */
export function forbiddenMessage(role: Role): string {
  return `Your role (${role}) may not do this.`;
}

export function createAuth(options: AuthOptions) {
  const { db, secureCookies } = options;
  const clock = options.clock ?? systemClock;
  const audit = options.audit ?? createAuditLog(db, { clock });
  const sessions = createSessionStore(db, { clock });
  const limiter = createSignInLimiter(db, { clock, limits: options.limits });
  const passwordCost = options.passwordCost ?? DEFAULT_COST;
  const staff = createStaffDirectory({ db, audit, sessions, clock, passwordCost });
  const loginPath = options.loginPath ?? "/login";
  const origins = options.origins ?? [];

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

  const passwordPolicy: PasswordSignInPolicy = options.passwordSignIn ?? { enabled: true };
  const oidc = options.oidc
    ? createOidcSignIn(options.oidc, {
        db,
        audit,
        sessions,
        staff,
        clock,
        secrets: options.secrets,
        secureCookies,
        sessionCookie: (token, maxAgeSeconds) =>
          cookie.serialize(token, { maxAge: Math.min(maxAgeSeconds, ABSOLUTE_TIMEOUT_MS / 1000) }),
      })
    : null;

  async function tokenOf(cookieHeader: string | null): Promise<string | null> {
    const value: unknown = await cookie.parse(cookieHeader);
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
   * Email + password sign-in, throttled (./rate-limit.ts: the attempt is counted before the password is checked),
   * with audit events
   * sign_in.succeeded / sign_in.failed (never the password). On success, `setCookie` starts the session.
   */
  async function signIn(input: {
    email: unknown;
    password: unknown;
    /** Break-glass only (password sign-in off): why the first-run admin signs in with a password. */
    reason?: unknown;
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

    const gate = await limiter.reserve(email, ip);
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

    // Password sign-in off: only the first-run admin, with a reason (checked before the password: no oracle).
    const breakGlass = !passwordPolicy.enabled;
    let reason: string | null = null;
    if (breakGlass) {
      if (email !== passwordPolicy.breakGlassEmail) {
        await failed("password_sign_in_off", PASSWORD_SIGN_IN_OFF);
        return { ok: false, status: 403, error: "password_sign_in_off", message: PASSWORD_SIGN_IN_OFF };
      }
      reason = typeof input.reason === "string" ? input.reason.trim().slice(0, 500) : "";
      if (reason.length < MIN_BREAK_GLASS_REASON) {
        return {
          ok: false,
          status: 400,
          error: "invalid_input",
          message: "Check the highlighted fields.",
          fieldErrors: {
            reason: [`Say why you need break-glass access (at least ${MIN_BREAK_GLASS_REASON} characters)`],
          },
        };
      }
    }

    const row = await staff.findByEmail(email);
    const passwordOk = row
      ? await verifyPassword(password, row.password_hash)
      : (await burnPasswordCheck(password, passwordCost), false);
    if (!row || !passwordOk) {
      await failed("invalid_credentials", INVALID_CREDENTIALS);
      return { ok: false, status: 401, error: "invalid_credentials", message: INVALID_CREDENTIALS };
    }
    if (row.deactivated_at !== null || !isRole(row.role)) {
      await failed("account_deactivated", DEACTIVATED);
      return { ok: false, status: 403, error: "deactivated", message: DEACTIVATED };
    }

    await limiter.succeeded(email, ip);
    const { token } = await sessions.createSession(row.id, meta);
    const rehashed = needsRehash(row.password_hash, passwordCost)
      ? { password_hash: await hashPassword(password, passwordCost) }
      : {};
    await db
      .updateTable("staff")
      .set({ last_sign_in_at: clock(), ...rehashed })
      .where("id", "=", row.id)
      .execute();
    const action = breakGlass ? "sign_in.break_glass" : "sign_in.succeeded";
    const params = breakGlass ? { ...meta, method: "password", reason } : meta;
    await audit.record(eventAudit(action, { id: row.id, email: row.email }, row.role, params), {
      status: "succeeded",
      commetIds: {},
    });
    return {
      ok: true,
      staff: { id: row.id, email: row.email, name: row.name, role: row.role },
      setCookie: await cookie.serialize(token),
      breakGlass,
    };
  }

  /**
   * Lookups in flight, by Cookie header: a page's loaders (the root's and the route's) each ask at the same
   * moment, and share one signature check and one session read. Only while in flight — nothing is remembered
   * once it settles, so a sign-out or revocation is seen by the very next request.
   */
  const inFlight = new Map<string, Promise<CurrentStaff | null>>();

  /** The signed-in staff member, or null (no cookie, bad signature, expired, revoked, deactivated). */
  function getCurrentStaff(request: Request): Promise<CurrentStaff | null> {
    return staffForCookie(request.headers.get("Cookie"));
  }

  /** The same from a Cookie header, for answers given ahead of Remix (server/directory's /search). */
  function staffForCookie(cookieHeader: string | null | undefined): Promise<CurrentStaff | null> {
    if (!cookieHeader) return Promise.resolve(null);
    let lookup = inFlight.get(cookieHeader);
    if (!lookup) {
      lookup = lookUpStaff(cookieHeader).finally(() => inFlight.delete(cookieHeader));
      inFlight.set(cookieHeader, lookup);
    }
    return lookup;
  }

  async function lookUpStaff(cookieHeader: string): Promise<CurrentStaff | null> {
    const found = await sessions.getSession(await tokenOf(cookieHeader));
    if (!found || !isRole(found.staff.role)) return null;
    const { id, email, name, role } = found.staff;
    return { id, email, name, role: role as Role };
  }

  /** Where a signed-out request is sent: the sign-in page, then back to a GET's URL (a form's page otherwise). */
  function loginLocation(method: string, requestUrl: string): string {
    const url = new URL(requestUrl);
    url.searchParams.delete("_data"); // Remix's client-side data requests: come back to the page itself
    const back = method.toUpperCase() === "GET" ? `${url.pathname}${url.search}` : url.pathname;
    return `${loginPath}?${new URLSearchParams({ redirectTo: back })}`;
  }

  /**
   * For every loader and action: the signed-in staff member allowed `permission`.
   * Throws a redirect to /login?redirectTo=… when signed out, a 403 Response when the role lacks the
   * permission, and (for POST/PUT/PATCH/DELETE) a 403 Response for a cross-site request.
   */
  async function requireStaff(request: Request, permission?: Permission): Promise<CurrentStaff> {
    assertSameOrigin(request, origins);
    const current = await getCurrentStaff(request);
    if (!current) throw redirect(loginLocation(request.method, request.url));
    if (permission && !can(current.role, permission)) {
      throw new Response(forbiddenMessage(current.role), { status: 403, statusText: "Forbidden" });
    }
    return current;
  }

  /** Ends the session (audited as sign_out) and returns the Set-Cookie header that clears it. */
  async function signOut(request: Request): Promise<{ setCookie: string }> {
    const token = await tokenOf(request.headers.get("Cookie"));
    const found = await sessions.getSession(token);
    if (await sessions.revokeSession(token)) {
      const actor = found ? { id: found.staff.id, email: found.staff.email } : { id: null, email: "unknown" };
      const role = found && isRole(found.staff.role) ? found.staff.role : null;
      await audit.record(eventAudit("sign_out", actor, role, {}), { status: "succeeded" });
    }
    return { setCookie: await cookie.serialize("", { maxAge: 0, expires: new Date(0) }) };
  }

  return {
    signIn,
    signOut,
    getCurrentStaff,
    staffForCookie,
    loginLocation,
    requireStaff,
    staff,
    sessions,
    limiter,
    audit,
    cookie,
    oidc,
    passwordSignIn: passwordPolicy,
  };
}

export type Auth = ReturnType<typeof createAuth>;

// eslint-disable-next-line no-control-regex -- control characters are exactly what it refuses
const CONTROL_OR_BACKSLASH = /[\u0000-\u001f\u007f\\]/;
// Any fixed origin works as the base: only a path that stays on it survives.
const REDIRECT_BASE = "http://console.invalid";

/**
 * A same-origin path to return to after sign-in, resolved as a URL against the console's origin;
 * anything that leaves it (absolute, protocol-relative, control characters, backslashes) → fallback.
 */
export function safeRedirect(to: FormDataEntryValue | string | null | undefined, fallback = "/"): string {
  if (typeof to !== "string" || !to.startsWith("/") || CONTROL_OR_BACKSLASH.test(to)) return fallback;
  let url: URL;
  try {
    url = new URL(to, REDIRECT_BASE);
  } catch {
    return fallback;
  }
  if (url.origin !== REDIRECT_BASE || url.pathname.startsWith("//")) return fallback;
  return `${url.pathname}${url.search}${url.hash}`;
}
