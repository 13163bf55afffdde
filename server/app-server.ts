import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { createRequestHandler } from "@remix-run/express";
import type { ServerBuild } from "@remix-run/node";
import compression from "compression";
import express from "express";
import { getEnv, type Env } from "./env.ts";
import { getCommet } from "./commet/client.ts";
import { PROJECT_ROOT } from "./commet/local-sandbox.ts";
import { getReadyDb } from "./db/index.ts";
import { commetWebhookRouter, directoryWebhookHandlers } from "./directory/index.ts";
import { usageWebhookHandlers } from "./usage/timeline/index.ts";

/**
 * The console's HTTP server: Remix behind Express. Production serves the
 * build in `build/` (`npm run build`); development (`--dev`) runs Vite as
 * middleware with hot reload.
 */

export const BUILD_DIR = path.join(PROJECT_ROOT, "build");

/**
 * Work that must finish before the console accepts requests (database
 * migrations, first-run admin, …). Domains add theirs to the list in
 * `server/main.ts`; they run in order, and a failure stops the start.
 */
export type StartupTask = { name: string; run: (env: Env) => Promise<void> };

export async function runStartupTasks(
  tasks: readonly StartupTask[],
  env: Env,
  log: (line: string) => void,
): Promise<void> {
  for (const task of tasks) {
    const started = Date.now();
    await task.run(env);
    log(`startup: ${task.name} (${Date.now() - started} ms)`);
  }
}

/**
 * What loaders and actions get as `context`: the client IP (Express `req.ip`, the socket address
 * unless a proxy is trusted) — sign-in rate limiting counts failures per IP.
 */
export type ConsoleLoadContext = { clientIp: string | null };
const getLoadContext = (req: express.Request): ConsoleLoadContext => ({ clientIp: req.ip ?? null });
declare module "@remix-run/node" {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- interface merging, as Remix documents
  interface AppLoadContext extends ConsoleLoadContext {}
}

/**
 * A state-changing request whose Origin names another host is refused with 403 here. Remix 2 aborts
 * such document POSTs itself, but with a 500; every action also checks (server/auth assertSameOrigin,
 * which additionally refuses requests with neither Origin nor Referer). Requests without an Origin
 * (Commet's webhooks) pass on to their route.
 */
function refuseCrossSiteForms(req: express.Request, res: express.Response, next: express.NextFunction) {
  const origin = req.headers.origin;
  if (["GET", "HEAD", "OPTIONS"].includes(req.method) || !origin) return next();
  const forwarded = req.headers["x-forwarded-host"];
  const host = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(",")[0]?.trim() || req.headers.host;
  let originHost: string | null = null;
  try {
    originHost = origin === "null" ? null : new URL(origin).host;
  } catch {
    originHost = null;
  }
  if (originHost && originHost === host) return next();
  res.status(403).type("text/plain").send("Cross-site request refused");
}

/** Where Commet delivers webhooks (the endpoint registered with Commet, and the embedded sandbox's). */
export const COMMET_WEBHOOK_PATH = "/webhooks/commet";

/**
 * POST /webhooks/commet — Commet's webhook deliveries, answered by Express ahead of Remix (public: no
 * session, no CSRF; the X-Commet-Signature HMAC of the raw body, checked by the SDK with
 * COMMET_WEBHOOK_SECRET, authenticates them). The directory keeps the customer index fresh; the usage
 * timeline ingests usage.recorded. Deduplicated by event id; bad or unsigned payloads → 400/401 and
 * nothing stored.
 */
export function commetWebhooks(): express.Router {
  return commetWebhookRouter(COMMET_WEBHOOK_PATH, {
    database: getReadyDb,
    secret: () => getEnv().COMMET_WEBHOOK_SECRET,
    commet: getCommet,
    handlers: { ...directoryWebhookHandlers, ...usageWebhookHandlers },
  });
}

export type AppServerOptions = { mode: "production" | "development" };

export async function createApp({ mode }: AppServerOptions): Promise<express.Express> {
  const app = express();
  app.disable("x-powered-by");
  // Commet's deliveries first: small JSON answers, nothing to compress, no page machinery.
  app.use(commetWebhooks());
  app.use(compression());
  app.get("/healthz", (_req, res) => {
    res.json({ ok: true });
  });
  app.use(refuseCrossSiteForms);

  if (mode === "development") {
    const vite = await import("vite");
    const devServer = await vite.createServer({ root: PROJECT_ROOT, server: { middlewareMode: true } });
    app.use(devServer.middlewares);
    app.all(
      "*",
      createRequestHandler({
        mode,
        build: () => devServer.ssrLoadModule("virtual:remix/server-build") as Promise<ServerBuild>,
        getLoadContext,
      }),
    );
    return app;
  }

  const serverBuild = path.join(BUILD_DIR, "server/index.js");
  if (!fs.existsSync(serverBuild)) {
    throw new Error(
      `No production build at ${path.relative(
        process.cwd(),
        serverBuild,
      )}: run \`npm run build\` first (or \`npm start\`, which builds)`,
    );
  }
  const build = (await import(pathToFileURL(serverBuild).href)) as ServerBuild;
  const clientDir = path.join(BUILD_DIR, "client");
  // Fingerprinted by Vite: safe to cache forever.
  app.use("/assets", express.static(path.join(clientDir, "assets"), { immutable: true, maxAge: "1y" }));
  app.use(express.static(clientDir, { maxAge: "1h" }));
  app.all("*", createRequestHandler({ build, mode, getLoadContext }));
  return app;
}
