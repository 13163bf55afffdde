/**
 * Randomized faults over bulk batches, on both engines, against the sandbox's fault injection through the
 * real SDK (no SDK retries: every fault reaches the engine): each batch of seat or usage rows meets one
 * flavour — 500s, 429s, answers dropped after Commet applied the write, failing balance reads, or the
 * console killed mid-batch (the process dies after a pending audit row) and a new one resuming the batch.
 * Then, per row, Commet's ledger must hold its write exactly once: prints `duplicates=0 lost=0`.
 * BULK_FAULT_SEED=<n> replays a run; BULK_FAULT_BATCHES=<n> (default 8).
 */
import Database from "better-sqlite3";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { DEFAULT_APPROVAL_POLICY } from "../../app/contracts/approvals.ts";
import type { BulkKind } from "../../app/contracts/bulk.ts";
import { saveRule } from "../approvals/index.ts";
import { approvalTables } from "../approvals/schema.ts";
import { createAuditLog } from "../audit/index.ts";
import { mulberry32 } from "../prng.ts";
import { closeDatabaseGracefully, describeEachEngine, type EngineContext } from "../testing/db.ts";
import { randomSuffix, waitFor, type FaultRule } from "../testing/sandbox.ts";
import { SimulatedCrash, useWriteHarness } from "../testing/usage.ts";
import { createBulk, type Bulk, type BulkStaff } from "./index.ts";

const SEED = Number(process.env.BULK_FAULT_SEED ?? Date.now() % 1_000_000);
const BATCHES = Number(process.env.BULK_FAULT_BATCHES ?? 8);
const FLAVOURS = ["500", "429", "drop", "read-500", "kill"] as const;
type Flavour = (typeof FLAVOURS)[number];

const h = useWriteHarness({ beforeAll, afterAll });
const OPS: BulkStaff = { id: "staff-ops", email: "ops@example.test", role: "ops" };

/** A console process: its own engine (SDK client without retries) and bulk domain on the shared database. */
function processOn(
  ctx: EngineContext,
  options: { hooks?: { afterBegin?: (auditId: string) => void }; clockOffsetMs?: number } = {},
): Bulk {
  const engine = h.engine(ctx.db, { client: { retries: 0, timeout: 5_000 }, hooks: options.hooks });
  const clock = () => Date.now() + (options.clockOffsetMs ?? 0);
  return createBulk({ database: ctx.database, engine, clock, unknownPasses: 6, unknownDelayMs: 20, leaseMs: LEASE_MS });
}

const LEASE_MS = 60_000;

describeEachEngine("bulk batches under faults", (ctx) => {
  closeDatabaseGracefully(ctx);

  it(`randomized batches (seed ${SEED}) under 500s, 429s, dropped answers, failed reads and a kill mid-batch: every row exactly once — duplicates=0 lost=0`, async () => {
    const staff = { actor: { id: "staff-admin", email: "admin@example.test" }, role: "admin" as const };
    for (const rule of ["bulk", "seats.change", "usage.record"] as const) {
      await saveRule(
        approvalTables(ctx.db),
        staff,
        rule,
        { ...DEFAULT_APPROVAL_POLICY.rules[rule], enabled: false },
        Date.now(),
      );
    }
    const random = mulberry32(SEED + (ctx.engine === "postgres" ? 1 : 0));
    const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
    const seats = h.catalog.metered.seats;
    const usage = h.catalog.metered.usage;
    const ledger = new Database(path.join(h.sandbox.dataDir, "sandbox.sqlite"), {
      readonly: true,
      fileMustExist: true,
    });
    const usageEvents = ledger.prepare("SELECT COUNT(*) AS n FROM usage_events WHERE idempotency_key = ?");
    const seatEvents = ledger.prepare(
      "SELECT COUNT(*) AS n FROM seat_events WHERE customer_id = ? AND feature_code = ?",
    );
    const audit = createAuditLog(ctx.db);
    let duplicates = 0;
    let lost = 0;
    let resumed = 0;
    const problems: string[] = [];
    const flavours: Record<string, number> = {};
    const usageCustomers = [await h.customer(1), await h.customer(1), await h.customer(1)];

    try {
      for (let n = 0; n < BATCHES; n++) {
        const kind: BulkKind = random() < 0.5 ? "seats" : "usage";
        const flavour: Flavour = FLAVOURS[n % FLAVOURS.length]!;
        flavours[`${kind}/${flavour}`] = (flavours[`${kind}/${flavour}`] ?? 0) + 1;
        const rows = kind === "seats" ? int(6, 12) : int(15, 40);
        // Seats: one fresh customer per row (one change per customer and seat type per file).
        const seatCustomers =
          kind === "seats" ? await Promise.all(Array.from({ length: rows }, () => h.customer(10))) : [];
        const seatBaseline = seatCustomers.map((c) => (seatEvents.get(c.id, seats) as { n: number }).n);
        const ops = seatCustomers.map(() => (["set", "add", "remove"] as const)[int(0, 2)]);
        const lines =
          kind === "seats"
            ? seatCustomers.map((c, i) => `${c.id},${seats},${ops[i]},${ops[i] === "set" ? 14 : int(1, 4)},fault ${n}`)
            : Array.from(
                { length: rows },
                (_, i) =>
                  `${usageCustomers[i % usageCustomers.length]!.id},${usage},${i + 1},,fault ${n} ${randomSuffix()},`,
              );
        const header =
          kind === "seats"
            ? "customer,seat_type,operation,quantity,reason"
            : "customer,feature,quantity,event_time,reason,key";
        const content = [header, ...lines].join("\n");

        let crashed = false;
        let begins = 0;
        const crashAt = int(3, Math.max(4, Math.floor(rows / 2)));
        const first = processOn(ctx, {
          hooks:
            flavour === "kill"
              ? {
                  afterBegin: () => {
                    // The first begin is the batch's own (bulk.apply); the process dies at the crashAt-th row.
                    begins += 1;
                    if (begins > crashAt) crashed = true;
                    if (crashed) throw new SimulatedCrash();
                  },
                }
              : undefined,
        });
        const up = await first.upload(OPS, { kind, fileName: `fault-${n}.csv`, content });
        if (up.kind !== "created" || up.status !== "ready") throw new Error(`batch ${n}: ${JSON.stringify(up)}`);

        const writeRoute = kind === "seats" ? "/api/v1/seats" : "POST /api/v1/usage/events";
        const times = int(1, 3);
        const rules: FaultRule[] =
          flavour === "500"
            ? [{ route: writeRoute, errorStatus: 500, errorRate: 1, times }]
            : flavour === "429"
              ? [{ route: writeRoute, rateLimit: { retryAfterSeconds: 1 }, times }]
              : flavour === "drop"
                ? [{ route: writeRoute, applyThenDrop: true, times }]
                : flavour === "read-500"
                  ? [
                      {
                        route: kind === "seats" ? "GET /api/v1/seats*" : writeRoute,
                        errorStatus: 500,
                        errorRate: 1,
                        times,
                      },
                    ]
                  : [];
        if (rules.length) await h.faults(rules);
        try {
          const applied = await first.act(OPS, up.batchId, "apply");
          if (applied.kind !== "ok") throw new Error(`batch ${n}: apply ${JSON.stringify(applied)}`);
          if (flavour === "kill") {
            // The process dies: its runner stops where it was; a new console starts and resumes the batch.
            await waitFor(() => crashed, { timeoutMs: 30_000, what: "the first process to die" });
            await first.halt();
            if (!crashed) problems.push(`batch ${n}: the first process never died (crash at begin ${crashAt + 1})`);
            const left = await first.progress(up.batchId);
            if (!left || left.applied >= left.total) problems.push(`batch ${n}: nothing left to resume after the kill`);
            resumed += left ? left.total - left.applied : 0;
            // The dead process's lease still holds the batch: nobody takes it over before it runs out.
            const early = processOn(ctx);
            if ((await early.resumeUnfinished()).includes(up.batchId)) problems.push(`batch ${n}: taken over early`);
            const second = processOn(ctx, { clockOffsetMs: LEASE_MS + 1_000 });
            await second.resumeUnfinished();
            await second.idle();
          } else {
            await first.idle();
          }
        } finally {
          if (rules.length) await h.clearFaults();
        }

        const rowsNow = (await ctx.db
          .selectFrom("bulk_rows" as never)
          .select(["line", "status", "idempotency_key", "customer_id"] as never[])
          .where("batch_id" as never, "=", up.batchId as never)
          .orderBy("line" as never)
          .execute()) as Array<{ line: number; status: string; idempotency_key: string; customer_id: string }>;
        for (const [i, row] of rowsNow.entries()) {
          const tagged = `batch ${n} (${kind}/${flavour}) line ${row.line}`;
          const entries = await audit.findByIdempotencyKey(row.idempotency_key);
          if (row.status !== "applied") problems.push(`${tagged}: row ${row.status}`);
          if (entries?.status !== "succeeded") problems.push(`${tagged}: audit ${entries?.status ?? "missing"}`);
          const written =
            kind === "usage"
              ? (usageEvents.get(row.idempotency_key) as { n: number }).n
              : (seatEvents.get(row.customer_id, seats) as { n: number }).n - seatBaseline[i]!;
          if (written > 1) {
            duplicates += written - 1;
            problems.push(`${tagged}: ${written} Commet events`);
          }
          if (written < 1) {
            lost += 1;
            problems.push(`${tagged}: no Commet event`);
          }
        }
        if (kind === "seats") {
          for (const [i, c] of seatCustomers.entries()) {
            const quantity = Number(lines[i]!.split(",")[3]);
            const expected = ops[i] === "set" ? quantity : ops[i] === "add" ? 10 + quantity : 10 - quantity;
            const actual = await h.seatCount(c.id);
            if (actual !== expected) problems.push(`batch ${n} line ${i + 2}: seats ${actual}, expected ${expected}`);
          }
        }
        const batch = await first.progress(up.batchId);
        if (batch?.status !== "completed") problems.push(`batch ${n}: ${batch?.status}`);
      }
    } finally {
      ledger.close();
    }
    console.log(
      `bulk faults [${ctx.engine}] seed=${SEED} batches=${BATCHES} flavours=${JSON.stringify(flavours)} rows resumed after a kill=${resumed}`,
    );
    console.log(`duplicates=${duplicates} lost=${lost}`);
    expect(problems).toEqual([]);
    expect({ duplicates, lost }).toEqual({ duplicates: 0, lost: 0 });
  }, 240_000);
});
