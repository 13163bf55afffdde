/**
 * The console's environment, validated once at startup (server/main.ts): every variable it reads is declared here,
 * nothing else reads `process.env` for it. Empty strings count as unset (`COMMET_API_KEY=` means embedded sandbox).
 */

import path from "node:path";
import { z } from "zod";
import { ROLES, type Role } from "../app/contracts/permissions.ts";

const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === "" ? undefined : value), schema.optional());

const httpOrigin = z
  .url({ protocol: /^https?$/, error: "must be an http(s) URL such as http://127.0.0.1:4010" })
  .refine(
    (value) => {
      if (!URL.canParse(value)) return true; // already reported by z.url()
      const url = new URL(value);
      return (url.pathname === "/" || url.pathname === "") && !url.search && !url.hash && !url.username;
    },
    { error: "must be an origin only (scheme, host and port, no path), such as http://127.0.0.1:4010" },
  )
  .transform((value) => new URL(value).origin);

/** The callback path of OIDC sign-in (app/routes/auth.oidc.callback.tsx); OIDC_REDIRECT_URL must end in it. */
export const OIDC_CALLBACK_PATH = "/auth/oidc/callback";

const trueFalse = z.enum(["true", "false", "1", "0"], { error: "must be true or false" });

/** "group=role,group=role": the order is the priority (the first entry whose group the person has wins). */
const roleMap = z.string().transform((value, ctx): Array<{ group: string; role: Role }> => {
  const entries: Array<{ group: string; role: Role }> = [];
  for (const part of value
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean)) {
    const eq = part.lastIndexOf("=");
    const group = part.slice(0, eq).trim();
    const role = part.slice(eq + 1).trim();
    if (eq <= 0 || !group) {
      ctx.addIssue({
        code: "custom",
        message: `must be a list of group=role pairs, such as ops-team=ops (got "${part}")`,
      });
      return z.NEVER;
    }
    if (!(ROLES as readonly string[]).includes(role)) {
      ctx.addIssue({
        code: "custom",
        message: `maps "${group}" to an unknown role "${role}" (roles: ${ROLES.join(", ")})`,
      });
      return z.NEVER;
    }
    if (entries.some((entry) => entry.group === group)) {
      ctx.addIssue({ code: "custom", message: `names the group "${group}" twice` });
      return z.NEVER;
    }
    entries.push({ group, role: role as Role });
  }
  if (entries.length === 0) {
    ctx.addIssue({ code: "custom", message: "must map at least one group to a role, such as ops-team=ops" });
    return z.NEVER;
  }
  return entries;
});

const hostName = z.string().regex(/^[A-Za-z0-9.:\-[\]]+$/, { error: "must be a host name or IP address" });

const portNumber = z.coerce
  .number({ error: "must be a port number" })
  .int({ error: "must be a whole port number" })
  .min(0, { error: "must be between 0 and 65535" })
  .max(65535, { error: "must be between 0 and 65535" });

const envObjectShape = z.object({
  NODE_ENV: optional(
    z.enum(["development", "production", "test"], {
      error: "must be one of development, production, test",
    }),
  ),
  PORT: optional(portNumber).transform((port) => port ?? 3000),
  HOST: optional(hostName).transform((host) => host ?? "localhost"),
  DATA_DIR: optional(z.string()).transform((dir) => path.resolve(dir ?? "./data")),
  COMMET_API_KEY: optional(
    z
      .string()
      .startsWith("ck_", { error: 'must start with "ck_" (a Commet API key)' })
      .regex(/^ck_[A-Za-z0-9_-]+$/, { error: "must contain only letters, digits, _ and - after ck_" }),
  ),
  COMMET_API_URL: optional(httpOrigin),
  COMMET_WEBHOOK_SECRET: optional(
    z.string().regex(/^whsec_\S+$/, { error: 'must start with "whsec_" (a Commet webhook signing secret)' }),
  ),
  DATABASE_URL: optional(
    z.url({
      protocol: /^postgres(ql)?$/,
      error: "must be a postgres:// or postgresql:// URL (leave it unset for SQLite under DATA_DIR)",
    }),
  ),
  SESSION_SECRET: optional(z.string().min(32, { error: "must be at least 32 characters long" })),
  CONSOLE_ADMIN_EMAIL: optional(z.email({ error: "must be an email address" })),
  CONSOLE_ADMIN_PASSWORD: optional(z.string().min(12, { error: "must be at least 12 characters long" })),
  CONSOLE_ORIGIN: optional(httpOrigin),
  CONSOLE_ALLOW_PUBLIC_SANDBOX: optional(
    z.enum(["true", "false", "1", "0"], { error: "must be true or false" }),
  ).transform((value) => value === "true" || value === "1"),
  WEBHOOK_EVENT_RETENTION_DAYS: optional(
    z
      .string()
      .regex(/^\d{1,4}$/, { error: "must be a whole number of days, such as 30" })
      .transform(Number)
      .pipe(z.number().min(1, { error: "must be at least 1 day (Commet retries a delivery for about 8 hours)" })),
  ).transform((days) => days ?? 30),
  // Account activity (server/activity) is history staff read months later: kept far longer than the dedupe ids.
  ACCOUNT_EVENT_RETENTION_DAYS: optional(
    z
      .string()
      .regex(/^\d{1,5}$/, { error: "must be a whole number of days, such as 400" })
      .transform(Number)
      .pipe(z.number().min(1, { error: "must be at least 1 day" })),
  ).transform((days) => days ?? 400),
  WRITE_RESOLVER_INTERVAL_SECONDS: optional(
    z
      .string()
      .regex(/^\d{1,4}$/, { error: "must be a whole number of seconds, such as 30 (0 turns the resolver off)" })
      .transform(Number)
      .pipe(z.number().max(3600, { error: "must be at most 3600 seconds (the first re-send waits for it)" })),
  ).transform((seconds) => seconds ?? 30),
  LOG_LEVEL: optional(
    z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"], {
      error: "must be one of fatal, error, warn, info, debug, trace, silent",
    }),
  ).transform((level) => level ?? "info"),
  // The plan and feature catalog is cached this long at most (Commet sends no catalog webhooks); 0 = no cache.
  COMMET_CATALOG_MAX_AGE_SECONDS: optional(
    z
      .string()
      .regex(/^\d{1,5}$/, { error: "must be a whole number of seconds, such as 60 (0 turns the cache off)" })
      .transform(Number)
      .pipe(z.number().max(86_400, { error: "must be at most 86400 seconds (one day)" })),
  ).transform((seconds) => seconds ?? 60),
  // Unset: one worker per core (os.availableParallelism(), resolved by server/console.ts); 1: a single process.
  CONSOLE_WORKERS: optional(
    z.coerce
      .number({ error: "must be a number of worker processes, such as 4" })
      .int({ error: "must be a whole number of workers" })
      .min(1, { error: "must be between 1 and 64" })
      .max(64, { error: "must be between 1 and 64" }),
  ),
  METRICS_PORT: optional(portNumber),
  METRICS_HOST: optional(hostName).transform((host) => host ?? "127.0.0.1"),
  OIDC_ISSUER_URL: optional(
    z.url({
      protocol: /^https?$/,
      error: "must be the identity provider's issuer URL, such as https://accounts.google.com",
    }),
  ),
  OIDC_CLIENT_ID: optional(z.string().trim().min(1)),
  OIDC_CLIENT_SECRET: optional(z.string().min(1)),
  OIDC_REDIRECT_URL: optional(
    z.url({
      protocol: /^https?$/,
      error: `must be the console's callback URL, such as https://console.example.com${OIDC_CALLBACK_PATH}`,
    }),
  ),
  OIDC_PROVIDER_NAME: optional(z.string().trim().min(1).max(40, { error: "must be at most 40 characters" })).transform(
    (name) => name ?? "single sign-on",
  ),
  OIDC_SCOPES: optional(
    z
      .string()
      .regex(/^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/, { error: "must be space-separated scopes" })
      .refine((scopes) => scopes.split(" ").includes("openid"), { error: 'must include "openid"' }),
  ).transform((scopes) => scopes ?? "openid email profile"),
  OIDC_ROLES_CLAIM: optional(z.string().trim().min(1)).transform((claim) => claim ?? "groups"),
  OIDC_ROLE_MAP: optional(roleMap),
  OIDC_SESSION_MAX_AGE_HOURS: optional(
    z.coerce
      .number({ error: "must be a number of hours" })
      .int({ error: "must be a whole number of hours" })
      .min(1, { error: "must be between 1 and 168 hours" })
      .max(168, { error: "must be between 1 and 168 hours (the console's own 7-day limit)" }),
  ).transform((hours) => hours ?? 12),
  CONSOLE_PASSWORD_SIGN_IN: optional(trueFalse).transform(
    (value) => value === undefined || value === "true" || value === "1",
  ),
});

export const envSchema = envObjectShape.superRefine((env, ctx) => {
  if (!isLoopbackHost(env.HOST) && !env.COMMET_API_KEY && !env.CONSOLE_ALLOW_PUBLIC_SANDBOX) {
    ctx.addIssue({
      code: "custom",
      path: ["HOST"],
      message:
        "must be a loopback address (localhost, 127.0.0.1, ::1) in sandbox mode, whose demo passwords are public; set CONSOLE_ALLOW_PUBLIC_SANDBOX=true to bind elsewhere",
    });
  }
  if (!isLoopbackHost(env.HOST) && !env.CONSOLE_ORIGIN) {
    ctx.addIssue({
      code: "custom",
      path: ["CONSOLE_ORIGIN"],
      message:
        "must be set when HOST is not a loopback address (the origin staff open, e.g. https://console.example.com)",
    });
  }
  if (env.COMMET_API_URL && !env.COMMET_API_KEY) {
    ctx.addIssue({
      code: "custom",
      path: ["COMMET_API_KEY"],
      message: "must be set when COMMET_API_URL is set (unset both to use the embedded sandbox)",
    });
  }
  if (env.CONSOLE_ADMIN_EMAIL && !env.CONSOLE_ADMIN_PASSWORD) {
    ctx.addIssue({
      code: "custom",
      path: ["CONSOLE_ADMIN_PASSWORD"],
      message: "must be set when CONSOLE_ADMIN_EMAIL is set",
    });
  }
  if (env.CONSOLE_ADMIN_PASSWORD && !env.CONSOLE_ADMIN_EMAIL) {
    ctx.addIssue({
      code: "custom",
      path: ["CONSOLE_ADMIN_EMAIL"],
      message: "must be set when CONSOLE_ADMIN_PASSWORD is set",
    });
  }
  checkOidc(env, ctx);
});

function checkOidc(env: z.output<typeof envObjectShape>, ctx: z.RefinementCtx): void {
  const required = ["OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "OIDC_REDIRECT_URL", "OIDC_ROLE_MAP"] as const;
  if (!env.OIDC_ISSUER_URL) {
    for (const name of required) {
      if (env[name] !== undefined)
        ctx.addIssue({ code: "custom", path: ["OIDC_ISSUER_URL"], message: `must be set when ${name} is set` });
    }
    if (!env.CONSOLE_PASSWORD_SIGN_IN) {
      ctx.addIssue({
        code: "custom",
        path: ["CONSOLE_PASSWORD_SIGN_IN"],
        message: "may be false only when OIDC sign-in is configured (OIDC_ISSUER_URL and the other OIDC_ variables)",
      });
    }
    return;
  }
  for (const name of required) {
    if (env[name] === undefined)
      ctx.addIssue({ code: "custom", path: [name], message: "must be set when OIDC_ISSUER_URL is set" });
  }
  const issuer = new URL(env.OIDC_ISSUER_URL);
  if (issuer.protocol !== "https:" && !isLoopbackHost(issuer.hostname)) {
    ctx.addIssue({ code: "custom", path: ["OIDC_ISSUER_URL"], message: "must be https (plain http only on loopback)" });
  }
  if (env.OIDC_REDIRECT_URL) {
    const redirect = new URL(env.OIDC_REDIRECT_URL);
    if (redirect.pathname !== OIDC_CALLBACK_PATH || redirect.search || redirect.hash) {
      ctx.addIssue({
        code: "custom",
        path: ["OIDC_REDIRECT_URL"],
        message: `must be the console's origin followed by ${OIDC_CALLBACK_PATH}, with no query`,
      });
    } else if (env.CONSOLE_ORIGIN && redirect.origin !== env.CONSOLE_ORIGIN) {
      ctx.addIssue({
        code: "custom",
        path: ["OIDC_REDIRECT_URL"],
        message: `must be on CONSOLE_ORIGIN (${env.CONSOLE_ORIGIN}${OIDC_CALLBACK_PATH})`,
      });
    } else if (!env.CONSOLE_ORIGIN && !isLoopbackHost(redirect.hostname)) {
      ctx.addIssue({
        code: "custom",
        path: ["OIDC_REDIRECT_URL"],
        message: "must be on a loopback address unless CONSOLE_ORIGIN is set (and then on it)",
      });
    }
  }
}

export type Env = z.output<typeof envSchema>;

/** OIDC sign-in as configured, or undefined when OIDC_ISSUER_URL is unset. */
export function oidcSettingsOf(env: Env) {
  if (!env.OIDC_ISSUER_URL) return undefined;
  return {
    issuer: env.OIDC_ISSUER_URL,
    clientId: env.OIDC_CLIENT_ID!,
    clientSecret: env.OIDC_CLIENT_SECRET!,
    redirectUrl: env.OIDC_REDIRECT_URL!,
    providerName: env.OIDC_PROVIDER_NAME,
    scopes: env.OIDC_SCOPES,
    rolesClaim: env.OIDC_ROLES_CLAIM,
    roleMap: env.OIDC_ROLE_MAP!,
    sessionMaxAgeMs: env.OIDC_SESSION_MAX_AGE_HOURS * 60 * 60 * 1000,
  };
}

export function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * The origins the console answers for: CONSOLE_ORIGIN, or on loopback its two local names. Same-origin checks
 * compare against these, never against the request's Host header.
 */
export function consoleOrigins(env: Env, port: number): string[] {
  if (env.CONSOLE_ORIGIN) return [env.CONSOLE_ORIGIN];
  const bound = env.HOST === "::1" ? "[::1]" : env.HOST;
  return [...new Set([bound, "localhost", "127.0.0.1"])].map((host) => `http://${host}:${port}`);
}

/** Thrown by `parseEnv`; its message is one line that names every bad variable. */
export class EnvError extends Error {
  override name = "EnvError";
  constructor(
    message: string,
    readonly variables: string[],
  ) {
    super(message);
  }
}

/** Validates a raw environment (usually `process.env`). Never echoes values: they may be secrets. */
export function parseEnv(raw: Record<string, string | undefined>): Env {
  const result = envSchema.safeParse(raw);
  if (result.success) return result.data;
  const byVariable = new Map<string, string>();
  for (const issue of result.error.issues) {
    const variable = String(issue.path[0] ?? "environment");
    if (!byVariable.has(variable)) byVariable.set(variable, issue.message);
  }
  const parts = [...byVariable].map(([variable, message]) => `${variable} ${message}`);
  throw new EnvError(`Invalid environment: ${parts.join("; ")}`.replace(/\s+/g, " "), [...byVariable.keys()]);
}

let cached: Env | undefined;

/** The process environment, parsed on first use and cached. */
export function getEnv(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}
