import Database from "better-sqlite3";
import fs from "node:fs";
import path from "node:path";
import type { Invoice } from "@commet/node";
import { expect, test } from "./support/fixtures.ts";
import { sandboxSdk } from "./support/ops-sdk.ts";

/**
 * Invoices: support opens an invoice and sees every line explained, downloads the real PDF (audited) and resends
 * it exactly once (the sandbox records one email); an overage line opens the usage tab on its period; /invoices
 * keeps its filters in the URL, shows overdue invoices, and finance exports the same rows as CSV.
 */
const commet = sandboxSdk();

/** Emails the sandbox recorded for an invoice (its own table: Commet's API has no read for them). */
function sandboxSends(invoiceId: string): number {
  const db = new Database(path.join(process.env.E2E_TMP_DIR!, "sandbox", "sandbox.sqlite"), { readonly: true });
  try {
    return (db.prepare("SELECT COUNT(*) AS n FROM invoice_sends WHERE invoice_id = ?").get(invoiceId) as { n: number })
      .n;
  } finally {
    db.close();
  }
}

async function allInvoices(): Promise<Invoice[]> {
  const out: Invoice[] = [];
  let cursor: string | undefined;
  do {
    const page = await commet.invoices.list({ limit: 100, ...(cursor ? { cursor } : {}) });
    out.push(...(page.data ?? []));
    cursor = page.hasMore ? page.nextCursor : undefined;
  } while (cursor);
  return out;
}

test("support opens an invoice: every line explained, the PDF downloaded (audited), resent exactly once", async ({
  page,
  signInAs,
  checkPage,
}) => {
  // usr_000008's latest invoice carries a promo discount, a service credit and a memo (sandbox seed).
  const list = (await commet.invoices.list({ customerId: "usr_000008" })).data ?? [];
  const invoice = list[list.length - 1]!;
  const customer = (await commet.customers.get({ id: "usr_000008" })).data!;
  await signInAs("support");
  await page.goto("/customers/usr_000008");
  await page.getByRole("button", { name: `Show details of ${invoice.invoiceNumber}` }).click();
  const detail = page.getByTestId("invoice-detail");
  await expect(detail).toBeVisible();
  await expect(detail.locator('[data-line-type="plan_base"]')).toContainText("Plan");
  await expect(detail.locator('[data-line-type="promo_code_discount"]')).toContainText("LOYAL10: 10% off");
  await expect(detail.locator('[data-line-type="credit"]')).toContainText("Account credit applied");
  await expect(detail.getByRole("row", { name: /Credits applied/ })).toContainText("-$25.00");
  await expect(detail.getByRole("row", { name: /^Total/ })).toContainText(`$${(invoice.total / 100).toFixed(2)}`);
  await expect(detail.getByTestId("invoice-memo")).toContainText("LOYAL10");
  await checkPage("invoice detail");

  // The PDF: the console audits the request and redirects to Commet's signed URL, which serves a real PDF.
  const href = (await detail.getByTestId("invoice-pdf").getAttribute("href"))!;
  const direct = await page.request.get(href, { maxRedirects: 0 });
  expect(direct.status()).toBe(302);
  expect(direct.headers()["location"]).toContain("/pdf?expires=");
  expect(direct.headers()["cache-control"]).toContain("no-store");
  const pdf = await page.request.get(href);
  expect(pdf.status()).toBe(200);
  expect(pdf.headers()["content-type"]).toBe("application/pdf");
  expect((await pdf.body()).subarray(0, 5).toString("latin1")).toBe("%PDF-");

  // Resend: a confirmation naming the invoice and the address, then one email however often it is clicked.
  const before = sandboxSends(invoice.id);
  await detail.getByRole("button", { name: "Resend to customer…" }).click();
  const confirm = detail.locator("form.invoice-resend");
  await expect(confirm).toContainText(`Email ${invoice.invoiceNumber}`);
  await expect(confirm).toContainText(customer.email);
  await expect(confirm.getByLabel("Idempotency key")).toHaveValue(/^invoice-send-/);
  await expect(confirm.getByRole("button", { name: "Send invoice" })).toBeEnabled();
  await checkPage("resend confirmation");
  await confirm.getByRole("button", { name: "Send invoice" }).dblclick();
  await expect(page.getByTestId("toast")).toHaveAttribute("data-tone", "success");
  await expect(page.getByTestId("toast")).toContainText(`Sent ${invoice.invoiceNumber} to ${customer.email}`);
  expect(sandboxSends(invoice.id)).toBe(before + 1);

  // Both show up in the audit trail; the signed URL does not.
  await page.goto(`/audit?customer=${customer.id}`);
  await expect(page.getByText("invoices.download").first()).toBeVisible();
  await expect(page.getByText("invoices.send").first()).toBeVisible();
  expect(await page.content()).not.toContain("signature=");
});

test("finance sees the invoice and its PDF but cannot resend it; a forged resend is refused", async ({
  page,
  signInAs,
}) => {
  const invoice = ((await commet.invoices.list({ customerId: "usr_000008" })).data ?? [])[0]!;
  await signInAs("finance");
  await page.goto(`/customers/usr_000008?invoice=${invoice.id}`);
  const detail = page.getByTestId("invoice-detail");
  await expect(detail).toBeVisible();
  await expect(detail.getByTestId("invoice-pdf")).toBeVisible();
  await expect(detail.getByRole("button", { name: /Resend/ })).toHaveCount(0);
  const before = sandboxSends(invoice.id);
  const forged = await page.request.post(`/customers/usr_000008/invoices/${invoice.id}/send`, {
    form: { idempotencyKey: "forged-by-finance" },
    headers: { origin: new URL(page.url()).origin },
  });
  expect(forged.status()).toBe(403);
  expect(sandboxSends(invoice.id)).toBe(before);
});

test("an overage line opens the customer's usage tab on that invoice's period", async ({
  page,
  signInAs,
  checkPage,
}) => {
  let found: { invoice: Invoice; customerRef: string } | undefined;
  for (const item of await allInvoices()) {
    const full = (await commet.invoices.get({ id: item.id })).data!;
    if (full.lineItems?.some((l) => l.lineType === "feature_overage")) {
      found = { invoice: full, customerRef: full.customerId };
      break;
    }
  }
  expect(found, "the seed has an invoice with a usage overage line").toBeTruthy();
  const { invoice, customerRef } = found!;
  const overage = invoice.lineItems!.find((l) => l.lineType === "feature_overage")!;
  await signInAs("support");
  await page.goto(`/customers/${customerRef}?invoice=${invoice.id}`);
  const line = page.getByTestId("invoice-detail").locator('[data-line-type="feature_overage"]');
  await expect(line).toContainText("Usage overage");
  await expect(line.getByTestId("line-note")).toContainText(
    `Included ${overage.includedAmount!.toLocaleString("en-US")}, used ${overage.usedAmount!.toLocaleString("en-US")}`,
  );
  await checkPage("overage line");
  await line.getByRole("link", { name: "Usage in this period" }).click();
  const from = invoice.periodStart.slice(0, 10);
  await expect(page).toHaveURL(new RegExp(`usageFrom=${from}&usageTo=\\d{4}-\\d{2}-\\d{2}#usage$`));
  const to = new URL(page.url()).searchParams.get("usageTo")!;
  const usage = page.locator("#usage");
  await expect(usage.getByText(`${from} to ${to}, UTC days.`)).toBeVisible();
  await expect(usage.getByRole("button", { name: "Custom range" })).toHaveAttribute("aria-pressed", "true");
  await checkPage("usage for the invoice period");
});

test("/invoices: status (overdue), customer and period filters live in the URL; finance exports the same rows", async ({
  page,
  signInAs,
  checkPage,
}) => {
  const all = await allInvoices();
  const now = Date.now();
  const overdue = all.filter((i) => i.status === "outstanding" && Date.parse(i.dueDate) < now);
  await signInAs("finance");
  await page.goto("/invoices");
  await expect(page.getByRole("heading", { name: /^Invoices/ })).toBeVisible();
  await expect(page.getByTestId("invoices-table")).toBeVisible();
  await expect(page.getByTestId("invoice-count-overdue")).toContainText(String(overdue.length));
  await checkPage("invoices queue");

  await page.getByRole("search", { name: "Filter invoices" }).getByLabel("Status").selectOption("overdue");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/status=overdue/);
  const badges = page.getByTestId("invoices-table").locator("tbody [data-status]");
  await expect(badges).toHaveCount(Math.min(overdue.length, 25));
  for (const status of await badges.evaluateAll((els) => els.map((e) => e.getAttribute("data-status"))))
    expect(status).toBe("overdue");

  // One customer and one period, straight from the URL (a shared link shows the same rows).
  const target = all.find((i) => i.customerId)!;
  const day = target.periodStart.slice(0, 10);
  await page.goto(`/invoices?customer=${target.customerId}&from=${day}&to=${day}`);
  const form = page.getByRole("search", { name: "Filter invoices" });
  await expect(form.getByLabel("Customer")).toHaveValue(target.customerId);
  await expect(form.getByLabel("Period from")).toHaveValue(day);
  const rows = page.getByTestId("invoices-table").locator("tbody tr");
  await expect(rows.first()).toContainText(target.invoiceNumber);
  const shown = await rows.count();
  await checkPage("invoices filtered");

  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "Export CSV" }).click(),
  ]);
  const csv = fs
    .readFileSync((await download.path())!, "utf8")
    .trim()
    .split("\n");
  expect(csv[0]).toMatch(/^invoice_number,invoice_id,status,customer_id/);
  expect(csv).toHaveLength(shown + 1);
  expect(csv.some((l) => l.startsWith(`${target.invoiceNumber},${target.id},`))).toBe(true);
});

test("support sees the queue without the CSV export; the export route refuses support", async ({ page, signInAs }) => {
  await signInAs("support");
  await page.goto("/invoices");
  await expect(page.getByTestId("invoices-table")).toBeVisible();
  await expect(page.getByRole("link", { name: "Export CSV" })).toHaveCount(0);
  expect((await page.request.get("/invoices/export.csv")).status()).toBe(403);
});
