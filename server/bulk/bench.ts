/**
 * `npm run bench:bulk` — 10,000 usage rows from one CSV file, validated against the local Commet sandbox
 * (its own process, reached over HTTP) and applied through the exactly-once engine, as the console does.
 *
 *   bench bulk-validate: <rows/s> rows/s (upload: parse + live reads + store)
 *   bench bulk-apply: <rows/s> rows/s (target ≥ 300)
 *   bench bulk-apply-heap-growth: <MB> MB (target ≤ 32: memory flat while applying)
 *
 * Options: --rows N (default 10000), --customers N (default 200), --concurrency N (row writes, default 8),
 * --engine sqlite|postgres (the console's database; postgres needs TEST_DATABASE_URL or 127.0.0.1:5432).
 * Then checks Commet's ledger: every row's event exactly once.
 */
import Database from "better-sqlite3";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Engine } from "../db/index.ts";

const arg = (name: string, fallback: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] ? process.argv[at + 1]! : fallback;
};
const ROWS = Number(arg("rows", "10000"));
const CUSTOMERS = Number(arg("customers", "200"));
const CONCURRENCY = Number(arg("concurrency", "8"));
const ENGINE = arg("engine", "sqlite") as Engine;
/** process: the sandbox in its own process (as the console runs it); embedded: in this process (profiling). */
const SANDBOX = arg("sandbox", "process");

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-bulk-"));
const { spawnSandbox } = await import("../commet/local-sandbox.ts");
const { routeSdk, setRecording } = await import("../testing/sdk-wire.ts");
const { loadCatalog, startTestSandbox, subscribedCustomer } = await import("../testing/sandbox.ts");
const { createScratchDatabase } = await import("../testing/scratch-db.ts");
const { createAuditLog } = await import("../audit/index.ts");
const { createWriteEngine } = await import("../writes/index.ts");
const { mapLimit } = await import("./limit.ts");
const { createBulk } = await import("./index.ts");
const { Commet } = await import("@commet/node");

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

const apiKey = "ck_bench_bulk_sandbox";
const sandbox =
  SANDBOX === "embedded"
    ? await startTestSandbox({ apiKey, seed: { customers: 0 } }).then((running) => ({
        url: running.url,
        dataDir: running.dataDir,
        stop: () => running.dispose(),
      }))
    : await spawnSandbox({
        dataDir: path.join(dataDir, "sandbox"),
        apiKey,
        customers: 0,
        reset: true,
        log: () => {},
      }).then((running) => ({ url: running.url, dataDir: path.join(dataDir, "sandbox"), stop: () => running.stop() }));
const database = await createScratchDatabase(ENGINE);
try {
  routeSdk(sandbox.url);
  setRecording(false);
  const commet = new Commet({ apiKey, telemetry: false, retries: 2 });
  const catalog = await loadCatalog(commet);
  const usage = catalog.metered.usage;

  const customers: string[] = [];
  await mapLimit(Array.from({ length: CUSTOMERS }), 8, async () => {
    const { customer } = await subscribedCustomer(commet, catalog.metered.plan);
    customers.push(customer.id);
  });
  // Rows spread over the customers; a quantity per row of each customer (identical rows are duplicates).
  const lines = Array.from({ length: ROWS }, (_, i) => {
    const customer = customers[i % customers.length]!;
    return `${customer},${usage},${Math.floor(i / customers.length) + 1},,bench backfill,`;
  });
  const content = ["customer,feature,quantity,event_time,reason,key", ...lines].join("\r\n");

  const engine = createWriteEngine({ commet, audit: createAuditLog(database.db), commetUrl: sandbox.url });
  const bulk = createBulk({ database, engine, writeConcurrency: CONCURRENCY });
  const staff = { id: "bench-ops", email: "ops@bench.local", role: "ops" as const };

  const validateStarted = performance.now();
  const up = await bulk.upload(staff, { kind: "usage", fileName: "bench.csv", content });
  const validateSeconds = (performance.now() - validateStarted) / 1000;
  if (up.kind !== "created" || up.status !== "ready") throw new Error(`upload: ${JSON.stringify(up)}`);

  // Approvals: none asked in this process (no gate); the batch starts at once.
  global.gc?.();
  const heap: number[] = [process.memoryUsage().heapUsed];
  const sampler = setInterval(() => heap.push(process.memoryUsage().heapUsed), 250);
  const applyStarted = performance.now();
  const started = await bulk.act(staff, up.batchId, "apply");
  if (started.kind !== "ok") throw new Error(`apply: ${JSON.stringify(started)}`);
  await bulk.idle();
  const applySeconds = (performance.now() - applyStarted) / 1000;
  clearInterval(sampler);
  global.gc?.();
  heap.push(process.memoryUsage().heapUsed);

  const progress = (await bulk.progress(up.batchId))!;
  if (progress.applied !== ROWS) throw new Error(`applied ${progress.applied} of ${ROWS}: ${JSON.stringify(progress)}`);
  const ledger = new Database(path.join(sandbox.dataDir, "sandbox.sqlite"), { readonly: true, fileMustExist: true });
  const counts = ledger
    .prepare(
      "SELECT COUNT(*) AS events, COUNT(DISTINCT idempotency_key) AS keys FROM usage_events WHERE idempotency_key LIKE 'bulk-%'",
    )
    .get() as { events: number; keys: number };
  ledger.close();
  if (counts.events !== ROWS || counts.keys !== ROWS)
    throw new Error(`ledger: ${JSON.stringify(counts)} for ${ROWS} rows`);

  const first = heap[0]!;
  const peak = Math.max(...heap);
  const last = heap[heap.length - 1]!;
  console.log(
    `rows=${ROWS} customers=${CUSTOMERS} concurrency=${CONCURRENCY} engine=${ENGINE} — ledger: ${counts.events} events, ${counts.keys} keys (each row once)`,
  );
  console.log(`heap while applying: start ${mb(first)} MB, peak ${mb(peak)} MB, end ${mb(last)} MB`);
  console.log(`bench bulk-validate: ${Math.round(ROWS / validateSeconds)} rows/s (${validateSeconds.toFixed(1)} s)`);
  console.log(`bench bulk-apply: ${Math.round(ROWS / applySeconds)} rows/s (target ≥ 300)`);
  console.log(`bench bulk-apply-heap-growth: ${mb(Math.max(0, last - first))} MB (target ≤ 32)`);
} finally {
  await database.dispose();
  await sandbox.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
