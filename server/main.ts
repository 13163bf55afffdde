/**
 * The console process (`npm start`, or `npm run dev` with `--dev`): loads the Remix server build, which
 * holds every server module, and starts it — nothing else (docs/decisions/0009-one-module-graph.md). With
 * several workers the primary and each worker run this same file (docs/decisions/0026-workers-and-instances.md).
 */
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { ServerBuild } from "@remix-run/node";
import type { startConsole } from "./console.ts";

const dev = process.argv.includes("--dev");
// React and Remix pick their production or development builds from NODE_ENV: it is set before they load.
process.env.NODE_ENV ??= dev ? "development" : "production";
const root = path.resolve(import.meta.dirname, "..");

const consoleEntry = (build: ServerBuild) =>
  (build.entry.module as unknown as { startConsole: typeof startConsole }).startConsole;

async function main() {
  if (dev) {
    const vite = await import("vite");
    const devServer = await vite.createServer({ root, server: { middlewareMode: true } });
    const load = () => devServer.ssrLoadModule("virtual:remix/server-build") as Promise<ServerBuild>;
    await consoleEntry(await load())({ mode: "development", build: load, devMiddleware: devServer.middlewares });
    return;
  }
  const serverBuild = path.join(root, "build/server/index.js");
  if (!fs.existsSync(serverBuild)) {
    throw new Error("No production build in build/: run `npm run build` first (or `npm start`, which builds)");
  }
  const build = (await import(pathToFileURL(serverBuild).href)) as ServerBuild;
  await consoleEntry(build)({ mode: "production", build });
}

main().catch((error: unknown) => {
  process.stderr.write(`The console could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
