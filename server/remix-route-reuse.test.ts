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

describe("@remix-run/router's matchRoutes (patched: a path's matches remembered per route tree)", () => {
  type Match = { params: Record<string, string | undefined>; pathname: string; route: { id: string } };
  const router = require("@remix-run/router") as {
    matchRoutes: (routes: object[], location: string) => Match[] | null;
  };
  const routes = [
    {
      id: "root",
      path: "/",
      children: [
        { id: "customers", path: "customers" },
        { id: "customer", path: "customers/:customerId" },
      ],
    },
  ];

  it("answers the same for the same path, as copies a caller may change", () => {
    const first = router.matchRoutes(routes, "/customers/cus_1")!;
    expect(first.map((m) => [m.route.id, m.params.customerId])).toEqual([
      ["root", "cus_1"],
      ["customer", "cus_1"],
    ]);
    first[1]!.params.customerId = "changed";
    first[1]!.pathname = "/elsewhere";
    const again = router.matchRoutes(routes, "/customers/cus_1")!;
    expect(again).not.toBe(first);
    expect(again[1]).toMatchObject({ pathname: "/customers/cus_1", params: { customerId: "cus_1" } });
    expect(again[1]!.route).toBe(first[1]!.route);
    expect(router.matchRoutes(routes, "/customers/cus_2")![1]!.params.customerId).toBe("cus_2");
    expect(router.matchRoutes(routes, "/nowhere")).toBeNull();
    expect(router.matchRoutes(routes, "/nowhere")).toBeNull();
  });
});
