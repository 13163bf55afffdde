/**
 * Sign-in with the company's identity provider (OpenID Connect, authorization code + PKCE, state and nonce):
 * discovery at start, the redirect to the provider, and the callback that maps a group to a console role and
 * starts a console session (docs/decisions/0018-oidc-sign-in.md).
 */
import { randomUUID } from "node:crypto";
import { createCookie } from "@remix-run/node";
import type { Kysely } from "kysely";
import * as client from "openid-client";
import type { AuditLog } from "../audit/index.ts";
import type { Clock, DB, StaffRow } from "../db/index.ts";
import { isRole, type Role } from "../../app/contracts/permissions.ts";
import type { SessionStore } from "./sessions.ts";
import { StaffError, emailSchema, type StaffActor, type StaffDirectory } from "./staff.ts";

export interface OidcSettings {
  /** OIDC_ISSUER_URL */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** OIDC_REDIRECT_URL: the console's /auth/oidc/callback as registered at the provider. */
  redirectUrl: string;
  /** Shown on the button: "Sign in with <providerName>". */
  providerName: string;
  /** Space-separated; always includes openid. */
  scopes: string;
  /** The claim that lists the person's groups (default "groups"). */
  rolesClaim: string;
  /** In priority order: the first entry whose group the person has decides the role. */
  roleMap: ReadonlyArray<{ group: string; role: Role }>;
  /** Absolute lifetime of a session started through OIDC (never longer than the console's own). */
  sessionMaxAgeMs: number;
}

export interface OidcClient {
  settings: OidcSettings;
  configuration: client.Configuration;
}

/** How long a started sign-in may take at the provider before the callback refuses it. */
export const OIDC_FLOW_TTL_MS = 10 * 60 * 1000;

/** The provider's metadata and keys endpoint, fetched once at start: a wrong issuer stops the console right away. */
export async function discoverOidc(
  settings: OidcSettings,
  options: { timeoutSeconds?: number } = {},
): Promise<OidcClient> {
  const issuer = new URL(settings.issuer);
  try {
    const configuration = await client.discovery(
      issuer,
      settings.clientId,
      undefined,
      client.ClientSecretBasic(settings.clientSecret),
      {
        // Plain http only for a loopback issuer (server/env.ts refuses it elsewhere): the local test provider.
        execute: issuer.protocol === "http:" ? [client.allowInsecureRequests] : [],
        timeout: options.timeoutSeconds ?? 10,
      },
    );
    return { settings, configuration };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `OIDC discovery at ${issuer.href} failed (${reason}); check OIDC_ISSUER_URL and that the identity provider is reachable`,
      { cause: error },
    );
  }
}

/** The person's groups from a claim that is a list of strings (or one string). */
export function groupsOf(claims: Record<string, unknown>, claim: string): string[] {
  const value = claims[claim];
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === "string");
  return [];
}

/** The first mapping entry whose group the person has: the operator orders OIDC_ROLE_MAP by priority. */
export function roleFor(
  groups: readonly string[],
  roleMap: OidcSettings["roleMap"],
): { group: string; role: Role } | null {
  const have = new Set(groups);
  return roleMap.find((entry) => have.has(entry.group)) ?? null;
}

export type OidcRefusal =
  | "flow_missing"
  | "wrong_callback"
  | "state_mismatch"
  | "nonce_mismatch"
  | "provider_error"
  | "email_unverified"
  | "no_role"
  | "deactivated"
  | "last_admin";

export type OidcCallbackResult =
  | { ok: true; staffId: string; role: Role; email: string; redirectTo: string; setCookies: string[] }
  | { ok: false; status: 400 | 403 | 409 | 502; error: OidcRefusal; message: string; setCookies: string[] };

interface FlowState {
  state: string;
  nonce: string;
  verifier: string;
  redirectTo: string;
  startedAt: number;
}

function isFlowState(value: unknown): value is FlowState {
  if (!value || typeof value !== "object") return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.state === "string" &&
    typeof v.nonce === "string" &&
    typeof v.verifier === "string" &&
    typeof v.redirectTo === "string" &&
    typeof v.startedAt === "number"
  );
}

/** openid-client wraps oauth4webapi's claim comparison error: ClientError(code) → OperationProcessingError(cause.claim). */
function isNonceMismatch(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 3; e = e.cause, depth++) {
    const cause = e.cause as { claim?: unknown } | undefined;
    if ((e as { code?: unknown }).code === "OAUTH_JWT_CLAIM_COMPARISON_FAILED" && cause?.claim === "nonce") return true;
  }
  return false;
}

export interface OidcDeps {
  db: Kysely<DB>;
  audit: AuditLog;
  sessions: SessionStore;
  staff: StaffDirectory;
  clock: Clock;
  secrets: [string, ...string[]];
  secureCookies: boolean;
  /** Serializes the console's session cookie (server/auth/auth.ts). */
  sessionCookie: (token: string, maxAgeSeconds: number) => Promise<string>;
}

/** The staff actor of account changes an OIDC sign-in makes (creating the account, following a group change). */
export const OIDC_ACTOR: StaffActor = { id: null, email: "oidc sign-in", role: null };

export function createOidcSignIn(oidc: OidcClient, deps: OidcDeps) {
  const { settings, configuration } = oidc;
  const { audit, sessions, staff, clock } = deps;
  const callbackPath = new URL(settings.redirectUrl).pathname;

  // state, nonce and the PKCE verifier between the redirect and the callback: signed (tampering → refused),
  // HttpOnly, SameSite=Lax (sent on the provider's top-level GET back to us), single use, ten minutes.
  const flowCookie = createCookie(deps.secureCookies ? "__Host-console_oidc" : "console_oidc", {
    httpOnly: true,
    sameSite: "lax",
    secure: deps.secureCookies,
    path: "/",
    secrets: deps.secrets,
    maxAge: OIDC_FLOW_TTL_MS / 1000,
  });
  const clearFlow = () => flowCookie.serialize("", { maxAge: 0, expires: new Date(0) });

  /** The provider's authorization URL for a new sign-in, and the cookie that remembers it. */
  async function begin(redirectTo: string): Promise<{ url: string; setCookie: string }> {
    const flow: FlowState = {
      state: client.randomState(),
      nonce: client.randomNonce(),
      verifier: client.randomPKCECodeVerifier(),
      redirectTo,
      startedAt: clock(),
    };
    const url = client.buildAuthorizationUrl(configuration, {
      redirect_uri: settings.redirectUrl,
      scope: settings.scopes,
      state: flow.state,
      nonce: flow.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(flow.verifier),
      code_challenge_method: "S256",
    });
    return { url: url.href, setCookie: await flowCookie.serialize(flow) };
  }

  /** The provider's redirect back: verifies it, maps the role, updates the staff row, starts a session. */
  async function complete(
    request: Request,
    meta: { ip?: string | null; userAgent?: string | null } = {},
  ): Promise<OidcCallbackResult> {
    const setCookies = [await clearFlow()];
    const info = {
      method: "oidc",
      issuer: settings.issuer,
      ip: meta.ip ?? null,
      userAgent: meta.userAgent?.slice(0, 300) ?? null,
    };
    const refuse = async (
      status: 400 | 403 | 409 | 502,
      error: OidcRefusal,
      message: string,
      who: { email?: string; subject?: string; groups?: string[] } = {},
    ): Promise<OidcCallbackResult> => {
      await audit.record(
        {
          actor: { id: null, email: who.email ?? "unknown" },
          role: null,
          action: "sign_in.failed",
          params: { ...info, reason: error, subject: who.subject ?? null, groups: who.groups ?? null },
          idempotencyKey: randomUUID(),
        },
        { status: "failed", errorCode: error, message },
      );
      return { ok: false, status, error, message, setCookies };
    };

    const requestUrl = new URL(request.url);
    if (requestUrl.pathname !== callbackPath) {
      return refuse(400, "wrong_callback", "This is not the console's configured sign-in callback.");
    }
    const flow: unknown = await flowCookie.parse(request.headers.get("Cookie"));
    if (!isFlowState(flow) || clock() - flow.startedAt > OIDC_FLOW_TTL_MS || clock() < flow.startedAt) {
      return refuse(
        400,
        "flow_missing",
        "This sign-in has expired or was started in another browser. Nothing was signed in: start again.",
      );
    }
    // The configured redirect URL, not the request's own (a proxy may have rewritten scheme or host).
    const currentUrl = new URL(settings.redirectUrl);
    currentUrl.search = requestUrl.search;
    const providerError = currentUrl.searchParams.get("error");
    if (providerError) {
      const description = currentUrl.searchParams.get("error_description")?.slice(0, 200);
      return refuse(
        403,
        "provider_error",
        `${settings.providerName} did not sign you in (${providerError}${description ? `: ${description}` : ""}).`,
      );
    }
    if (currentUrl.searchParams.get("state") !== flow.state) {
      return refuse(
        400,
        "state_mismatch",
        "The answer from the identity provider does not belong to the sign-in started in this browser (state mismatch). Nothing was signed in: start again.",
      );
    }

    let claims: Record<string, unknown>;
    let accessToken: string | undefined;
    try {
      const tokens = await client.authorizationCodeGrant(configuration, currentUrl, {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
      claims = { ...(tokens.claims() ?? {}) };
      accessToken = tokens.access_token;
    } catch (error) {
      if (isNonceMismatch(error)) {
        return refuse(
          400,
          "nonce_mismatch",
          "The identity provider's ID token does not belong to the sign-in started in this browser (nonce mismatch). Nothing was signed in: start again.",
        );
      }
      const reason = error instanceof Error ? error.message : String(error);
      return refuse(
        502,
        "provider_error",
        `The sign-in could not be completed with ${settings.providerName} (${reason}). Start again; if it keeps failing, tell a console admin.`,
      );
    }

    const subject = String(claims.sub);
    const email = emailSchema.safeParse(claims.email);
    if (!email.success || claims.email_verified !== true) {
      return refuse(
        403,
        "email_unverified",
        `Your ${settings.providerName} account has no verified email address, which the console needs to know who you are. Ask your identity provider's admin.`,
        { subject, email: typeof claims.email === "string" ? claims.email.slice(0, 254) : undefined },
      );
    }
    // Some providers send groups only from the userinfo endpoint; the ID token's are used when present.
    if (claims[settings.rolesClaim] === undefined && accessToken) {
      try {
        const userinfo = await client.fetchUserInfo(configuration, accessToken, subject);
        claims[settings.rolesClaim] = userinfo[settings.rolesClaim];
      } catch {
        // no userinfo: no groups, refused below as "no_role"
      }
    }
    const groups = groupsOf(claims, settings.rolesClaim).slice(0, 100);
    const who = { email: email.data, subject, groups };
    const mapped = roleFor(groups, settings.roleMap);
    if (!mapped) {
      return refuse(
        403,
        "no_role",
        `You signed in as ${email.data}, but none of your ${settings.providerName} groups gives access to the Commet Ops Console. Ask a console admin which group you need.`,
        who,
      );
    }

    let row: StaffRow | null = await staff.findByEmail(email.data);
    if (row && row.deactivated_at !== null) {
      return refuse(403, "deactivated", "This account has been deactivated. Ask a console admin.", who);
    }
    try {
      if (!row) {
        const name =
          typeof claims.name === "string" && claims.name.trim() ? claims.name.trim().slice(0, 100) : email.data;
        try {
          // A random password nobody is told: this account signs in through the identity provider.
          await staff.createStaff(OIDC_ACTOR, { email: email.data, name, role: mapped.role });
        } catch (error) {
          if (!(error instanceof StaffError && error.code === "email_taken")) throw error; // a parallel sign-in won
        }
      } else if (row.role !== mapped.role) {
        await staff.changeRole(OIDC_ACTOR, row.id, mapped.role); // the provider's groups are the source of truth
      }
    } catch (error) {
      if (error instanceof StaffError && error.code === "last_admin") {
        return refuse(
          409,
          "last_admin",
          `${settings.providerName} maps you to the ${mapped.role} role, but you are the console's last active admin. Another admin must exist first.`,
          who,
        );
      }
      throw error;
    }
    row = await staff.findByEmail(email.data);
    if (!row || row.deactivated_at !== null || !isRole(row.role)) {
      return refuse(403, "deactivated", "This account has been deactivated. Ask a console admin.", who);
    }

    const { token } = await sessions.createSession(row.id, { ...meta, maxAgeMs: settings.sessionMaxAgeMs });
    await deps.db.updateTable("staff").set({ last_sign_in_at: clock() }).where("id", "=", row.id).execute();
    await audit.record(
      {
        actor: { id: row.id, email: row.email },
        role: row.role,
        action: "sign_in.succeeded",
        params: { ...info, subject, group: mapped.group },
        idempotencyKey: randomUUID(),
      },
      { status: "succeeded", commetIds: {} },
    );
    setCookies.push(await deps.sessionCookie(token, Math.floor(settings.sessionMaxAgeMs / 1000)));
    return { ok: true, staffId: row.id, role: row.role, email: row.email, redirectTo: flow.redirectTo, setCookies };
  }

  return { providerName: settings.providerName, callbackPath, begin, complete };
}

export type OidcSignIn = ReturnType<typeof createOidcSignIn>;
