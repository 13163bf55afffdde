/**
 * Closed-period reconciliation against the sandbox over HTTP: usage.recorded deliveries dropped on purpose (sandbox
 * fault rule) leave the timeline short; the billing run closes the period and invoices the overage Commet counted;
 * the report finds exactly that customer and feature, sized in units and cents. Every other closed period matches.
 */
import type { Commet } from "@commet/node";
import { afterAll, beforeAll, expect, it } from "vitest";
import { toPlanView } from "../../commet/plans.ts";
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
import { startConsoleWebhookEndpoint, TEST_SECRET } from "../../testing/timeline.ts";
import { reconcileClosedPeriods } from "./closed-periods.ts";
import { getIngestStatus } from "./ingest.ts";
import { exportClosedPeriodCsv, RECON_CSV_COLUMNS } from "./pages.ts";
import { parseReconSearch } from "../../../app/contracts/reconciliation.ts";
import { createAuditLog } from "../../audit/index.ts";

const finance = { id: "stf_fin", email: "finance@demo.local", role: "finance" };

async function text(stream: AsyncIterable<unknown>): Promise<string> {
  let out = "";
  for await (const chunk of stream) out += String(chunk);
  return out;
}

describeEachEngine("closed-period reconciliation against the sandbox", (ctx) => {
  let endpoint: Awaited<ReturnType<typeof startConsoleWebhookEndpoint>>;
  let sandbox: TestSandbox;
  let commet: Commet;
  let catalog: Catalog;

  beforeAll(async () => {
    endpoint = await startConsoleWebhookEndpoint(ctx.database);
    sandbox = await startTestSandbox({ webhookUrl: endpoint.url, webhookSecret: TEST_SECRET, seed: { customers: 8 } });
    commet = sandbox.client();
    catalog = await loadCatalog(commet);
    await waitFor(
      async () => {
        const h = (await sandbox.health()) as { historyEvents: number; historyDelivered: number };
        return h.historyEvents > 0 && h.historyDelivered === h.historyEvents ? h : null;
      },
      { timeoutMs: 30_000, what: "seeded history delivered" },
    );
  }, 60_000);
  afterAll(async () => {
    await sandbox?.dispose();
    await endpoint?.close();
  });

  const events = async () => (await getIngestStatus(ctx.database)).events;
  const plans = async () => (await commet.plans.list({ includePrivate: "true" })).data!.map(toPlanView);

  it("a period closed with lost usage webhooks is flagged with the lost units and their price", async () => {
    const { customer, subscription } = await subscribedCustomer(commet, catalog.metered.plan);
    const feature = catalog.metered.usage;
    const included = catalog.metered.includedUsage;
    const base = await events();
    await commet.usage.track({ customerId: customer.id, feature, value: included + 10 });
    await waitFor(async () => (await events()) === base + 1, { timeoutMs: 15_000, what: "the delivered event" });
    await setFaults(sandbox, [{ webhook: "usage.recorded", drop: true, times: 2 }]);
    for (const value of [3, 4]) await commet.usage.track({ customerId: customer.id, feature, value });
    await clearFaults(sandbox);

    const periodEnd = Date.parse(subscription.currentPeriod!.end);
    await commet.testClock.advance({ frozenTime: new Date(periodEnd + 3_600_000).toISOString() });
    await commet.testClock.processBilling();

    const endDay = new Date(periodEnd).toISOString().slice(0, 10);
    const report = await reconcileClosedPeriods(ctx.database, { commet, plans }, { from: endDay, to: endDay });
    expect(report.failed).toEqual([]);
    expect(report.catalogError).toBeNull();
    const mine = report.rows.filter((r) => r.customerId === customer.id);
    const unitCents = (catalog.metered.plan.features!.find((f) => f.code === feature)!.overage!.unitPrice ?? 0) / 100;
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      featureCode: feature,
      flag: "used_differs",
      included,
      invoicedUsed: included + 17,
      invoicedOverage: 17,
      trackedUsed: included + 10,
      trackedOverage: 10,
      usedDiff: 7,
      overageDiff: 7,
      invoicedAmount: Math.round(17 * unitCents),
      amountDiff: Math.round(17 * unitCents) - Math.round(10 * unitCents),
      customerExternalId: customer.externalId,
    });
    // The found discrepancy leads the report; no other closed period of that day disagrees.
    expect(report.rows[0]).toBe(mine[0]);
    expect(report.rows.filter((r) => r.flag !== "match").map((r) => r.customerId)).toEqual([customer.id]);
    expect(report.totals.flagged).toBe(1);
    // Every period the billing run closed (the seeded customers' included): only the seeded discrepancy differs.
    const wide = await reconcileClosedPeriods(ctx.database, { commet, plans }, { now: periodEnd + 3_600_000 });
    expect(wide.failed).toEqual([]);
    expect(wide.totals.invoices).toBeGreaterThan(1);
    expect(wide.rows.filter((r) => r.customerId !== customer.id && r.trackedUsed > 0).length).toBeGreaterThan(0);
    expect(wide.rows.filter((r) => r.flag !== "match").map((r) => r.customerId)).toEqual([customer.id]);

    // The CSV carries the same row (ids and names, amounts in dollars) and the export is audited.
    const search = parseReconSearch(new URLSearchParams({ from: endDay, to: endDay }));
    if (!search.ok) throw new Error(search.message);
    const exported = await exportClosedPeriodCsv(finance, search.search, { database: ctx.database, commet, plans });
    const csv = (await text(exported.csv)).trim().split("\n");
    expect(csv[0]).toBe(RECON_CSV_COLUMNS.map((c) => c.header).join(","));
    expect(csv).toHaveLength(2);
    const cells = csv[1]!.split(",");
    const col = (name: string) => cells[RECON_CSV_COLUMNS.findIndex((c) => c.key === name)];
    expect(col("customer_id")).toBe(customer.id);
    expect(col("customer_external_id")).toBe(customer.externalId);
    expect(col("feature_code")).toBe(feature);
    expect(col("used_diff")).toBe("7");
    expect(col("amount_diff")).toBe((mine[0]!.amountDiff! / 100).toFixed(2));
    expect(col("flag")).toBe("used_differs");
    const audit = await createAuditLog(ctx.db).list(
      { action: "usage.reconciliation.export" },
      { pageSize: 5, page: 1 },
    );
    expect(audit.rows[0]).toMatchObject({
      actor: { id: "stf_fin", email: "finance@demo.local" },
      role: "finance",
      status: "succeeded",
      params: { filters: { from: endDay, to: endDay, show: "differs" }, rows: 1 },
    });
  }, 90_000);
});
