/**
 * server/invoices against the local Commet sandbox through the real SDK, on both database engines: the invoice
 * detail, the audited PDF download (the URL never in the audit row), the exactly-once resend, the /invoices queue
 * (overdue, period, customer, names, totals) and its audited, formula-safe CSV.
 */
import Database from "better-sqlite3";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import { parseInvoiceQueue } from "../../app/contracts/invoices.ts";
import type { WriteResult } from "../../app/contracts/ops-results.ts";
import { createAuditLog } from "../audit/index.ts";
import { runSync } from "../directory/index.ts";
import { describeEachEngine } from "../testing/db.ts";
import { subscribedCustomer, useContractSandbox } from "../testing/sandbox.ts";
import { clearExchanges, exchanges } from "../testing/sdk-wire.ts";
import { createWriteEngine } from "../writes/index.ts";
import { exportInvoicesCsv, getCustomerInvoice, invoiceDownloadUrl, invoiceQueue, sendInvoice } from "./index.ts";

const t = useContractSandbox({ beforeAll, afterAll }, { seed: { customers: 12 } });
const SUPPORT = { actor: { id: "staff-support", email: "support@example.test" }, role: "support" as const };
const FINANCE = { actor: { id: "staff-finance", email: "finance@example.test" }, role: "finance" as const };

beforeEach(() => clearExchanges());

function sentCount(invoiceId: string): number {
  const db = new Database(path.join(t.sandbox.dataDir, "sandbox.sqlite"), { readonly: true });
  try {
    return (db.prepare("SELECT COUNT(*) AS n FROM invoice_sends WHERE invoice_id = ?").get(invoiceId) as { n: number })
      .n;
  } finally {
    db.close();
  }
}

async function invoicesOf(externalId: string) {
  return (await t.commet.invoices.list({ customerId: externalId })).data ?? [];
}

function expectKind<K extends WriteResult["kind"]>(result: WriteResult, kind: K): Extract<WriteResult, { kind: K }> {
  if (result.kind !== kind) throw new Error(`expected ${kind}, got ${JSON.stringify(result)}`);
  return result as Extract<WriteResult, { kind: K }>;
}

const sends = () => exchanges().filter((e) => e.method === "POST" && e.path.endsWith("/send"));

describeEachEngine("invoices", (ctx) => {
  const engine = () => createWriteEngine({ commet: t.commet, audit: createAuditLog(ctx.db), commetUrl: t.sandbox.url });
  const rows = async (action: string) =>
    (await createAuditLog(ctx.db).list({}, { page: 1, pageSize: 200 })).rows.filter((r) => r.action === action);

  it("getCustomerInvoice explains every line: discount, credit and memo; null for another customer's invoice", async () => {
    const list = await invoicesOf("usr_000008");
    const found = await getCustomerInvoice("usr_000008", list[list.length - 1]!.id, { commet: t.commet });
    expect(found?.customer.externalId).toBe("usr_000008");
    const invoice = found!.invoice;
    expect(invoice.lineItems.map((l) => l.lineType)).toEqual(["plan_base", "promo_code_discount", "credit"]);
    expect(invoice.lineItems[1]).toMatchObject({
      discountType: "percentage",
      discountValue: 10,
      discountName: "LOYAL10",
    });
    expect(invoice.creditApplied).toBe(2500);
    expect(invoice.total).toBe(invoice.subtotal - invoice.discountAmount - invoice.creditApplied);
    expect(invoice.memo).toMatch(/LOYAL10/);
    expect(await getCustomerInvoice("usr_000001", invoice.id, { commet: t.commet })).toBeNull();
  });

  it("an outstanding invoice past its due date is overdue", async () => {
    const outstanding = (await invoicesOf("usr_000003")).find((i) => i.status === "outstanding")!;
    const before = Date.parse(outstanding.dueDate) - 1;
    const after = Date.parse(outstanding.dueDate) + 1;
    const read = (now: number) =>
      getCustomerInvoice("usr_000003", outstanding.id, { commet: t.commet, now: () => now });
    expect((await read(before))?.invoice.displayStatus).toBe("outstanding");
    expect((await read(after))?.invoice.displayStatus).toBe("overdue");
  });

  it("download: audited as invoices.download without the URL; the URL serves the PDF; another customer's invoice is refused unaudited", async () => {
    const audit = createAuditLog(ctx.db);
    const invoice = (await invoicesOf("usr_000001"))[0]!;
    const link = await invoiceDownloadUrl(
      { ...SUPPORT, customerRef: "usr_000001", invoiceId: invoice.id },
      { commet: t.commet, runAudited: audit.run },
    );
    const res = await fetch(link!.url);
    expect(res.headers.get("content-type")).toBe("application/pdf");
    expect(
      Buffer.from(await res.arrayBuffer())
        .subarray(0, 5)
        .toString(),
    ).toBe("%PDF-");
    const [row] = await rows("invoices.download");
    expect(row).toMatchObject({ status: "succeeded", params: { invoiceId: invoice.id } });
    expect(JSON.stringify(row)).not.toContain(new URL(link!.url).searchParams.get("signature")!);
    expect(JSON.stringify(row)).not.toContain("/pdf");

    expect(
      await invoiceDownloadUrl(
        { ...SUPPORT, customerRef: "usr_000002", invoiceId: invoice.id },
        { commet: t.commet, runAudited: audit.run },
      ),
    ).toBeNull();
    expect(await rows("invoices.download")).toHaveLength(1);
  });

  it("resend: sent once per key (a second submission answers already recorded), audited; other roles and bad input send nothing", async () => {
    const invoice = (await invoicesOf("usr_000001"))[0]!;
    const key = `invoice-send-${ctx.engine}-${Date.now()}`;
    const form = { customerId: "usr_000001", invoiceId: invoice.id, idempotencyKey: key };
    const before = sentCount(invoice.id);
    expectKind(await sendInvoice({ ...SUPPORT, form }, engine()), "ok");
    expectKind(await sendInvoice({ ...SUPPORT, form }, engine()), "already_recorded");
    expect(sentCount(invoice.id)).toBe(before + 1);
    expect(sends()).toHaveLength(1);
    expect(sends()[0]!.idempotencyKey).toBe(key);
    const [row] = await rows("invoices.send");
    expect(row).toMatchObject({
      status: "succeeded",
      idempotencyKey: key,
      params: { invoiceNumber: invoice.invoiceNumber },
    });

    clearExchanges();
    expectKind(await sendInvoice({ ...FINANCE, form: { ...form, idempotencyKey: `${key}-f` } }, engine()), "forbidden");
    const bad = expectKind(
      await sendInvoice({ ...SUPPORT, form: { ...form, idempotencyKey: "" } }, engine()),
      "field_errors",
    );
    expect(bad.fieldErrors.idempotencyKey).toBeTruthy();
    const foreign = expectKind(
      await sendInvoice(
        { ...SUPPORT, form: { ...form, customerId: "usr_000002", idempotencyKey: `${key}-x` } },
        engine(),
      ),
      "field_errors",
    );
    expect(foreign.fieldErrors.invoiceId).toEqual(["No such invoice for this customer"]);
    expect(sends()).toHaveLength(0);
  });

  it("resend: a void invoice is refused before anything is sent", async () => {
    const adjustment = (
      await t.commet.invoices.createAdjustment({ customerId: "usr_000001", amount: 1200, description: "Setup fee" })
    ).data!;
    await t.commet.invoices.updateStatus({ id: adjustment.id, status: "void" });
    clearExchanges();
    const form = { customerId: "usr_000001", invoiceId: adjustment.id, idempotencyKey: `void-${ctx.engine}` };
    const result = expectKind(await sendInvoice({ ...SUPPORT, form }, engine()), "field_errors");
    expect(result.message).toMatch(/is void/);
    expect(sends()).toHaveLength(0);
    expect(sentCount(adjustment.id)).toBe(0);
  });

  it("queue: names from the directory, overdue / period / customer filters, totals, paging", async () => {
    await runSync(ctx.database, t.commet, { log: () => {} });
    const all = (await t.commet.invoices.list({ limit: 100 })).data ?? [];
    // A month ahead: every outstanding invoice is past its due date by then.
    const now = Date.now() + 30 * 86_400_000;
    const q = (search: string) =>
      invoiceQueue(parseInvoiceQueue(new URLSearchParams(search)), { commet: t.commet, database: ctx.database, now });

    const page = await q("pageSize=25");
    expect(page.totals.count).toBe(all.length);
    expect(page.rows.length).toBe(Math.min(25, all.length));
    expect(page.rows.every((r) => r.customerName && r.customerEmail)).toBe(true);
    const issued = page.rows.map((r) => Date.parse(r.issueDate));
    expect([...issued].sort((a, b) => b - a)).toEqual(issued);
    expect(page.totals.byCurrency[0]!.total).toBe(all.reduce((a, i) => a + i.total, 0));

    const overdue = await q("status=overdue&pageSize=100");
    const expected = all.filter((i) => i.status === "outstanding" && Date.parse(i.dueDate) < now);
    expect(expected.length).toBeGreaterThan(0);
    expect(overdue.rows.map((r) => r.id).sort()).toEqual(expected.map((i) => i.id).sort());
    expect(overdue.rows.every((r) => r.displayStatus === "overdue" && r.status === "outstanding")).toBe(true);
    expect(overdue.totals.byStatus.overdue).toBe(expected.length);

    const one = all[0]!;
    const byCustomer = await q(`customer=${one.customerId}&pageSize=100`);
    expect(byCustomer.rows.length).toBeGreaterThan(0);
    expect(byCustomer.rows.every((r) => r.customerId === one.customerId)).toBe(true);

    const day = one.periodStart.slice(0, 10);
    const inPeriod = await q(`from=${day}&to=${day}&pageSize=100`);
    expect(inPeriod.rows.map((r) => r.id)).toContain(one.id);
    for (const r of inPeriod.rows) {
      expect(Date.parse(r.periodEnd)).toBeGreaterThan(Date.parse(`${day}T00:00:00Z`));
      expect(Date.parse(r.periodStart)).toBeLessThan(Date.parse(`${day}T00:00:00Z`) + 86_400_000);
    }
    const byTotal = await q("sort=total&pageSize=100");
    const totals = byTotal.rows.map((r) => r.total);
    expect([...totals].sort((a, b) => a - b)).toEqual(totals);
  });

  it("CSV: the filtered rows, audited as invoices.export, with formula cells neutralized", async () => {
    const { customer } = await subscribedCustomer(t.commet, t.catalog.metered.plan);
    await t.commet.customers.update({ id: customer.id, fullName: '=HYPERLINK("http://evil.test")' });
    await runSync(ctx.database, t.commet, { log: () => {} });
    const audit = createAuditLog(ctx.db);
    const state = parseInvoiceQueue(new URLSearchParams(`customer=${customer.id}`));
    const { csv, filename } = await exportInvoicesCsv(
      { id: "staff-finance", email: "finance@example.test", role: "finance" },
      state,
      { commet: t.commet, database: ctx.database, recordAudit: audit.record },
    );
    let text = "";
    for await (const chunk of csv) text += String(chunk);
    const lines = text.trim().split("\n");
    expect(lines[0]).toBe(
      "invoice_number,invoice_id,status,customer_id,customer_external_id,customer_name,customer_email,plan,period_start,period_end,issue_date,due_date,currency,total",
    );
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(`"'=HYPERLINK(""http://evil.test"")"`);
    expect(filename).toMatch(/^invoices_\d{4}-\d{2}-\d{2}\.csv$/);
    const [row] = await rows("invoices.export");
    expect(row).toMatchObject({ status: "succeeded", params: { filters: { customer: customer.id } } });
  });
});
