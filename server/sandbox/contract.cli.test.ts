/**
 * Contract: the sandbox CLI as the console and e2e spawn it (CONTEXT.md "Sandbox CLI contract"):
 * exactly one stdout line `sandbox listening on http://127.0.0.1:PORT`, flags or env fallbacks,
 * seeding on first run only, a clean exit on SIGTERM.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Commet } from "@commet/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Customer, envelope, expectShape, pageEnvelope, SandboxHealth } from "../testing/contract-schemas.ts";
import { randomSuffix } from "../testing/sandbox.ts";
import { routeSdk } from "../testing/sdk-wire.ts";

const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), "cli.ts");
const LISTENING = /^sandbox listening on (http:\/\/127\.0\.0\.1:(\d+))$/;

interface Running {
  child: ChildProcess;
  url: string;
  stdout: string[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startCli(args: string[], env: Record<string, string> = {}): Promise<Running> {
  const child = spawn(process.execPath, ["--import", "tsx", cli, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, SANDBOX_WEBHOOK_URL: "", SANDBOX_WEBHOOK_SECRET: "", ...env },
  });
  const stdout: string[] = [];
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    let buffered = "";
    const timer = setTimeout(() => reject(new Error(`CLI not listening after 30 s; stderr: ${stderr}`)), 30_000);
    child.stdout!.on("data", (c: Buffer) => {
      buffered += c.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) {
        stdout.push(line);
        const m = LISTENING.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve({ child, url: m[1]!, stdout, exit });
        }
      }
    });
    void exit.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`CLI exited (${code}) before listening; stderr: ${stderr}`));
    });
  });
}

let dataDir: string;
const running: Running[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "commet-sandbox-cli-"));
});

afterAll(async () => {
  for (const r of running) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill("SIGKILL");
  await rm(dataDir, { recursive: true, force: true });
});

async function health(url: string) {
  return expectShape(SandboxHealth, await (await fetch(new URL("/__sandbox/health", url))).json());
}

describe("sandbox CLI", () => {
  it("flags: seeds on first run, prints one listening line, serves the SDK, exits 0 on SIGTERM; data survives", async () => {
    const apiKey = `ck_sandbox_cli_${randomSuffix()}`;
    const args = ["--port", "0", "--data-dir", dataDir, "--customers", "4", "--api-key", apiKey];
    const first = await startCli(args);
    running.push(first);
    expect(Number(new URL(first.url).port)).toBeGreaterThan(0);
    expect((await health(first.url)).customers).toBe(4);

    routeSdk(first.url);
    const commet = new Commet({ apiKey, telemetry: false });
    const tag = randomSuffix();
    const created = expectShape(
      envelope(Customer),
      await commet.customers.create({ email: `cli+${tag}@example.test` }),
    ).data;
    expect(created.livemode).toBe(false);

    first.child.kill("SIGTERM");
    expect(await first.exit).toEqual({ code: 0, signal: null });
    expect(first.stdout.filter((l) => l.trim() !== "")).toEqual([`sandbox listening on ${first.url}`]);

    // Second run on the same data dir without --reset: no reseed, the created customer is still there.
    const second = await startCli(args);
    running.push(second);
    expect((await health(second.url)).customers).toBe(5);
    routeSdk(second.url);
    const again = expectShape(envelope(Customer), await commet.customers.get({ id: created.id })).data;
    expect(again).toEqual(created);

    // --reset reseeds from scratch.
    second.child.kill("SIGINT");
    expect((await second.exit).code).toBe(0);
    const third = await startCli([...args, "--reset"]);
    running.push(third);
    expect((await health(third.url)).customers).toBe(4);
    third.child.kill("SIGTERM");
    expect((await third.exit).code).toBe(0);
  });

  it("env fallbacks: SANDBOX_PORT, SANDBOX_DATA_DIR, SANDBOX_API_KEY; a wrong key is refused; --faults", async () => {
    const apiKey = `ck_sandbox_env_${randomSuffix()}`;
    const envDir = path.join(dataDir, "env");
    const faults = JSON.stringify([{ route: "GET /api/v1/features", errorStatus: 503, times: 1 }]);
    const r = await startCli(["--customers", "2", "--faults", faults], {
      SANDBOX_PORT: "0",
      SANDBOX_DATA_DIR: envDir,
      SANDBOX_API_KEY: apiKey,
    });
    running.push(r);
    expect((await health(r.url)).customers).toBe(2);
    routeSdk(r.url);
    const list = expectShape(pageEnvelope(Customer), await new Commet({ apiKey, telemetry: false }).customers.list());
    expect(list.data).toHaveLength(2);
    await expect(
      new Commet({ apiKey: "ck_local_sandbox_wrong", telemetry: false }).customers.list(),
    ).rejects.toMatchObject({
      statusCode: 401,
      code: "unauthorized",
    });
    // --faults: the first features.list fails with 503, the next one passes.
    const noRetry = new Commet({ apiKey, telemetry: false, retries: 0 });
    await expect(noRetry.features.list()).rejects.toMatchObject({ statusCode: 503 });
    expect((await noRetry.features.list()).success).toBe(true);
    r.child.kill("SIGTERM");
    expect((await r.exit).code).toBe(0);
  });
});
