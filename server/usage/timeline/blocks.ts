/**
 * Pruning for the top-customers ranking: every customer's usage in a day range bounded from usage_blocks
 * (a few 32-day rows per customer × feature instead of one row per day), so only the customers whose upper
 * bound reaches the limit-th best lower bound are summed exactly from usage_daily.
 */
import { sql } from "kysely";
import { chunks } from "../../db/index.ts";
import { BLOCK_DAYS, type TimelineDb } from "./schema.ts";
import type { DayRange } from "./days.ts";

/** Past this many candidates the exact ranking reads every customer's days anyway (the IN list stops paying). */
export const MAX_CANDIDATES = 2000;

export interface RankingCandidates {
  /** The customers that can be among the top `limit` (a superset of them), or null: rank them all. */
  candidates: string[] | null;
  /** Customers with usage in the range (what the unpruned ranking counts). */
  customers: number;
}

interface Row {
  customer_id: string | null;
  candidate: number | string;
  sure: number | string;
  n: number | string;
}

/**
 * Null when pruning cannot pay (no block wholly inside the range): rank every customer exactly.
 *
 * Bounds per customer over [fromDay, toDay] (feature and status filters applied as in the exact ranking): blocks
 * wholly inside count exactly; a partly covered block adds something within [neg, total − neg]. Rank by usage
 * only: the plan filter and the overage ranking are per day and plan, so they take the exact path.
 */
export async function rankingCandidates(
  db: TimelineDb,
  f: { range: DayRange; features?: readonly string[]; statuses?: readonly string[] },
  limit: number,
): Promise<RankingCandidates | null> {
  const { fromDay, toDay } = f.range;
  const firstBlock = Math.floor(fromDay / BLOCK_DAYS);
  const lastBlock = Math.floor(toDay / BLOCK_DAYS);
  // Blocks wholly inside the range: [fullFrom, fullTo] (empty when fullFrom > fullTo).
  const fullFrom = Math.ceil(fromDay / BLOCK_DAYS);
  const fullTo = Math.floor((toDay + 1) / BLOCK_DAYS) - 1;
  // No whole block (every range under BLOCK_DAYS, most under 2 × BLOCK_DAYS): no lower bound above the edge blocks'
  // negatives, so every customer would be a candidate and each one's days read once more to count it.
  if (fullFrom > fullTo) return null;
  const inside = sql`block between ${fullFrom} and ${fullTo}`;
  const features = f.features?.length ? sql`and feature_code in (${sql.join([...f.features])})` : sql``;
  const statuses = f.statuses?.length
    ? sql`and customer_id in (select coalesce(external_id, id) from directory_customers
        where subscription_status in (${sql.join([...f.statuses])}))`
    : sql``;
  // One statement: the bounds (materialized once), the limit-th best lower bound as the cut (a hair of slack: sums
  // in another order round differently), then the customers that reach it, the ones only edge blocks hold (to
  // be checked against their days) and, as a row of its own (customer_id null), the counts.
  const { rows } = await sql<Row>`
    with b as materialized (
      select customer_id,
        sum(case when ${inside} then total else neg end) as lo,
        sum(case when ${inside} then total else total - neg end) as hi,
        sum(case when ${inside} then events else 0 end) as inside
      from usage_blocks
      where block between ${firstBlock} and ${lastBlock} ${features} ${statuses}
      group by customer_id
    ),
    t as (
      select lo - 1e-9 * (case when abs(lo) > 1 then abs(lo) else 1 end) as cut
      from b order by lo desc limit 1 offset ${limit - 1}
    )
    select customer_id, case when hi >= (select cut from t) then 1 else 0 end as candidate,
      case when inside > 0 then 1 else 0 end as sure, 0 as n
    from b where inside = 0 or hi >= (select cut from t)
    union all
    select null, 0, (select count(*) from b where inside > 0), (select count(*) from b)`.execute(db);

  let customers = 0;
  let all = 0;
  const unsure: string[] = [];
  const candidates: string[] = [];
  for (const r of rows) {
    if (r.customer_id === null) {
      customers += Number(r.sure);
      all = Number(r.n);
      continue;
    }
    if (Number(r.candidate) === 1) candidates.push(r.customer_id);
    if (Number(r.sure) === 0) unsure.push(r.customer_id);
  }
  // Customers with events in a wholly covered block have usage rows in the range; the others only maybe.
  for (const ids of chunks(unsure, 500)) {
    let q = db
      .selectFrom("usage_daily")
      .select("customer_id")
      .distinct()
      .where("customer_id", "in", ids)
      .where("day", ">=", fromDay)
      .where("day", "<=", toDay);
    if (f.features?.length) q = q.where("feature_code", "in", [...f.features]);
    customers += (await q.execute()).length;
  }
  if (all <= limit) return { candidates: null, customers };
  return { candidates: candidates.length > MAX_CANDIDATES ? null : candidates, customers };
}
