/**
 * `npm run bench:startup` — the console's start-up against a large Commet: a sandbox seeded with
 * `--customers N` (default 100,000), the production console pointed at it, the first directory sync timed
 * from its own log, the console's peak memory (VmHWM), and pages probed while the sync runs.
 *
 *   bench startup-ready: <ms> ms (target ≤ 10000)          spawn → "console listening on" (the sync runs after)
 *   bench startup-first-sync: <s> s (target ≤ 600)         "started a full sync" → "completed"
 *   bench startup-peak-rss: <MB> MB (target ≤ 512)
 *   bench startup-during-sync-healthz-p95: <ms> ms (target ≤ 100)
 *   bench startup-during-sync-page-p95: <ms> ms (target ≤ 1000)   signed-in /customers while syncing
 *   bench startup-during-sync-errors: <n> responses (target 0)
 *
 * `--sandbox-dir DIR` keeps the seeded sandbox between runs (seeding 100,000 customers takes minutes);
 * without it everything lives in a temp dir removed at the end. Needs a production build (made if missing).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnConsole } from "../console-process.ts";
import { spawnSandbox } from "../commet/local-sandbox.ts";
import { BUILD_DIR, PROJECT_ROOT } from "../project-root.ts";

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const customers = Number(arg("customers") ?? 100_000);
const probeEveryMs = Number(arg("probe-ms") ?? 250);
const API_KEY = "ck_local_startup_bench";
const ADMIN = { email: "bench-admin@example.org", password: "startup-bench-password" };

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bench-startup-"));
const sandboxDir = arg("sandbox-dir") ? path.resolve(arg("sandbox-dir")!) : path.join(tmp, "sandbox");
const seeded = path.join(sandboxDir, `.seeded-${customers}`);

const percentile = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
/** Peak resident set of a process (Linux): VmHWM in /proc, in MB. */
const peakRssMb = (pid: number) => {
  const match = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Number(match[1]) / 1024 : NaN;
};

if (!fs.existsSync(path.join(BUILD_DIR, "server/index.js"))) {
  const build = spawnSync("npx", ["remix", "vite:build"], { cwd: PROJECT_ROOT, stdio: "inherit" });
  if (build.status !== 0) throw new Error("the production build failed");
}

const seedStarted = performance.now();
const reuse = fs.existsSync(seeded);
const sandbox = await spawnSandbox({
  dataDir: sandboxDir,
  apiKey: API_KEY,
  reset: !reuse,
  customers,
  readyTimeoutMs: 60 * 60_000,
  log: () => {},
});
if (!reuse) fs.writeFileSync(seeded, "");
console.log(
  reuse
    ? `sandbox: reused ${customers} seeded customers at ${sandboxDir}`
    : `sandbox: seeded ${customers} customers in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`,
);

type Probe = { ms: number; status: number };
const sync: { startedAt?: number; completedAt?: number; line?: string } = {};
const spawned = performance.now();
let consoleProcess: Awaited<ReturnType<typeof spawnConsole>> | undefined;
try {
  consoleProcess = await spawnConsole(
    {
      COMMET_API_KEY: API_KEY,
      COMMET_API_URL: sandbox.url,
      DATA_DIR: path.join(tmp, "console"),
      DATABASE_URL: undefined,
      SESSION_SECRET: "startup-bench-session-secret-0123456789abcdef",
      CONSOLE_ADMIN_EMAIL: ADMIN.email,
      CONSOLE_ADMIN_PASSWORD: ADMIN.password,
      WRITE_RESOLVER_INTERVAL_SECONDS: "0",
      LOG_LEVEL: "info",
    },
    {
      timeoutMs: 120_000,
      // The console's JSON log: the directory sync says when it starts and completes.
      log: (line) => {
        if (!line.startsWith("{")) return;
        const record = JSON.parse(line) as { component?: string; msg?: string };
        if (record.component !== "directory-sync") return;
        if (record.msg?.startsWith("started a full sync")) sync.startedAt ??= performance.now();
        if (record.msg?.startsWith("completed")) {
          sync.completedAt ??= performance.now();
          sync.line = record.msg;
        }
        if (record.msg?.startsWith("failed")) console.log(`directory sync: ${record.msg}`);
      },
    },
  );
  const readyMs = performance.now() - spawned;
  const base = consoleProcess.url;
  const pid = consoleProcess.child.pid!;

  const signIn = await fetch(`${base}/login`, {
    method: "POST",
    redirect: "manual",
    headers: { origin: new URL(base).origin, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ email: ADMIN.email, password: ADMIN.password }),
  });
  const cookie = signIn.headers.get("set-cookie")?.split(";")[0];
  if (signIn.status !== 302 || !cookie) throw new Error(`sign-in failed: ${signIn.status}`);

  const probe = async (pathname: string, headers: Record<string, string> = {}): Promise<Probe> => {
    const started = performance.now();
    const res = await fetch(base + pathname, { headers, redirect: "manual" });
    await res.arrayBuffer();
    return { ms: performance.now() - started, status: res.status };
  };
  const health: Probe[] = [];
  const pages: Probe[] = [];
  let peak = peakRssMb(pid);
  // Probe while the sync runs (it may have finished already on a small seed: then nothing is "during").
  const deadline = Date.now() + 60 * 60_000;
  while (sync.completedAt === undefined && Date.now() < deadline) {
    health.push(await probe("/healthz"));
    pages.push(await probe("/customers", { cookie }));
    peak = Math.max(peak, peakRssMb(pid));
    await new Promise((resolve) => setTimeout(resolve, probeEveryMs));
  }
  if (sync.completedAt === undefined || sync.startedAt === undefined)
    throw new Error("the first sync did not complete");
  peak = Math.max(peak, peakRssMb(pid));
  const after = await probe("/customers", { cookie });
  const errors = [...health, ...pages].filter((p) => p.status !== 200).length;

  console.log(`console: ${sync.line}`);
  console.log(
    `during the sync: ${health.length} /healthz and ${pages.length} /customers probes; /customers after: ${after.ms.toFixed(0)} ms`,
  );
  console.log(`bench startup-ready: ${readyMs.toFixed(0)} ms (target ≤ 10000)`);
  console.log(`bench startup-first-sync: ${((sync.completedAt - sync.startedAt) / 1000).toFixed(1)} s (target ≤ 600)`);
  console.log(`bench startup-peak-rss: ${peak.toFixed(0)} MB (target ≤ 512)`);
  console.log(
    `bench startup-during-sync-healthz-p95: ${percentile(
      health.map((p) => p.ms),
      95,
    ).toFixed(0)} ms (target ≤ 100)`,
  );
  console.log(
    `bench startup-during-sync-page-p95: ${percentile(
      pages.map((p) => p.ms),
      95,
    ).toFixed(0)} ms (target ≤ 1000)`,
  );
  console.log(`bench startup-during-sync-errors: ${errors} responses (target 0)`);
} finally {
  await consoleProcess?.stop();
  await sandbox.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
}
