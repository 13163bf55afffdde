/**
 * `npm run bench:search` — search latency of the customer index at 100,000 customers, on SQLite and
 * PostgreSQL. For each engine: a scratch database (server/testing/scratch-db.ts), filled with 100,000 synthetic
 * customers written straight into the index (bench only — the console fills it by sync/webhooks),
 * then 200 searches per query kind, timed in-process (server time, no HTTP), after a warm-up.
 *
 * stdout carries only `bench <name>: <value> <unit> (target <target>)` lines; progress goes to stderr.
 * Bounded: each engine stops measuring after BENCH_SEARCH_MAX_S seconds (default 120).
 * Env: BENCH_SEARCH_CUSTOMERS (default 100000), BENCH_SEARCH_ENGINES (default "sqlite,postgres").
 */
import { performance } from "node:perf_hooks";
import { sql } from "kysely";
import type { Database, Engine } from "../db/database.ts";
import { foldText } from "./normalize.ts";
import { customerRow } from "./store.ts";
import { tables } from "./schema.ts";
import { listIndexedCustomers } from "./list.ts";
import type { MatchedOn } from "../../app/contracts/search.ts";
import { searchCustomers } from "./search.ts";
import { mulberry32 } from "../prng.ts";
import { createScratchDatabase } from "../testing/scratch-db.ts";

const CUSTOMERS = Number(process.env.BENCH_SEARCH_CUSTOMERS ?? 100_000);
const QUERIES = 200;
const WARMUP = 30;
const TARGET_MS = 30;
const MAX_S = Number(process.env.BENCH_SEARCH_MAX_S ?? 120);
const ENGINES = (process.env.BENCH_SEARCH_ENGINES ?? "sqlite,postgres").split(",").map((s) => s.trim()) as Engine[];

function report(name: string, value: string, unit: string, target: string): void {
  process.stdout.write(`bench ${name}: ${value} ${unit} (target ${target})\n`);
}
const progress = (line: string) => process.stderr.write(`${line}\n`);

const FIRST = (
  "Ada Alan Grace Linus Margaret Dennis Barbara Ken Radia Tim Frances Donald Edsger Leslie Hedy Katherine John " +
  "Zoë José María Jürgen Søren Ágnes Çağla Noémie Łukasz François Björn Mónica Renée Dvořák Ines Chloé Mateo Lucía " +
  "Olivia Liam Emma Noah Ava Elijah Sofia Lucas Mia Mason Amelia Ethan Harper Logan Evelyn James Abigail Benjamin " +
  "Emily Jacob Ella Michael Elizabeth Daniel Camila Henry Luna Jackson Sofía Sebastián Aiden Scarlett Matthew " +
  "Victoria Samuel Madison David Aria Joseph Grace Carter Chloe Owen Penelope Wyatt Riley Jack Layla Luke Lillian " +
  "Jayden Nora Dylan Zoey Gabriel Mila Isaac Aubrey Anthony Hannah Thomas Lily Leo Addison Lincoln Eleanor Jaxon " +
  "Natalie Asher Luna Christopher Savannah Josiah Brooklyn Andrew Leah Theodore Zoe Caleb Stella Ezra Hazel Hugo"
).split(" ");
const LAST = (
  "Lovelace Turing Hopper Torvalds Hamilton Ritchie Liskov Thompson Perlman Berners-Lee Allen Knuth Dijkstra Lamport " +
  "Lamarr Johnson McCarthy Núñez García Müller Kierkegaard Østergaard Kovács Yılmaz Lefèvre Wałęsa Beaumont Andersson " +
  "Pérez Dubois Martínez Rodríguez López González Hernández Sánchez Ramírez Torres Flores Rivera Gómez Díaz Reyes " +
  "Morales Cruz Ortiz Gutiérrez Chávez Ramos Castillo Jiménez Vásquez Romero Álvarez Mendoza Ruiz Smith Brown Davis " +
  "Miller Wilson Moore Taylor Anderson Thomas Jackson White Harris Martin Thompson Martinez Robinson Clark Lewis Lee " +
  "Walker Hall Young King Wright Scott Green Baker Adams Nelson Hill Campbell Mitchell Roberts Carter Phillips Evans " +
  "Turner Parker Collins Edwards Stewart Morris Murphy Cook Rogers Morgan Peterson Cooper Reed Bailey Bell Kelly " +
  "Howard Ward Cox Richardson Wood Watson Brooks Bennett Gray James Hughes Price Sanders Myers Long Ross Foster Kimura"
).split(" ");
const DOMAINS = ["acme.com", "example.org", "globex.io", "initech.co", "umbrella.net", "hooli.dev", "stark.industries"];
const STATUSES = ["active", "active", "active", "trialing", "past_due", "pending_payment", "canceled", null];
const PLANS: Array<[string, string]> = [
  ["pln_free", "Free"],
  ["pln_starter", "Starter"],
  ["pln_pro", "Pro"],
  ["pln_team", "Team"],
];

interface Synthetic {
  id: string;
  externalId: string | null;
  email: string;
  fullName: string;
}

function synthesize(n: number): Synthetic[] {
  const r = mulberry32(20261121);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const out: Synthetic[] = [];
  for (let i = 0; i < n; i++) {
    const first = pick(FIRST);
    const last = pick(LAST);
    const local = foldText(`${first}.${last}`).replace(/[^a-z0-9.]/g, "");
    out.push({
      id: `cus_${Math.floor(r() * 2 ** 48)
        .toString(36)
        .padStart(10, "0")}${i.toString(36)}`,
      externalId: r() < 0.8 ? `user_${(i * 7919 + 17).toString(36)}` : null,
      email: `${local}${i}@${pick(DOMAINS)}`,
      fullName: r() < 0.1 ? `${first} ${pick(LAST)} ${last}` : `${first} ${last}`,
    });
  }
  return out;
}

async function fill(database: Database, customers: Synthetic[]): Promise<void> {
  const db = tables(database);
  const now = Date.now();
  const r = mulberry32(7);
  const batch = database.dialect === "postgres" ? 2000 : 1000;
  for (let i = 0; i < customers.length; i += batch) {
    const rows = customers.slice(i, i + batch).map((c, j) => {
      const plan = PLANS[(i + j) % PLANS.length]!;
      const status = STATUSES[Math.floor(r() * STATUSES.length)] ?? null;
      return {
        ...customerRow(c, now - (customers.length - i - j) * 60_000, now, now),
        subscription_id: status ? `sub_${c.id.slice(4)}` : null,
        subscription_status: status,
        plan_id: status ? plan[0] : null,
        plan_name: status ? plan[1] : null,
      };
    });
    await db.transaction().execute((trx) => trx.insertInto("directory_customers").values(rows).execute());
  }
}

type Kind = "email_prefix" | "name_token" | "external_id_exact" | "commet_id_exact";
const EXPECTED: Record<Kind, MatchedOn> = {
  email_prefix: "email",
  name_token: "name",
  external_id_exact: "externalId",
  commet_id_exact: "id",
};

function queriesFor(kind: Kind, customers: Synthetic[], count: number): Array<{ q: string; id: string }> {
  const r = mulberry32(kind.length * 1000 + 3);
  const out: Array<{ q: string; id: string }> = [];
  while (out.length < count) {
    const c = customers[Math.floor(r() * customers.length)]!;
    if (kind === "email_prefix") out.push({ q: c.email.slice(0, 3 + Math.floor(r() * 8)), id: c.id });
    else if (kind === "commet_id_exact") out.push({ q: c.id, id: c.id });
    else if (kind === "external_id_exact") {
      if (c.externalId) out.push({ q: c.externalId, id: c.id });
    } else {
      // What an agent types: a prefix of one name word (2–6 letters, accents as written), or prefixes of two words.
      const words = c.fullName.split(" ");
      const w = (s: string) => s.slice(0, Math.min(s.length, 2 + Math.floor(r() * 5)));
      out.push({
        q: r() < 0.6 ? w(words[Math.floor(r() * words.length)]!) : `${w(words[0]!)} ${w(words[words.length - 1]!)}`,
        id: c.id,
      });
    }
  }
  return out;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}

async function benchEngine(engine: Engine, customers: Synthetic[]): Promise<boolean> {
  const database = await createScratchDatabase(engine);
  let ok = true;
  try {
    const t0 = performance.now();
    await fill(database, customers);
    // Statistics and visibility map after the bulk load, as autovacuum would set them shortly after.
    if (engine === "postgres") await sql`vacuum analyze directory_customers`.execute(database.db);
    const fillS = (performance.now() - t0) / 1000;
    progress(`[${engine}] indexed ${customers.length} customers in ${fillS.toFixed(1)} s`);
    report(`search.${engine}.index_${customers.length}_customers`, fillS.toFixed(1), "s", "informational");

    const deadline = performance.now() + MAX_S * 1000;
    for (const kind of Object.keys(EXPECTED) as Kind[]) {
      const qs = queriesFor(kind, customers, QUERIES + WARMUP);
      const times: number[] = [];
      let found = 0;
      for (const [i, { q, id }] of qs.entries()) {
        if (performance.now() > deadline) break;
        const start = performance.now();
        const result = await searchCustomers(database, q, { limit: 10 });
        const ms = performance.now() - start;
        if (i < WARMUP) continue;
        times.push(ms);
        if (kind !== "email_prefix" && kind !== "name_token") {
          if (result.exactHit?.id === id && result.exactHit.matchedOn === EXPECTED[kind]) found++;
        } else if (result.hits.length > 0) found++;
      }
      times.sort((a, b) => a - b);
      if (times.length === 0) {
        progress(`[${engine}] ${kind}: time budget exhausted`);
        ok = false;
        continue;
      }
      const p95 = percentile(times, 0.95);
      progress(
        `[${engine}] ${kind}: ${times.length} queries, p50 ${percentile(times, 0.5).toFixed(2)} ms, ` +
          `p95 ${p95.toFixed(2)} ms, max ${times[times.length - 1]!.toFixed(2)} ms, ${found}/${times.length} found`,
      );
      report(`search.${engine}.${kind}_p95`, p95.toFixed(2), "ms", `<= ${TARGET_MS} ms`);
      if (found !== times.length || p95 > TARGET_MS) ok = false;
    }
    // The customers table from the same index (informational: first page, with its total).
    const listCases: Array<[string, Parameters<typeof listIndexedCustomers>[1]]> = [
      ["list_newest", { sort: "created", dir: "desc", limit: 50 }],
      ["list_past_due_by_email", { sort: "email", dir: "asc", status: ["past_due"], limit: 50 }],
      ["list_by_plan", { sort: "plan", dir: "asc", limit: 50 }],
    ];
    for (const [name, options] of listCases) {
      const times: number[] = [];
      for (let i = 0; i < 25 && performance.now() < deadline; i++) {
        const start = performance.now();
        await listIndexedCustomers(database, options);
        if (i >= 5) times.push(performance.now() - start);
      }
      if (times.length === 0) continue;
      times.sort((a, b) => a - b);
      report(`search.${engine}.${name}_p95`, percentile(times, 0.95).toFixed(2), "ms", "informational");
    }
  } finally {
    await database.dispose();
  }
  return ok;
}

async function main(): Promise<void> {
  const customers = synthesize(CUSTOMERS);
  let ok = true;
  for (const engine of ENGINES) {
    if (engine !== "sqlite" && engine !== "postgres") throw new Error(`unknown engine ${engine}`);
    ok = (await benchEngine(engine, customers)) && ok;
  }
  if (!ok) process.exitCode = 1;
}

await main();
