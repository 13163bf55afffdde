/**
 * The console's environment, validated once at startup (server/main.ts): every variable it reads is declared here,
 * nothing else reads `process.env` for it. Empty strings count as unset (`COMMET_API_KEY=` means embedded sandbox).
 */

import path from "node:path";
import { z } from "zod";

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

export const envSchema = z
  .object({
    NODE_ENV: optional(
      z.enum(["development", "production", "test"], {
        error: "must be one of development, production, test",
      }),
    ),
    PORT: optional(
      z.coerce
        .number({ error: "must be a port number" })
        .int({ error: "must be a whole port number" })
        .min(0, { error: "must be between 0 and 65535" })
        .max(65535, { error: "must be between 0 and 65535" }),
    ).transform((port) => port ?? 3000),
    HOST: optional(z.string().regex(/^[A-Za-z0-9.:\-[\]]+$/, { error: "must be a host name or IP address" })).transform(
      (host) => host ?? "localhost",
    ),
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
  })
  .superRefine((env, ctx) => {
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
  });

export type Env = z.output<typeof envSchema>;

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
