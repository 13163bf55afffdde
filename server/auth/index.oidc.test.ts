/**
 * OIDC at start-up on the process database: a provider that cannot be discovered stops startAuth with a clear
 * message; a reachable one (a real local oidc-provider) turns the sign-in options on.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestOidcProvider, TEST_ROLE_MAP, type TestOidcProvider } from "../testing/oidc-provider.ts";

const dataDir = mkdtempSync(join(tmpdir(), "console-auth-oidc-"));
for (const name of [
  "DATABASE_URL",
  "COMMET_API_KEY",
  "SESSION_SECRET",
  "CONSOLE_ADMIN_EMAIL",
  "CONSOLE_ADMIN_PASSWORD",
]) {
  delete process.env[name];
}
process.env.DATA_DIR = dataDir;

const authModule = await import("./index.ts");
const dbModule = await import("../db/index.ts");
const { oidcSettingsOf, parseEnv } = await import("../env.ts");

const origin = "http://127.0.0.1:3999";
let provider: TestOidcProvider;
const settings = (issuer: string) =>
  oidcSettingsOf(
    parseEnv({
      HOST: "127.0.0.1",
      OIDC_ISSUER_URL: issuer,
      OIDC_CLIENT_ID: "commet-console",
      OIDC_CLIENT_SECRET: "test-client-secret-0123456789abcdef",
      OIDC_REDIRECT_URL: `${origin}/auth/oidc/callback`,
      OIDC_PROVIDER_NAME: "Acme SSO",
      OIDC_ROLE_MAP: TEST_ROLE_MAP,
    }),
  )!;

beforeAll(async () => {
  provider = await startTestOidcProvider({ redirectUris: [`${origin}/auth/oidc/callback`] });
  await dbModule.getReadyDb();
});
afterAll(async () => {
  await provider.stop();
  await dbModule.closeDb();
  rmSync(dataDir, { recursive: true, force: true });
});

it("stops the start when the identity provider cannot be discovered, naming the issuer", async () => {
  const gone = await startTestOidcProvider({ redirectUris: [] });
  await gone.stop();
  await expect(
    authModule.startAuth({
      mode: "sandbox",
      dataDir,
      nodeEnv: "development",
      origins: [origin],
      oidc: settings(gone.issuer),
      log: () => {},
    }),
  ).rejects.toThrow(/^OIDC discovery at http:\/\/127\.0\.0\.1:\d+\/ failed .*check OIDC_ISSUER_URL/);
});

it("refuses a redirect URL that is not on the console's origin", async () => {
  await expect(
    authModule.startAuth({
      mode: "sandbox",
      dataDir,
      nodeEnv: "development",
      origins: ["http://127.0.0.1:4000"],
      oidc: settings(provider.issuer),
      log: () => {},
    }),
  ).rejects.toThrow("OIDC_REDIRECT_URL must be on the console's origin (http://127.0.0.1:4000)");
});

it("with a reachable provider: the sign-in page offers it, and passwords can be switched off", async () => {
  await authModule.startAuth({
    mode: "sandbox",
    dataDir,
    nodeEnv: "development",
    origins: [origin],
    oidc: settings(provider.issuer),
    passwordSignIn: false,
    log: () => {},
  });
  expect(authModule.signInOptions()).toEqual({ oidc: { providerName: "Acme SSO" }, passwordSignIn: false });
  const oidc = await authModule.oidcSignIn();
  const { url } = await oidc!.begin("/customers");
  const authorize = new URL(url);
  expect(authorize.origin).toBe(provider.issuer);
  expect(Object.fromEntries(authorize.searchParams)).toMatchObject({
    response_type: "code",
    client_id: "commet-console",
    redirect_uri: `${origin}/auth/oidc/callback`,
    code_challenge_method: "S256",
    scope: "openid email profile",
  });
  // Break-glass only: a demo account's correct password is refused.
  const result = await authModule.signIn({ email: "ops@demo.local", password: "demo-ops-password" });
  expect(result).toMatchObject({ ok: false, error: "password_sign_in_off" });
});
