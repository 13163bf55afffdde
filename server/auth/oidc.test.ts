import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAuditLog } from "../audit/audit-log.ts";
import { closeDatabaseGracefully, describeEachEngine } from "../testing/db.ts";
import { APP_ORIGIN, SECRET, makeAuth, requestWithCookie, testClock } from "../testing/auth.ts";
import {
  TEST_ROLE_MAP,
  signInThrough,
  startTestOidcProvider,
  type TestOidcProvider,
} from "../testing/oidc-provider.ts";
import { parseEnv, oidcSettingsOf } from "../env.ts";
import { createAuth, PASSWORD_SIGN_IN_OFF, type Auth } from "./auth.ts";
import { discoverOidc, groupsOf, OIDC_FLOW_TTL_MS, roleFor, type OidcClient, type OidcSettings } from "./oidc.ts";
import { TEST_COST } from "./password.ts";
import { SYSTEM_ACTOR } from "./staff.ts";

// Everything here runs against a real OpenID Connect provider (oidc-provider) on 127.0.0.1, not a mock.
const REDIRECT = `${APP_ORIGIN}/auth/oidc/callback`;
const HOUR = 60 * 60 * 1000;
let provider: TestOidcProvider;
let oidcClient: OidcClient;

function settingsFor(p: TestOidcProvider): OidcSettings {
  return oidcSettingsOf(
    parseEnv({
      HOST: "127.0.0.1",
      CONSOLE_ORIGIN: APP_ORIGIN,
      OIDC_ISSUER_URL: p.issuer,
      OIDC_CLIENT_ID: p.clientId,
      OIDC_CLIENT_SECRET: p.clientSecret,
      OIDC_REDIRECT_URL: REDIRECT,
      OIDC_PROVIDER_NAME: "Test IdP",
      OIDC_SCOPES: "openid email profile groups",
      OIDC_ROLE_MAP: TEST_ROLE_MAP,
      OIDC_SESSION_MAX_AGE_HOURS: "2",
    }),
  )!;
}

beforeAll(async () => {
  provider = await startTestOidcProvider({ redirectUris: [REDIRECT] });
  oidcClient = await discoverOidc(settingsFor(provider));
});
afterAll(async () => {
  await provider?.stop();
});

/** The flow cookie's name=value from begin()'s Set-Cookie. */
const cookiePair = (setCookie: string) => setCookie.split(";")[0]!;
/** The provider's redirect back as a browser sends it: a top-level cross-site GET carrying the flow cookie. */
const callbackRequest = (url: URL, flowCookie: string | null) =>
  new Request(url.href, {
    headers: {
      "Sec-Fetch-Site": "cross-site",
      "Sec-Fetch-Mode": "navigate",
      ...(flowCookie ? { Cookie: flowCookie } : {}),
    },
  });
const sessionCookieOf = (setCookies: string[]) => setCookies.find((c) => c.includes("console_session="))!;

describeEachEngine("OIDC sign-in against a local identity provider", (ctx) => {
  closeDatabaseGracefully(ctx);
  const clock = testClock(Date.now());
  let auth: Auth;
  const auditRows = async (email: string) =>
    (await createAuditLog(ctx.db).list({ actor: email }, { pageSize: 50, page: 1 })).rows;
  beforeAll(() => {
    auth = createAuth({
      db: ctx.db,
      secrets: [SECRET],
      secureCookies: true,
      clock: clock.fn,
      passwordCost: TEST_COST,
      oidc: oidcClient,
    });
  });

  /** Start at the console, sign in at the provider as `login`, come back with the flow cookie. */
  async function signIn(login: string, redirectTo = "/customers") {
    const { url, setCookie } = await auth.oidc!.begin(redirectTo);
    const back = await signInThrough(url, login);
    return auth.oidc!.complete(callbackRequest(back, cookiePair(setCookie)), { ip: "10.0.0.9", userAgent: "vitest" });
  }

  it("an OIDC sign-in lands with the mapped role: staff row created, session started, audited", async () => {
    const result = await signIn("olivia");
    if (!result.ok) throw new Error(result.message);
    expect(result).toMatchObject({ role: "ops", email: "olivia@idp.test", redirectTo: "/customers" });
    const session = sessionCookieOf(result.setCookies);
    expect(session).toMatch(/^__Host-console_session=/);
    expect(session).toMatch(/Max-Age=7200/); // OIDC_SESSION_MAX_AGE_HOURS=2
    // The flow cookie is single use: cleared on the way back.
    expect(result.setCookies.find((c) => c.startsWith("__Host-console_oidc="))).toMatch(/Max-Age=0/);
    expect(await auth.getCurrentStaff(requestWithCookie(session))).toMatchObject({
      email: "olivia@idp.test",
      name: "Olivia Ops",
      role: "ops",
    });
    const rows = await auditRows("olivia@idp.test");
    expect(rows.find((r) => r.action === "sign_in.succeeded")?.params).toMatchObject({
      method: "oidc",
      subject: "olivia",
      group: "ops-team",
    });
  });

  it("the first matching entry of the role map decides; a changed group changes the staff role (audited)", async () => {
    expect((await signIn("fiona")).ok && (await auth.staff.findByEmail("fiona@idp.test"))?.role).toBe("finance");
    const adam = await signIn("adam");
    expect(adam.ok && adam.role).toBe("admin");
    // Someone made Olivia "support" in the console: the provider's groups win at her next sign-in.
    const olivia = (await auth.staff.findByEmail("olivia@idp.test"))!;
    await auth.staff.changeRole(SYSTEM_ACTOR, olivia.id, "support");
    const again = await signIn("olivia");
    expect(again.ok && again.role).toBe("ops");
    const changes = (await auditRows("oidc sign-in")).filter((r) => r.action === "staff.change_role");
    expect(changes[0]?.params).toMatchObject({ email: "olivia@idp.test", from: "support", to: "ops" });
  });

  it("a person without a mapped group is refused with a clear message, audited, and gets no account", async () => {
    const result = await signIn("nina");
    expect(result).toMatchObject({ ok: false, status: 403, error: "no_role" });
    expect(!result.ok && result.message).toContain("none of your Test IdP groups gives access");
    expect(result.setCookies.some((c) => c.includes("console_session="))).toBe(false);
    expect(await auth.staff.findByEmail("nina@idp.test")).toBeNull();
    const [failed] = await auditRows("nina@idp.test");
    expect(failed).toMatchObject({ action: "sign_in.failed", status: "failed", errorCode: "no_role" });
    expect(failed?.params).toMatchObject({ method: "oidc", groups: ["engineering"] });
  });

  it("an unverified email is refused", async () => {
    expect(await signIn("victor")).toMatchObject({ ok: false, status: 403, error: "email_unverified" });
    expect(await auth.staff.findByEmail("victor@idp.test")).toBeNull();
  });

  it("a deactivated staff member stays refused although the provider signs them in", async () => {
    const fiona = (await auth.staff.findByEmail("fiona@idp.test"))!;
    await auth.staff.deactivate(SYSTEM_ACTOR, fiona.id);
    expect(await signIn("fiona")).toMatchObject({ ok: false, status: 403, error: "deactivated" });
  });

  it("state mismatch is refused: the provider's answer to one sign-in presented with another's cookie", async () => {
    const first = await auth.oidc!.begin("/");
    const second = await auth.oidc!.begin("/");
    const back = await signInThrough(first.url, "olivia");
    const swapped = await auth.oidc!.complete(callbackRequest(back, cookiePair(second.setCookie)));
    expect(swapped).toMatchObject({ ok: false, status: 400, error: "state_mismatch" });
    expect(!swapped.ok && swapped.message).toContain("state mismatch");
    // And a state parameter changed on the way back, with the right cookie.
    const third = await auth.oidc!.begin("/");
    const tampered = await signInThrough(third.url, "olivia");
    tampered.searchParams.set("state", "forged-state");
    expect(await auth.oidc!.complete(callbackRequest(tampered, cookiePair(third.setCookie)))).toMatchObject({
      ok: false,
      error: "state_mismatch",
    });
  });

  it("nonce mismatch is refused: a code issued for another nonce (injected) never signs in", async () => {
    const { url, setCookie } = await auth.oidc!.begin("/");
    const injected = new URL(url);
    injected.searchParams.set("nonce", "a-nonce-this-browser-never-chose");
    const back = await signInThrough(injected, "olivia");
    const result = await auth.oidc!.complete(callbackRequest(back, cookiePair(setCookie)));
    expect(result).toMatchObject({ ok: false, status: 400, error: "nonce_mismatch" });
    expect(result.setCookies.some((c) => c.includes("console_session="))).toBe(false);
    const rows = await auditRows("unknown");
    expect(rows.some((r) => r.action === "sign_in.failed" && r.errorCode === "nonce_mismatch")).toBe(true);
  });

  it("a callback without its flow cookie, or after ten minutes, is refused", async () => {
    const { url, setCookie } = await auth.oidc!.begin("/");
    const back = await signInThrough(url, "olivia");
    expect(await auth.oidc!.complete(callbackRequest(back, null))).toMatchObject({ ok: false, error: "flow_missing" });
    clock.tick(OIDC_FLOW_TTL_MS + 1000);
    expect(await auth.oidc!.complete(callbackRequest(back, cookiePair(setCookie)))).toMatchObject({
      ok: false,
      error: "flow_missing",
    });
  });

  it("a callback on another path than the configured redirect URL is refused", async () => {
    const { url, setCookie } = await auth.oidc!.begin("/");
    const back = await signInThrough(url, "olivia");
    const elsewhere = new URL(`/login${back.search}`, back);
    expect(await auth.oidc!.complete(callbackRequest(elsewhere, cookiePair(setCookie)))).toMatchObject({
      ok: false,
      error: "wrong_callback",
    });
  });

  it("an expired session ends: an OIDC session lives OIDC_SESSION_MAX_AGE_HOURS, then the person is signed out", async () => {
    const result = await signIn("adam");
    if (!result.ok) throw new Error(result.message);
    const request = () => requestWithCookie(sessionCookieOf(result.setCookies));
    clock.tick(HOUR);
    expect(await auth.getCurrentStaff(request())).toMatchObject({ email: "adam@idp.test", role: "admin" });
    clock.tick(HOUR + 1000); // past the 2 h maximum, although well within the console's 12 h idle limit
    expect(await auth.getCurrentStaff(request())).toBeNull();
    const thrown = await auth.requireStaff(request(), "staff:manage").catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(Response);
    expect((thrown as Response).headers.get("Location")).toMatch(/^\/login\?redirectTo=/);
  });
});

describeEachEngine("password sign-in switched off: break-glass for the first-run admin only", (ctx) => {
  closeDatabaseGracefully(ctx);
  let auth: Auth;
  const breakGlassEmail = "root@console.test";
  beforeAll(async () => {
    const base = makeAuth(ctx.db).auth;
    await base.staff.createStaff(SYSTEM_ACTOR, {
      email: breakGlassEmail,
      name: "First admin",
      role: "admin",
      password: "break-glass-password",
    });
    await base.staff.createStaff(SYSTEM_ACTOR, {
      email: "ops@console.test",
      name: "Ops",
      role: "ops",
      password: "ops-password-long",
    });
    auth = createAuth({
      db: ctx.db,
      secrets: [SECRET],
      secureCookies: true,
      passwordCost: TEST_COST,
      oidc: oidcClient,
      passwordSignIn: { enabled: false, breakGlassEmail },
    });
  });

  it("refuses another account's password (even a right one), audited", async () => {
    const result = await auth.signIn({ email: "ops@console.test", password: "ops-password-long" });
    expect(result).toMatchObject({
      ok: false,
      status: 403,
      error: "password_sign_in_off",
      message: PASSWORD_SIGN_IN_OFF,
    });
    const rows = (await createAuditLog(ctx.db).list({ actor: "ops@console.test" }, { pageSize: 10, page: 1 })).rows;
    expect(rows[0]).toMatchObject({ action: "sign_in.failed", errorCode: "password_sign_in_off" });
  });

  it("the first-run admin must give a reason; the sign-in is audited as sign_in.break_glass with it", async () => {
    const noReason = await auth.signIn({ email: breakGlassEmail, password: "break-glass-password", reason: "x" });
    expect(noReason).toMatchObject({ ok: false, status: 400, fieldErrors: { reason: [expect.any(String)] } });
    const wrong = await auth.signIn({
      email: breakGlassEmail,
      password: "not-the-password",
      reason: "IdP outage INC-42",
    });
    expect(wrong).toMatchObject({ ok: false, status: 401 });
    const result = await auth.signIn({
      email: breakGlassEmail,
      password: "break-glass-password",
      reason: "IdP outage INC-42",
    });
    expect(result).toMatchObject({ ok: true, breakGlass: true, staff: { role: "admin" } });
    const rows = (await createAuditLog(ctx.db).list({ actor: breakGlassEmail }, { pageSize: 10, page: 1 })).rows;
    expect(rows[0]).toMatchObject({ action: "sign_in.break_glass", status: "succeeded" });
    expect(rows[0]?.params).toMatchObject({ method: "password", reason: "IdP outage INC-42" });
  });
});

describe("OIDC configuration", () => {
  it("maps groups to roles by the first matching entry, and reads list or string claims", () => {
    const map = parseEnv({
      ...minimalOidcEnv(),
      OIDC_ROLE_MAP: "admins=admin, ops-team=ops ,finance=finance",
    }).OIDC_ROLE_MAP!;
    expect(roleFor(["finance", "ops-team"], map)).toEqual({ group: "ops-team", role: "ops" });
    expect(roleFor(["finance", "admins"], map)?.role).toBe("admin");
    expect(roleFor(["engineering"], map)).toBeNull();
    expect(groupsOf({ groups: ["a", 1, "b"] }, "groups")).toEqual(["a", "b"]);
    expect(groupsOf({ roles: "ops-team" }, "roles")).toEqual(["ops-team"]);
    expect(groupsOf({}, "groups")).toEqual([]);
  });

  it("refuses incomplete or wrong OIDC settings at start with one clear line", () => {
    const bad = (env: Record<string, string>) => {
      try {
        parseEnv(env);
      } catch (error) {
        return (error as Error).message;
      }
      return "accepted";
    };
    expect(bad({ OIDC_ISSUER_URL: "https://idp.example.com" })).toMatch(
      /OIDC_CLIENT_ID must be set when OIDC_ISSUER_URL is set.*OIDC_ROLE_MAP must be set/,
    );
    expect(bad({ ...minimalOidcEnv(), OIDC_ROLE_MAP: "ops-team=superuser" })).toContain(
      'OIDC_ROLE_MAP maps "ops-team" to an unknown role "superuser"',
    );
    expect(bad({ ...minimalOidcEnv(), OIDC_ROLE_MAP: "ops-team" })).toContain("must be a list of group=role pairs");
    expect(bad({ ...minimalOidcEnv(), OIDC_REDIRECT_URL: "http://127.0.0.1:3000/callback" })).toContain(
      "OIDC_REDIRECT_URL must be the console's origin followed by /auth/oidc/callback",
    );
    expect(bad({ ...minimalOidcEnv(), OIDC_ISSUER_URL: "http://idp.example.com" })).toContain(
      "OIDC_ISSUER_URL must be https (plain http only on loopback)",
    );
    expect(bad({ CONSOLE_PASSWORD_SIGN_IN: "false" })).toContain(
      "CONSOLE_PASSWORD_SIGN_IN may be false only when OIDC sign-in is configured",
    );
    expect(bad({ OIDC_CLIENT_SECRET: "s" })).toContain("OIDC_ISSUER_URL must be set when OIDC_CLIENT_SECRET is set");
    expect(bad({ ...minimalOidcEnv(), CONSOLE_PASSWORD_SIGN_IN: "false" })).toBe("accepted");
  });

  it("reports a discovery failure clearly (nothing listening at the issuer)", async () => {
    const gone = await startTestOidcProvider({ redirectUris: [REDIRECT] });
    await gone.stop();
    const settings = { ...settingsFor(provider), issuer: gone.issuer };
    await expect(discoverOidc(settings, { timeoutSeconds: 5 })).rejects.toThrow(
      new RegExp(`^OIDC discovery at ${gone.issuer.replace(/[.:/]/g, "\\$&")}/ failed .*check OIDC_ISSUER_URL`),
    );
  });
});

function minimalOidcEnv(): Record<string, string> {
  return {
    OIDC_ISSUER_URL: "http://127.0.0.1:9/",
    OIDC_CLIENT_ID: "console",
    OIDC_CLIENT_SECRET: "secret",
    OIDC_REDIRECT_URL: "http://127.0.0.1:3000/auth/oidc/callback",
    OIDC_ROLE_MAP: "ops-team=ops",
  };
}
