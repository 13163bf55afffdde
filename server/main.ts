/**
 * The console process: `npm start` (production build) or `npm run dev` (`--dev`).
 *
 * 1. Validate the environment (server/env.ts); a bad value stops here with one line.
 * 2. Bind the HTTP port (requests wait behind a 503 "starting" until step 5).
 * 3. Without COMMET_API_KEY, start the local sandbox as a child process and use it.
 * 4. Point the one Commet SDK client at its target (server/commet/).
 * 5. Run the startup tasks, then serve the console.
 */
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { COMMET_WEBHOOK_PATH, createApp, runStartupTasks, type StartupTask } from "./app-server.ts";
import { startAuth } from "./auth/index.ts";
import { getCommet } from "./commet/client.ts";
import { connectCommet } from "./commet/index.ts";
import { loadSandboxCredentials, spawnSandbox, type SandboxProcess } from "./commet/local-sandbox.ts";
import { getReadyDb } from "./db/index.ts";
import { startPeriodicResync } from "./directory/index.ts";
import { EnvError, parseEnv, resetEnvCache, type Env } from "./env.ts";
import { startPlanAssigner } from "./usage/timeline/index.ts";

const dev = process.argv.includes("--dev");
process.env.NODE_ENV ??= dev ? "development" : "production";

const log = (line: string) => process.stdout.write(`${line}\n`);

/**
 * Startup work of other domains (database migrations, first-run admin) is listed here, in order.
 * Each task receives the environment as the operator gave it (parsed before the embedded sandbox's
 * key is filled in), so `env.COMMET_API_KEY` unset still means "embedded sandbox mode".
 */
const startupTasks: StartupTask[] = [
  {
    name: "database migrations",
    run: async () => {
      await getReadyDb();
    },
  },
  {
    name: "staff accounts and sessions",
    run: async (env) => {
      await startAuth({
        mode: env.COMMET_API_KEY ? "live" : "sandbox",
        dataDir: env.DATA_DIR,
        sessionSecret: env.SESSION_SECRET,
        nodeEnv: process.env.NODE_ENV,
        adminEmail: env.CONSOLE_ADMIN_EMAIL,
        adminPassword: env.CONSOLE_ADMIN_PASSWORD,
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
      // Usage that arrived before the directory knew its subscription gets its plan once it does.
      startPlanAssigner(database, { log: (line) => log(`[usage timeline] ${line}`) });
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

async function main() {
  const env = readEnv();
  fs.mkdirSync(env.DATA_DIR, { recursive: true });

  let ready = false;
  const server = http.createServer();
  // "localhost" is bound as 127.0.0.1 so the sandbox's webhooks (sent to 127.0.0.1) always reach us.
  const bindHost = env.HOST === "localhost" ? "127.0.0.1" : env.HOST;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(env.PORT, bindHost, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  const starting: http.RequestListener = (_req, res) => {
    res.writeHead(503, { "content-type": "text/plain; charset=utf-8", "retry-after": "2" });
    res.end("The console is starting, try again in a moment.\n");
  };
  server.on("request", (req, res) => {
    if (!ready) starting(req, res);
  });

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
  if (env.COMMET_API_KEY) {
    connectCommet({ apiKey: env.COMMET_API_KEY, apiUrl: env.COMMET_API_URL, embeddedSandbox: false });
    target = env.COMMET_API_URL ?? "https://commet.co";
  } else {
    const credentials = loadSandboxCredentials(env.DATA_DIR);
    const webhookSecret = env.COMMET_WEBHOOK_SECRET ?? credentials.webhookSecret;
    sandbox = await spawnSandbox({
      dataDir: `${env.DATA_DIR}/sandbox`,
      apiKey: credentials.apiKey,
      webhookUrl: `http://127.0.0.1:${port}${COMMET_WEBHOOK_PATH}`,
      webhookSecret,
    });
    // The rest of the process (webhook verification included) sees the sandbox as its Commet.
    process.env.COMMET_API_KEY = credentials.apiKey;
    process.env.COMMET_API_URL = sandbox.url;
    process.env.COMMET_WEBHOOK_SECRET = webhookSecret;
    resetEnvCache();
    connectCommet({ apiKey: credentials.apiKey, apiUrl: sandbox.url, embeddedSandbox: true });
    target = `embedded sandbox at ${sandbox.url}`;
  }

  await runStartupTasks(startupTasks, env, log);
  const app = await createApp({ mode: dev ? "development" : "production" });
  server.on("request", (req, res) => {
    if (ready) app(req, res);
  });
  ready = true;
  const shownHost = env.HOST === "0.0.0.0" || env.HOST === "::" ? "localhost" : env.HOST;
  log(`console listening on http://${shownHost}:${port} (Commet: ${target})`);
}

main().catch((error: unknown) => {
  process.stderr.write(`The console could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
