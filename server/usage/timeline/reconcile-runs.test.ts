import { beforeAll, expect, it } from "vitest";
import { parseUsageSearch } from "../../../app/contracts/usage-search.ts";
import { describeEachEngine } from "../../testing/db.ts";
import { deliverUsage, usageEnvelope } from "../../testing/timeline.ts";
import type { TimelineCommet } from "./commet.ts";
import { loadCustomerUsagePanel } from "./pages.ts";
import { createReconcileSweep, reconcileCustomerNow } from "./reconcile-runs.ts";
import { timelineDb } from "./schema.ts";

const DAY = 86_400_000;
const now = Date.now();
const CUSTOMERS = ["c1", "c2", "c3", "c4", "c5", "c6"];

/** Commet with a live subscription for everyone; each read can be held until `release` (to watch a run). */
function fakeCommet() {
  let inFlight = 0;
  let maxInFlight = 0;
  let gate: Promise<void> = Promise.resolve();
  let open = () => {};
  const reads: string[] = [];
  const hold = () => {
    gate = new Promise((resolve) => (open = resolve));
  };
  const commet = {
    subscriptions: {
      getActive: async ({ customerId }: { customerId: string }) => {
        reads.push(customerId);
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await gate;
        inFlight--;
        return {
          data: {
            id: `sub_${customerId}`,
            plan: { id: "pln_pro" },
            status: "active",
            currentPeriod: { start: new Date(now - 10 * DAY).toISOString(), end: new Date(now + DAY).toISOString() },
          },
        };
      },
    },
    featureAccess: {
      list: async () => ({ data: [{ code: "api_calls", name: "API calls", type: "usage", current: 5, included: 10 }] }),
    },
  } as unknown as TimelineCommet;
  return { commet, reads, hold, release: () => open(), maxInFlight: () => maxInFlight };
}

const checks = (ctx: { db: Parameters<typeof timelineDb>[0] }) =>
  timelineDb(ctx.db).selectFrom("usage_reconciliation").select("customer_id").execute();

describeEachEngine("reconciliation on request", (ctx) => {
  beforeAll(async () => {
    for (const customerId of CUSTOMERS) {
      const ts = new Date(now - DAY).toISOString();
      const envelope = usageEnvelope({
        usageEventId: `ue_${customerId}`,
        customerId,
        featureCode: "api_calls",
        value: 5,
        ts,
      });
      expect((await deliverUsage(ctx.database, envelope)).status).toBe(200);
    }
  });

  it("the customer panel's GET reads the last stored check and writes nothing; the POST checks and stores", async () => {
    const { commet } = fakeCommet();
    const search = parseUsageSearch(new URLSearchParams("range=7d"));
    const panel = await loadCustomerUsagePanel("c1", search, { database: ctx.database, commet, plans: async () => [] });
    if (!panel.ok) throw new Error(panel.message);
    expect(panel.drift).toBeNull();
    expect(await checks(ctx)).toEqual([]);

    const checked = await reconcileCustomerNow(ctx.database, commet, "c1");
    expect(checked).toMatchObject({
      status: 200,
      answer: { ok: true, drift: { customerId: "c1", status: "in_step" } },
    });
    const again = await loadCustomerUsagePanel("c1", search, { database: ctx.database, commet, plans: async () => [] });
    expect(again.ok && again.drift?.status).toBe("in_step");
  });

  it("a sweep runs one at a time, a bounded number of customers at once, with progress, then waits its interval", async () => {
    const fake = fakeCommet();
    let clock = now;
    const sweep = createReconcileSweep({
      sources: async () => ({ database: ctx.database, commet: fake.commet }),
      concurrency: 2,
      minIntervalMs: 60_000,
      clock: () => clock,
    });
    expect(sweep.status().state).toBe("idle");
    fake.hold();
    expect(sweep.start("finance@demo.local")).toMatchObject({ started: true, status: { state: "running" } });
    const second = sweep.start("admin@demo.local");
    expect(second).toMatchObject({ started: false, reason: "running", retryAfterSeconds: 5 });
    await expect.poll(() => fake.reads.length).toBe(2);
    expect(sweep.status()).toMatchObject({ state: "running", startedBy: "finance@demo.local", total: 6, checked: 0 });
    fake.release();
    const done = await sweep.settled();
    expect(done).toMatchObject({ state: "done", total: 6, checked: 6, drifted: 0, failed: 0 });
    expect(done.nextRunAt).toBe(clock + 60_000);
    expect(fake.maxInFlight()).toBe(2);
    expect(new Set(fake.reads)).toEqual(new Set(CUSTOMERS));

    clock += 30_000;
    expect(sweep.start("finance@demo.local")).toMatchObject({
      started: false,
      reason: "too_soon",
      retryAfterSeconds: 30,
    });
    clock += 30_000;
    expect(sweep.start("finance@demo.local").started).toBe(true);
    expect((await sweep.settled()).state).toBe("done");
  });

  it("a sweep that cannot start reports failed, and the next run still waits its interval", async () => {
    const sweep = createReconcileSweep({
      sources: async () => {
        throw new Error("no database");
      },
      minIntervalMs: 1000,
    });
    expect(sweep.start("finance@demo.local").started).toBe(true);
    expect(await sweep.settled()).toMatchObject({ state: "failed", error: "no database" });
    expect(sweep.start("finance@demo.local")).toMatchObject({ started: false, reason: "too_soon" });
  });
});
