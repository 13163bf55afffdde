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

interface Bound {
  customer_id: string;
  lo: number | string;
  hi: number | string;
  inside: number | string;
}

/**
 * Bounds per customer over [fromDay, toDay] (feature and status filters applied as in the exact ranking): blocks
 * wholly inside count exactly; a partly covered block adds something within [neg, total − neg]. Rank by usage
 * only: the plan filter and the overage ranking are per day and plan, so they take the exact path.
 */
export async function rankingCandidates(
  db: TimelineDb,
  f: { range: DayRange; features?: readonly string[]; statuses?: readonly string[] },
  limit: number,
): Promise<RankingCandidates> {
  const { fromDay, toDay } = f.range;
  const firstBlock = Math.floor(fromDay / BLOCK_DAYS);
  const lastBlock = Math.floor(toDay / BLOCK_DAYS);
  // Blocks wholly inside the range: [fullFrom, fullTo] (empty when fullFrom > fullTo).
  const fullFrom = Math.ceil(fromDay / BLOCK_DAYS);
  const fullTo = Math.floor((toDay + 1) / BLOCK_DAYS) - 1;
  const inside = sql`block between ${fullFrom} and ${fullTo}`;
  const features = f.features?.length ? sql`and feature_code in (${sql.join([...f.features])})` : sql``;
  const statuses = f.statuses?.length
    ? sql`and customer_id in (select coalesce(external_id, id) from directory_customers
        where subscription_status in (${sql.join([...f.statuses])}))`
    : sql``;
  const { rows } = await sql<Bound>`
    select customer_id,
      sum(case when ${inside} then total else neg end) as lo,
      sum(case when ${inside} then total else total - neg end) as hi,
      sum(case when ${inside} then events else 0 end) as inside
    from usage_blocks
    where block between ${firstBlock} and ${lastBlock} ${features} ${statuses}
    group by customer_id`.execute(db);

  // Customers with events in a wholly covered block have usage rows in the range; the others only maybe.
  let customers = 0;
  const unsure: string[] = [];
  for (const r of rows) {
    if (Number(r.inside) > 0) customers++;
    else unsure.push(r.customer_id);
  }
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

  if (rows.length <= limit) return { candidates: null, customers };
  const lows = rows.map((r) => Number(r.lo)).sort((a, b) => b - a);
  const threshold = lows[limit - 1]!;
  // Sums in a different order round differently: a hair of slack keeps a tie at the threshold in.
  const slack = 1e-9 * Math.max(1, Math.abs(threshold));
  const candidates = rows.filter((r) => Number(r.hi) >= threshold - slack).map((r) => r.customer_id);
  return { candidates: candidates.length > MAX_CANDIDATES ? null : candidates, customers };
}
