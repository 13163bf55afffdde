/**
 * Billing-period views for many customers, against hand-computed examples: each customer's own period (a 31st anchor
 * across month ends), usage priced by the plan (included + overage), the projection to the period end, a trial that
 * bills no overage, the closing invoice read beside the last closed period, sorting, paging and the CSV's totals.
 */
import type { Commet, Invoice } from "@commet/node";
import { beforeAll, describe, expect, it } from "vitest";
import { parsePeriodSearch } from "../../app/contracts/billing-periods.ts";
import { upsertCustomers, upsertSubscriptions } from "../directory/store.ts";
import { describeEachEngine } from "../testing/db.ts";
import { meteredPlan } from "../testing/plans.ts";
import { deliverUsage, usageEnvelope } from "../testing/timeline.ts";
import { exportBillingPeriodCsv, loadBillingPeriodView, periodIndexAt } from "./period-views.ts";

const PLAN = meteredPlan();
const NOW = Date.parse("2026-11-15T12:00:00.000Z");
const at = (iso: string) => Date.parse(iso);

describe("periodIndexAt", () => {
  it("counts a 31st anchor's periods across short months", () => {
    const anchor = at("2026-08-31T00:00:00Z");
    expect(periodIndexAt(anchor, "monthly", at("2026-09-29T23:59:59Z"))).toBe(0);
    expect(periodIndexAt(anchor, "monthly", at("2026-09-30T00:00:00Z"))).toBe(1);
    expect(periodIndexAt(anchor, "monthly", at("2026-10-30T12:00:00Z"))).toBe(1);
    expect(periodIndexAt(anchor, "monthly", at("2026-10-31T00:00:00Z"))).toBe(2);
    expect(periodIndexAt(anchor, "monthly", at("2027-03-01T00:00:00Z"))).toBe(6); // Feb 28 → Mar 31
    expect(periodIndexAt(anchor, "weekly", at("2026-09-14T00:00:00Z"))).toBe(2);
    expect(periodIndexAt(anchor, "monthly", at("2026-08-01T00:00:00Z"))).toBe(-1);
  });
});

function closingInvoice(amount: number): Invoice {
  return {
    id: "inv_a_oct",
    customerId: "cus_a",
    subscriptionId: "sub_a",
    invoiceNumber: "INV-A-10",
    status: "paid",
    invoiceType: "recurring",
    currency: "usd",
    subtotal: 2900 + amount,
    discountAmount: 0,
    taxAmount: 0,
    total: 2900 + amount,
    periodStart: "2026-09-30T00:00:00.000Z",
    periodEnd: "2026-10-31T00:00:00.000Z",
    issueDate: "2026-10-31T01:00:00.000Z",
    lineItems: [
      { lineType: "feature_overage", featureName: "API calls", amount, quantity: 120 },
      { lineType: "plan_base", featureName: null, amount: 2900, quantity: 1 },
    ],
  } as unknown as Invoice;
}

function fakeInvoices(): Pick<Commet, "invoices"> & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    invoices: {
      list: async (p: { subscriptionId?: string }) => {
        calls.push(`list:${p.subscriptionId}`);
        return { success: true, data: p.subscriptionId === "sub_a" ? [closingInvoice(120)] : [], hasMore: false };
      },
      get: async ({ id }: { id: string }) => ({ success: true, data: id === "inv_a_oct" ? closingInvoice(120) : null }),
    } as unknown as Commet["invoices"],
  };
}

describeEachEngine("billing-period views", (ctx) => {
  beforeAll(async () => {
    const iso = "2026-08-01T00:00:00.000Z";
    const db = ctx.db as unknown as Parameters<typeof upsertCustomers>[0];
    await upsertCustomers(
      db,
      [
        { id: "cus_a", externalId: "usr_a", email: "a@example.test", fullName: "Ada", createdAt: iso, updatedAt: iso },
        { id: "cus_b", externalId: null, email: "b@example.test", fullName: "Bea", createdAt: iso, updatedAt: iso },
        { id: "cus_c", externalId: null, email: "c@example.test", fullName: "Cy", createdAt: iso, updatedAt: iso },
      ],
      NOW,
    );
    await upsertSubscriptions(
      db,
      [
        { id: "sub_a", customerRef: "usr_a", status: "active", planId: PLAN.id, startDate: "2026-08-31T00:00:00.000Z" },
        {
          id: "sub_b",
          customerRef: "cus_b",
          status: "trialing",
          planId: PLAN.id,
          startDate: "2026-11-01T00:00:00.000Z",
        },
        {
          id: "sub_c",
          customerRef: "cus_c",
          status: "canceled",
          planId: PLAN.id,
          startDate: "2026-08-01T00:00:00.000Z",
        },
      ],
      NOW,
      NOW,
    );
    const usage: Array<[string, string, number]> = [
      ["usr_a", "2026-09-30T10:00:00Z", 150], // closed period Sep 30 – Oct 31
      ["usr_a", "2026-10-30T10:00:00Z", 50], // closed
      ["usr_a", "2026-10-31T10:00:00Z", 200], // current Oct 31 – Nov 30
      ["cus_a", "2026-11-10T10:00:00Z", 100], // current, stored under the Commet id
      ["cus_b", "2026-11-05T10:00:00Z", 500], // trial
      ["cus_c", "2026-11-05T10:00:00Z", 999], // canceled: no period
    ];
    for (const [customerId, ts, value] of usage) {
      const res = await deliverUsage(
        ctx.database,
        usageEnvelope({ usageEventId: `ue_${customerId}_${ts}`, customerId, featureCode: "api_calls", value, ts }),
      );
      expect(res.status).toBe(200);
    }
  });

  const sources = () => ({ database: ctx.database, plans: async () => [PLAN], now: NOW, commet: fakeInvoices() });

  it("current period: each customer's own period, usage beyond the included amount priced, projected to its end", async () => {
    const view = await loadBillingPeriodView(parsePeriodSearch(new URLSearchParams()), sources());
    expect(view.totals.customers).toBe(2);
    const [a, b] = view.rows;
    expect(a).toMatchObject({
      customerId: "cus_a",
      externalId: "usr_a",
      periodStart: "2026-10-31T00:00:00.000Z",
      periodEnd: "2026-11-30T00:00:00.000Z",
      usage: 300,
      amount: 200, // (300 − 100) calls × 1 cent
      // 15.5 of 30 days elapsed: 300 × 30 / 15.5 = 580.6 → 581 calls, 481 beyond the included 100
      projectedAmount: 481,
    });
    expect(b).toMatchObject({ customerId: "cus_b", usage: 500, amount: 0, projectedAmount: 0 });
    expect(b!.note).toMatch(/Trial/);
    expect(view.totals).toMatchObject({ amount: 200, projectedAmount: 481, usageByFeature: { api_calls: 800 } });
  });

  it("last closed period: the invoice Commet issued at its close beside the estimate", async () => {
    const s = sources();
    const view = await loadBillingPeriodView(parsePeriodSearch(new URLSearchParams({ mode: "closed" })), s);
    // Bea's trial started this period: no closed period yet.
    expect(view.rows.map((r) => r.customerId)).toEqual(["cus_a"]);
    expect(view.skipped).toBe(1);
    expect(view.rows[0]).toMatchObject({
      periodStart: "2026-09-30T00:00:00.000Z",
      periodEnd: "2026-10-31T00:00:00.000Z",
      usage: 200,
      amount: 100,
      invoice: { number: "INV-A-10", overageAmount: 120, overageByFeature: { api_calls: 120 }, currency: "USD" },
    });
    expect(view.totals.pageInvoicedOverage).toBe(120);
  });

  it("sorts and pages in the URL's order; the CSV has every row with ids and names and adds up to the page's totals", async () => {
    const byName = await loadBillingPeriodView(
      parsePeriodSearch(new URLSearchParams({ sort: "customer", pageSize: "25" })),
      sources(),
    );
    expect(byName.rows.map((r) => r.customerName)).toEqual(["Ada", "Bea"]);
    const desc = await loadBillingPeriodView(parsePeriodSearch(new URLSearchParams({ sort: "-customer" })), sources());
    expect(desc.rows.map((r) => r.customerName)).toEqual(["Bea", "Ada"]);

    const staff = { id: "stf_fin", email: "finance@demo.local", role: "finance" };
    const { csv } = await exportBillingPeriodCsv(staff, parsePeriodSearch(new URLSearchParams()), sources());
    let text = "";
    for await (const chunk of csv) text += String(chunk);
    const [head, ...lines] = text.trim().split("\n");
    const cols = head!.split(",");
    const cell = (line: string, name: string) => line.split(",")[cols.indexOf(name)];
    expect(lines).toHaveLength(2);
    expect(cell(lines[0]!, "customer_id")).toBe("cus_a");
    expect(cell(lines[0]!, "customer_external_id")).toBe("usr_a");
    expect(cell(lines[0]!, "customer_name")).toBe("Ada");
    expect(cell(lines[0]!, "feature_name")).toBe("API calls");
    const sum = lines.reduce((s, l) => s + Number(cell(l, "estimated_amount")), 0);
    expect(Math.round(sum * 100)).toBe(byName.totals.amount);
  });
});
