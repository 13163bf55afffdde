import path from "node:path";
import { describe, expect, it } from "vitest";
import { consoleOrigins, EnvError, parseEnv } from "./env.ts";

function messageFor(raw: Record<string, string>): string {
  try {
    parseEnv(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(EnvError);
    return (error as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(raw)} to be rejected`);
}

describe("parseEnv", () => {
  it("applies the defaults when nothing is set (embedded sandbox mode)", () => {
    const env = parseEnv({});
    expect(env).toEqual({
      PORT: 3000,
      HOST: "localhost",
      DATA_DIR: path.resolve("./data"),
      CONSOLE_ALLOW_PUBLIC_SANDBOX: false,
      WEBHOOK_EVENT_RETENTION_DAYS: 30,
      ACCOUNT_EVENT_RETENTION_DAYS: 400,
      // OIDC sign-in stays off (no OIDC_ISSUER_URL); these only take effect with it.
      CONSOLE_PASSWORD_SIGN_IN: true,
      OIDC_PROVIDER_NAME: "single sign-on",
      OIDC_ROLES_CLAIM: "groups",
      OIDC_SCOPES: "openid email profile",
      OIDC_SESSION_MAX_AGE_HOURS: 12,
      WRITE_RESOLVER_INTERVAL_SECONDS: 30,
      LOG_LEVEL: "info",
      COMMET_CATALOG_MAX_AGE_SECONDS: 60,
      // Workers: one per core (resolved at start); metrics: off unless METRICS_PORT is set.
      METRICS_HOST: "127.0.0.1",
    });
    expect(env.COMMET_API_KEY).toBeUndefined();
  });

  it("accepts a full, valid configuration and normalises it", () => {
    const env = parseEnv({
      NODE_ENV: "production",
      PORT: "8080",
      HOST: "0.0.0.0",
      DATA_DIR: "/var/lib/console",
      COMMET_API_KEY: "ck_live_abc123",
      COMMET_API_URL: "http://127.0.0.1:4010/",
      COMMET_WEBHOOK_SECRET: "whsec_s3cret",
      DATABASE_URL: "postgres://postgres@127.0.0.1:5432/test",
      SESSION_SECRET: "x".repeat(32),
      CONSOLE_ADMIN_EMAIL: "ops@example.com",
      CONSOLE_ADMIN_PASSWORD: "correct horse battery",
      CONSOLE_ORIGIN: "https://console.example.com/",
    });
    expect(env).toMatchObject({
      PORT: 8080,
      COMMET_API_URL: "http://127.0.0.1:4010",
      DATA_DIR: "/var/lib/console",
      CONSOLE_ORIGIN: "https://console.example.com",
    });
  });

  it("reads the webhook event retention in days (default 30)", () => {
    expect(parseEnv({ WEBHOOK_EVENT_RETENTION_DAYS: "7" })).toMatchObject({ WEBHOOK_EVENT_RETENTION_DAYS: 7 });
    expect(parseEnv({ WEBHOOK_EVENT_RETENTION_DAYS: "" })).toMatchObject({ WEBHOOK_EVENT_RETENTION_DAYS: 30 });
    expect(parseEnv({ ACCOUNT_EVENT_RETENTION_DAYS: "90" })).toMatchObject({ ACCOUNT_EVENT_RETENTION_DAYS: 90 });
  });

  it("reads the number of workers (unset: one per core) and the metrics port and host (unset: off; loopback)", () => {
    expect(parseEnv({ CONSOLE_WORKERS: "4", METRICS_PORT: "9464" })).toMatchObject({
      CONSOLE_WORKERS: 4,
      METRICS_PORT: 9464,
      METRICS_HOST: "127.0.0.1",
    });
    expect(parseEnv({ CONSOLE_WORKERS: "", METRICS_PORT: "" })).toMatchObject({
      CONSOLE_WORKERS: undefined,
      METRICS_PORT: undefined,
    });
    expect(() => parseEnv({ CONSOLE_WORKERS: "0" })).toThrow(/CONSOLE_WORKERS must be between 1 and 64/);
    expect(() => parseEnv({ CONSOLE_WORKERS: "two" })).toThrow(/CONSOLE_WORKERS must be a number/);
    expect(() => parseEnv({ METRICS_PORT: "70000" })).toThrow(/METRICS_PORT must be between 0 and 65535/);
  });

  it("reads the write resolver's interval in seconds (default 30, 0 = off, at most an hour)", () => {
    expect(parseEnv({ WRITE_RESOLVER_INTERVAL_SECONDS: "0" })).toMatchObject({ WRITE_RESOLVER_INTERVAL_SECONDS: 0 });
    expect(parseEnv({ WRITE_RESOLVER_INTERVAL_SECONDS: "" })).toMatchObject({ WRITE_RESOLVER_INTERVAL_SECONDS: 30 });
    expect(() => parseEnv({ WRITE_RESOLVER_INTERVAL_SECONDS: "5000" })).toThrow(/WRITE_RESOLVER_INTERVAL_SECONDS/);
    expect(() => parseEnv({ WRITE_RESOLVER_INTERVAL_SECONDS: "1.5" })).toThrow(/WRITE_RESOLVER_INTERVAL_SECONDS/);
  });

  it("reads the log level and the catalog's max age (0 = no cache, at most a day)", () => {
    expect(parseEnv({ LOG_LEVEL: "debug", COMMET_CATALOG_MAX_AGE_SECONDS: "0" })).toMatchObject({
      LOG_LEVEL: "debug",
      COMMET_CATALOG_MAX_AGE_SECONDS: 0,
    });
    expect(() => parseEnv({ LOG_LEVEL: "verbose" })).toThrow(/LOG_LEVEL must be one of/);
    expect(() => parseEnv({ COMMET_CATALOG_MAX_AGE_SECONDS: "100000" })).toThrow(/COMMET_CATALOG_MAX_AGE_SECONDS/);
    expect(() => parseEnv({ COMMET_CATALOG_MAX_AGE_SECONDS: "-1" })).toThrow(/COMMET_CATALOG_MAX_AGE_SECONDS/);
  });

  it("treats empty strings as unset", () => {
    expect(parseEnv({ COMMET_API_KEY: "", COMMET_API_URL: "", PORT: "" })).toMatchObject({ PORT: 3000 });
  });

  const cases: Array<[string, Record<string, string>, string]> = [
    ["key without the ck_ prefix", { COMMET_API_KEY: "sk_live_123" }, 'COMMET_API_KEY must start with "ck_"'],
    [
      "key with spaces",
      { COMMET_API_KEY: "ck_ abc" },
      "COMMET_API_KEY must contain only letters, digits, _ and - after ck_",
    ],
    [
      "malformed URL",
      { COMMET_API_KEY: "ck_x", COMMET_API_URL: "localhost:4010" },
      "COMMET_API_URL must be an http(s) URL",
    ],
    [
      "non-http URL",
      { COMMET_API_KEY: "ck_x", COMMET_API_URL: "ftp://127.0.0.1" },
      "COMMET_API_URL must be an http(s) URL",
    ],
    [
      "URL with a path",
      { COMMET_API_KEY: "ck_x", COMMET_API_URL: "http://127.0.0.1:4010/api/v1" },
      "COMMET_API_URL must be an origin only",
    ],
    [
      "URL without a key",
      { COMMET_API_URL: "http://127.0.0.1:4010" },
      "COMMET_API_KEY must be set when COMMET_API_URL is set",
    ],
    [
      "webhook secret without whsec_",
      { COMMET_WEBHOOK_SECRET: "secret" },
      'COMMET_WEBHOOK_SECRET must start with "whsec_"',
    ],
    ["port that is not a number", { PORT: "http" }, "PORT must be a port number"],
    ["port out of range", { PORT: "70000" }, "PORT must be between 0 and 65535"],
    ["fractional port", { PORT: "80.5" }, "PORT must be a whole port number"],
    ["unknown NODE_ENV", { NODE_ENV: "staging" }, "NODE_ENV must be one of development, production, test"],
    ["host with a scheme", { HOST: "http://example.com" }, "HOST must be a host name or IP address"],
    [
      "database URL of another engine",
      { DATABASE_URL: "mysql://root@db/console" },
      "DATABASE_URL must be a postgres:// or postgresql:// URL",
    ],
    ["short session secret", { SESSION_SECRET: "too-short" }, "SESSION_SECRET must be at least 32 characters long"],
    [
      "admin email that is not an email",
      { CONSOLE_ADMIN_EMAIL: "ops", CONSOLE_ADMIN_PASSWORD: "a long enough password" },
      "CONSOLE_ADMIN_EMAIL must be an email address",
    ],
    [
      "short admin password",
      { CONSOLE_ADMIN_EMAIL: "ops@example.com", CONSOLE_ADMIN_PASSWORD: "short" },
      "CONSOLE_ADMIN_PASSWORD must be at least 12 characters long",
    ],
    [
      "admin email without password",
      { CONSOLE_ADMIN_EMAIL: "ops@example.com" },
      "CONSOLE_ADMIN_PASSWORD must be set when CONSOLE_ADMIN_EMAIL is set",
    ],
    [
      "admin password without email",
      { CONSOLE_ADMIN_PASSWORD: "a long enough password" },
      "CONSOLE_ADMIN_EMAIL must be set when CONSOLE_ADMIN_PASSWORD is set",
    ],
    [
      "webhook event retention of zero days",
      { WEBHOOK_EVENT_RETENTION_DAYS: "0" },
      "WEBHOOK_EVENT_RETENTION_DAYS must be at least 1 day",
    ],
    [
      "account activity retention of zero days",
      { ACCOUNT_EVENT_RETENTION_DAYS: "0" },
      "ACCOUNT_EVENT_RETENTION_DAYS must be at least 1 day",
    ],
    [
      "webhook event retention that is not a plain number",
      { WEBHOOK_EVENT_RETENTION_DAYS: "1e1" },
      "WEBHOOK_EVENT_RETENTION_DAYS must be a whole number of days",
    ],
  ];

  it.each(cases)("rejects a %s with one line naming the variable", (_name, raw, expected) => {
    const message = messageFor(raw);
    expect(message).toContain(expected);
    expect(message.startsWith("Invalid environment: ")).toBe(true);
    expect(message).not.toContain("\n");
  });

  it("never echoes the offending value (it may be a secret)", () => {
    const message = messageFor({ COMMET_API_KEY: "sk_live_supersecretvalue" });
    expect(message).not.toContain("supersecretvalue");
  });

  it("names every bad variable on the same line", () => {
    const message = messageFor({ COMMET_API_KEY: "nope", PORT: "-1" });
    expect(message).toMatch(
      /^Invalid environment: .*PORT.*; .*COMMET_API_KEY|^Invalid environment: .*COMMET_API_KEY.*; .*PORT/,
    );
    try {
      parseEnv({ COMMET_API_KEY: "nope", PORT: "-1" });
    } catch (error) {
      expect((error as EnvError).variables.sort()).toEqual(["COMMET_API_KEY", "PORT"]);
    }
  });

  it("refuses a public bind address in sandbox mode unless explicitly allowed, and wants the public origin", () => {
    expect(messageFor({ HOST: "0.0.0.0", CONSOLE_ORIGIN: "http://console.lan:3000" })).toMatch(
      /HOST must be a loopback address .* CONSOLE_ALLOW_PUBLIC_SANDBOX=true/,
    );
    expect(messageFor({ HOST: "0.0.0.0", CONSOLE_ALLOW_PUBLIC_SANDBOX: "true" })).toMatch(/CONSOLE_ORIGIN must be set/);
    expect(
      parseEnv({ HOST: "0.0.0.0", CONSOLE_ALLOW_PUBLIC_SANDBOX: "true", CONSOLE_ORIGIN: "http://console.lan:3000" }),
    ).toMatchObject({ CONSOLE_ALLOW_PUBLIC_SANDBOX: true, CONSOLE_ORIGIN: "http://console.lan:3000" });
    expect(parseEnv({ HOST: "127.0.0.1" }).HOST).toBe("127.0.0.1");
    expect(parseEnv({ HOST: "::1" }).HOST).toBe("::1");
  });

  it("derives the console's origins from CONSOLE_ORIGIN, or the loopback names of the bound port", () => {
    expect(consoleOrigins(parseEnv({}), 3000)).toEqual(["http://localhost:3000", "http://127.0.0.1:3000"]);
    expect(consoleOrigins(parseEnv({ CONSOLE_ORIGIN: "https://ops.example.com" }), 3000)).toEqual([
      "https://ops.example.com",
    ]);
  });
});
