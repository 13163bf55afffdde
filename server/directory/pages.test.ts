import { beforeAll, expect, it } from "vitest";
import { parseCustomersTable, parseSubscriptionsTable } from "../../app/contracts/directory-search.ts";
import { parseSearchQuery } from "../../app/contracts/search.ts";
import { closeDatabaseGracefully, describeEachEngine } from "../testing/db.ts";
import { loadOverview } from "../overview/index.ts";
import { customerLabels } from "./list.ts";
import { customersPage, newestCustomers, searchDirectory, subscriptionsPage } from "./pages.ts";
import { tables } from "./schema.ts";
import { upsertCustomers, upsertSubscriptions, type CustomerInput } from "./store.ts";

const NOW = Date.parse("2026-11-21T12:00:00.000Z");
const day = (n: number) => new Date(Date.parse("2026-01-01T00:00:00.000Z") + n * 86_400_000).toISOString();

describeEachEngine("directory pages", (ctx) => {
  closeDatabaseGracefully(ctx);

  // External ids sort opposite to creation: "a_…" is the newest customer, "z_…" the oldest.
  const customers: CustomerInput[] = [
    { id: "cus_1", externalId: "z_oldest", email: "oldest@example.org", fullName: "Olga Oldest", createdAt: day(0) },
    { id: "cus_2", externalId: "m_middle", email: "middle@example.org", fullName: "Mia Middle", createdAt: day(5) },
    { id: "cus_3", externalId: "a_newest", email: "newest@example.org", fullName: null, createdAt: day(9) },
    { id: "cus_4", externalId: null, email: "second@example.org", fullName: "Sam Second", createdAt: day(7) },
  ].map((c) => ({ ...c, updatedAt: day(10) }));

  beforeAll(async () => {
    await tables(ctx.database)
      .transaction()
      .execute(async (trx) => {
        await upsertCustomers(trx, customers, NOW);
        await upsertSubscriptions(
          trx,
          [
            {
              id: "sub_1",
              customerRef: "z_oldest",
              status: "active",
              planId: "pln_pro",
              planName: "Pro",
              startDate: day(1),
            },
            {
              id: "sub_2",
              customerRef: "cus_2",
              status: "canceled",
              planId: "pln_team",
              planName: "Team",
              startDate: day(6),
            },
          ],
          NOW,
          NOW,
        );
      });
  });

  it("lists the newest customers by creation date, not by external id", async () => {
    const newest = await newestCustomers(3, ctx.database);
    expect(newest.customers.map((c) => c.id)).toEqual(["cus_3", "cus_4", "cus_2"]);
    expect(newest.hasMore).toBe(true);
    expect((await newestCustomers(10, ctx.database)).hasMore).toBe(false);
  });

  it("the Overview shows the plans and the newest customers first", async () => {
    const overview = await loadOverview({
      plans: async () => [],
      customers: (limit) => newestCustomers(limit, ctx.database),
    });
    expect(overview.customers.map((c) => c.email)).toEqual([
      "newest@example.org",
      "second@example.org",
      "middle@example.org",
      "oldest@example.org",
    ]);
    expect(overview.hasMoreCustomers).toBe(false);
  });

  it("a customers page carries its rows, filter options, status counts and sync status", async () => {
    const page = await customersPage(parseCustomersTable(new URLSearchParams("sort=email&pageSize=25")), ctx.database);
    expect(page.rows.map((r) => r.email)).toEqual([
      "middle@example.org",
      "newest@example.org",
      "oldest@example.org",
      "second@example.org",
    ]);
    expect(page.total).toBe(4);
    expect(page.plans.map((p) => p.planId)).toEqual(["pln_pro", "pln_team"]);
    expect(page.counts.total).toBe(2);
    expect(page.sync.indexedCustomers).toBe(4);
  });

  it("a subscriptions page filters by status and counts within the plan filter", async () => {
    const page = await subscriptionsPage(
      parseSubscriptionsTable(new URLSearchParams("status=active&plan=pln_pro")),
      ctx.database,
    );
    expect(page.rows.map((r) => [r.id, r.customerName])).toEqual([["sub_1", "Olga Oldest"]]);
    expect(page.counts.counts.active).toBe(1);
    expect(page.counts.counts.canceled).toBe(0);
  });

  it("labels customers named by Commet id or external id, leaving unknown refs out", async () => {
    const labels = await customerLabels(ctx.database, ["cus_2", "z_oldest", "unknown", "cus_2"]);
    expect(Object.keys(labels).sort()).toEqual(["cus_2", "z_oldest"]);
    expect(labels.z_oldest).toEqual({
      id: "cus_1",
      externalId: "z_oldest",
      fullName: "Olga Oldest",
      email: "oldest@example.org",
    });
    expect(labels.cus_2?.fullName).toBe("Mia Middle");
  });

  it("the search box finds customers in the index", async () => {
    const result = await searchDirectory(parseSearchQuery(new URLSearchParams("q=m_middle")), ctx.database);
    expect(result.exactHit?.id).toBe("cus_2");
  });
});
