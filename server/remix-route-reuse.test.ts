// Remix rebuilt the document's route objects on every request: RemixServer keys its cached route objects on the
// route-module map, and server-runtime made a fresh map for each document, so the cache
// (patches/@remix-run+react+2.17.5.patch) never hit and every document flattened and ranked all routes again.
// patches/@remix-run+server-runtime+2.17.5.patch makes the map once per build.
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";

const require = createRequire(import.meta.url);
type EntryModule = {
  createEntryRouteModules: (routes: Record<string, { module: unknown }>) => Record<string, unknown>;
};
const cjs = require("@remix-run/server-runtime/dist/entry.js") as EntryModule;

describe("server-runtime's route-module map", () => {
  it("is made once per build's routes (both module formats), and anew for another build", async () => {
    const esm = (await import("@remix-run/server-runtime/dist/esm/entry.js" as string)) as EntryModule;
    for (const entry of [cjs, esm]) {
      const rootModule = { default: () => null };
      const build = { root: { module: rootModule } };
      const first = entry.createEntryRouteModules(build);
      expect(first).toEqual({ root: rootModule });
      expect(entry.createEntryRouteModules(build)).toBe(first);
      const rebuilt = { root: { module: { default: () => null } } };
      expect(entry.createEntryRouteModules(rebuilt)).not.toBe(first);
    }
  });
});
