/**
 * The timeline against the local Commet sandbox, over HTTP only: the seeded 90-day history arrives
 * as signed usage.recorded webhooks on first start (no side door into the console's database) and
 * reconciles in step with Commet's counters; usage tracked through the real SDK follows; deliveries
 * dropped on purpose (sandbox fault rule `{ webhook: "usage.recorded", drop: true }`) show up as drift.
 */
import type { Commet } from "@commet/node";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEachEngine } from "../../testing/db.ts";
import {
  clearFaults,
  loadCatalog,
  setFaults,
  startTestSandbox,
  subscribedCustomer,
  waitFor,
  type Catalog,
  type TestSandbox,
} from "../../testing/sandbox.ts";
import { getIngestStatus } from "./ingest.ts";
import { getDriftStatus, listDrift, listStoredDrift, reconcileCustomer } from "./reconcile.ts";
import { customerUsageTab } from "./customer.ts";
import { resolveRange } from "./days.ts";
import { usageSeries } from "./explorer.ts";
import { startConsoleWebhookEndpoint, TEST_SECRET } from "../../testing/timeline.ts";

describeEachEngine("usage timeline against the sandbox", (ctx) => {
  let endpoint: Awaited<ReturnType<typeof startConsoleWebhookEndpoint>>;
  let sandbox: TestSandbox;
  let commet: Commet;
  let catalog: Catalog;

  beforeAll(async () => {
    endpoint = await startConsoleWebhookEndpoint(ctx.database);
    sandbox = await startTestSandbox({ webhookUrl: endpoint.url, webhookSecret: TEST_SECRET, seed: { customers: 12 } });
    commet = sandbox.client();
    catalog = await loadCatalog(commet);
  }, 60_000);
  afterAll(async () => {
    await sandbox?.dispose();
    await endpoint?.close();
  });

  const events = async () => (await getIngestStatus(ctx.database)).events;

  it("the seeded history arrives through the webhook path and reconciles in step", async () => {
    const health = await waitFor(
      async () => {
        const h = (await sandbox.health()) as { historyEvents: number; historyDelivered: number };
        return h.historyEvents > 0 && h.historyDelivered === h.historyEvents ? h : null;
      },
      { timeoutMs: 30_000, what: "seeded history delivered" },
    );
    const status = await getIngestStatus(ctx.database);
    expect(status.events).toBe(health.historyEvents);
    expect(status.firstDay).not.toBeNull();
    const series = await usageSeries(ctx.database, { range: resolveRange({ range: "90d" }, Date.now()) });
    expect(series.total).toBeGreaterThan(0);

    const sweep = await listDrift(ctx.database, commet, { limit: 50 });
    expect(sweep.failed).toEqual([]);
    expect(sweep.checked).toBeGreaterThan(0);
    expect(sweep.drifted).toEqual([]);
  }, 60_000);

  it("live usage follows; dropped deliveries make the customer drift by exactly the lost usage", async () => {
    const { customer } = await subscribedCustomer(commet, catalog.metered.plan);
    const feature = catalog.metered.usage;
    const base = await events();
    for (const value of [5, 7, 11]) await commet.usage.track({ customerId: customer.id, feature, value });
    await waitFor(async () => (await events()) === base + 3, { timeoutMs: 15_000, what: "3 live events" });

    const first = await reconcileCustomer(ctx.database, commet, customer.id);
    expect(first.status).toBe("in_step");
    expect(first.features.find((f) => f.code === feature)).toMatchObject({ timeline: 23, commet: 23, diff: 0 });

    await setFaults(sandbox, [{ webhook: "usage.recorded", drop: true, times: 2 }]);
    for (const value of [13, 17]) await commet.usage.track({ customerId: customer.id, feature, value });
    await clearFaults(sandbox);
    await commet.usage.track({ customerId: customer.id, feature, value: 19 });
    await waitFor(async () => (await events()) === base + 4, { timeoutMs: 15_000, what: "the undropped event" });

    const second = await reconcileCustomer(ctx.database, commet, customer.id);
    expect(second.status).toBe("drifted");
    expect(second.features.find((f) => f.code === feature)).toMatchObject({ timeline: 42, commet: 72, diff: 30 });
    expect((await getDriftStatus(ctx.database, customer.id))?.status).toBe("drifted");

    const sweep = await listDrift(ctx.database, commet, { limit: 100 });
    expect(sweep.failed).toEqual([]);
    expect(sweep.drifted.map((d) => d.maxAbsDiff)).toEqual([30]);
    expect((await listStoredDrift(ctx.database)).map((d) => d.maxAbsDiff)).toEqual([30]);

    const tab = await customerUsageTab(ctx.database, commet, customer.id, resolveRange({ range: "7d" }, Date.now()));
    expect(tab.limits.find((l) => l.code === feature)).toMatchObject({
      current: 72,
      included: catalog.metered.includedUsage,
    });
    expect(tab.period).not.toBeNull();
    expect(tab.features.find((f) => f.code === feature)?.total).toBe(42);
  }, 90_000);
});
