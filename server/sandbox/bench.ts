/**
 * `npm run bench:sandbox` — the local Commet sandbox under load, through the real @commet/node 7.10.0.
 *
 * 1. Seeding: a sandbox CLI process on a throwaway data dir is asked to reseed 100,000 customers
 *    (POST /__sandbox/reset); the wall-clock time of that call and the sandbox's CPU time for it are
 *    reported. The issue sets no seeding target; 10 s is ours (a reseed in a dev loop or e2e setup).
 * 2. Throughput: usage.track with idempotency keys (body idempotencyKey + the SDK's Idempotency-Key
 *    header), many calls in flight from SANDBOX_BENCH_CLIENTS (default 2) forked SDK client processes,
 *    against the sandbox in its own process (spawned CLI): Node's fetch costs the client about as much
 *    CPU per call as the sandbox spends, so one client process alone would measure the client.
 *    Afterwards the tracked usage is read back and must add up exactly. Besides req/s (which depends
 *    on whatever else the 2 cores run), the CPU time per call of the sandbox and of the SDK clients is
 *    reported: 1 / sandbox CPU per call is what one core of the sandbox sustains.
 *
 * Loopback only, bounded in count and time; the child process and data dir are removed at the end.
 * stdout carries only `bench <name>: <value> <unit> (target <target>)` lines; progress goes to stderr.
 * 3. History replay: the seeded usage history delivered as usage.recorded to a local receiver (benchHistory).
 * `SANDBOX_BENCH_ONLY=seed`, `=track` or `=history` runs one part.
 */
import { fork, spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { Commet } from "@commet/node";
import { z } from "zod";
import { loadCatalog, randomSuffix, subscribedCustomer } from "../testing/sandbox.ts";
import { routeSdk, setRecording } from "../testing/sdk-wire.ts";

const SEED_CUSTOMERS = 100_000;
const SEED_TARGET_S = 10;
const TRACK_TARGET_RPS = 2_000;
const TRACK_REQUESTS = 30_000;
const TRACK_MAX_MS = 20_000;
/** ≈ 56,000 seeded usage events (one per live subscription and day). */
const HISTORY_CUSTOMERS = 1_000;
const HISTORY_MAX_MS = 120_000;
/** SDK client processes generating load (each on its own event loop; the sandbox is a third process). */
const CLIENT_PROCESSES = z.coerce.number().int().min(1).max(8).default(2).parse(process.env.SANDBOX_BENCH_CLIENTS);
const CONCURRENCY = 32;
const CUSTOMERS = 20;
const WARMUP = 1_000;
const API_KEY = `ck_sandbox_bench_${randomSuffix()}`;

const here = path.dirname(fileURLToPath(import.meta.url));
const cliPath = path.join(here, "cli.ts");

function progress(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

function report(name: string, value: string, unit: string, target: string): void {
  process.stdout.write(`bench ${name}: ${value} ${unit} (target ${target})\n`);
}

/** Spawn the sandbox CLI on a free port; resolves with its URL once it prints the listening line. */
function spawnSandbox(
  dataDir: string,
  customers: number,
  webhookUrl = "",
): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      cliPath,
      "--port",
      "0",
      "--host",
      "127.0.0.1",
      "--data-dir",
      dataDir,
      "--reset",
      "--customers",
      String(customers),
      "--api-key",
      API_KEY,
    ],
    {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, SANDBOX_WEBHOOK_URL: webhookUrl, SANDBOX_WEBHOOK_SECRET: webhookUrl ? "whsec_bench" : "" },
    },
  );
  child.stderr?.on("data", (chunk: Buffer) => process.stderr.write(chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGTERM");
      reject(new Error("sandbox CLI did not report listening within 120 s"));
    }, 120_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`sandbox CLI exited early with code ${code}`));
    });
    const lines = createInterface({ input: child.stdout! });
    lines.on("line", (line) => {
      const m = /^sandbox listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line);
      if (m) {
        clearTimeout(timer);
        child.removeAllListeners("exit");
        resolve({ url: m[1]!, child });
      }
    });
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); null elsewhere. */
async function processCpuSeconds(pid: number | undefined): Promise<number | null> {
  if (pid === undefined) return null;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

async function benchSeeding(url: string, serverPid: number | undefined): Promise<void> {
  progress(`reseeding ${SEED_CUSTOMERS} customers…`);
  const cpu0 = await processCpuSeconds(serverPid);
  const t0 = performance.now();
  const res = await fetch(new URL("/__sandbox/reset", url), {
    method: "POST",
    headers: { "x-api-key": API_KEY, "content-type": "application/json" },
    body: JSON.stringify({ customers: SEED_CUSTOMERS }),
    signal: AbortSignal.timeout(120_000),
  });
  const seconds = (performance.now() - t0) / 1000;
  const cpu1 = await processCpuSeconds(serverPid);
  if (res.status !== 200) throw new Error(`reset → ${res.status} ${await res.text()}`);
  const health = (await (await fetch(new URL("/__sandbox/health", url))).json()) as { customers: number };
  if (health.customers < SEED_CUSTOMERS)
    throw new Error(`after reseed the sandbox reports ${health.customers} customers`);
  report("sandbox.seed_100k_customers", seconds.toFixed(2), "s", `<= ${SEED_TARGET_S} s`);
  // CPU time of the sandbox process for the reseed: what it costs regardless of other load on the machine.
  if (cpu0 !== null && cpu1 !== null)
    report("sandbox.seed_100k_customers_cpu", (cpu1 - cpu0).toFixed(2), "s", `<= ${SEED_TARGET_S} s`);
}

interface TrackJob {
  url: string;
  apiKey: string;
  customers: string[];
  feature: string;
  /** Idempotency keys are `${keyPrefix}_${i}`: unique per worker and run. */
  keyPrefix: string;
  warmup: number;
  requests: number;
  concurrency: number;
  maxMs: number;
}

interface TrackResult {
  warmOk: number;
  ok: number;
  failed: number;
  errors: string[];
  latencies: number[];
  startedAt: number;
  endedAt: number;
  cpuSeconds: number;
}

/** The load loop of one client process: `concurrency` SDK calls in flight. */
async function runTrackJob(job: TrackJob, waitForGo: () => Promise<void>): Promise<TrackResult> {
  routeSdk(job.url, { connections: job.concurrency });
  setRecording(false);
  const commet = new Commet({ apiKey: job.apiKey, telemetry: false });
  let next = 0;
  let ok = 0;
  let failed = 0;
  const latencies: number[] = [];
  const errors: string[] = [];
  async function loop(limit: number, deadline: number, record: boolean): Promise<void> {
    while (next < limit && Date.now() < deadline) {
      const i = next++;
      const customerId = job.customers[i % job.customers.length]!;
      const t0 = performance.now();
      try {
        await commet.usage.track({
          customerId,
          feature: job.feature,
          value: 1,
          idempotencyKey: `${job.keyPrefix}_${i}`,
        });
        ok++;
        if (record) latencies.push(performance.now() - t0);
      } catch (error) {
        failed++;
        if (errors.length < 3) errors.push(String(error));
      }
    }
  }
  const lanes = (limit: number, deadline: number, record: boolean) =>
    Promise.all(Array.from({ length: job.concurrency }, () => loop(limit, deadline, record)));
  await lanes(job.warmup, Date.now() + 60_000, false);
  if (failed > 0) throw new Error(`warm-up: ${failed} calls failed, e.g. ${errors.join(" | ")}`);
  const warmOk = ok;
  ok = 0;
  await waitForGo();
  const cpu0 = process.cpuUsage();
  const startedAt = Date.now();
  await lanes(job.warmup + job.requests, startedAt + job.maxMs, true);
  const endedAt = Date.now();
  const cpu = process.cpuUsage(cpu0);
  return { warmOk, ok, failed, errors, latencies, startedAt, endedAt, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

/** Child role: receives a TrackJob, warms up, says "ready", waits for "go", sends its TrackResult. */
async function clientMain(): Promise<void> {
  const job = await new Promise<TrackJob>((resolve) => process.once("message", (m) => resolve(m as TrackJob)));
  const result = await runTrackJob(job, async () => {
    process.send!({ type: "ready" });
    await new Promise<void>((resolve) => process.once("message", () => resolve()));
  });
  process.send!({ type: "result", result }, () => process.disconnect());
}

function forkClient(job: TrackJob): { ready: Promise<void>; go(): void; result: Promise<TrackResult>; kill(): void } {
  const child = fork(fileURLToPath(import.meta.url), [], {
    execArgv: ["--import", "tsx"],
    env: { ...process.env, SANDBOX_BENCH_ROLE: "client" },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  let onReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  const result = new Promise<TrackResult>((resolve, reject) => {
    child.on("message", (m: { type: string; result?: TrackResult }) => {
      if (m.type === "ready") onReady();
      if (m.type === "result" && m.result) resolve(m.result);
    });
    child.once("exit", (code) => reject(new Error(`bench client exited with code ${code} before reporting`)));
  });
  child.send(job);
  return { ready, go: () => child.send("go"), result, kill: () => child.kill("SIGKILL") };
}

async function benchTrack(url: string, serverPid: number | undefined): Promise<void> {
  const commet = new Commet({ apiKey: API_KEY, telemetry: false });
  const catalog = await loadCatalog(commet);
  const feature = catalog.metered.usage;
  const customers: string[] = [];
  for (let i = 0; i < CUSTOMERS; i++)
    customers.push((await subscribedCustomer(commet, catalog.metered.plan)).customer.id);

  const run = randomSuffix();
  const perClient = Math.ceil(TRACK_REQUESTS / CLIENT_PROCESSES);
  progress(
    `usage.track: ${CLIENT_PROCESSES} SDK client process(es) × ${CONCURRENCY} in flight, ` +
      `${WARMUP} warm-up + up to ${perClient} calls each, at most ${TRACK_MAX_MS / 1000} s`,
  );
  const clients = Array.from({ length: CLIENT_PROCESSES }, (_, c) =>
    forkClient({
      url,
      apiKey: API_KEY,
      customers,
      feature,
      keyPrefix: `bench_${run}_${c}`,
      warmup: WARMUP,
      requests: perClient,
      concurrency: CONCURRENCY,
      maxMs: TRACK_MAX_MS,
    }),
  );
  let results: TrackResult[];
  let serverCpuPerCallMs: number | null = null;
  try {
    await Promise.all(clients.map((c) => c.ready));
    const serverCpu0 = await processCpuSeconds(serverPid);
    for (const c of clients) c.go();
    results = await Promise.all(clients.map((c) => c.result));
    const serverCpu1 = await processCpuSeconds(serverPid);
    const ok = results.reduce((a, r) => a + r.ok, 0);
    if (serverCpu0 !== null && serverCpu1 !== null)
      serverCpuPerCallMs = ((serverCpu1 - serverCpu0) * 1000) / Math.max(ok, 1);
  } finally {
    for (const c of clients) c.kill();
  }
  const failed = results.reduce((a, r) => a + r.failed, 0);
  if (failed > 0)
    throw new Error(`${failed} usage.track calls failed, e.g. ${results.flatMap((r) => r.errors).join(" | ")}`);
  const ok = results.reduce((a, r) => a + r.ok, 0);
  const warmOk = results.reduce((a, r) => a + r.warmOk, 0);
  const elapsed = (Math.max(...results.map((r) => r.endedAt)) - Math.min(...results.map((r) => r.startedAt))) / 1000;
  const clientCpu = results.reduce((a, r) => a + r.cpuSeconds, 0);

  // Everything acknowledged must be accounted for, exactly once.
  let total = 0;
  for (const customerId of customers) {
    const access = await commet.featureAccess.get({ customerId, code: feature });
    total += access.data?.current ?? 0;
  }
  if (total !== warmOk + ok) throw new Error(`usage adds up to ${total}, expected ${warmOk + ok}`);
  progress(`${ok} calls in ${elapsed.toFixed(2)} s; usage read back = ${total} (= warm-up + measured)`);

  const latencies = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  const inFlight = `${CLIENT_PROCESSES * CONCURRENCY} in flight`;
  report(
    "sandbox.usage_track_throughput",
    Math.round(ok / elapsed).toString(),
    "req/s",
    `>= ${TRACK_TARGET_RPS} req/s`,
  );
  report("sandbox.usage_track_p50", pct(0.5).toFixed(1), "ms", `informational, ${inFlight}`);
  report("sandbox.usage_track_p99", pct(0.99).toFixed(1), "ms", `informational, ${inFlight}`);
  // CPU time per call does not depend on what else the machine runs: the sandbox's own cost, and
  // what one core of it sustains; the SDK client's cost shows how much of the wall-clock figure is the load generator.
  if (serverCpuPerCallMs !== null) {
    const perCore = Math.round(1000 / serverCpuPerCallMs);
    report(
      "sandbox.usage_track_server_cpu",
      serverCpuPerCallMs.toFixed(3),
      "ms/call",
      `<= 0.5 ms/call, i.e. >= 2000 req/s on one core; now ${perCore} req/s/core`,
    );
  }
  report(
    "sandbox.usage_track_client_cpu",
    ((clientCpu * 1000) / Math.max(ok, 1)).toFixed(3),
    "ms/call",
    "informational, SDK + Node fetch",
  );
}

/**
 * History replay: a sandbox seeded with HISTORY_CUSTOMERS whose SANDBOX_WEBHOOK_URL is a node:http receiver in
 * this process (answers 200 at once). Reports usage.recorded deliveries per second until the whole seeded
 * history is delivered, the delay of a live usage.track's webhook sent in the middle of the backlog, and the
 * worst API latency (GET /api/v1/customers) while the backlog drains.
 */
async function benchHistory(): Promise<void> {
  const dataDir = await mkdtemp(path.join(tmpdir(), "commet-sandbox-bench-history-"));
  let received = 0;
  const liveArrivals = new Map<string, number>();
  const receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      received++;
      const id = (JSON.parse(body) as { data?: { usageEventId?: string } }).data?.usageEventId;
      if (id && liveIds.has(id)) liveArrivals.set(id, performance.now());
      res.writeHead(200, { "content-length": "0" }).end();
    });
  });
  const liveIds = new Set<string>();
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/commet`;
  let child: ChildProcess | null = null;
  try {
    progress(`history: seeding ${HISTORY_CUSTOMERS} customers with a webhook endpoint`);
    const t0 = performance.now();
    const started = await spawnSandbox(dataDir, HISTORY_CUSTOMERS, hookUrl);
    child = started.child;
    const health = async () =>
      (await (await fetch(new URL("/__sandbox/health", started.url))).json()) as {
        historyEvents: number;
        historyDelivered: number;
      };
    const total = (await health()).historyEvents;
    const cpu0 = await processCpuSeconds(child.pid);
    const t1 = performance.now();
    progress(`history: ${total} seeded usage events to deliver`);
    let worstApiMs = 0;
    let liveDelayMs: number | null = null;
    const commet = new Commet({ apiKey: API_KEY, telemetry: false });
    routeSdk(started.url);
    for (;;) {
      const a0 = performance.now();
      const res = await fetch(new URL("/api/v1/customers?limit=1", started.url), { headers: { "x-api-key": API_KEY } });
      await res.arrayBuffer();
      worstApiMs = Math.max(worstApiMs, performance.now() - a0);
      const h = await health();
      if (liveDelayMs === null && h.historyDelivered > total / 4) {
        const sent = performance.now();
        const tracked = await commet.usage.track({ customerId: "usr_000001", feature: "api_calls", value: 1 });
        liveIds.add(tracked.data!.id);
        await new Promise((r) => setTimeout(r, 0));
        for (let i = 0; i < 400 && !liveArrivals.has(tracked.data!.id); i++) await new Promise((r) => setTimeout(r, 5));
        const at = liveArrivals.get(tracked.data!.id);
        liveDelayMs = at === undefined ? Number.POSITIVE_INFINITY : at - sent;
      }
      if (h.historyDelivered >= total) break;
      if (performance.now() - t0 > HISTORY_MAX_MS)
        throw new Error(`history not delivered within ${HISTORY_MAX_MS} ms (${h.historyDelivered}/${total})`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const seconds = (performance.now() - t1) / 1000;
    const cpu1 = await processCpuSeconds(child.pid);
    report(
      "sandbox.history_replay_rate",
      (total / seconds).toFixed(0),
      "events/s",
      `>= 1000 events/s (${total} events after the seed)`,
    );
    if (cpu0 !== null && cpu1 !== null) {
      const perEvent = ((cpu1 - cpu0) * 1000) / total;
      report(
        "sandbox.history_replay_cpu",
        perEvent.toFixed(3),
        "ms/event",
        `<= 0.5 ms/event (sandbox CPU; ${Math.round(1000 / perEvent)} events/s per core)`,
      );
    }
    report(
      "sandbox.history_live_event_delay",
      (liveDelayMs ?? 0).toFixed(0),
      "ms",
      "<= 500 ms, a live usage.recorded during the backlog",
    );
    report(
      "sandbox.history_api_latency_max",
      worstApiMs.toFixed(0),
      "ms",
      "<= 250 ms, GET /customers while the backlog drains",
    );
    if (received < total) throw new Error(`receiver saw ${received} deliveries for ${total} events`);
  } finally {
    if (child) await stop(child);
    receiver.closeAllConnections();
    receiver.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(path.join(tmpdir(), "commet-sandbox-bench-"));
  let child: ChildProcess | null = null;
  const hardStop = setTimeout(() => {
    process.stderr.write("[bench] hard time limit (5 min) reached\n");
    child?.kill("SIGKILL");
    process.exit(2);
  }, 5 * 60_000);
  hardStop.unref();
  try {
    progress("starting the sandbox CLI in its own process");
    const started = await spawnSandbox(dataDir, 10);
    child = started.child;
    routeSdk(started.url);
    setRecording(false);
    const only = process.env.SANDBOX_BENCH_ONLY;
    if (only !== "track" && only !== "history") await benchSeeding(started.url, child.pid);
    if (only !== "seed" && only !== "history") await benchTrack(started.url, child.pid);
    if (only === undefined || only === "history") await benchHistory();
  } finally {
    if (child) await stop(child);
    await rm(dataDir, { recursive: true, force: true });
    clearTimeout(hardStop);
  }
}

(process.env.SANDBOX_BENCH_ROLE === "client" ? clientMain() : main()).catch((error: unknown) => {
  process.stderr.write(`[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
