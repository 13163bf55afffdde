/**
 * `npm run usage:rebuild` — recomputes the usage rollups (usage_daily, usage_daily_plan) from
 * usage_events on the configured database (DATABASE_URL or $DATA_DIR/console.sqlite), in one
 * transaction, after giving events stored without a plan the plan the directory now knows
 * (assignMissingPlans). `--check` only compares stored rollups with a recomputation (exit 1 on a difference).
 */
import { closeDb, getReadyDb } from "../../db/index.ts";
import { assignMissingPlans } from "./plans.ts";
import { compareRollups, rebuildRollups } from "./rollups.ts";

async function main(): Promise<number> {
  const database = await getReadyDb();
  try {
    if (process.argv.includes("--check")) {
      const diffs = await compareRollups(database, 20);
      for (const d of diffs)
        console.log(
          `${d.table} ${d.key}: stored ${JSON.stringify(d.stored)} recomputed ${JSON.stringify(d.recomputed)}`,
        );
      console.log(
        diffs.length
          ? `usage rollups differ from the events (${diffs.length}+ rows)`
          : "usage rollups match the events",
      );
      return diffs.length ? 1 : 0;
    }
    const plans = await assignMissingPlans(database);
    if (plans.events || plans.unresolved) {
      console.log(
        `plans assigned to ${plans.events} events; ${plans.unresolved} customer/subscription groups still unknown to the directory`,
      );
    }
    const r = await rebuildRollups(database);
    console.log(
      `usage rollups rebuilt on ${database.dialect} (${database.location}): ${r.events} events → ${r.customerDays} customer-days, ${r.planDays} plan-days in ${r.ms} ms`,
    );
    return 0;
  } finally {
    await closeDb();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`usage:rebuild failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
