import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadSandboxCredentials, spawnSandbox } from "./local-sandbox.ts";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "commet-local-sandbox-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("loadSandboxCredentials", () => {
  it("generates a ck_ key and a whsec_ secret once, private to the owner, and reuses them", () => {
    const dir = path.join(tmp, "creds");
    const first = loadSandboxCredentials(dir);
    expect(first.apiKey).toMatch(/^ck_local_[0-9a-f]{32}$/);
    expect(first.webhookSecret).toMatch(/^whsec_[A-Za-z0-9_-]{32}$/);
    expect(fs.statSync(path.join(dir, "sandbox-credentials.json")).mode & 0o777).toBe(0o600);
    expect(loadSandboxCredentials(dir)).toEqual(first);
  });
});

describe("spawnSandbox (the sandbox CLI as a child process)", () => {
  it("starts on a free port, answers with the given key, and stops on request", async () => {
    const sandbox = await spawnSandbox({
      dataDir: path.join(tmp, "sandbox"),
      apiKey: "ck_spawn_test",
      customers: 3,
      log: () => {},
    });
    try {
      expect(sandbox.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const health = await (await fetch(`${sandbox.url}/__sandbox/health`)).json();
      expect(health).toMatchObject({ ok: true, livemode: false, customers: 3 });
      const customers = await fetch(`${sandbox.url}/api/v1/customers?limit=1`, {
        headers: { "x-api-key": "ck_spawn_test" },
      });
      expect(customers.status).toBe(200);
      // The key is not in the process's arguments (visible to every user through `ps`).
      const cmdline = fs.readFileSync(`/proc/${sandbox.child.pid}/cmdline`, "utf8");
      expect(cmdline).toContain("cli.ts");
      expect(cmdline).not.toContain("ck_spawn_test");
    } finally {
      await sandbox.stop();
    }
    expect(sandbox.child.exitCode !== null || sandbox.child.signalCode !== null).toBe(true);
  });
});
