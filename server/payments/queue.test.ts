/**
 * The /payments queue and its CSV against the local Commet sandbox (real SDK) and the customer index on
 * both database engines: at-risk charges first, the amount at risk, filters, coverage, and an audited,
 * formula-safe export.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { parsePaymentsSearch, type PaymentsSearch } from "../../app/contracts/payments.ts";
import { createAuditLog } from "../audit/index.ts";
import { runSync } from "../directory/index.ts";
import { describeEachEngine } from "../testing/db.ts";
import { randomSuffix, useContractSandbox } from "../testing/sandbox.ts";
import { exportPaymentsCsv, loadPaymentsQueue, QUEUE_PAGES } from "./index.ts";

const search = (query = ""): PaymentsSearch => parsePaymentsSearch(new URLSearchParams(query));

async function text(stream: NodeJS.ReadableStream): Promise<string> {
  let out = "";
  for await (const chunk of stream) out += String(chunk);
  return out;
}

describeEachEngine("payments queue", (ctx) => {
  const t = useContractSandbox({ beforeAll, afterAll }, { seed: { customers: 16 } });
  const sources = () => ({ commet: t.commet, database: ctx.database });

  beforeAll(async () => {
    await runSync(ctx.database, t.commet, { log: () => {} });
  });

  it("puts failed charges of past-due customers first and sums the amount at risk", async () => {
    const q = await loadPaymentsQueue(search("pageSize=100"), sources());
    expect(q.total).toBeGreaterThan(0);
    const risky = q.rows.filter((r) => r.atRisk);
    expect(risky.length).toBeGreaterThan(0);
    // At-risk rows lead; each is a failed charge of a past-due customer in the index.
    expect(q.rows.slice(0, risky.length).every((r) => r.atRisk)).toBe(true);
    expect(risky.every((r) => r.status === "failed" && r.subscriptionStatus === "past_due" && r.customerId)).toBe(true);
    const usd = q.atRisk.find((a) => a.currency.toLowerCase() === "usd");
    expect(usd).toEqual({
      currency: usd!.currency,
      amount: risky.reduce((n, r) => n + (r.amount ?? 0), 0),
      count: risky.length,
    });
    // Then failed before the rest; every status read completely (a small org).
    const ranks = q.rows.filter((r) => !r.atRisk).map((r) => (r.status === "failed" ? 0 : 1));
    expect(ranks).toEqual([...ranks].sort());
    expect(q.coverage.perStatusLimit).toBe(QUEUE_PAGES * 100);
    expect(q.coverage.statuses.every((s) => s.complete)).toBe(true);
    expect(q.coverage.statuses.reduce((n, s) => n + s.read, 0)).toBe(q.total);
  });

  it("filters by status, date range and plan (from the URL), and pages", async () => {
    const failed = await loadPaymentsQueue(search("status=failed&pageSize=100"), sources());
    expect(failed.rows.length).toBeGreaterThan(0);
    expect(failed.rows.every((r) => r.status === "failed")).toBe(true);
    expect(failed.coverage.statuses.map((s) => s.status)).toEqual(["failed"]);

    const all = await loadPaymentsQueue(search("pageSize=100"), sources());
    const day = all.rows[Math.floor(all.rows.length / 2)]!.createdAt.slice(0, 10);
    const oneDay = await loadPaymentsQueue(search(`from=${day}&to=${day}&pageSize=100`), sources());
    expect(oneDay.rows.length).toBeGreaterThan(0);
    expect(oneDay.rows.every((r) => r.createdAt.slice(0, 10) === day)).toBe(true);

    const plan = all.plans.find((p) => all.rows.some((r) => r.planName === p.planName))!;
    const onPlan = await loadPaymentsQueue(search(`plan=${plan.planId}&pageSize=100`), sources());
    expect(onPlan.rows.length).toBeGreaterThan(0);
    expect(onPlan.rows.every((r) => r.planName === plan.planName)).toBe(true);

    const page2 = await loadPaymentsQueue(search("pageSize=25&page=2"), sources());
    expect(page2.rows.map((r) => r.id)).toEqual(all.rows.slice(25, 50).map((r) => r.id));
    // A range that ends before it starts is refused with a message; nothing is read from Commet.
    const backwards = await loadPaymentsQueue(search("from=2026-02-02&to=2026-02-01"), sources());
    expect(backwards.rangeError).toMatch(/is after/);
    expect(backwards.rows).toEqual([]);
    const refused = await exportPaymentsCsv(
      { id: "s", email: "finance@example.test", role: "finance" },
      search("from=2026-02-02&to=2026-02-01"),
      sources(),
    );
    expect(refused.error).toMatch(/is after/);
    // Unusable URL values fall back to their defaults instead of failing the page.
    expect(search("status=bogus&from=yesterday&page=-3&pageSize=7")).toEqual({ page: 1, pageSize: 25 });
  });

  it("exports every filtered row as formula-safe CSV, audited before it streams", async () => {
    // A customer whose name a spreadsheet would run as a formula, with a settled first charge.
    const tag = randomSuffix();
    const customer = (
      await t.commet.customers.create({
        email: `csv+${tag}@example.test`,
        externalId: `csv_${tag}`,
        fullName: `=HYPERLINK("http://evil.test","${tag}")`,
      })
    ).data!;
    await t.commet.subscriptions.create({ customerId: customer.id, planCode: "pro", skipTrial: true });

    const exported = await exportPaymentsCsv(
      { id: "staff-finance", email: "finance@example.test", role: "finance" },
      search("status=succeeded"),
      sources(),
    );
    if (exported.error !== null) throw new Error(exported.error);
    const { csv, filename } = exported;
    expect(filename).toMatch(/^payments_succeeded_\d{4}-\d{2}-\d{2}\.csv$/);
    const lines = (await text(csv)).trim().split("\n");
    expect(lines[0]).toBe(
      "transaction_id,created_at,status,at_risk,amount,currency,customer_email,customer_name,customer_id,plan,subscription_status,invoice_id",
    );
    const queue = await loadPaymentsQueue(search("status=succeeded&pageSize=100"), sources());
    expect(lines.length - 1).toBe(queue.total);
    const row = lines.find((l) => l.includes(`csv+${tag}@example.test`))!;
    expect(row).toContain(`"'=HYPERLINK(`);
    expect(row).toMatch(/,succeeded,no,\d+\.\d{2},USD,/);

    const audit = await createAuditLog(ctx.db).list({}, { pageSize: 10, page: 1 });
    const auditRow = audit.rows.find((r) => r.action === "payments.export");
    expect(auditRow).toMatchObject({
      status: "succeeded",
      actor: { email: "finance@example.test" },
      params: { filters: { status: "succeeded" }, rows: queue.total },
    });
  });
});
