import { beforeAll, expect, it } from "vitest";
import type { PlanView } from "../../../app/contracts/plans.ts";
import { parseUsageSearch } from "../../../app/contracts/usage-search.ts";
import { createAuditLog } from "../../audit/index.ts";
import { describeEachEngine } from "../../testing/db.ts";
import { tables } from "../../directory/schema.ts";
import { upsertCustomers, upsertSubscriptions } from "../../directory/store.ts";
import type { TimelineCommet } from "./commet.ts";
import { exportTopCustomersCsv, exportUsageCsv, loadCustomerUsagePanel, loadUsageExplorer } from "./pages.ts";
import { createReconcileSweep } from "./reconcile-runs.ts";
import { deliverUsage, usageEnvelope } from "../../testing/timeline.ts";

const DAY = 86_400_000;
const now = Date.now();

const proPlan: PlanView = {
  id: "pln_pro",
  code: "pro",
  name: "Pro",
  description: null,
  isPublic: true,
  isDefault: false,
  isFree: false,
  consumptionModel: null,
  prices: [],
  features: [
    {
      code: "api_calls",
      name: "API calls",
      type: "usage",
      unitName: "call",
      enabled: true,
      included: 1000,
      unlimited: false,
      overageUnitPrice: null,
    },
  ],
  livemode: false,
};

/** Commet's live counters say 100 more calls than the timeline holds for every customer. */
const driftingCommet = {
  subscriptions: {
    getActive: async () => ({
      data: {
        id: "sub_1",
        plan: { id: "pln_pro" },
        status: "active",
        currentPeriod: { start: new Date(now - 10 * DAY).toISOString(), end: new Date(now + 20 * DAY).toISOString() },
      },
    }),
  },
  featureAccess: {
    list: async () => ({
      data: [{ code: "api_calls", name: "API calls", type: "usage", current: 100 + 7, included: 1000 }],
    }),
  },
} as unknown as TimelineCommet;

describeEachEngine("usage screens", (ctx) => {
  beforeAll(async () => {
    const created = new Date(now - 100 * DAY).toISOString();
    await tables(ctx.database)
      .transaction()
      .execute(async (trx) => {
        await upsertCustomers(
          trx,
          [
            {
              id: "cus_acme",
              externalId: "acme",
              email: "ops@acme.test",
              fullName: "Acme Corp",
              createdAt: created,
              updatedAt: created,
            },
            {
              id: "cus_bob",
              externalId: null,
              email: "bob@example.org",
              fullName: null,
              createdAt: created,
              updatedAt: created,
            },
          ],
          now,
        );
        await upsertSubscriptions(
          trx,
          [
            {
              id: "sub_1",
              customerRef: "acme",
              status: "active",
              planId: "pln_pro",
              planName: "Pro",
              startDate: created,
            },
            {
              id: "sub_2",
              customerRef: "cus_bob",
              status: "active",
              planId: "pln_pro",
              planName: "Pro",
              startDate: created,
            },
          ],
          now,
          now,
        );
      });
    const ts = new Date(now - DAY).toISOString();
    for (const [customerId, subscriptionId, value] of [
      ["acme", "sub_1", 5],
      ["cus_bob", "sub_2", 7],
      ["ghost_customer", "sub_unknown", 3],
    ] as const) {
      const response = await deliverUsage(
        ctx.database,
        usageEnvelope({
          usageEventId: `ue_${customerId}`,
          customerId,
          featureCode: "api_calls",
          value,
          ts,
          subscriptionId,
        }),
      );
      expect(response.status).toBe(200);
    }
  });

  it("names the customers of the rows, the ranking and the drift list, and the plans by the catalog", async () => {
    const sweeper = createReconcileSweep({ sources: async () => ({ database: ctx.database, commet: driftingCommet }) });
    expect(sweeper.start("finance@demo.local").started).toBe(true);
    const sweep = await sweeper.settled();
    expect(sweep.drifted).toBeGreaterThan(0);

    const page = await loadUsageExplorer(parseUsageSearch(new URLSearchParams("range=7d")), {
      database: ctx.database,
      plans: async () => [proPlan],
      now,
    });
    expect(page.plans).toEqual([{ id: "pln_pro", name: "Pro" }]);
    expect(page.units).toEqual({ api_calls: "call" });
    expect(page.featureNames).toEqual({ api_calls: "API calls" });
    expect(page.catalogError).toBeNull();

    const detail = page.result!.detail;
    expect(detail.rows.map((r) => [r.customerId, r.planId]).sort()).toEqual([
      ["acme", "pln_pro"],
      ["cus_bob", "pln_pro"],
      ["ghost_customer", ""],
    ]);
    expect(detail.labels.acme).toEqual({
      id: "cus_acme",
      externalId: "acme",
      fullName: "Acme Corp",
      email: "ops@acme.test",
    });
    expect(detail.labels.cus_bob?.email).toBe("bob@example.org");
    expect(detail.labels.ghost_customer).toBeUndefined();

    const top = await page.result!.top;
    expect(top!.rows.map((r) => r.customerId)).toEqual(["cus_bob", "acme", "ghost_customer"]);
    expect(top!.labels.acme?.fullName).toBe("Acme Corp");

    expect(page.drift.rows.map((d) => d.customerId)).toContain("acme");
    expect(page.drift.labels.acme?.fullName).toBe("Acme Corp");
  });

  it("without Commet's catalog the plans are named from the directory and overage is off", async () => {
    const page = await loadUsageExplorer(parseUsageSearch(new URLSearchParams("")), {
      database: ctx.database,
      plans: async () => {
        throw new Error("Commet is down");
      },
      now,
    });
    expect(page.plans).toEqual([{ id: "pln_pro", name: "Pro" }]);
    expect(page.included).toBeUndefined();
    expect(page.featureNames).toEqual({});
    expect(page.catalogError).toMatch(/could not be read/);
  });

  it("the customer box finds customers by name or email, and still takes ids and unknown refs", async () => {
    const load = (customer: string) =>
      loadUsageExplorer(parseUsageSearch(new URLSearchParams({ range: "7d", customer })), {
        database: ctx.database,
        plans: async () => [proPlan],
        now,
      });
    const byName = await load("acme corp");
    expect(byName.customerMatches).toEqual([
      { id: "cus_acme", externalId: "acme", fullName: "Acme Corp", email: "ops@acme.test" },
    ]);
    expect(byName.result!.detail.rows.map((r) => r.customerId)).toEqual(["acme"]);
    expect(byName.result!.series.total).toBe(5);
    expect((await byName.result!.top)!.rows.map((r) => r.customerId)).toEqual(["acme"]);

    const byEmail = await load("bob@example.org");
    expect(byEmail.customerMatches?.map((m) => m.id)).toEqual(["cus_bob"]);
    expect(byEmail.result!.series.total).toBe(7);

    const byId = await load("cus_acme");
    expect(byId.customerMatches).toBeNull();
    expect(byId.result!.detail.rows.map((r) => r.customerId)).toEqual(["acme"]);

    const unknown = await load("ghost_customer");
    expect(unknown.customerMatches).toEqual([]);
    expect(unknown.result!.series.total).toBe(3);

    const nobody = await load("Nobody Here");
    expect(nobody.customerMatches).toEqual([]);
    expect(nobody.result!.series.total).toBe(0);
  });

  it("the top-customers CSV ranks like the page, with ids and names, and is audited", async () => {
    const staff = { id: "stf_fin", email: "finance@demo.local", role: "finance" };
    const search = parseUsageSearch(new URLSearchParams("range=7d"));
    const exported = await exportTopCustomersCsv(staff, search, {
      database: ctx.database,
      plans: async () => [proPlan],
      now,
    });
    if (exported.error !== null) throw new Error(exported.error);
    expect(exported.filename).toMatch(/^usage_top_usage_\d{4}-\d{2}-\d{2}_\d{4}-\d{2}-\d{2}_UTC\.csv$/);
    let text = "";
    for await (const chunk of exported.csv) text += String(chunk);
    expect(text.trimEnd().split("\n")).toEqual([
      "rank,customer_id,customer_external_id,customer_name,plan_ids,plan_names,usage,overage,by_feature,currency,estimated_amount,estimated_amount_by_feature",
      "1,cus_bob,,bob@example.org,pln_pro,Pro,7,0,API calls: 7 call,,,",
      "2,cus_acme,acme,Acme Corp,pln_pro,Pro,5,0,API calls: 5 call,,,",
      "3,ghost_customer,,,,,3,0,API calls: 3 call,,,",
    ]);
    const page = await loadUsageExplorer(search, { database: ctx.database, plans: async () => [proPlan], now });
    expect((await page.result!.top)!.rows.map((r) => r.customerId)).toEqual(["cus_bob", "acme", "ghost_customer"]);
    const audit = await createAuditLog(ctx.db).list({ action: "usage.top_export" }, { pageSize: 5, page: 1 });
    expect(audit.rows[0]).toMatchObject({ actor: { email: "finance@demo.local" }, status: "succeeded" });
  });

  it("the CSV export has the ids and the names: customer (Commet id, external id, name), plan, feature and unit", async () => {
    const staff = { id: "stf_fin", email: "finance@demo.local", role: "finance" };
    const exported = await exportUsageCsv(staff, parseUsageSearch(new URLSearchParams("range=7d")), {
      database: ctx.database,
      plans: async () => [proPlan],
      now,
    });
    if (exported.error !== null) throw new Error(exported.error);
    let text = "";
    for await (const chunk of exported.csv) text += String(chunk);
    const [header, ...lines] = text.trimEnd().split("\n");
    expect(header).toBe(
      "date (UTC),customer_id,customer_external_id,customer_name,plan_id,plan_name,feature_code,feature_name,unit,total,currency,estimated_amount,events",
    );
    const day = new Date(now - DAY).toISOString().slice(0, 10);
    expect(lines.sort()).toEqual(
      [
        `${day},cus_acme,acme,Acme Corp,pln_pro,Pro,api_calls,API calls,call,5,,,1`,
        `${day},cus_bob,,bob@example.org,pln_pro,Pro,api_calls,API calls,call,7,,,1`,
        `${day},ghost_customer,,,,,api_calls,API calls,call,3,,,1`,
      ].sort(),
    );
  });

  it("an impossible range is refused with its message, on the explorer and the customer panel", async () => {
    const search = parseUsageSearch(new URLSearchParams("range=custom&from=2026-02-10&to=2026-01-01"));
    const page = await loadUsageExplorer(search, { database: ctx.database, plans: async () => [proPlan], now });
    expect(page.rangeError).toBeTruthy();
    expect(page.result).toBeNull();
    const panel = await loadCustomerUsagePanel("acme", search, {
      database: ctx.database,
      commet: driftingCommet,
      plans: async () => [proPlan],
      now,
    });
    expect(panel.ok).toBe(false);
  });

  it("the customer panel carries the units of the catalog and the last stored reconciliation", async () => {
    const panel = await loadCustomerUsagePanel("acme", parseUsageSearch(new URLSearchParams("range=7d")), {
      database: ctx.database,
      commet: driftingCommet,
      plans: async () => [proPlan],
      now,
    });
    if (!panel.ok) throw new Error(panel.message);
    expect(panel.units).toEqual({ api_calls: "call" });
    expect(panel.drift?.status).toBe("drifted");
    expect(panel.liveProblem).toBeNull();
  });
});
