import { beforeAll, expect, it } from "vitest";
import { closeDatabaseGracefully, describeEachEngine } from "../testing/db.ts";
import {
  getIndexedCustomer,
  InvalidCursorError,
  listIndexedCustomers,
  listIndexedPlans,
  listIndexedSubscriptions,
  subscriptionStatusCounts,
} from "./list.ts";
import type { IndexedCustomer } from "../../app/contracts/directory.ts";
import { tables } from "./schema.ts";
import { upsertCustomers, upsertSubscriptions, type CustomerInput, type SubscriptionInput } from "./store.ts";

const NOW = Date.parse("2026-11-21T12:00:00.000Z");
const N = 23;
const STATUSES = ["active", "trialing", "past_due", "pending_payment", "canceled"] as const;
const PLANS = [
  ["pln_pro", "Pro"],
  ["pln_team", "Team"],
] as const;

describeEachEngine("directory lists", (ctx) => {
  closeDatabaseGracefully(ctx);

  beforeAll(async () => {
    const customers: CustomerInput[] = [];
    const subscriptions: SubscriptionInput[] = [];
    for (let i = 0; i < N; i++) {
      const id = `cus_${String(i).padStart(2, "0")}`;
      customers.push({
        id,
        externalId: i % 2 === 0 ? `user_${i}` : null,
        email: `person${String(N - i).padStart(2, "0")}@example.org`,
        fullName: i % 5 === 4 ? null : `Person ${String.fromCharCode(65 + ((i * 7) % 26))}`,
        createdAt: new Date(Date.parse("2026-01-01T00:00:00.000Z") + i * 86_400_000).toISOString(),
        updatedAt: "2026-06-01T00:00:00.000Z",
      });
      if (i % 6 === 5) continue; // no subscription
      const [planId, planName] = PLANS[i % 2]!;
      subscriptions.push({
        id: `sub_${i}`,
        customerRef: i % 2 === 0 ? `user_${i}` : id,
        status: STATUSES[i % STATUSES.length]!,
        planId,
        planName,
        startDate: customers[i]!.createdAt,
        seats: { editors: i % 4 },
      });
    }
    // An older canceled subscription for cus_00 must not hide its live one.
    subscriptions.push({
      id: "sub_old",
      customerRef: "user_0",
      status: "canceled",
      planId: "pln_team",
      planName: "Team",
      startDate: "2025-01-01T00:00:00.000Z",
    });
    await tables(ctx.database)
      .transaction()
      .execute(async (trx) => {
        await upsertCustomers(trx, customers, NOW);
        await upsertSubscriptions(trx, subscriptions, NOW, NOW);
      });
  });

  async function all(options: Parameters<typeof listIndexedCustomers>[1]): Promise<IndexedCustomer[]> {
    const rows: IndexedCustomer[] = [];
    let cursor: string | undefined;
    for (let guard = 0; guard < 50; guard++) {
      const page = await listIndexedCustomers(ctx.database, { ...options, ...(cursor ? { cursor } : {}) });
      rows.push(...page.rows);
      if (!page.nextCursor) return rows;
      cursor = page.nextCursor;
    }
    throw new Error("paging did not end");
  }

  it("pages by cursor through every customer exactly once, in the asked order", async () => {
    const created = await all({ sort: "created", dir: "asc", limit: 5 });
    expect(created.map((r) => r.id)).toEqual(Array.from({ length: N }, (_, i) => `cus_${String(i).padStart(2, "0")}`));
    const byEmailDesc = await all({ sort: "email", dir: "desc", limit: 4 });
    const emails = byEmailDesc.map((r) => r.email);
    expect(emails).toEqual([...emails].sort().reverse());
    expect(new Set(emails).size).toBe(N);
    // Sorts on nullable / repeated values still visit every row once (ties broken by id).
    for (const sort of ["plan", "status", "seats", "name"] as const) {
      const rows = await all({ sort, dir: "asc", limit: 3 });
      expect(new Set(rows.map((r) => r.id)).size, sort).toBe(N);
    }
  });

  it("pages by offset with the same order and a total", async () => {
    const first = await listIndexedCustomers(ctx.database, { sort: "created", dir: "desc", limit: 10 });
    const second = await listIndexedCustomers(ctx.database, { sort: "created", dir: "desc", limit: 10, offset: 10 });
    expect(first.total).toBe(N);
    expect(first.rows[0]!.id).toBe("cus_22");
    expect(second.rows[0]!.id).toBe("cus_12");
  });

  it("filters by summary status (incl. none) and plan", async () => {
    const pastDue = await all({ status: ["past_due"], limit: 50 });
    expect(pastDue.length).toBeGreaterThan(0);
    expect(pastDue.every((r) => r.subscriptionStatus === "past_due")).toBe(true);
    const none = await all({ status: ["none"] });
    expect(none.map((r) => r.id).sort()).toEqual(["cus_05", "cus_11", "cus_17"]);
    expect(none.every((r) => r.planId === null && r.seatsTotal === 0)).toBe(true);
    const team = await all({ plan: ["pln_team"] });
    expect(team.every((r) => r.planId === "pln_team")).toBe(true);
    const page = await listIndexedCustomers(ctx.database, { status: ["active", "none"], plan: ["pln_pro"] });
    expect(page.rows.every((r) => r.subscriptionStatus === "active" && r.planId === "pln_pro")).toBe(true);
  });

  it("summarises a customer by its most live subscription, seats included", async () => {
    expect(await getIndexedCustomer(ctx.database, "user_0")).toMatchObject({
      id: "cus_00",
      subscriptionId: "sub_0",
      subscriptionStatus: "active",
      planId: "pln_pro",
      seats: { editors: 0 },
    });
    expect(await getIndexedCustomer(ctx.database, "cus_03")).toMatchObject({
      subscriptionStatus: "pending_payment",
      seatsTotal: 3,
    });
  });

  it("lists subscriptions with their customer, filtered, with counts per status", async () => {
    const pastDue = await listIndexedSubscriptions(ctx.database, { status: ["past_due"], limit: 100 });
    expect(pastDue.rows.length).toBe(pastDue.total);
    expect(pastDue.rows.every((r) => r.status === "past_due" && r.customerId && r.customerEmail)).toBe(true);
    const counts = await subscriptionStatusCounts(ctx.database);
    const listed = await listIndexedSubscriptions(ctx.database, { limit: 200 });
    expect(counts.total).toBe(listed.total);
    expect(counts.counts.past_due).toBe(pastDue.total);
    expect(counts.counts.draft).toBe(0);
    const teamCounts = await subscriptionStatusCounts(ctx.database, { plan: ["pln_team"] });
    const team = await listIndexedSubscriptions(ctx.database, { plan: ["pln_team"], limit: 200 });
    expect(teamCounts.total).toBe(team.total);
    // Cursor paging over subscriptions sorted by customer.
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listIndexedSubscriptions(ctx.database, {
        sort: "customer",
        dir: "asc",
        limit: 4,
        ...(cursor ? { cursor } : {}),
      });
      seen.push(...page.rows.map((r) => r.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(new Set(seen).size).toBe(listed.total);
    expect(await listIndexedPlans(ctx.database)).toEqual([
      { planId: "pln_pro", planName: "Pro", subscriptions: expect.any(Number) },
      { planId: "pln_team", planName: "Team", subscriptions: expect.any(Number) },
    ]);
  });

  it("rejects bad options and cursors made for another sort", async () => {
    const page = await listIndexedCustomers(ctx.database, { sort: "email", limit: 2 });
    await expect(
      listIndexedCustomers(ctx.database, { sort: "created", cursor: page.nextCursor! }),
    ).rejects.toBeInstanceOf(InvalidCursorError);
    await expect(listIndexedCustomers(ctx.database, { cursor: "garbage" })).rejects.toBeInstanceOf(InvalidCursorError);
    await expect(listIndexedCustomers(ctx.database, { limit: 5000 })).rejects.toThrow();
    await expect(listIndexedCustomers(ctx.database, { sort: "password" as never })).rejects.toThrow();
  });
});
