import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { createRequestHandler } from "@remix-run/express";
import type { ServerBuild } from "@remix-run/node";
import compression from "compression";
import express from "express";
import type { Env } from "./env.ts";
import { PROJECT_ROOT } from "./commet/local-sandbox.ts";

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

export async function runStartupTasks(tasks: readonly StartupTask[], env: Env, log: (line: string) => void): Promise<void> {
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

export type AppServerOptions = { mode: "production" | "development" };

export async function createApp({ mode }: AppServerOptions): Promise<express.Express> {
  const app = express();
  app.disable("x-powered-by");
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
      })
    );
    return app;
  }

  const serverBuild = path.join(BUILD_DIR, "server/index.js");
  if (!fs.existsSync(serverBuild)) {
    throw new Error(
      `No production build at ${path.relative(
        process.cwd(),
        serverBuild
      )}: run \`npm run build\` first (or \`npm start\`, which builds)`
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
