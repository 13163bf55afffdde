/**
 * The top-customers ranking pruned by usage_blocks gives exactly the ranking summed from the events themselves, on
 * a seeded dataset (skewed customers, negative corrections, ranges cutting blocks anywhere), on both engines.
 */
import { beforeAll, expect, it } from "vitest";
import { describeEachEngine } from "../../testing/db.ts";
import { seedUsage } from "../../testing/usage-seed.ts";
import { rankingCandidates } from "./blocks.ts";
import { daysBetween, epochDay } from "./days.ts";
import { topCustomers, type ExplorerFilters } from "./explorer.ts";
import { ingestUsageEvents, type UsageEventInput } from "./ingest.ts";
import { compareRollups } from "./rollups.ts";
import { timelineDb } from "./schema.ts";

const DAY_MS = 86_400_000;
const LAST = epochDay(Date.parse("2026-11-30T00:00:00Z"));
const FIRST = LAST - 149;

/** The straightforward ranking: every event of the range summed per customer, largest first, then by id. */
function expected(inputs: UsageEventInput[], f: ExplorerFilters, limit: number) {
  const usage = new Map<string, number>();
  for (const e of inputs) {
    const day = Math.floor(e.occurredAt / DAY_MS);
    if (day < f.range.fromDay || day > f.range.toDay) continue;
    if (f.features?.length && !f.features.includes(e.featureCode)) continue;
    if (f.statuses?.length && !ACTIVE.has(e.customerId)) continue;
    usage.set(e.customerId, (usage.get(e.customerId) ?? 0) + e.quantity);
  }
  const ranked = [...usage].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return { customers: usage.size, rows: ranked.slice(0, limit).map(([customerId, total]) => ({ customerId, total })) };
}

// Customers the directory lists as active (the status filter).
const ACTIVE = new Set(Array.from({ length: 40 }, (_, i) => `usr_${String(i * 3).padStart(4, "0")}`));

describeEachEngine("top customers pruned by usage blocks", (ctx) => {
  let inputs: UsageEventInput[];

  beforeAll(async () => {
    inputs = await seedUsage(ctx.database, { customers: 300, events: 3000, firstDay: FIRST, days: 150, seed: 5 });
    // Usage only on the first day of a range that starts inside a block: counted, though no whole block holds it.
    const edge: UsageEventInput = {
      usageEventId: "evt_edge",
      customerId: "usr_edge",
      featureCode: "api_calls",
      quantity: 1,
      occurredAt: (LAST - 89) * DAY_MS + 60_000,
      source: "webhook",
    };
    await ctx.db.transaction().execute((trx) => ingestUsageEvents(trx, [edge], Date.now()));
    inputs.push(edge);
    const now = Date.now();
    await timelineDb(ctx.db)
      .insertInto("directory_customers" as never)
      .values(
        [...ACTIVE].map((ref, i) => ({
          id: `cus_${i}`,
          external_id: ref,
          email: `${ref}@example.test`,
          email_norm: `${ref}@example.test`,
          name_search: "",
          subscription_status: "active",
          plan_id: "plan_pro",
          seats: "{}",
          seats_total: 0,
          created_at: now,
          updated_at: now,
          indexed_at: now,
        })) as never,
      )
      .execute();
  }, 60_000);

  it("keeps the blocks equal to a recomputation from the events", async () => {
    expect(await compareRollups(ctx.database)).toEqual([]);
  });

  const cases: Array<[string, Omit<ExplorerFilters, "range"> & { from: number; to: number }, number]> = [
    ["90 days", { from: LAST - 89, to: LAST }, 20],
    ["30 days", { from: LAST - 29, to: LAST }, 5],
    ["7 days", { from: LAST - 6, to: LAST }, 20],
    ["one day", { from: LAST - 40, to: LAST - 40 }, 3],
    ["150 days, top 1", { from: FIRST, to: LAST }, 1],
    ["a range cutting blocks at both ends", { from: FIRST + 13, to: LAST - 17 }, 10],
    ["one feature", { from: LAST - 89, to: LAST, features: ["ai_tokens"] }, 20],
    ["a status", { from: LAST - 59, to: LAST, statuses: ["active"] }, 8],
    ["more than there are", { from: LAST - 89, to: LAST, statuses: ["active"] }, 200],
  ];
  it.each(cases)("ranks as the events say: %s", async (_name, { from, to, ...filters }, limit) => {
    const f: ExplorerFilters = { range: daysBetween(from, to), ...filters };
    const top = await topCustomers(ctx.database, f, { limit });
    const want = expected(inputs, f, limit);
    expect(top.customers).toBe(want.customers);
    expect(top.rows.map((r) => r.customerId)).toEqual(want.rows.map((r) => r.customerId));
    for (const [i, r] of top.rows.entries()) {
      expect(r.usage).toBeCloseTo(want.rows[i]!.total, 6);
      expect(r.spark.reduce((s, v) => s + v, 0)).toBeCloseTo(r.usage, 6);
    }
  });

  it("reads days for few customers when usage is skewed", async () => {
    const pruned = await rankingCandidates(timelineDb(ctx.db), { range: daysBetween(LAST - 89, LAST) }, 5);
    expect(pruned?.candidates).toBeTruthy();
    expect(pruned!.candidates!.length).toBeLessThan(pruned!.customers / 2);
  });

  it("does not prune a range that holds no whole block (every customer would be a candidate)", async () => {
    expect(await rankingCandidates(timelineDb(ctx.db), { range: daysBetween(LAST - 29, LAST) }, 5)).toBeNull();
    expect(await rankingCandidates(timelineDb(ctx.db), { range: daysBetween(LAST - 6, LAST) }, 5)).toBeNull();
  });
});
