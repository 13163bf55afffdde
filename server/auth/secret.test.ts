import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadSessionSecret } from "./secret.ts";

describe("session secret", () => {
  const dirs: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), "console-secret-"));
    dirs.push(d);
    return d;
  };
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it("uses SESSION_SECRET when it is long enough, and refuses a short one", () => {
    const s = "x".repeat(32);
    expect(loadSessionSecret({ secret: s, dataDir: tmp(), mode: "live" })).toBe(s);
    expect(() => loadSessionSecret({ secret: "short", dataDir: tmp(), mode: "sandbox" })).toThrow(/at least 32/);
  });

  it("requires SESSION_SECRET in live mode", () => {
    expect(() => loadSessionSecret({ dataDir: tmp(), mode: "live" })).toThrow(/SESSION_SECRET is required/);
  });

  it("generates a per-install secret once, persisted with mode 0600", () => {
    const dir = join(tmp(), "nested");
    const first = loadSessionSecret({ dataDir: dir, mode: "sandbox" });
    expect(first.length).toBeGreaterThanOrEqual(32);
    const file = join(dir, "session-secret");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, "utf8").trim()).toBe(first);
    expect(loadSessionSecret({ dataDir: dir, mode: "sandbox" })).toBe(first);
  });
});
