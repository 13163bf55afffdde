/**
 * Usage that arrived before its plan was known. A usage.recorded names the customer and the
 * subscription, not the plan: ingest takes the plan from the directory index, and stores '' when the
 * index does not know the subscription or the customer yet — typically the first minutes of a new
 * install, when Commet's webhooks (the seeded history, in the embedded sandbox) outrun the first
 * directory sync. `assignMissingPlans` gives those events their plan once the directory knows it
 * (`startPlanAssigner`, started by server/main.ts, runs it every few seconds while such events exist;
 * `npm run usage:rebuild` runs it too)
 * and moves their quantities from the '' plan rollups to the plan's, in the same transaction as the
 * events, so rollups keep equalling a recomputation.
 */
import { addToRollups } from "./ingest.ts";
import { timelineDb, type TimelineDatabase } from "./schema.ts";
import { startPeriodic } from "../../periodic.ts";

export interface AssignPlansResult {
  /** Events that received their plan. */
  events: number;
  /** Customer × subscription groups still without a plan (the directory does not know them yet). */
  unresolved: number;
}

export async function assignMissingPlans(
  database: TimelineDatabase,
  options: { maxGroups?: number } = {},
): Promise<AssignPlansResult> {
  const db = timelineDb(database.db);
  // Each waiting (customer, subscription) group with the plan the directory now knows — the
  // subscription's, else the customer's — in one query (the groups come from the partial index
  // usage_events_unplanned, migration 0004): events of customers the directory never heard of cost
  // nothing beyond it.
  const waiting = db
    .selectFrom("usage_events")
    .select(["customer_id", "subscription_id"])
    .where("plan_id", "=", "")
    .distinct();
  const withPlans = db
    .selectFrom(waiting.as("g"))
    .select((eb) => [
      "g.customer_id",
      "g.subscription_id",
      eb.fn
        .coalesce(
          eb
            .selectFrom("directory_subscriptions")
            .select("plan_id")
            .whereRef("directory_subscriptions.id", "=", "g.subscription_id")
            .limit(1),
          eb
            .selectFrom("directory_customers")
            .select("plan_id")
            .whereRef("directory_customers.external_id", "=", "g.customer_id")
            .limit(1),
          eb
            .selectFrom("directory_customers")
            .select("plan_id")
            .whereRef("directory_customers.id", "=", "g.customer_id")
            .limit(1),
        )
        .as("plan_id"),
    ]);
  const groups = await db
    .selectFrom(withPlans.as("r"))
    .selectAll()
    .where("r.plan_id", "is not", null)
    .where("r.plan_id", "<>", "")
    .limit(options.maxGroups ?? 10_000)
    .execute();
  const total = Number(
    (
      await db
        .selectFrom(waiting.as("g"))
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow()
    ).n,
  );
  let events = 0;
  const unresolved = total - groups.length;
  for (const group of groups) {
    const planId = group.plan_id!;
    events += await database.db.transaction().execute(async (trx) => {
      const t = timelineDb(trx);
      // The rows this statement changed are exactly the ones whose quantities move (RETURNING): an event
      // ingested meanwhile either is among them or was stored with its plan already.
      const moved = await t
        .updateTable("usage_events")
        .set({ plan_id: planId })
        .where("plan_id", "=", "")
        .where("customer_id", "=", group.customer_id)
        .where((eb) =>
          group.subscription_id === null
            ? eb("subscription_id", "is", null)
            : eb("subscription_id", "=", group.subscription_id),
        )
        .returning(["day", "feature_code", "quantity"])
        .execute();
      // Through the ingest's own rollup path, two deltas per event: + under the plan, − under ''. The
      // customer-day keeps its total and events and takes the greater plan id ('' is below every plan
      // id); the '' plan-day loses exactly what the plan-day gains.
      await addToRollups(
        t,
        moved.flatMap((m) => {
          const cell = { day: Number(m.day), customerId: group.customer_id, featureCode: m.feature_code };
          return [
            { ...cell, planId, quantity: Number(m.quantity), events: 1 },
            { ...cell, planId: "", quantity: -Number(m.quantity), events: -1 },
          ];
        }),
      );
      await t.deleteFrom("usage_daily_plan").where("plan_id", "=", "").where("events", "<=", 0).execute();
      return moved.length;
    });
  }
  return { events, unresolved };
}

/** Whether any event waits for its plan (a lookup in the partial index usage_events_unplanned). */
export async function hasUnplannedEvents(database: TimelineDatabase): Promise<boolean> {
  const row = await timelineDb(database.db)
    .selectFrom("usage_events")
    .select("usage_event_id")
    .where("plan_id", "=", "")
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Runs assignMissingPlans every `intervalMs` (default 5 s) while events wait for their plan: usage can
 * outrun the directory sync (the embedded sandbox replays its history as fast as the console takes it),
 * and subscriptions the sync or a webhook indexes later should not wait for the next full re-sync.
 * A tick that assigns nothing doubles the wait (up to `maxIntervalMs`, default 5 min) so events whose
 * customer never reaches the directory cost little; progress brings the interval back down.
 * Ticks never overlap; the timer does not keep the process alive. Returns `stop`.
 */
export function startPlanAssigner(
  database: TimelineDatabase,
  options: { intervalMs?: number; maxIntervalMs?: number; log?: (line: string) => void } = {},
): () => Promise<void> {
  const base = options.intervalMs ?? 5_000;
  const max = Math.max(base, options.maxIntervalMs ?? 5 * 60_000);
  let interval = base;
  return startPeriodic(
    async () => {
      if (!(await hasUnplannedEvents(database))) return (interval = base);
      const r = await assignMissingPlans(database);
      interval = r.events > 0 ? base : Math.min(interval * 2, max);
      if (r.events > 0)
        options.log?.(`plan assigned to ${r.events} events stored before the directory knew their subscription`);
      return interval;
    },
    {
      initialDelayMs: base,
      onError: (error) => {
        options.log?.(`assigning plans failed: ${error instanceof Error ? error.message : String(error)}`);
        return interval;
      },
    },
  );
}
