/**
 * The timeline side of closed-period reconciliation (whole days from usage_daily, the boundary slices from
 * usage_events by feature) equals the straightforward sum of the events inside each invoice's own period, on a
 * seeded dataset with periods starting and ending at any minute (some shorter than a day), on both engines.
 */
import type { Commet, Invoice } from "@commet/node";
import { beforeAll, expect, it } from "vitest";
import type { PlanView } from "../../../app/contracts/plans.ts";
import { describeEachEngine } from "../../testing/db.ts";
import { seedUsage, SEED_FEATURES } from "../../testing/usage-seed.ts";
import { reconcileClosedPeriods } from "./closed-periods.ts";
import { epochDay } from "./days.ts";
import type { UsageEventInput } from "./ingest.ts";

const DAY_MS = 86_400_000;
const FIRST = epochDay(Date.parse("2026-09-01T00:00:00Z"));
const NAMES: Record<string, string> = { api_calls: "API calls", ai_tokens: "AI tokens" };

/** One closed invoice per customer: a period of 1–45 days (every 7th under a day) ending at its own minute. */
function invoicesFor(customers: number): Invoice[] {
  return Array.from({ length: customers }, (_, c) => {
    const end = (FIRST + 50) * DAY_MS + ((c * 397) % 1440) * 60_000 + (c % 9) * DAY_MS;
    const length = c % 7 === 0 ? ((c * 131) % 1400) * 60_000 + 60_000 : (1 + (c % 45)) * DAY_MS + c * 60_000;
    const iso = (ms: number) => new Date(ms).toISOString();
    return {
      id: `inv_${c}`,
      customerId: `usr_${String(c).padStart(4, "0")}`,
      subscriptionId: null,
      invoiceNumber: `INV-${c}`,
      status: "paid",
      invoiceType: "recurring",
      currency: "USD",
      total: 0,
      periodStart: iso(end - length),
      periodEnd: iso(end),
      issueDate: iso(end),
      planName: "Pro",
      lineItems: [
        {
          lineType: "feature_overage",
          featureName: NAMES.api_calls,
          quantity: 0,
          unitAmount: 1,
          amount: 0,
          includedAmount: 1_000_000,
          usedAmount: 0,
          overageAmount: 0,
        },
      ],
    } as unknown as Invoice;
  });
}

describeEachEngine("closed-period sums against the events", (ctx) => {
  let inputs: UsageEventInput[];
  const CUSTOMERS = 120;

  beforeAll(async () => {
    inputs = await seedUsage(ctx.database, { customers: CUSTOMERS, events: 2500, firstDay: FIRST, days: 60, seed: 3 });
  }, 60_000);

  it("tracks each invoice's period to the millisecond", async () => {
    const invoices = invoicesFor(CUSTOMERS);
    const byId = new Map(invoices.map((i) => [i.id, i]));
    const commet = {
      invoices: {
        list: async () => ({ success: true, data: invoices, hasMore: false }),
        get: async ({ id }: { id: string }) => ({ success: true, data: byId.get(id) }),
      },
    } as unknown as Pick<Commet, "invoices">;
    const plans = async () =>
      [
        {
          id: "plan_pro",
          name: "Pro",
          features: SEED_FEATURES.map((code) => ({
            code,
            name: NAMES[code],
            type: "usage",
            unitName: null,
            enabled: true,
            included: null,
            unlimited: true,
            overageUnitPrice: null,
          })),
        },
      ] as unknown as PlanView[];
    const report = await reconcileClosedPeriods(
      ctx.database,
      { commet, plans },
      { from: "2026-01-01", to: "2026-12-31" },
    );
    expect(report.totals.invoices).toBe(CUSTOMERS);

    const want = new Map<string, number>();
    for (const i of invoices) {
      const start = Date.parse(i.periodStart);
      const end = Date.parse(i.periodEnd);
      for (const e of inputs)
        if (e.customerId === i.customerId && e.occurredAt >= start && e.occurredAt < end) {
          const key = `${i.id}|${e.featureCode}`;
          want.set(key, (want.get(key) ?? 0) + e.quantity);
        }
    }
    const got = new Map(
      report.rows
        .filter((r) => r.trackedUsed !== 0 || want.has(`${r.invoiceId}|${r.featureCode}`))
        .map((r) => [`${r.invoiceId}|${r.featureCode}`, r.trackedUsed]),
    );
    expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [key, total] of want) expect(got.get(key)).toBeCloseTo(total, 6);
    // Short periods and ones crossing many days both occur.
    expect(invoices.some((i) => Date.parse(i.periodEnd) - Date.parse(i.periodStart) < DAY_MS)).toBe(true);
  });
});
