import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { PERMISSIONS } from "../../app/contracts/permissions.ts";
import { ROUTE_ACCESS } from "../testing/route-access.ts";

const ROUTES_DIR = path.resolve(import.meta.dirname, "../../app/routes");

/** Route modules (flat routes: files, or folders with a route.tsx) → their source. */
function routeModules(): Map<string, string> {
  const modules = new Map<string, string>();
  for (const entry of fs.readdirSync(ROUTES_DIR, { withFileTypes: true })) {
    if (entry.isFile() && /\.(tsx?|jsx?)$/.test(entry.name) && !/\.test\.|\.server\./.test(entry.name)) {
      modules.set(entry.name.replace(/\.(tsx?|jsx?)$/, ""), fs.readFileSync(path.join(ROUTES_DIR, entry.name), "utf8"));
    } else if (entry.isDirectory()) {
      const file = ["route.tsx", "route.ts"]
        .map((f) => path.join(ROUTES_DIR, entry.name, f))
        .find((f) => fs.existsSync(f));
      if (file) modules.set(entry.name, fs.readFileSync(file, "utf8"));
    }
  }
  return modules;
}

function exportsName(source: string, name: "loader" | "action"): boolean {
  return (
    new RegExp(`export\\s+(async\\s+)?function\\s+${name}\\b`).test(source) ||
    new RegExp(`export\\s+(const|let)\\s+${name}\\b`).test(source) ||
    new RegExp(`export\\s*\\{[^}]*\\b${name}\\b[^}]*\\}`).test(source)
  );
}

describe("route access table (server/testing/route-access.ts)", () => {
  const modules = routeModules();

  it("finds the route modules", () => {
    expect(modules.size).toBeGreaterThan(3);
    expect(modules.has("login")).toBe(true);
  });

  it("has a GET row for every loader and a POST row for every action", () => {
    const missing: string[] = [];
    for (const [route, source] of modules) {
      if (exportsName(source, "loader") && !ROUTE_ACCESS.some((r) => r.route === route && r.method === "GET")) {
        missing.push(`${route}: loader (GET)`);
      }
      if (exportsName(source, "action") && !ROUTE_ACCESS.some((r) => r.route === route && r.method === "POST")) {
        missing.push(`${route}: action (POST)`);
      }
    }
    expect(missing, "add these to ROUTE_ACCESS in server/testing/route-access.ts").toEqual([]);
  });

  it("has no row for a route file or export that does not exist", () => {
    const stale = ROUTE_ACCESS.filter((row) => {
      if (row.express) return modules.has(row.route) || !fs.existsSync(path.resolve(ROUTES_DIR, "../..", row.express));
      const source = modules.get(row.route);
      return !source || !exportsName(source, row.method === "GET" ? "loader" : "action");
    }).map((row) => `${row.route} ${row.method}${row.intent ? ` (${row.intent})` : ""}`);
    expect(stale).toEqual([]);
  });

  it("names only known permissions, concrete paths, and one row per method and intent", () => {
    const seen = new Set<string>();
    for (const row of ROUTE_ACCESS) {
      expect(["signed-in", "public", ...PERMISSIONS], `${row.route} ${row.method}`).toContain(row.access);
      expect(row.path, `${row.route}: a concrete path`).toMatch(/^\/[^$:*]*$/);
      const key = `${row.route} ${row.method} ${row.intent ?? ""}`;
      expect(seen.has(key), `duplicate row ${key}`).toBe(false);
      seen.add(key);
    }
  });

  it("every protected route calls requireStaff (and no route reads a session another way)", () => {
    const unguarded = [...modules]
      .filter(([route]) => ROUTE_ACCESS.some((r) => r.route === route && r.access !== "public"))
      .filter(([, source]) => !/\brequireStaff\s*\(/.test(source))
      .map(([route]) => route);
    expect(unguarded).toEqual([]);
  });

  it("every row answered ahead of Remix reads the session and checks the permission in its handler", () => {
    const unguarded = ROUTE_ACCESS.filter((row) => row.express)
      .filter((row) => {
        const source = fs.readFileSync(path.resolve(ROUTES_DIR, "../..", row.express!), "utf8");
        return !/\bstaffForCookie\b/.test(source) || !/\bcan\s*\(/.test(source);
      })
      .map((row) => row.route);
    expect(unguarded).toEqual([]);
  });

  it("every public action still refuses cross-site POSTs (assertSameOrigin) unless it says why not", () => {
    const open = [...modules]
      .filter(([route]) =>
        ROUTE_ACCESS.some(
          (r) => r.route === route && r.method === "POST" && r.access === "public" && !r.crossSiteExempt,
        ),
      )
      .filter(([, source]) => !/\bassertSameOrigin\s*\(/.test(source))
      .map(([route]) => route);
    expect(open).toEqual([]);
  });
});
