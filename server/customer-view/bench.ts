/**
 * `npm run bench:customer-page` — does the customer page's loader run its Commet calls side by side?
 *
 * Starts a local sandbox (throwaway data dir, 40 customers) with latency injected on every API
 * route (a fixed 100–300 ms per route, drawn once per route from a seeded PRNG), then loads the
 * customer view of a few seeded customers (`--rounds N`, default 12). For each load it measures the
 * wall time until every panel has settled, and the slowest single Commet call of that load.
 *
 *   bench customer-page-parallelism: <median wall / slowest call> ratio (target ≤ 1.2)
 *   bench customer-page-wall: <median> ms (target ≤ 1.2 × slowest call)
 *
 * Nothing here touches the console's database beyond a throwaway SQLite file for the audit panel.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { mulberry32 } from "../prng.ts";

const rounds = Number(process.argv[process.argv.indexOf("--rounds") + 1]) || 12;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-customer-page-"));
process.env.DATA_DIR = path.join(dataDir, "console");
delete process.env.DATABASE_URL;
fs.mkdirSync(process.env.DATA_DIR, { recursive: true });

const { startTestSandbox, setFaults } = await import("../testing/sandbox.ts");
const { loadCustomerView } = await import("./index.ts");
const { closeDb } = await import("../db/index.ts");

const ROUTES = [
  "GET /api/v1/customers*",
  "GET /api/v1/subscriptions/active*",
  "GET /api/v1/subscriptions?*",
  "GET /api/v1/feature-access*",
  "GET /api/v1/seats/balances*",
  "GET /api/v1/usage/quota/all*",
  "GET /api/v1/invoices*",
];

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

const sandbox = await startTestSandbox({ seed: { customers: 40 } });
try {
  const commet = sandbox.client();
  const random = mulberry32(20261121); // every run injects the same latencies
  const latencies = ROUTES.map((route) => ({ route, latencyMs: 100 + Math.round(random() * 200) }));
  await setFaults(sandbox, latencies);
  const customers = ["usr_000001", "usr_000002", "usr_000003", "usr_000008", "usr_000010", "usr_000011"];

  // Warm-up (SDK client, sockets, the audit database's migrations) — not measured.
  await Promise.all(Object.values(loadCustomerView(customers[0]!, { commet })));

  const ratios: number[] = [];
  const walls: number[] = [];
  const slowest: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const calls: number[] = [];
    const started = performance.now();
    const panels = loadCustomerView(customers[i % customers.length]!, { commet, onCall: (_n, ms) => calls.push(ms) });
    const results = await Promise.all(Object.values(panels));
    const wall = performance.now() - started;
    const failed = results.filter((r) => !r.ok).length;
    if (failed > 0) throw new Error(`round ${i}: ${failed} panel(s) failed`);
    const max = Math.max(...calls);
    ratios.push(wall / max);
    walls.push(wall);
    slowest.push(max);
  }
  const injected = latencies
    .map(
      (l) =>
        `${l.route
          .split(" ")[1]!
          .replace("/api/v1/", "")
          .replace(/[*?]+$/, "")}=${l.latencyMs}`,
    )
    .join(" ");
  console.log(`injected latency per route (ms): ${injected}`);
  console.log(
    `rounds: ${rounds}; median slowest call ${median(slowest).toFixed(0)} ms; median wall ${median(walls).toFixed(0)} ms`,
  );
  console.log(`bench customer-page-parallelism: ${median(ratios).toFixed(3)} ratio (target ≤ 1.2)`);
  console.log(`bench customer-page-parallelism-worst: ${Math.max(...ratios).toFixed(3)} ratio (target ≤ 1.2)`);
  console.log(
    `bench customer-page-wall: ${median(walls).toFixed(0)} ms (target ≤ ${(median(slowest) * 1.2).toFixed(0)})`,
  );
} finally {
  await sandbox.dispose();
  await closeDb();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
