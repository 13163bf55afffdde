/**
 * A customer's daily usage per feature from the rollups (all of its references), for pricing by billing period.
 */
import { customerRefs } from "./explorer.ts";
import { timelineDb, type TimelineDatabase } from "./schema.ts";

export interface DailyUsage {
  /** UTC epoch day. */
  day: number;
  featureCode: string;
  total: number;
}

/** The daily usage of a customer over UTC days [fromDay, toDay). */
export async function loadDailyUsage(
  database: TimelineDatabase,
  customerId: string,
  fromDay: number,
  toDay: number,
): Promise<DailyUsage[]> {
  const db = timelineDb(database.db);
  const refs = await customerRefs(db, customerId);
  const rows = await db
    .selectFrom("usage_daily")
    .select(["day", "feature_code", (eb) => eb.fn.sum<number>("total").as("total")])
    .where("customer_id", "in", refs)
    .where("day", ">=", fromDay)
    .where("day", "<", toDay)
    .groupBy(["day", "feature_code"])
    .execute();
  return rows.map((r) => ({ day: Number(r.day), featureCode: r.feature_code, total: Number(r.total) }));
}
