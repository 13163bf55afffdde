/**
 * The console's HTTP server: Commet's webhooks, then Remix behind Express (production: the build in build/;
 * development: Vite's middleware and modules) (docs/decisions/0001-remix-v2-vite.md).
 */

import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { createRequestHandler } from "@remix-run/express";
import compression from "compression";
import express from "express";
import type { ServerBuild } from "@remix-run/node";
import type { Connect } from "vite";
import type { Env } from "./env.ts";
import type { Readiness } from "./cluster/index.ts";
import { getCommet } from "./commet/client.ts";
import { coalesceWrites } from "./http-coalesce.ts";
import { refuseNonFormBodies } from "./http-content-type.ts";
import { cspNonce, noStore, refuseCrossSiteForms, refuseUnknownHost, securityHeaders } from "./http-security.ts";
import { BUILD_DIR } from "./project-root.ts";
import { getReadyDb } from "./db/index.ts";
import { activityWebhooks } from "./activity/index.ts";
import { directoryWebhooks, SEARCH_PATH, searchEndpoint } from "./directory/index.ts";
import { usageWebhooks } from "./usage/timeline/index.ts";
import { paymentWebhooks } from "./payments/index.ts";
import { catalogWebhooks } from "./commet/index.ts";
import { labelRoute, logger, remixRouteLabeler, requestObservability } from "./observability/index.ts";
import { commetWebhookRouter } from "./webhooks/index.ts";

/** Work that must finish before the console accepts requests; run in order, a failure stops the start. */
export type StartupTask = { name: string; run: (env: Env) => Promise<void> };

export async function runStartupTasks(tasks: readonly StartupTask[], env: Env): Promise<void> {
  for (const task of tasks) {
    const started = Date.now();
    await task.run(env);
    logger("startup").info({ task: task.name, durationMs: Date.now() - started }, `startup: ${task.name}`);
  }
}

/**
 * What loaders and actions get as `context`: the client IP (Express `req.ip`, the socket address unless a
 * proxy is trusted) for sign-in throttling, and the request's CSP nonce for the document's inline scripts.
 */
export type ConsoleLoadContext = { clientIp: string | null; cspNonce: string };
const getLoadContext = (req: express.Request, res: express.Response): ConsoleLoadContext => ({
  clientIp: req.ip ?? null,
  cspNonce: String(res.locals.cspNonce ?? ""),
});
declare module "@remix-run/node" {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- interface merging, as Remix documents
  interface AppLoadContext extends ConsoleLoadContext {}
}

/** Where Commet delivers webhooks (the endpoint registered with Commet, and the embedded sandbox's). */
export const COMMET_WEBHOOK_PATH = "/webhooks/commet";

/**
 * POST /webhooks/commet — Commet's webhook deliveries, answered by Express ahead of Remix (public: no
 * session, no CSRF; the X-Commet-Signature HMAC of the raw body, checked by the SDK with
 * COMMET_WEBHOOK_SECRET, authenticates them). The directory keeps the customer index fresh; the usage
 * timeline ingests usage.recorded; the activity domain keeps every event about a customer. Deduplicated by event id; bad or unsigned payloads → 400/401 and
 * nothing stored.
 */
export function commetWebhooks(secret: string | undefined): express.Router {
  return commetWebhookRouter(COMMET_WEBHOOK_PATH, {
    database: getReadyDb,
    secret: () => secret,
    commet: getCommet,
    domains: [directoryWebhooks, usageWebhooks, activityWebhooks, paymentWebhooks, catalogWebhooks],
  });
}

/** Where the Remix build comes from: loaded once (production), or from Vite on every request (development). */
export type BuildSource =
  | { mode: "production"; build: ServerBuild }
  | { mode: "development"; build: () => Promise<ServerBuild>; devMiddleware: Connect.Server };

export type AppServerOptions = BuildSource & {
  webhookSecret: string | undefined;
  origins: readonly string[];
  /** /readyz: the database and Commet reachable (server/cluster/readiness.ts). */
  readiness: () => Promise<Readiness>;
};

export function createApp(options: AppServerOptions): express.Express {
  const app = express();
  app.disable("x-powered-by");
  // Remix reads the URL itself; Express's default `qs` parse of every query string was wasted work.
  app.set("query parser", "simple");
  // First: every request gets its id (echoed, carried to every log line) and counts in the metrics.
  app.use(
    requestObservability({
      remixRoute: options.mode === "production" ? remixRouteLabeler(options.build.routes) : () => "remix (development)",
      debugRoutes: [COMMET_WEBHOOK_PATH],
    }),
  );
  // Commet's deliveries first: small JSON answers, nothing to compress, no page machinery.
  app.use(commetWebhooks(options.webhookSecret));
  // Probes of load balancers and orchestrators, which call by IP: answered before the Host check.
  app.get("/healthz", (_req, res) => {
    res.json({ ok: true });
  });
  app.get("/readyz", (_req, res, next) => {
    options.readiness().then((readiness) => {
      res
        .status(readiness.ready ? 200 : 503)
        .set("cache-control", "no-store")
        .json(readiness);
    }, next);
  });
  app.use(refuseUnknownHost(options.origins));
  app.use(cspNonce(), securityHeaders(options.mode));
  // The command palette's search, on every keystroke: a small private JSON answer, given here without Remix's
  // machinery or compression (docs/decisions/0030-search-ahead-of-remix.md).
  const search = searchEndpoint();
  app.get(SEARCH_PATH, search);
  app.options(SEARCH_PATH, search);
  // Brotli's default 4 MiB window costs more to set up per answer than compressing a page; 256 KiB covers any
  // page, so the bytes are the same (docs/decisions/0025-where-the-cpu-goes.md).
  app.use(compression({ brotli: { params: { [zlib.constants.BROTLI_PARAM_LGWIN]: 18 } } }));
  // What Remix writes within one turn of the event loop goes to the compressor as one chunk (server/http-coalesce.ts).
  app.use(coalesceWrites());
  app.use(refuseCrossSiteForms(options.origins));
  app.use(refuseNonFormBodies({ exempt: [COMMET_WEBHOOK_PATH] }));
  app.all(SEARCH_PATH, (_req, res) => {
    res
      .set({ Allow: "GET, HEAD, OPTIONS", "Cache-Control": "no-store" })
      .status(405)
      .type("text/plain")
      .send("Method Not Allowed\n");
  });

  if (options.mode === "development") {
    app.use(labelRoute("vite (development)"), options.devMiddleware, labelRoute(undefined));
    app.use(noStore());
    app.all("*", createRequestHandler({ mode: options.mode, build: options.build, getLoadContext }));
    return app;
  }
  const clientDir = path.join(BUILD_DIR, "client");
  // Fingerprinted by Vite: safe to cache forever.
  app.use(
    "/assets",
    labelRoute("static"),
    express.static(path.join(clientDir, "assets"), { immutable: true, maxAge: "1y" }),
    labelRoute(undefined),
  );
  // The build's other public files (favicon, …) — asked of the file system only for names that are there at start,
  // not for every page and search request (docs/decisions/0025-where-the-cpu-goes.md).
  const publicNames = new Set(fs.readdirSync(clientDir).filter((name) => name !== "assets"));
  const publicFiles = express.static(clientDir, { maxAge: "1h" });
  const servePublic: express.RequestHandler = (req, res, next) => {
    const first = req.path.split("/")[1] ?? "";
    // A percent-encoded name is left to serve-static, which decodes it, as before.
    return publicNames.has(first) || first.includes("%") ? publicFiles(req, res, next) : next();
  };
  app.use(labelRoute("static"), servePublic, labelRoute(undefined));
  app.use(noStore());
  app.all("*", createRequestHandler({ build: options.build, mode: options.mode, getLoadContext }));
  return app;
}
