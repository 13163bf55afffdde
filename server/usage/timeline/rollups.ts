/**
 * Rollups from scratch: `rebuildRollups` recomputes usage_daily, usage_daily_plan and usage_blocks from
 * usage_events in one transaction (readers see the old or the new rollups, never a mix);
 * `compareRollups` recomputes them without writing and lists the differences (tests, `--check`).
 * The incremental path (ingest.ts addToRollups) and this one define the same numbers:
 * total = Σ quantity, events = count, usage_daily.plan_id = greatest plan id of the day,
 * usage_blocks.neg = Σ of the negative quantities.
 */
import { sql } from "kysely";
import { BLOCK_DAYS, timelineDb, type TimelineDatabase, type UsageBlocksTable } from "./schema.ts";

/** usage_blocks as the events define it (the rebuild's insert, the comparison's recomputation). */
const blocksFromEvents = sql`select day / ${sql.lit(BLOCK_DAYS)} as block, customer_id, feature_code,
    sum(quantity) as total, sum(case when quantity < 0 then quantity else 0 end) as neg, count(*) as events
  from usage_events group by day / ${sql.lit(BLOCK_DAYS)}, customer_id, feature_code`;

export interface RebuildResult {
  events: number;
  customerDays: number;
  planDays: number;
  ms: number;
}

export async function rebuildRollups(database: TimelineDatabase): Promise<RebuildResult> {
  const started = performance.now();
  const counts = await database.db.transaction().execute(async (trx) => {
    const t = timelineDb(trx);
    if (database.dialect === "postgres") {
      // Writers block until the rebuild commits, so no event lands between delete and insert unseen.
      await sql`lock table usage_daily, usage_daily_plan, usage_blocks in exclusive mode`.execute(trx);
    }
    await t.deleteFrom("usage_daily").execute();
    await t.deleteFrom("usage_daily_plan").execute();
    await t.deleteFrom("usage_blocks").execute();
    await sql`insert into usage_daily (day, customer_id, feature_code, plan_id, total, events)
      select day, customer_id, feature_code, max(plan_id), sum(quantity), count(*)
      from usage_events group by day, customer_id, feature_code`.execute(trx);
    await sql`insert into usage_daily_plan (day, plan_id, feature_code, total, events)
      select day, plan_id, feature_code, sum(quantity), count(*)
      from usage_events group by day, plan_id, feature_code`.execute(trx);
    await sql`insert into usage_blocks (block, customer_id, feature_code, total, neg, events) ${blocksFromEvents}`.execute(
      trx,
    );
    const [events, customerDays, planDays] = await Promise.all(
      (["usage_events", "usage_daily", "usage_daily_plan"] as const).map(async (table) =>
        Number(
          (
            await t
              .selectFrom(table)
              .select((eb) => eb.fn.countAll<number>().as("n"))
              .executeTakeFirstOrThrow()
          ).n,
        ),
      ),
    );
    return { events: events!, customerDays: customerDays!, planDays: planDays! };
  });
  return { ...counts, ms: Math.round(performance.now() - started) };
}

export interface RollupDifference {
  table: "usage_daily" | "usage_daily_plan" | "usage_blocks";
  key: string;
  stored: Cell | null;
  recomputed: Cell | null;
}

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

/** Stored rollups versus a recomputation from the events (empty = equal; totals compared to 1e-9 relative). */
export async function compareRollups(database: TimelineDatabase, limit = 100): Promise<RollupDifference[]> {
  const t = timelineDb(database.db);
  const diffs: RollupDifference[] = [];
  const storedDaily = await t.selectFrom("usage_daily").selectAll().execute();
  const freshDaily = await t
    .selectFrom("usage_events")
    .select((eb) => [
      "day",
      "customer_id",
      "feature_code",
      eb.fn.max("plan_id").as("plan_id"),
      eb.fn.sum<number>("quantity").as("total"),
      eb.fn.countAll<number>().as("events"),
    ])
    .groupBy(["day", "customer_id", "feature_code"])
    .execute();
  const dailyKey = (r: { day: number; customer_id: string; feature_code: string }) =>
    `${Number(r.day)}|${r.customer_id}|${r.feature_code}`;
  collect(
    "usage_daily",
    storedDaily.map((r) => [dailyKey(r), { total: Number(r.total), events: Number(r.events), planId: r.plan_id }]),
    freshDaily.map((r) => [
      dailyKey(r),
      { total: Number(r.total), events: Number(r.events), planId: String(r.plan_id) },
    ]),
    diffs,
  );
  const storedPlan = await t.selectFrom("usage_daily_plan").selectAll().execute();
  const freshPlan = await t
    .selectFrom("usage_events")
    .select((eb) => [
      "day",
      "plan_id",
      "feature_code",
      eb.fn.sum<number>("quantity").as("total"),
      eb.fn.countAll<number>().as("events"),
    ])
    .groupBy(["day", "plan_id", "feature_code"])
    .execute();
  const planKey = (r: { day: number; plan_id: string; feature_code: string }) =>
    `${Number(r.day)}|${r.plan_id}|${r.feature_code}`;
  collect(
    "usage_daily_plan",
    storedPlan.map((r) => [planKey(r), { total: Number(r.total), events: Number(r.events) }]),
    freshPlan.map((r) => [planKey(r), { total: Number(r.total), events: Number(r.events) }]),
    diffs,
  );
  const storedBlocks = await t.selectFrom("usage_blocks").selectAll().execute();
  const { rows: freshBlocks } = await sql<UsageBlocksTable>`${blocksFromEvents}`.execute(database.db);
  const blockKey = (r: { block: number; customer_id: string; feature_code: string }) =>
    `${Number(r.block)}|${r.customer_id}|${r.feature_code}`;
  const blockCell = (r: { total: number; neg: number; events: number }): Cell => ({
    total: Number(r.total),
    events: Number(r.events),
    neg: Number(r.neg),
  });
  collect(
    "usage_blocks",
    storedBlocks.map((r) => [blockKey(r), blockCell(r)]),
    freshBlocks.map((r) => [blockKey(r), blockCell(r)]),
    diffs,
  );
  return diffs.slice(0, limit);
}

type Cell = { total: number; events: number; planId?: string; neg?: number };

function collect(
  table: RollupDifference["table"],
  stored: Array<[string, Cell]>,
  fresh: Array<[string, Cell]>,
  out: RollupDifference[],
): void {
  const s = new Map(stored);
  const f = new Map(fresh);
  for (const key of new Set([...s.keys(), ...f.keys()])) {
    const a = s.get(key) ?? null;
    const b = f.get(key) ?? null;
    const same =
      a &&
      b &&
      close(a.total, b.total) &&
      a.events === b.events &&
      a.planId === b.planId &&
      close(a.neg ?? 0, b.neg ?? 0);
    if (!same) out.push({ table, key, stored: a, recomputed: b });
  }
}
