import path from "node:path";
import { vitePlugin as remix } from "@remix-run/dev";
import { defineConfig, type Plugin, type PluginOption } from "vite";
import { denyImports } from "vite-env-only";

declare module "@remix-run/node" {
  interface Future {
    v3_singleFetch: true;
  }
}

function buildOnly(plugins: PluginOption[]): Plugin[] {
  return (plugins as Plugin[]).map((plugin) => ({ ...plugin, apply: "build" }));
}

export default defineConfig({
  resolve: {
    alias: { "~": path.resolve(import.meta.dirname, "app") },
  },
  plugins: [
    // server/** holds secrets, the database and the Commet SDK: the browser bundle must never contain it.
    denyImports({ client: { files: ["server/**", "**/*.server.*"] } }),
    // Server-only packages, checked when building (in dev, Remix's CSS crawl resolves SSR imports as "client").
    buildOnly(
      denyImports({
        client: { specifiers: ["@commet/node", "undici", "better-sqlite3", "pg", "kysely", "express", "node:*"] },
      }),
    ),
    remix({
      future: {
        v3_fetcherPersist: true,
        v3_relativeSplatPath: true,
        v3_throwAbortReason: true,
        v3_singleFetch: true,
        v3_lazyRouteDiscovery: true,
        v3_routeConfig: true,
      },
    }),
  ],
});
