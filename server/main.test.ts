// One module graph per process (docs/decisions/0009-one-module-graph.md): the entry loads server code only through the build.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "..");
const read = (file: string) => fs.readFileSync(path.join(root, file), "utf8");

function productionServerFiles(dir = "server"): string[] {
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "testing" ? [] : productionServerFiles(file);
    return /\.tsx?$/.test(entry.name) && !/\.test\.tsx?$|bench\.ts$/.test(entry.name) ? [file] : [];
  });
}

describe("one module graph per process", () => {
  it("server/main.ts imports no server module at run time (types only)", () => {
    const valueImports = [...read("server/main.ts").matchAll(/^import\s+(?!type\b)[^;]*?from\s+"(\.[^"]*)"/gm)];
    expect(valueImports.map((match) => match[1])).toEqual([]);
  });

  it("the build's server entry exports the start-up", () => {
    expect(read("app/entry.server.tsx")).toMatch(/export \{ startConsole \} from "\.\.\/server\/console\.ts"/);
  });

  it("no server module keeps state on globalThis", () => {
    const offenders = productionServerFiles().filter((file) => /globalThis\s+as\b|globalThis\.__/.test(read(file)));
    expect(offenders).toEqual([]);
  });

  it("nothing rewrites the process environment after start", () => {
    const offenders = productionServerFiles().filter((file) =>
      /process\.env\.(COMMET_API_KEY|COMMET_API_URL|COMMET_WEBHOOK_SECRET)\s*=/.test(read(file)),
    );
    expect(offenders).toEqual([]);
  });
});
