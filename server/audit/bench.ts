/**
 * Audit trail bench: `node --expose-gc --import tsx server/audit/bench.ts [--rows N] [--engines sqlite,postgres]`
 * Measures, per engine, on a throwaway database (PostgreSQL on TEST_DATABASE_URL):
 *   - the write-ahead overhead of one audited write (begin + finalize), p50 / p95;
 *   - a first page of /audit (50 rows, with total) unfiltered and filtered, and a deep page by
 *     offset vs by keyset cursor;
 *   - the CSV export of every row: duration, and the heap retained while streaming (batches, back-pressure).
 * Prints `bench <name>: <value> <unit> (target <target>)` lines.
 */
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import type { Engine } from "../db/database.ts";
import { createScratchDatabase } from "../testing/scratch-db.ts";
import type { NewAuditRow } from "../db/schema.ts";
import { createAuditLog } from "./audit-log.ts";
import { entriesToCsv } from "./csv.ts";

const { values } = parseArgs({
  options: { rows: { type: "string", default: "100000" }, engines: { type: "string", default: "sqlite,postgres" } },
});
const ROWS = Number(values.rows);
const engines = values.engines.split(",") as Engine[];

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;
const line = (name: string, value: number, unit: string, target: string) =>
  console.log(`bench ${name}: ${value.toFixed(value < 10 ? 2 : 0)} ${unit} (target ${target})`);

async function timeIt(runs: number, fn: () => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    await fn();
    samples.push(ms(t));
  }
  return samples;
}

for (const engine of engines) {
  const database = await createScratchDatabase(engine);
  try {
    const log = createAuditLog(database.db);
    // seed: ROWS finished rows over 90 days, 20 actors, 500 customers, a few actions and statuses
    const start = Date.now() - 90 * 86_400_000;
    const actions = ["seats.update", "usage.record", "portal.issue", "sign_in.succeeded", "staff.change_role"];
    const t0 = process.hrtime.bigint();
    for (let offset = 0; offset < ROWS; offset += 1000) {
      const batch: NewAuditRow[] = [];
      for (let i = offset; i < Math.min(ROWS, offset + 1000); i++) {
        const at = start + Math.floor((i / ROWS) * 90 * 86_400_000);
        batch.push({
          id: randomUUID(),
          created_at: at,
          finalized_at: at + 300,
          actor_id: `staff-${i % 20}`,
          actor_email: `person${i % 20}@example.com`,
          actor_role: i % 20 === 0 ? "admin" : "ops",
          action: actions[i % actions.length]!,
          customer_id: `cus_${i % 500}`,
          params: JSON.stringify({ seats: i % 50, featureCode: "api_calls" }),
          idempotency_key: randomUUID(),
          status: i % 97 === 0 ? "failed" : "succeeded",
          commet_ids: JSON.stringify({ subscriptionId: `sub_${i % 500}` }),
          request_id: `req_${i}`,
          error_code: i % 97 === 0 ? "validation_error" : null,
          error_message: null,
        });
      }
      await database.db.insertInto("audit_log").values(batch).execute();
    }
    console.log(`# ${engine}: seeded ${ROWS} audit rows in ${(ms(t0) / 1000).toFixed(1)} s`);

    const writes = await timeIt(300, async () => {
      const id = await log.begin({
        actor: { id: "staff-1", email: "person1@example.com" },
        role: "ops",
        action: "seats.update",
        customerId: "cus_1",
        params: { seats: 3 },
        idempotencyKey: randomUUID(),
      });
      await log.finalize(id, { status: "succeeded", commetIds: { subscriptionId: "sub_1" }, requestId: "req" });
    });
    line(`audit-${engine}-write-ahead-p50`, percentile(writes, 50), "ms", "< 5 ms");
    line(`audit-${engine}-write-ahead-p95`, percentile(writes, 95), "ms", "< 20 ms");

    const first = await timeIt(30, () => log.list({}, { pageSize: 50, page: 1 }));
    line(`audit-${engine}-first-page-p50`, percentile(first, 50), "ms", "< 100 ms");
    const filtered = await timeIt(30, () =>
      log.list({ actor: "person3@", action: "seats.update", from: start + 30 * 86_400_000 }, { pageSize: 50, page: 1 }),
    );
    line(`audit-${engine}-filtered-page-p50`, percentile(filtered, 50), "ms", "< 100 ms");
    const deepPage = Math.floor(ROWS / 50 / 2);
    const deep = await timeIt(10, () => log.list({}, { pageSize: 50, page: deepPage }));
    line(`audit-${engine}-offset-page-${deepPage}-p50`, percentile(deep, 50), "ms", "< 200 ms");
    const middle = await log.list({}, { pageSize: 50, page: deepPage - 1 });
    const keyset = await timeIt(10, () => log.list({}, { pageSize: 50, cursor: middle.nextCursor }));
    line(`audit-${engine}-keyset-page-${deepPage}-p50`, percentile(keyset, 50), "ms", "< 100 ms");

    const tCsv = process.hrtime.bigint();
    let bytes = 0;
    for await (const chunk of entriesToCsv(log.iterate({}))) bytes += (chunk as Buffer).length;
    const csvMs = ms(tCsv);
    line(`audit-${engine}-csv-${ROWS}-rows`, csvMs, "ms", `< ${Math.ceil(ROWS / 10_000)} s`);
    line(`audit-${engine}-csv-rows-per-second`, (ROWS / csvMs) * 1000, "rows/s", "> 20000 rows/s");

    // retained memory while streaming (a second, untimed pass): heap after a forced GC every ~2 MiB of CSV
    if (global.gc) {
      const used = () => process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
      global.gc();
      const before = used();
      let peak = before;
      let sinceGc = 0;
      for await (const chunk of entriesToCsv(log.iterate({}))) {
        sinceGc += (chunk as Buffer).length;
        if (sinceGc > 2 * 2 ** 20) {
          global.gc();
          peak = Math.max(peak, used());
          sinceGc = 0;
        }
      }
      line(
        `audit-${engine}-csv-retained-heap`,
        (peak - before) / 2 ** 20,
        "MiB",
        `< 16 MiB while streaming ${(bytes / 2 ** 20).toFixed(0)} MiB of CSV`,
      );
    } else {
      console.log("# run with node --expose-gc to measure retained memory");
    }
  } finally {
    await database.dispose();
  }
}
