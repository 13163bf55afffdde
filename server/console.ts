/**
 * The console's start-up, run inside the Remix server build so that every server module exists once per
 * process (docs/decisions/0009-one-module-graph.md): env → port → Commet (or the embedded sandbox) →
 * start-up tasks → serve. `server/main.ts` loads the build and calls `startConsole`.
 */
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { COMMET_WEBHOOK_PATH, createApp, runStartupTasks, type BuildSource, type StartupTask } from "./app-server.ts";
import { startAuth } from "./auth/index.ts";
import { connectCommet, getCommet } from "./commet/client.ts";
import { loadSandboxCredentials, spawnSandbox, type SandboxProcess } from "./commet/local-sandbox.ts";
import { getReadyDb } from "./db/index.ts";
import { startPeriodicResync } from "./directory/index.ts";
import { consoleOrigins, EnvError, oidcSettingsOf, parseEnv, type Env } from "./env.ts";
import { startPlanAssigner } from "./usage/timeline/index.ts";
import { startWebhookEventPruner } from "./webhooks/index.ts";
import { startAccountEventPruner } from "./activity/index.ts";
import { startProcessWriteResolver } from "./writes/index.ts";
import { startBulkRunner } from "./bulk/index.ts";

const log = (line: string) => process.stdout.write(`${line}\n`);

/** In order; each gets the environment as the operator gave it (no COMMET_API_KEY = embedded sandbox mode). */
const startupTasks = (origins: readonly string[]): StartupTask[] => [
  { name: "database migrations", run: async () => void (await getReadyDb()) },
  {
    name: "staff accounts and sessions (and OIDC discovery when configured)",
    run: async (env) => {
      await startAuth({
        mode: env.COMMET_API_KEY ? "live" : "sandbox",
        dataDir: env.DATA_DIR,
        sessionSecret: env.SESSION_SECRET,
        nodeEnv: env.NODE_ENV,
        adminEmail: env.CONSOLE_ADMIN_EMAIL,
        adminPassword: env.CONSOLE_ADMIN_PASSWORD,
        origins,
        oidc: oidcSettingsOf(env),
        passwordSignIn: env.CONSOLE_PASSWORD_SIGN_IN,
        log,
      });
    },
  },
  {
    // In the background: the console serves at once; /customers shows the progress, the log too.
    name: "directory sync (background) + periodic re-sync + usage plan assigner",
    run: async () => {
      const database = await getReadyDb();
      startPeriodicResync(database, getCommet(), { log: (line) => log(`[directory sync] ${line}`) });
      startPlanAssigner(database, { log: (line) => log(`[usage timeline] ${line}`) });
    },
  },
  {
    name: "webhook event retention (periodic prune)",
    run: async (env) => {
      startWebhookEventPruner(await getReadyDb(), {
        retentionDays: env.WEBHOOK_EVENT_RETENTION_DAYS,
        log: (line) => log(`[webhooks] ${line}`),
      });
    },
  },
  {
    name: "account activity retention (periodic prune)",
    run: async (env) => {
      startAccountEventPruner(await getReadyDb(), {
        retentionDays: env.ACCOUNT_EVENT_RETENTION_DAYS,
        log: (line) => log(`[activity] ${line}`),
      });
    },
  },
  {
    // Unknown write outcomes are re-sent with their key in the background, inside Commet's 24 h window.
    name: "write resolver (background)",
    run: async (env) => {
      const seconds = env.WRITE_RESOLVER_INTERVAL_SECONDS;
      if (seconds === 0) {
        log("[writes] resolver off (WRITE_RESOLVER_INTERVAL_SECONDS=0)");
        return;
      }
      await startProcessWriteResolver({ intervalMs: seconds * 1000, log: (line) => log(`[writes] ${line}`) });
    },
  },
  {
    // Batches a stopped console left applying resume where they stopped (their rows' keys say what is done).
    name: "bulk batches (resume unfinished)",
    run: async () => {
      await startBulkRunner({ intervalMs: 15_000, log: (line) => log(`[bulk] ${line}`) });
    },
  },
];

function readEnv(): Env {
  try {
    return parseEnv(process.env);
  } catch (error) {
    if (error instanceof EnvError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

export async function startConsole(options: BuildSource): Promise<void> {
  const env = readEnv();
  fs.mkdirSync(env.DATA_DIR, { recursive: true });

  // Bound first: requests wait behind a 503 "starting" until the console is ready.
  const starting: http.RequestListener = (_req, res) => {
    res.writeHead(503, { "content-type": "text/plain; charset=utf-8", "retry-after": "2" });
    res.end("The console is starting, try again in a moment.\n");
  };
  const server = http.createServer(starting);
  // "localhost" is bound as 127.0.0.1 so the sandbox's webhooks (sent to 127.0.0.1) always reach us.
  const bindHost = env.HOST === "localhost" ? "127.0.0.1" : env.HOST;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(env.PORT, bindHost, resolve);
  });
  const port = (server.address() as AddressInfo).port;

  let sandbox: SandboxProcess | undefined;
  const shutdown = async (code: number) => {
    server.close();
    await sandbox?.stop();
    process.exit(code);
  };
  process.once("SIGINT", () => void shutdown(0));
  process.once("SIGTERM", () => void shutdown(0));
  process.once("exit", () => sandbox?.child.kill("SIGTERM"));

  let target: string;
  let webhookSecret = env.COMMET_WEBHOOK_SECRET;
  if (env.COMMET_API_KEY) {
    connectCommet({ apiKey: env.COMMET_API_KEY, apiUrl: env.COMMET_API_URL, embeddedSandbox: false });
    target = env.COMMET_API_URL ?? "https://commet.co";
  } else {
    const credentials = loadSandboxCredentials(env.DATA_DIR);
    webhookSecret ??= credentials.webhookSecret;
    sandbox = await spawnSandbox({
      dataDir: `${env.DATA_DIR}/sandbox`,
      apiKey: credentials.apiKey,
      webhookUrl: `http://127.0.0.1:${port}${COMMET_WEBHOOK_PATH}`,
      webhookSecret,
    });
    connectCommet({ apiKey: credentials.apiKey, apiUrl: sandbox.url, embeddedSandbox: true });
    target = `embedded sandbox at ${sandbox.url}`;
  }

  const origins = consoleOrigins(env, port);
  await runStartupTasks(startupTasks(origins), env, log);
  server.off("request", starting).on("request", createApp({ ...options, webhookSecret, origins }));
  // The first origin is the one to open: CONSOLE_ORIGIN, or the bound loopback address.
  log(`console listening on ${origins[0]} (Commet: ${target})`);
}
