/**
 * Reconciliation: for the current period, each customer-feature's timeline sum (usage_events with
 * occurred_at in [period start, period end)) against Commet's live `featureAccess.list` `current`.
 * Each check is stored (usage_reconciliation) so the customer page's drift badge and the finance
 * list read the last result without calling Commet; `listDrift` runs a sweep and returns the drifted.
 */
import type { Clock } from "../../db/index.ts";
import { loadLiveUsage, type TimelineCommet } from "./commet.ts";
import { canonicalCustomerRef, customerRefs } from "./explorer.ts";
import type { Selectable } from "kysely";
import { timelineDb, type TimelineDatabase, type UsageReconciliationTable } from "./schema.ts";
import type { FeatureDrift, Reconciliation } from "../../../app/contracts/usage.ts";

/** Differences up to this are rounding, not drift. */
export const DRIFT_TOLERANCE = 1e-6;

export async function reconcileCustomer(
  database: TimelineDatabase,
  commet: TimelineCommet,
  customerId: string,
  options: { clock?: Clock } = {},
): Promise<Reconciliation> {
  const db = timelineDb(database.db);
  const ref = await canonicalCustomerRef(db, customerId);
  const live = await loadLiveUsage(commet, customerId);
  const checkedAt = (options.clock ?? Date.now)();
  const features: FeatureDrift[] = [];
  if (live.period) {
    const refs = await customerRefs(db, customerId);
    const sums = await db
      .selectFrom("usage_events")
      .select((eb) => ["feature_code", eb.fn.sum<number>("quantity").as("total")])
      .where("customer_id", "in", refs)
      .where("occurred_at", ">=", live.period.start)
      .where("occurred_at", "<", live.period.end)
      .groupBy("feature_code")
      .execute();
    const timeline = new Map(sums.map((s) => [s.feature_code, Number(s.total)]));
    for (const f of live.features) {
      if (f.current === null) continue;
      const mine = timeline.get(f.code) ?? 0;
      features.push({ code: f.code, timeline: mine, commet: f.current, diff: f.current - mine });
    }
  }
  const maxAbsDiff = features.reduce((m, f) => Math.max(m, Math.abs(f.diff)), 0);
  const status = !live.period ? "no_period" : maxAbsDiff > DRIFT_TOLERANCE ? "drifted" : "in_step";
  const result: Reconciliation = { customerId: ref, checkedAt, status, period: live.period, features, maxAbsDiff };
  const row = {
    customer_id: ref,
    checked_at: checkedAt,
    period_start: live.period?.start ?? null,
    period_end: live.period?.end ?? null,
    drifted_at: status === "drifted" ? checkedAt : null,
    max_abs_diff: maxAbsDiff,
    details: JSON.stringify(features),
  };
  await db
    .insertInto("usage_reconciliation")
    .values(row)
    .onConflict((oc) => oc.column("customer_id").doUpdateSet(row))
    .execute();
  return result;
}

function fromRow(r: Selectable<UsageReconciliationTable>): Reconciliation {
  const period =
    r.period_start !== null && r.period_end !== null
      ? { start: Number(r.period_start), end: Number(r.period_end) }
      : null;
  return {
    customerId: r.customer_id,
    checkedAt: Number(r.checked_at),
    status: r.drifted_at !== null ? "drifted" : period ? "in_step" : "no_period",
    period,
    features: JSON.parse(r.details) as FeatureDrift[],
    maxAbsDiff: Number(r.max_abs_diff),
  };
}

/** The last stored check of a customer (the drift badge), or null if never checked. */
export async function getDriftStatus(database: TimelineDatabase, customerId: string): Promise<Reconciliation | null> {
  const db = timelineDb(database.db);
  const refs = await customerRefs(db, customerId);
  const rows = await db
    .selectFrom("usage_reconciliation")
    .selectAll()
    .where("customer_id", "in", refs)
    .orderBy("checked_at", "desc")
    .limit(1)
    .execute();
  return rows[0] ? fromRow(rows[0]) : null;
}

/** Drifted customers as last checked, largest difference first (the finance list, no Commet call). */
export async function listStoredDrift(
  database: TimelineDatabase,
  options: { limit?: number } = {},
): Promise<Reconciliation[]> {
  const rows = await timelineDb(database.db)
    .selectFrom("usage_reconciliation")
    .selectAll()
    .where("drifted_at", "is not", null)
    .orderBy("max_abs_diff", "desc")
    .orderBy("customer_id")
    .limit(Math.min(Math.max(options.limit ?? 100, 1), 1000))
    .execute();
  return rows.map(fromRow);
}

const LIVE_STATUSES = ["active", "trialing", "past_due"];

/**
 * A reconciliation sweep: checks up to `limit` customers — those with timeline usage in the last
 * `lookbackDays` and the directory's customers with a live subscription (a customer whose every
 * webhook was lost has no timeline rows) — `concurrency` at a time (2 Commet calls each), stores
 * each result, and returns the drifted ones, largest difference first. A customer whose check fails
 * (Commet error) is reported in `failed` and keeps its previous stored result.
 */
export async function listDrift(
  database: TimelineDatabase,
  commet: TimelineCommet,
  options: {
    limit?: number;
    concurrency?: number;
    lookbackDays?: number;
    clock?: Clock;
    /** After the customers are listed and after each check: how far the sweep is. */
    onProgress?: (progress: { total: number; checked: number; drifted: number; failed: number }) => void;
  } = {},
): Promise<{ checked: number; drifted: Reconciliation[]; failed: Array<{ customerId: string; error: string }> }> {
  const limit = Math.min(Math.max(options.limit ?? 200, 1), 5000);
  const clock = options.clock ?? Date.now;
  const db = timelineDb(database.db);
  const sinceDay = Math.floor(clock() / 86_400_000) - (options.lookbackDays ?? 62);
  const withUsage = await db
    .selectFrom("usage_daily")
    .select("customer_id")
    .distinct()
    .where("day", ">=", sinceDay)
    .orderBy("customer_id")
    .limit(limit)
    .execute();
  const live = await db
    .selectFrom("directory_customers")
    .select((eb) => eb.fn.coalesce("external_id", "id").as("ref"))
    .where("subscription_status", "in", LIVE_STATUSES)
    .orderBy("ref")
    .limit(limit)
    .execute();
  const candidates = [...new Set([...withUsage.map((r) => r.customer_id), ...live.map((r) => String(r.ref))])].slice(
    0,
    limit,
  );
  const drifted: Reconciliation[] = [];
  const failed: Array<{ customerId: string; error: string }> = [];
  let next = 0;
  let done = 0;
  const progress = () =>
    options.onProgress?.({ total: candidates.length, checked: done, drifted: drifted.length, failed: failed.length });
  progress();
  const worker = async () => {
    while (next < candidates.length) {
      const customerId = candidates[next++]!;
      try {
        const r = await reconcileCustomer(database, commet, customerId, { clock });
        if (r.status === "drifted") drifted.push(r);
      } catch (error) {
        failed.push({ customerId, error: error instanceof Error ? error.message : String(error) });
      }
      done++;
      progress();
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 4, candidates.length) }, worker));
  drifted.sort((a, b) => b.maxAbsDiff - a.maxAbsDiff || (a.customerId < b.customerId ? -1 : 1));
  return { checked: candidates.length, drifted, failed };
}
