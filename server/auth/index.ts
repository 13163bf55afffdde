/**
 * Staff accounts, sessions and CSRF: the route-facing surface, bound to the process database once `startAuth`
 * has fixed the configuration (scripts and tests: from the environment on first use). Roles and permissions
 * are a client-safe table: app/contracts/permissions.ts.
 */
import { getReadyDb } from "../db/index.ts";
import { assertSameOrigin as assertSameOriginOf } from "./csrf.ts";
import { createAuth, type Auth } from "./auth.ts";
import { ensureInitialStaff as ensureInitialStaffOn, type InitialStaffResult } from "./bootstrap.ts";
import { discoverOidc } from "./oidc.ts";
import { readAuthConfig, resolveAuthConfig, type AuthConfig, type AuthSettings } from "./config.ts";
import type { Permission, Role } from "../../app/contracts/permissions.ts";
import type { NewStaffInput, StaffActor } from "./staff.ts";

export {
  createAuth,
  forbiddenMessage,
  safeRedirect,
  signInSchema,
  INVALID_CREDENTIALS,
  DEACTIVATED,
  MIN_BREAK_GLASS_REASON,
  PASSWORD_SIGN_IN_OFF,
} from "./auth.ts";
import { lineLogger } from "../observability/index.ts";
export type { Auth, AuthOptions, CurrentStaff, PasswordSignInPolicy, SignInResult } from "./auth.ts";
export { discoverOidc, groupsOf, roleFor, OIDC_FLOW_TTL_MS } from "./oidc.ts";
export type { OidcCallbackResult, OidcClient, OidcRefusal, OidcSettings } from "./oidc.ts";
export { DEFAULT_ADMIN_EMAIL, DEMO_ACCOUNTS, DEMO_EMAIL_DOMAIN, ensureInitialStaff } from "./bootstrap.ts";
export type { InitialStaffOptions, InitialStaffResult } from "./bootstrap.ts";
export { readAuthConfig, resolveAuthConfig, type AuthConfig, type AuthSettings } from "./config.ts";
export { isSameOriginRequest } from "./csrf.ts";
export { generatePassword, hashPassword, MIN_PASSWORD_LENGTH, passwordSchema, verifyPassword } from "./password.ts";
export { FAILURE_WINDOW_MS, SIGN_IN_LIMITS, createSignInLimiter, lockedMessage } from "./rate-limit.ts";
export { loadSessionSecret, MIN_SECRET_LENGTH } from "./secret.ts";
export { ABSOLUTE_TIMEOUT_MS, IDLE_TIMEOUT_MS, createSessionStore } from "./sessions.ts";
export { SYSTEM_ACTOR, StaffError, createStaffDirectory, emailSchema, newStaffSchema } from "./staff.ts";
export type { NewStaffInput, StaffActor, StaffErrorCode, StaffMember } from "./staff.ts";

interface AuthSingleton {
  config: AuthConfig;
  auth: Promise<Auth>;
}
let current: AuthSingleton | undefined;

function install(config: AuthConfig): AuthSingleton {
  const auth = getReadyDb().then(async (database) =>
    createAuth({
      db: database.db,
      secrets: [config.sessionSecret],
      secureCookies: config.secureCookies,
      origins: config.origins,
      passwordSignIn: config.passwordSignIn,
      // Discovery runs with the auth start-up: a wrong issuer or an unreachable provider stops the console.
      oidc: config.oidc ? await discoverOidc(config.oidc) : undefined,
    }),
  );
  const singleton = { config, auth };
  auth.catch(() => {
    if (current === singleton) current = undefined; // retry on next call
  });
  current = singleton;
  return singleton;
}

/** Configured by startAuth(); otherwise (scripts, tests) from the environment on first use. */
function singleton(): AuthSingleton {
  return current ?? install(readAuthConfig());
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
    log: log ?? lineLogger("auth"),
  });
}

/** "sandbox" shows the demo accounts on the sign-in page; "live" never does. */
export const authMode = (): "sandbox" | "live" => singleton().config.mode;
/** For the actions that run before a session exists (sign-in, sign-out): 403 unless from the console's origin. */
export const assertSameOrigin = (request: Request) => assertSameOriginOf(request, singleton().config.origins);
export const requireStaff = async (request: Request, permission?: Permission) =>
  (await auth()).requireStaff(request, permission);
export const getCurrentStaff = async (request: Request) => (await auth()).getCurrentStaff(request);
/** For answers given in Express ahead of Remix: the signed-in staff member by Cookie header, or null. */
export const staffForCookie = async (cookieHeader: string | null | undefined) =>
  (await auth()).staffForCookie(cookieHeader);
/** Where such an answer sends a signed-out request (as requireStaff's redirect does). */
export const loginLocation = async (method: string, requestUrl: string) =>
  (await auth()).loginLocation(method, requestUrl);
export const signIn: Auth["signIn"] = async (input) => (await auth()).signIn(input);
/** What the sign-in page offers: the provider button (when OIDC is on) and whether passwords are open to all. */
export const signInOptions = () => {
  const { config } = singleton();
  return {
    oidc: config.oidc ? { providerName: config.oidc.providerName } : null,
    passwordSignIn: config.passwordSignIn.enabled,
  };
};
/** OIDC sign-in, or null when it is not configured. */
export const oidcSignIn = async () => (await auth()).oidc;
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
