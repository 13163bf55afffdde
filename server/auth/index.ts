/**
 * server/auth — staff accounts, sessions, roles and CSRF.
 *
 * Sessions: a random 32-byte token in a signed, httpOnly, SameSite=Lax cookie (Secure and
 * "__Host-" prefixed outside development), built on Remix's `createCookie`; the database stores
 * only its SHA-256. Idle expiry 12 h, absolute 7 days, revocable; deactivating an account ends its
 * sessions at once. Passwords: scrypt (node:crypto). Failed sign-ins: 5 per 15 min per account and
 * per IP, counted in the database. Sign-in, sign-out and failures are audited (server/audit).
 *
 * Route-facing surface (each uses the process database, migrated on first use, and the env):
 *   requireStaff(request, permission?): Promise<CurrentStaff>
 *       every loader/action; throws redirect("/login?redirectTo=…") when signed out, 403 Response when
 *       the role lacks the permission or (non-GET) the request is cross-site
 *   getCurrentStaff(request): Promise<CurrentStaff | null>     e.g. the root loader / login page
 *   signIn({ email, password, ip?, userAgent? }): Promise<SignInResult>
 *       { ok: true, staff, setCookie } | { ok: false, status, error, message, fieldErrors?, retryAfterSeconds? }
 *       (the login action must call assertSameOrigin(request) first — there is no session yet;
 *        `ip` comes from the Express request, e.g. getLoadContext: (req) => ({ clientIp: req.ip }))
 *   signOut(request): Promise<{ setCookie }>
 *   assertSameOrigin(request, trustedOrigins?): void     throws 403 Response; isSameOriginRequest → boolean
 *   safeRedirect(to, fallback = "/"): string             for ?redirectTo=
 *   can(role, permission), permissionsOf(role), ROLES, PERMISSIONS, PERMISSION_ROLES, type Role, Permission
 *   Staff admin (route checks "staff:manage"; `actor` is the CurrentStaff doing it; all audited):
 *     listStaff(): StaffMember[]
 *     createStaff(actor, { email, name, role, password? }) → { staff, generatedPassword | null }  (ZodError, StaffError "email_taken")
 *     changeStaffRole(actor, staffId, role) → StaffMember        (StaffError "not_found" | "self" | "last_admin")
 *     deactivateStaff(actor, staffId) → StaffMember             (ends its sessions in the same transaction)
 *     reactivateStaff(actor, staffId), resetStaffPassword(actor, staffId, password?) → { staff, generatedPassword }
 *   newStaffSchema, signInSchema, passwordSchema (zod, for the forms' field errors)
 *   Startup (server/main.ts, after `await getReadyDb()`):
 *     startAuth({ mode: env.COMMET_API_KEY ? "live" : "sandbox", dataDir, sessionSecret?, nodeEnv?,
 *                 adminEmail?, adminPassword?, log? }) → { created, deactivated }
 *     fixes the process's auth config and creates the first-run admin / demo accounts (bootstrap.ts).
 *     Without it (scripts, tests) the config comes from process.env on first use.
 *   DEMO_ACCOUNTS — the sandbox demo logins for the sign-in page (show only when authMode() === "sandbox").
 *   authMode(): "sandbox" | "live"
 *
 * Lower level, bound to any database and clock (tests): createAuth({ db, secrets, secureCookies, clock?,
 *   passwordCost? }) → { signIn, signOut, getCurrentStaff, requireStaff, staff, sessions, limiter, audit, cookie },
 *   createSessionStore(db) → { createSession, getSession, revokeSession, revokeAllForStaff },
 *   createSignInLimiter(db) → { check, recordFailure, reset }, createStaffDirectory(...),
 *   ensureInitialStaff(directory, { mode, adminEmail?, adminPassword?, log }), hashPassword, verifyPassword,
 *   loadSessionSecret, readAuthConfig, resolveAuthConfig.
 */
import { getReadyDb } from "../db/index.ts";
import { createAuth, type Auth } from "./auth.ts";
import { ensureInitialStaff as ensureInitialStaffOn, type InitialStaffResult } from "./bootstrap.ts";
import { readAuthConfig, resolveAuthConfig, type AuthConfig, type AuthSettings } from "./config.ts";
import type { Permission, Role } from "./permissions.ts";
import type { NewStaffInput, StaffActor } from "./staff.ts";

export { createAuth, safeRedirect, signInSchema, INVALID_CREDENTIALS, DEACTIVATED } from "./auth.ts";
export type { Auth, AuthOptions, CurrentStaff, SignInResult } from "./auth.ts";
export { DEFAULT_ADMIN_EMAIL, DEMO_ACCOUNTS, DEMO_EMAIL_DOMAIN, ensureInitialStaff } from "./bootstrap.ts";
export type { InitialStaffOptions, InitialStaffResult } from "./bootstrap.ts";
export { readAuthConfig, resolveAuthConfig, type AuthConfig, type AuthSettings } from "./config.ts";
export { assertSameOrigin, isSameOriginRequest } from "./csrf.ts";
export { generatePassword, hashPassword, MIN_PASSWORD_LENGTH, passwordSchema, verifyPassword } from "./password.ts";
export {
  PERMISSION_ROLES,
  PERMISSIONS,
  ROLES,
  can,
  isRole,
  permissionsOf,
  type Permission,
  type Role,
} from "./permissions.ts";
export { FAILURE_WINDOW_MS, MAX_FAILURES, createSignInLimiter, lockedMessage } from "./rate-limit.ts";
export { loadSessionSecret, MIN_SECRET_LENGTH } from "./secret.ts";
export { ABSOLUTE_TIMEOUT_MS, IDLE_TIMEOUT_MS, createSessionStore } from "./sessions.ts";
export { SYSTEM_ACTOR, StaffError, createStaffDirectory, emailSchema, newStaffSchema } from "./staff.ts";
export type { NewStaffInput, StaffActor, StaffErrorCode, StaffMember } from "./staff.ts";

interface AuthSingleton {
  config: AuthConfig;
  auth: Promise<Auth>;
}
// On globalThis: the server entry (server/main.ts) and the Remix build load separate copies of this
// module; both must see the configuration startAuth() set.
const holder = globalThis as typeof globalThis & { __consoleAuth?: AuthSingleton };

function install(config: AuthConfig): AuthSingleton {
  const auth = getReadyDb().then((database) =>
    createAuth({ db: database.db, secrets: [config.sessionSecret], secureCookies: config.secureCookies }),
  );
  const singleton = { config, auth };
  auth.catch(() => {
    if (holder.__consoleAuth === singleton) holder.__consoleAuth = undefined; // retry on next call
  });
  holder.__consoleAuth = singleton;
  return singleton;
}

/** Configured by startAuth(); otherwise (scripts, tests) from the environment on first use. */
function singleton(): AuthSingleton {
  return holder.__consoleAuth ?? install(readAuthConfig());
}

const auth = () => singleton().auth;

/**
 * Startup task (server/main.ts, after the database is ready): fixes the auth configuration for the
 * process — mode, session secret (validated, or generated once under DATA_DIR in sandbox mode),
 * Secure cookies unless NODE_ENV=development — and creates the first-run accounts.
 * Pass the mode as the operator started the console: "sandbox" when COMMET_API_KEY was unset.
 */
export async function startAuth(
  settings: AuthSettings & { log?: (line: string) => void },
): Promise<InitialStaffResult> {
  const { log, ...rest } = settings;
  const { config, auth: ready } = install(resolveAuthConfig(rest));
  return ensureInitialStaffOn((await ready).staff, {
    mode: config.mode,
    adminEmail: config.adminEmail,
    adminPassword: config.adminPassword,
    log: log ?? ((line) => console.log(line)),
  });
}

/** "sandbox" shows the demo accounts on the sign-in page; "live" never does. */
export const authMode = (): "sandbox" | "live" => singleton().config.mode;
export const requireStaff = async (request: Request, permission?: Permission) =>
  (await auth()).requireStaff(request, permission);
export const getCurrentStaff = async (request: Request) => (await auth()).getCurrentStaff(request);
export const signIn: Auth["signIn"] = async (input) => (await auth()).signIn(input);
export const signOut = async (request: Request) => (await auth()).signOut(request);
export const listStaff = async () => (await auth()).staff.list();
export const createStaff = async (actor: StaffActor, input: NewStaffInput, options?: { idempotencyKey?: string }) =>
  (await auth()).staff.createStaff(actor, input, options);
export const changeStaffRole = async (actor: StaffActor, staffId: string, role: Role) =>
  (await auth()).staff.changeRole(actor, staffId, role);
export const deactivateStaff = async (actor: StaffActor, staffId: string) =>
  (await auth()).staff.deactivate(actor, staffId);
export const reactivateStaff = async (actor: StaffActor, staffId: string) =>
  (await auth()).staff.reactivate(actor, staffId);
export const resetStaffPassword = async (actor: StaffActor, staffId: string, password?: string) =>
  (await auth()).staff.resetPassword(actor, staffId, password);
