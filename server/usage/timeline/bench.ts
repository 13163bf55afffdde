/**
 * `npm run bench:usage` — usage timeline benchmarks (not tests), on SQLite and PostgreSQL.
 *
 * 1. Store: N synthetic usage events (default 10,000,000; `--events N` or USAGE_BENCH_EVENTS) are
 *    written straight into usage_events of a scratch database (bench only: batched transactions, the
 *    secondary indexes built after the load), the rollups computed with rebuildRollups (INSERT…SELECT
 *    GROUP BY), then the explorer queries timed: p95 of a 90-day all-customers series (target ≤ 50 ms),
 *    a 90-day single-customer series (target ≤ 10 ms), and — reported without a target — the 90-day
 *    top-customers table, which scans the per-customer rollups.
 * 2. Ingest: signed usage.recorded deliveries POSTed over HTTP to the console itself — `server/main.ts`
 *    started as `npm start` runs it (production build, scratch database, a customer-less local
 *    sandbox as its Commet) — at POST /webhooks/commet: signature check, envelope validation, dedup,
 *    events + rollups committed before the 200 (group commit). `--ingest-seconds` (default 10) at 32
 *    in flight from a separate Node process (the machine has 2 cores shared by console, client and
 *    database).
 * Synthetic data: 20,000 customers (skewed), 2 features, 4 plans, 90 UTC days ending today.
 * Prints `bench <name>: <value> <unit> (target <target>)` lines. `--engine sqlite|postgres` runs one engine,
 * `--only ingest|store` one half.
 */
import { spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import SQLite from "better-sqlite3";
import pg from "pg";
import { Pool } from "undici";
import { spawnSandbox } from "../../commet/local-sandbox.ts";
import { PROJECT_ROOT } from "../../project-root.ts";
import { spawnConsole, type ConsoleProcess } from "../../console-process.ts";
import { createScratchDatabase, type ScratchDatabase } from "../../testing/scratch-db.ts";
import { chunks, createDatabase, migrateToLatest, type Database, type Engine } from "../../db/index.ts";
import { loadRevenueOverview, type RevenueSources } from "../../revenue/index.ts";
import { backfillSubscriptionMovements } from "../../db/migrations/0015_subscription_movements.ts";
import type { Kysely } from "kysely";
import { customerUsage } from "./customer.ts";
import { dayToIso, daysBetween, epochDay, DAY_MS } from "./days.ts";
import { topCustomers, usageSeries } from "./explorer.ts";
import { rebuildRollups } from "./rollups.ts";
import { reconcileClosedPeriods } from "./closed-periods.ts";
import type { Commet, Invoice } from "@commet/node";
import type { PlanView } from "../../../app/contracts/plans.ts";
import { TEST_SECRET, usageEnvelope } from "../../testing/timeline.ts";
import { sign } from "../../testing/webhooks.ts";
import { mulberry32 } from "../../prng.ts";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const EVENTS = Number(arg("events") ?? process.env.USAGE_BENCH_EVENTS ?? 10_000_000);
const INGEST_SECONDS = Number(arg("ingest-seconds") ?? 10);
const ENGINES: Engine[] = arg("engine") ? [arg("engine") as Engine] : ["sqlite", "postgres"];
/** --keep: leave the store half's scratch database in place (its location is printed) to EXPLAIN queries afterwards. */
const KEEP = process.argv.includes("--keep");
const CUSTOMERS = 20_000;
const FEATURES = ["api_calls", "ai_tokens"];
const PLANS = ["plan_free", "plan_starter", "plan_pro", "plan_business"];
const DAYS = 90;
const ITERATIONS = 60;

/** Figures, printed together at the end (stdout) as `bench <name>: <value> <unit> (target <target>)`. */
const figures: string[] = [];
function report(name: string, value: string, unit: string, target: string, detail?: string): void {
  const line = `bench ${name}: ${value} ${unit} (target ${target})`;
  figures.push(line);
  process.stderr.write(`[bench:usage] ${line}${detail ? ` — ${detail}` : ""}\n`);
}
const note = (line: string) => process.stderr.write(`[bench:usage] ${line}\n`);

const customerId = (i: number) => `usr_${String(i).padStart(6, "0")}`;
const planOf = (c: number) => PLANS[c % PLANS.length]!;

function* events(n: number, lastDay: number): Generator<[string, string, string, number, number, number, string]> {
  const rnd = mulberry32(7);
  const firstDay = lastDay - DAYS + 1;
  for (let i = 0; i < n; i++) {
    const c = Math.floor(CUSTOMERS * rnd() ** 2); // skewed: low ids are heavy users
    const feature = rnd() < 0.7 ? FEATURES[0]! : FEATURES[1]!;
    const day = firstDay + Math.floor(rnd() * DAYS);
    const at = day * DAY_MS + Math.floor(rnd() * DAY_MS);
    yield [
      `evt_b${String(i).padStart(9, "0")}`,
      customerId(c),
      feature,
      1 + Math.floor(rnd() * 100),
      at,
      day,
      planOf(c),
    ];
  }
}

const SECONDARY = [
  ["usage_events_customer_feature_at", "usage_events (customer_id, feature_code, occurred_at)"],
  ["usage_events_occurred_at", "usage_events (occurred_at)"],
  ["usage_events_manual", "usage_events (customer_id, occurred_at) WHERE manual_audit_id IS NOT NULL"],
] as const;

async function loadSqlite(database: ScratchDatabase, n: number, lastDay: number): Promise<void> {
  const db = new SQLite(database.location);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = OFF");
  db.pragma("cache_size = -262144");
  for (const [name] of SECONDARY) db.exec(`DROP INDEX ${name}`);
  const ins = db.prepare(
    `INSERT INTO usage_events (usage_event_id, customer_id, feature_code, quantity, occurred_at, day, plan_id, source, received_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, 'webhook', ?)`,
  );
  const batch = db.transaction((rows: Array<[string, string, string, number, number, number, string]>) => {
    for (const r of rows) ins.run(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[4]);
  });
  let rows: Array<[string, string, string, number, number, number, string]> = [];
  let done = 0;
  for (const e of events(n, lastDay)) {
    rows.push(e);
    if (rows.length === 50_000) {
      batch(rows);
      done += rows.length;
      rows = [];
      if (done % 1_000_000 === 0) note(`sqlite: ${done.toLocaleString("en")} events loaded`);
    }
  }
  if (rows.length) batch(rows);
  for (const [name, on] of SECONDARY) db.exec(`CREATE INDEX ${name} ON ${on}`);
  db.close();
}

async function loadPostgres(database: ScratchDatabase, n: number, lastDay: number): Promise<void> {
  const client = new pg.Client({ connectionString: database.location });
  await client.connect();
  try {
    await client.query("SET synchronous_commit = off");
    for (const [name] of SECONDARY) await client.query(`DROP INDEX ${name}`);
    const cols: [string[], string[], string[], number[], number[], number[], string[]] = [[], [], [], [], [], [], []];
    const flush = async () => {
      if (cols[0].length === 0) return;
      await client.query(
        `INSERT INTO usage_events (usage_event_id, customer_id, feature_code, quantity, occurred_at, day, plan_id, source, received_at)
         SELECT e, c, f, q, a, d, p, 'webhook', a
         FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::int8[], $6::int4[], $7::text[]) AS t(e, c, f, q, a, d, p)`,
        cols,
      );
      for (const col of cols) col.length = 0;
    };
    let done = 0;
    for (const e of events(n, lastDay)) {
      for (let k = 0; k < 7; k++) (cols[k] as unknown[]).push(e[k]);
      if (cols[0].length === 20_000) {
        await flush();
        done += 20_000;
        if (done % 1_000_000 === 0) note(`postgres: ${done.toLocaleString("en")} events loaded`);
      }
    }
    await flush();
    await client.query("SET maintenance_work_mem = '512MB'");
    for (const [name, on] of SECONDARY) await client.query(`CREATE INDEX ${name} ON ${on}`);
  } finally {
    await client.end();
  }
}

function p95(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)]!;
}

async function time(fn: () => Promise<unknown>, iterations = ITERATIONS): Promise<number> {
  for (let i = 0; i < 5; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  return p95(samples);
}

/**
 * This process's CPU time for one call, in ms: on a shared machine wall time mostly measures the queue for a core,
 * while CPU time is the work (all of it for SQLite, which runs in-process; the client's share for PostgreSQL).
 */
async function cpu(fn: () => Promise<unknown>): Promise<number> {
  const before = process.cpuUsage();
  await fn();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

const load = () => `load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores`;

async function storeBench(engine: Engine): Promise<void> {
  const reuse = arg("reuse");
  if (reuse) {
    // A database a `--keep` run left: migrated to the latest schema (backfills included, timed), queries only.
    const database = createDatabase(reuse);
    const t = performance.now();
    await migrateToLatest(database);
    note(`${engine}: reusing ${database.location}, migrated in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    try {
      await queryBench(engine, database, epochDay(Date.now()));
    } finally {
      await database.close();
    }
    return;
  }
  const database = await createScratchDatabase(engine);
  try {
    const today = epochDay(Date.now());
    let t = performance.now();
    if (engine === "sqlite") await loadSqlite(database, EVENTS, today);
    else await loadPostgres(database, EVENTS, today);
    const loadS = (performance.now() - t) / 1000;
    report(
      `usage-load-${engine}`,
      String(Math.round(EVENTS / loadS)),
      "events/s",
      "none",
      `${EVENTS.toLocaleString("en")} events in ${loadS.toFixed(1)} s, bench-only bulk path`,
    );
    t = performance.now();
    const rebuilt = await rebuildRollups(database);
    report(
      `usage-rebuild-${engine}`,
      ((performance.now() - t) / 1000).toFixed(1),
      "s",
      "none",
      `${rebuilt.events.toLocaleString("en")} events → ${rebuilt.customerDays.toLocaleString("en")} customer-days, ${rebuilt.planDays} plan-days`,
    );
    if (engine === "sqlite") {
      const raw = new SQLite(database.location);
      raw.exec("ANALYZE");
      raw.close();
    } else {
      const client = new pg.Client({ connectionString: database.location });
      await client.connect();
      await client.query("VACUUM ANALYZE");
      await client.end();
    }
    await queryBench(engine, database, today);
  } finally {
    if (KEEP) {
      note(`${engine}: scratch database kept at ${database.location} (--reuse it)`);
      await database.close();
    } else await database.dispose();
  }
}

async function queryBench(engine: Engine, database: Database, today: number): Promise<void> {
  const range = daysBetween(today - DAYS + 1, today);
  const series = await usageSeries(database, { range });
  if (Math.round(series.total) <= 0) throw new Error("explorer series came back empty");
  const all = await time(() => usageSeries(database, { range }));
  report(`usage-explorer-90d-all-p95-${engine}`, all.toFixed(2), "ms", "≤ 50 ms");
  let c = 0;
  const one = await time(() => customerUsage(database, customerId(c++ % 500), range));
  report(`usage-customer-90d-p95-${engine}`, one.toFixed(2), "ms", "≤ 10 ms");
  const planFiltered = await time(() => usageSeries(database, { range, plans: [PLANS[2]!], features: [FEATURES[0]!] }));
  report(`usage-explorer-90d-plan-feature-p95-${engine}`, planFiltered.toFixed(2), "ms", "≤ 50 ms");
  const top = await topCustomers(database, { range }, { limit: 20 });
  const topMs = await time(() => topCustomers(database, { range }, { limit: 20 }), 20);
  const topCpu = await cpu(() => topCustomers(database, { range }, { limit: 20 }));
  report(
    `usage-top-customers-90d-${engine}`,
    topMs.toFixed(0),
    "ms",
    "≤ 200 ms",
    `p95 of 20, ${top.customers.toLocaleString("en")} customers ranked, top 20 by usage; ${topCpu.toFixed(0)} ms CPU in this process; ${load()}`,
  );
  const recon = await reconBench(database, today);
  report(
    `usage-reconcile-closed-period-${engine}`,
    recon.ms.toFixed(0),
    "ms",
    "≤ 5000 ms",
    `single run, ${recon.invoices.toLocaleString("en")} customers' closed periods, ${recon.rows.toLocaleString("en")} lines compared; Commet's invoice reads served in-process (console side only); ${recon.cpu.toFixed(0)} ms CPU in this process; ${load()}`,
  );
  const revenue = await revenueBench(database, today);
  report(
    `usage-revenue-overview-${engine}`,
    revenue.ms.toFixed(0),
    "ms",
    "≤ 200 ms",
    `p95 of 20, 12 months, ${CUSTOMERS.toLocaleString("en")} subscriptions indexed; plans and transaction pages served in-process (console side only); ${revenue.cpu.toFixed(0)} ms CPU in this process; ${load()}`,
  );
}

/**
 * One closed period per customer (30 days, each with its own anchor minute, ending 10 days ago) and an invoice with
 * an api_calls overage line, served by an in-process stand-in for Commet's invoices.list / get: this times the
 * console's side (the timeline query per customer period and the comparison), not Commet's latency.
 */
async function reconBench(database: Database, today: number) {
  const invoices: Invoice[] = Array.from({ length: CUSTOMERS }, (_, c) => {
    const end = (today - 10) * DAY_MS + (c % 1440) * 60_000;
    const iso = (ms: number) => new Date(ms).toISOString();
    return {
      id: `inv_${c}`,
      customerId: customerId(c),
      subscriptionId: null,
      invoiceNumber: `INV-${c}`,
      status: "paid",
      invoiceType: "recurring",
      currency: "USD",
      subtotal: 100,
      discountAmount: 0,
      taxAmount: 0,
      total: 100,
      periodStart: iso(end - 30 * DAY_MS),
      periodEnd: iso(end),
      issueDate: iso(end),
      dueDate: iso(end + 7 * DAY_MS),
      planName: "Pro",
      memo: null,
      metadata: {},
      lineItems: [
        {
          lineType: "feature_overage",
          featureName: "API calls",
          description: "overage",
          quantity: 1,
          unitAmount: 1,
          amount: 1,
          includedAmount: 1000,
          usedAmount: 1001,
          overageAmount: 1,
          discountType: null,
          discountValue: null,
          discountName: null,
          chargeType: "true_up",
        },
      ],
      object: "invoice",
      livemode: false,
    } as Invoice;
  });
  const byId = new Map(invoices.map((i) => [i.id, i]));
  const commet = {
    invoices: {
      list: async ({ cursor }: { cursor?: string }) => {
        const at = Number(cursor ?? 0);
        const data = invoices.slice(at, at + 100).map(({ lineItems: _lines, ...rest }) => rest);
        const more = at + 100 < invoices.length;
        return { success: true, data, hasMore: more, nextCursor: more ? String(at + 100) : undefined };
      },
      get: async ({ id }: { id: string }) => ({ success: true, data: byId.get(id) }),
    },
  } as unknown as Pick<Commet, "invoices">;
  const plans = async () =>
    [
      {
        id: "plan_pro",
        name: "Pro",
        features: FEATURES.map((code) => ({
          code,
          name: code === "api_calls" ? "API calls" : "AI tokens",
          type: "usage",
          unitName: "call",
          enabled: true,
          included: 1000,
          unlimited: false,
          overageUnitPrice: 100,
        })),
      },
    ] as unknown as PlanView[];
  const t = performance.now();
  const before = process.cpuUsage();
  const report = await reconcileClosedPeriods(
    database,
    { commet, plans },
    { from: dayToIso(today - 11), to: dayToIso(today - 9) },
  );
  const used = process.cpuUsage(before);
  if (report.totals.invoices !== CUSTOMERS) throw new Error(`reconciliation read ${report.totals.invoices} invoices`);
  return {
    ms: performance.now() - t,
    cpu: (used.user + used.system) / 1000,
    invoices: report.totals.invoices,
    rows: report.totals.compared,
  };
}

/**
 * The revenue overview (/revenue, 12 months) over 20,000 subscriptions in the customer index and their
 * subscription webhooks in account_events (created + activated each, a plan change for one in 10, a
 * cancellation for one in 20), with the plan catalog and Commet's transaction pages (3 statuses × 5 pages
 * of 100) served in-process: this times the console's side.
 */
async function revenueBench(database: Database, today: number): Promise<{ ms: number; cpu: number }> {
  const db = database.db as unknown as Kysely<{
    directory_subscriptions: Record<string, unknown>;
    account_events: Record<string, unknown>;
  }>;
  const now = today * DAY_MS + DAY_MS / 2;
  const rnd = mulberry32(13);
  const subs: Array<Record<string, unknown>> = [];
  const events: Array<Record<string, unknown>> = [];
  const event = (type: string, c: number, at: number, payload: Record<string, unknown>) =>
    events.push({
      event_id: `whev_${events.length}`,
      type,
      kind: "subscription",
      customer_id: customerId(c),
      customer_key: customerId(c),
      occurred_at: at,
      received_at: at,
      payload: JSON.stringify({ subscriptionId: `sub_${c}`, ...payload }),
    });
  for (let c = 0; c < CUSTOMERS; c++) {
    const start = now - Math.floor(rnd() * 400) * DAY_MS;
    const canceled = c % 20 === 7;
    subs.push({
      id: `sub_${c}`,
      customer_ref: customerId(c),
      customer_id: customerId(c),
      status: canceled ? "canceled" : "active",
      plan_id: planOf(c),
      plan_name: planOf(c),
      start_date: start,
      seats: JSON.stringify({ editor: 1 + (c % 5) }),
      source_at: start,
      indexed_at: start,
    });
    event("subscription.created", c, start, { planId: planOf(c) });
    event("subscription.activated", c, start + 1000, { planId: planOf(c) });
    if (c % 10 === 3)
      event("subscription.plan_changed", c, start + 5 * DAY_MS, {
        previousPlan: { id: PLANS[(c + 1) % PLANS.length] },
        currentPlan: { id: planOf(c) },
      });
    if (canceled) event("subscription.canceled", c, start + 20 * DAY_MS, {});
  }
  // A reused database still holds the last run's.
  await db.deleteFrom("directory_subscriptions").execute();
  await db.deleteFrom("account_events").execute();
  for (const rows of chunks(subs, 500)) await db.insertInto("directory_subscriptions").values(rows).execute();
  for (const rows of chunks(events, 500)) await db.insertInto("account_events").values(rows).execute();
  // Written straight into account_events (not through the intake): their movement rows as the migration builds them.
  await backfillSubscriptionMovements(database.db, database.dialect);
  const price = (interval: string, rate: number) => ({
    interval,
    price: rate,
    isDefault: true,
    trialDays: 0,
    includedCredits: null,
    includedBalance: null,
  });
  const catalog = PLANS.map((id, i) => ({
    id,
    code: id,
    name: id,
    description: null,
    isPublic: true,
    isDefault: false,
    isFree: i === 0,
    consumptionModel: "metered",
    prices: i === 0 ? [] : [price("monthly", 100_000 * 10 ** i)],
    features: [
      {
        code: "editor",
        name: "Editor seats",
        type: "seats",
        unitName: "seat",
        enabled: true,
        included: 2,
        unlimited: false,
        overageUnitPrice: 50_000,
      },
    ],
    livemode: false,
  })) as unknown as PlanView[];
  const transactions = {
    list: async ({ status, cursor }: { status: string; cursor?: string }) => {
      const page = Number(cursor ?? 0);
      const data = Array.from({ length: 100 }, (_, k) => ({
        id: `txn_${status}_${page}_${k}`,
        status,
        grossAmount: 1000 + k,
        presentmentAmount: 1000 + k,
        currency: "usd",
        createdAt: new Date(now - (page * 100 + k) * DAY_MS).toISOString(),
      }));
      return { success: true, data, hasMore: true, nextCursor: String(page + 1) };
    },
  } as unknown as NonNullable<RevenueSources["commet"]>["transactions"];
  const sources: RevenueSources = {
    database,
    plans: async () => catalog,
    commet: { transactions },
    now: () => now,
  };
  const overview = await loadRevenueOverview({ months: 12 }, sources);
  if (overview.mrr.subscriptions === 0) throw new Error("revenue overview found no active subscriptions");
  return {
    ms: await time(() => loadRevenueOverview({ months: 12 }, sources), 20),
    cpu: await cpu(() => loadRevenueOverview({ months: 12 }, sources)),
  };
}

/** Load generator (runs in its own process so the endpoint keeps a core): POSTs signed deliveries for `seconds`. */
async function ingestClient(endpointUrl: string, seconds: number): Promise<void> {
  const url = new URL(endpointUrl);
  const pool = new Pool(url.origin, { connections: 32, pipelining: 1 });
  const deadline = performance.now() + seconds * 1000;
  let sent = 0;
  let ok = 0;
  let failed = 0;
  const rnd = mulberry32(11);
  const worker = async () => {
    while (performance.now() < deadline) {
      const body = usageEnvelope({
        usageEventId: `evt_${randomUUID()}`,
        customerId: customerId(Math.floor(rnd() * 2000)),
        featureCode: FEATURES[sent++ % 2]!,
        value: 1 + Math.floor(rnd() * 100),
        ts: new Date(Date.now() - Math.floor(rnd() * 3 * DAY_MS)).toISOString(),
      });
      const res = await pool.request({
        method: "POST",
        path: url.pathname,
        headers: {
          "content-type": "application/json",
          "x-commet-signature": sign(body, TEST_SECRET),
          "x-commet-event": "usage.recorded",
        },
        body,
      });
      await res.body.dump();
      if (res.statusCode === 200) ok++;
      else failed++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: 32 }, worker));
  await pool.close();
  process.stdout.write(`${JSON.stringify({ ok, failed, seconds: (performance.now() - started) / 1000 })}\n`);
}

/**
 * The console itself (`server/main.ts`, production build, as `npm start` runs it) on a scratch database,
 * pointed at a local sandbox with no customers (its directory sync finds nothing to do), with
 * COMMET_WEBHOOK_SECRET = the bench's secret: deliveries go through the real POST /webhooks/commet.
 */
async function startConsole(engine: Engine): Promise<{ url: string; stop(): Promise<void> }> {
  if (!fs.existsSync(path.join(PROJECT_ROOT, "build/server/index.js"))) {
    note("no production build: running `npx remix vite:build` first");
    const build = spawnSync("npx", ["remix", "vite:build"], {
      cwd: PROJECT_ROOT,
      stdio: ["ignore", "ignore", "inherit"],
    });
    if (build.status !== 0) throw new Error("the production build failed");
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-usage-console-"));
  const database = engine === "postgres" ? await createScratchDatabase("postgres") : null;
  const sandbox = await spawnSandbox({
    dataDir: path.join(dataDir, "sandbox"),
    apiKey: "ck_bench_sandbox",
    customers: 0,
    reset: true,
    log: () => {},
  });
  let consoleProcess: ConsoleProcess;
  try {
    consoleProcess = await spawnConsole(
      {
        DATA_DIR: dataDir,
        DATABASE_URL: database?.location, // unset → SQLite under DATA_DIR
        COMMET_API_KEY: "ck_bench_sandbox",
        COMMET_API_URL: sandbox.url,
        COMMET_WEBHOOK_SECRET: TEST_SECRET,
        SESSION_SECRET: "bench-session-secret-0123456789abcdef",
        CONSOLE_ADMIN_EMAIL: "bench@example.test",
        CONSOLE_ADMIN_PASSWORD: "bench-admin-password",
      },
      // BENCH_CPU_PROF=<dir>: write the console's CPU profile there (to see where a delivery's time goes).
      {
        nodeArgs: process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [],
        log: () => {},
      },
    );
  } catch (error) {
    await sandbox.stop();
    await database?.dispose();
    throw error;
  }
  return {
    url: `${consoleProcess.url}/webhooks/commet`,
    async stop() {
      await consoleProcess.stop();
      await sandbox.stop();
      await database?.dispose();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function ingestBench(engine: Engine): Promise<void> {
  const consoleServer = await startConsole(engine);
  try {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", fileURLToPath(import.meta.url), "--ingest-client", consoleServer.url, String(INGEST_SECONDS)],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    if (code !== 0) throw new Error(`ingest client exited with ${code}`);
    const { ok, failed, seconds } = JSON.parse(output.trim().split("\n").pop()!) as {
      ok: number;
      failed: number;
      seconds: number;
    };
    if (failed) note(`${engine}: ${failed} deliveries answered non-200`);
    report(
      `usage-ingest-http-${engine}`,
      String(Math.round(ok / seconds)),
      "events/s",
      "≥ 1000 events/s",
      `${ok} acknowledged in ${seconds.toFixed(1)} s by the console's POST /webhooks/commet (signature checked, stored with rollups), load from a separate process`,
    );
  } finally {
    await consoleServer.stop();
  }
}

async function main(): Promise<void> {
  const client = arg("ingest-client");
  if (client) return ingestClient(client, Number(process.argv[process.argv.indexOf("--ingest-client") + 2] ?? 10));
  note(`${EVENTS.toLocaleString("en")} events per engine, engines: ${ENGINES.join(", ")}`);
  // --only ingest|store: one half of the bench.
  const only = arg("only");
  for (const engine of ENGINES) {
    if (only !== "store") await ingestBench(engine);
    if (only !== "ingest") await storeBench(engine);
  }
  for (const line of figures) process.stdout.write(`${line}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `bench:usage failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
