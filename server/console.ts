/**
 * The console's start-up, run inside the Remix server build so that every server module exists once per
 * process (docs/decisions/0009-one-module-graph.md): env → port → Commet (or the embedded sandbox) →
 * start-up tasks → serve, in one process or in one worker per core under a primary
 * (docs/decisions/0026-workers-and-instances.md). `server/main.ts` loads the build and calls `startConsole`.
 */
import cluster from "node:cluster";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { availableParallelism } from "node:os";
import { sql } from "kysely";
import { COMMET_WEBHOOK_PATH, createApp, runStartupTasks, type BuildSource, type StartupTask } from "./app-server.ts";
import { startAuth } from "./auth/index.ts";
import {
  collectProcessMetrics,
  registerConsoleGauges,
  createReadiness,
  nextOrderFromPrimary,
  onPrimaryShutdown,
  runPrimary,
  runUnderLease,
  startMetricsServer,
  tellPrimary,
  type CommetHandover,
  type LeasedWork,
  type MetricsServer,
} from "./cluster/index.ts";
import { connectCommet, getCommet } from "./commet/client.ts";
import { probeCommet } from "./commet/index.ts";
import { loadSandboxCredentials, spawnSandbox } from "./commet/local-sandbox.ts";
import { closeDb, getReadyDb } from "./db/index.ts";
import { startPeriodicResync } from "./directory/index.ts";
import { consoleOrigins, EnvError, oidcSettingsOf, parseEnv, type Env } from "./env.ts";
import { startPlanAssigner } from "./usage/timeline/index.ts";
import { startWebhookEventPruner } from "./webhooks/index.ts";
import { startAccountEventPruner } from "./activity/index.ts";
import { startProcessWriteResolver } from "./writes/index.ts";
import { startBulkRunner } from "./bulk/index.ts";
import { configureLogging, lineLogger, logger } from "./observability/index.ts";

/** The lease whose holder runs the background work, one process across all workers and instances. */
export const BACKGROUND_LEASE = "background-work";

/** In order, in every serving process; each gets the environment as the operator gave it (no COMMET_API_KEY = embedded sandbox mode). */
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
        log: lineLogger("auth"),
      });
    },
  },
  {
    // Batches a stopped console left applying resume where they stopped (their rows' keys say what is done); each
    // batch is held by one process at a time (its own lease), so every worker may run this.
    name: "bulk batches (resume unfinished)",
    run: async () => {
      await startBulkRunner({ intervalMs: 15_000, log: lineLogger("bulk") });
    },
  },
];

/**
 * Work that must run in exactly one process: the directory sync (at once, it resumes an interrupted run) and its
 * periodic re-sync, the usage plan assigner, the retention pruners and the write resolver. Started by the holder
 * of BACKGROUND_LEASE; returns stop().
 */
async function startBackgroundWork(env: Env): Promise<() => Promise<void>> {
  const database = await getReadyDb();
  const stops = [
    startPeriodicResync(database, getCommet(), { log: lineLogger("directory-sync") }),
    startPlanAssigner(database, { log: lineLogger("usage-timeline") }),
    startWebhookEventPruner(database, {
      retentionDays: env.WEBHOOK_EVENT_RETENTION_DAYS,
      log: lineLogger("webhooks"),
    }),
    startAccountEventPruner(database, {
      retentionDays: env.ACCOUNT_EVENT_RETENTION_DAYS,
      log: lineLogger("activity"),
    }),
  ];
  // Unknown write outcomes are re-sent with their key in the background, inside Commet's 24 h window.
  const seconds = env.WRITE_RESOLVER_INTERVAL_SECONDS;
  if (seconds === 0) logger("writes").info("resolver off (WRITE_RESOLVER_INTERVAL_SECONDS=0)");
  else stops.push(await startProcessWriteResolver({ intervalMs: seconds * 1000, log: lineLogger("writes") }));
  return async () => {
    await Promise.all(stops.map((stop) => stop()));
  };
}

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

/** Where Commet is: COMMET_API_KEY's target, or the embedded sandbox started now (its webhooks go to `port`). */
async function connectTarget(env: Env, port: number): Promise<{ commet: CommetHandover; stop?: () => Promise<void> }> {
  if (env.COMMET_API_KEY) {
    const connection = {
      apiKey: env.COMMET_API_KEY,
      apiUrl: env.COMMET_API_URL,
      embeddedSandbox: false,
      catalogMaxAgeMs: env.COMMET_CATALOG_MAX_AGE_SECONDS * 1000,
    };
    const target = env.COMMET_API_URL ?? "https://commet.co";
    return { commet: { connection, webhookSecret: env.COMMET_WEBHOOK_SECRET, target } };
  }
  const credentials = loadSandboxCredentials(env.DATA_DIR);
  const webhookSecret = env.COMMET_WEBHOOK_SECRET ?? credentials.webhookSecret;
  const sandbox = await spawnSandbox({
    dataDir: `${env.DATA_DIR}/sandbox`,
    apiKey: credentials.apiKey,
    webhookUrl: `http://127.0.0.1:${port}${COMMET_WEBHOOK_PATH}`,
    webhookSecret,
  });
  process.once("exit", () => sandbox.child.kill("SIGTERM"));
  const connection = {
    apiKey: credentials.apiKey,
    apiUrl: sandbox.url,
    embeddedSandbox: true,
    catalogMaxAgeMs: env.COMMET_CATALOG_MAX_AGE_SECONDS * 1000,
  };
  return {
    commet: { connection, webhookSecret, target: `embedded sandbox at ${sandbox.url}` },
    stop: () => sandbox.stop(),
  };
}

/**
 * The first origin is the one to open: CONSOLE_ORIGIN, or the bound loopback address. The plain line is the
 * readiness signal that server/console-process.ts (tests, benches) and people wait for; the record is for the logs.
 */
function announceListening(env: Env, port: number, commet: CommetHandover, workers: number): void {
  const url = consoleOrigins(env, port)[0];
  logger("console").info({ url, commet: commet.target, workers }, "console listening");
  process.stdout.write(
    `console listening on ${url} (Commet: ${commet.target}) with ${workers} worker${workers === 1 ? "" : "s"}\n`,
  );
}

async function startMetrics(env: Env, aggregate: boolean): Promise<MetricsServer | undefined> {
  if (env.METRICS_PORT === undefined) return undefined;
  const metrics = await startMetricsServer({ host: env.METRICS_HOST, port: env.METRICS_PORT, aggregate });
  logger("metrics").info({ url: metrics.url }, `metrics at ${metrics.url}`);
  return metrics;
}

export async function startConsole(options: BuildSource): Promise<void> {
  const env = readEnv();
  configureLogging({ level: env.LOG_LEVEL, pretty: env.NODE_ENV === "development" });
  fs.mkdirSync(env.DATA_DIR, { recursive: true });
  // Development runs one process: Vite's dev server (and its module graph) lives in it.
  const workers = options.mode === "development" ? 1 : (env.CONSOLE_WORKERS ?? availableParallelism());
  if (cluster.isPrimary && workers > 1) {
    const metrics = await startMetrics(env, true);
    await runPrimary({
      workers,
      connect: (port) => connectTarget(env, port),
      ready: (port, commet) => announceListening(env, port, commet, workers),
      onShutdown: async () => metrics?.close(),
      log: lineLogger("cluster"),
    });
    return;
  }
  await serve(options, env);
}

/** One serving process: the whole console (CONSOLE_WORKERS=1), or one worker of the primary. */
async function serve(options: BuildSource, env: Env): Promise<void> {
  const worker = cluster.isWorker;
  // Until the console is ready: 503 "starting" (the process is alive, though).
  const starting: http.RequestListener = (req, res) => {
    if (req.url === "/healthz")
      return void res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
    res.writeHead(503, { "content-type": "text/plain; charset=utf-8", "retry-after": "2" });
    res.end("The console is starting, try again in a moment.\n");
  };
  const server = http.createServer(starting);
  // "localhost" is bound as 127.0.0.1 so the sandbox's webhooks (sent to 127.0.0.1) always reach us.
  const bindHost = env.HOST === "localhost" ? "127.0.0.1" : env.HOST;
  const listen = () =>
    new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(env.PORT, bindHost, () => resolve((server.address() as AddressInfo).port));
    });

  // What the shutdown stops, as far as the start got.
  const parts: { background?: LeasedWork; metrics?: MetricsServer; stopCommet?: () => Promise<void> } = {};
  let stopping: Promise<void> | undefined;
  // Stop taking connections, let the requests in flight finish, stop the background work (releasing its lease
  // at once, so another process takes over), then the sandbox and the database.
  const shutdown = (code: number) =>
    (stopping ??= (async () => {
      logger("console").info("stopping: finishing the requests in flight");
      if (server.listening) {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        // Keep-alive connections (browsers, the sandbox's webhook deliveries) close as soon as they are idle.
        const idle = setInterval(() => server.closeIdleConnections(), 100);
        const force = setTimeout(() => server.closeAllConnections(), 10_000);
        server.closeIdleConnections();
        await closed;
        clearInterval(idle);
        clearTimeout(force);
      }
      await parts.background?.stop();
      await parts.metrics?.close();
      await parts.stopCommet?.();
      await closeDb();
      process.exit(code);
    })());
  if (worker) onPrimaryShutdown(() => void shutdown(0));
  else process.once("SIGINT", () => void shutdown(0));
  process.once("SIGTERM", () => void shutdown(0));

  // A single process binds first (requests wait behind 503 "starting"), as does the primary's first worker, whose
  // port the embedded sandbox needs; later workers listen once ready, so a restarted one never answers 503.
  let port: number | undefined;
  let shared: number;
  let commet: CommetHandover;
  if (worker) {
    let order = await nextOrderFromPrimary();
    if (order.type === "console:bind") {
      port = await listen();
      tellPrimary({ type: "console:listening", port });
      order = await nextOrderFromPrimary();
    }
    if (order.type !== "console:start") throw new Error(`unexpected order from the primary: ${order.type}`);
    commet = order.commet;
    shared = order.port;
  } else {
    port = shared = await listen();
    const connected = await connectTarget(env, port);
    commet = connected.commet;
    parts.stopCommet = connected.stop;
  }
  connectCommet(commet.connection);
  let serving = false;
  collectProcessMetrics();
  registerConsoleGauges({ serving: () => serving, holdsBackgroundLease: () => parts.background?.held() ?? false });
  if (!worker) parts.metrics = await startMetrics(env, false);

  const origins = consoleOrigins(env, shared);
  await runStartupTasks(startupTasks(origins), env);
  parts.background = runUnderLease({
    database: getReadyDb,
    name: BACKGROUND_LEASE,
    start: () => startBackgroundWork(env),
    log: lineLogger("lease"),
  });
  const readiness = createReadiness({
    checks: {
      database: async () => void (await sql`select 1`.execute((await getReadyDb()).db)),
      commet: (timeoutMs) => probeCommet(timeoutMs),
    },
    log: lineLogger("readiness"),
  });
  const app = createApp({ ...options, webhookSecret: commet.webhookSecret, origins, readiness });
  server.off("request", starting).on("request", app);
  if (port === undefined) port = await listen();
  serving = true;
  if (worker) tellPrimary({ type: "console:ready" });
  else announceListening(env, port, commet, 1);
}
