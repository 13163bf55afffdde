// The auth settings (sandbox or live mode, session secret, secure cookies, origins), read from the environment.

import { z } from "zod";
import { loadSessionSecret } from "./secret.ts";
import type { PasswordSignInPolicy } from "./auth.ts";
import { DEFAULT_ADMIN_EMAIL, DEMO_ACCOUNTS } from "./bootstrap.ts";
import type { OidcSettings } from "./oidc.ts";

export interface AuthSettings {
  /** "sandbox" = the embedded demo (no COMMET_API_KEY given by the operator); "live" otherwise. */
  mode: "sandbox" | "live";
  dataDir: string;
  /** SESSION_SECRET; required in live mode, else generated once under dataDir. */
  sessionSecret?: string;
  /** NODE_ENV; cookies are Secure unless "development". */
  nodeEnv?: string;
  adminEmail?: string;
  adminPassword?: string;
  /** The console's public origins (server/env.ts consoleOrigins); empty → the request URL's own (tests, scripts). */
  origins?: readonly string[];
  /** OpenID Connect sign-in (server/env.ts oidcSettingsOf); absent = off. */
  oidc?: OidcSettings;
  /** CONSOLE_PASSWORD_SIGN_IN (default true); false only with OIDC on — the first-run admin keeps break-glass. */
  passwordSignIn?: boolean;
}

export interface AuthConfig {
  mode: "sandbox" | "live";
  sessionSecret: string;
  secureCookies: boolean;
  origins: readonly string[];
  adminEmail?: string;
  adminPassword?: string;
  oidc?: OidcSettings;
  passwordSignIn: PasswordSignInPolicy;
}

export function resolveAuthConfig(settings: AuthSettings): AuthConfig {
  const blank = (v: string | undefined) => (v?.trim() ? v.trim() : undefined);
  const origins = settings.origins ?? [];
  const oidc = settings.oidc;
  if (oidc && origins.length && !origins.includes(new URL(oidc.redirectUrl).origin)) {
    throw new Error(`OIDC_REDIRECT_URL must be on the console's origin (${origins.join(" or ")})`);
  }
  if (settings.passwordSignIn === false && !oidc) {
    throw new Error("CONSOLE_PASSWORD_SIGN_IN=false needs OIDC sign-in configured");
  }
  const adminEmail = blank(settings.adminEmail)?.toLowerCase();
  // The account that keeps a password when password sign-in is off: the first-run admin of ./bootstrap.ts.
  const breakGlassEmail = adminEmail ?? (settings.mode === "live" ? DEFAULT_ADMIN_EMAIL : DEMO_ACCOUNTS[0]!.email);
  return {
    oidc,
    passwordSignIn: { enabled: settings.passwordSignIn !== false, breakGlassEmail },
    mode: settings.mode,
    sessionSecret: loadSessionSecret({
      secret: blank(settings.sessionSecret),
      dataDir: settings.dataDir,
      mode: settings.mode,
    }),
    secureCookies: (settings.nodeEnv ?? "production") !== "development",
    origins,
    adminEmail: blank(settings.adminEmail),
    adminPassword: settings.adminPassword || undefined,
  };
}

const authEnvSchema = z.object({
  NODE_ENV: z.string().optional(),
  DATA_DIR: z.string().optional(),
  SESSION_SECRET: z.string().optional(),
  COMMET_API_KEY: z.string().optional(),
  CONSOLE_ADMIN_EMAIL: z.string().optional(),
  CONSOLE_ADMIN_PASSWORD: z.string().optional(),
});

/**
 * Settings from an environment (server/env.ts owns the full schema). Note: the embedded mode is
 * "COMMET_API_KEY unset" as the operator started the process — server/main.ts later fills in the
 * sandbox's key, so the server passes the mode to startAuth() instead of relying on this.
 */
export function readAuthConfig(env: Record<string, string | undefined> = process.env): AuthConfig {
  const e = authEnvSchema.parse(env);
  return resolveAuthConfig({
    mode: e.COMMET_API_KEY?.trim() ? "live" : "sandbox",
    dataDir: e.DATA_DIR?.trim() || "./data",
    sessionSecret: e.SESSION_SECRET,
    nodeEnv: e.NODE_ENV,
    adminEmail: e.CONSOLE_ADMIN_EMAIL,
    adminPassword: e.CONSOLE_ADMIN_PASSWORD,
  });
}
