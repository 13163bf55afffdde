/**
 * A seeded usage dataset for tests that compare a fast read path with the straightforward sum over the events:
 * skewed customers, two features, minute-level timestamps over `days` UTC days, a few negative corrections.
 * Stored through the ingest (so every rollup is maintained as in production); the inputs are returned.
 */
import { randomUUID } from "node:crypto";
import type { Database } from "../db/index.ts";
import { mulberry32 } from "../prng.ts";
import { ingestUsageEvents, type UsageEventInput } from "../usage/timeline/ingest.ts";

const DAY_MS = 86_400_000;

export const SEED_FEATURES = ["api_calls", "ai_tokens"] as const;

export async function seedUsage(
  database: Pick<Database, "db">,
  options: { customers: number; events: number; firstDay: number; days: number; seed?: number },
): Promise<UsageEventInput[]> {
  const rnd = mulberry32(options.seed ?? 1);
  const inputs: UsageEventInput[] = [];
  for (let i = 0; i < options.events; i++) {
    const c = Math.floor(options.customers * rnd() ** 3);
    const day = options.firstDay + Math.floor(rnd() * options.days);
    const correction = rnd() < 0.03;
    inputs.push({
      usageEventId: `evt_${randomUUID()}`,
      customerId: `usr_${String(c).padStart(4, "0")}`,
      featureCode: SEED_FEATURES[rnd() < 0.6 ? 0 : 1],
      // Corrections (manual "set") may take back more than a day's usage.
      quantity: correction ? -Math.floor(rnd() * 400) : 1 + Math.floor(rnd() * 50),
      occurredAt: day * DAY_MS + Math.floor(rnd() * 1440) * 60_000,
      source: correction ? "manual" : "webhook",
      manualKind: correction ? "set" : null,
    });
  }
  await database.db.transaction().execute(async (trx) => {
    for (let i = 0; i < inputs.length; i += 500) await ingestUsageEvents(trx, inputs.slice(i, i + 500), Date.now());
  });
  return inputs;
}
