/**
 * Contract: invoices through the real @commet/node 7.10.0 — every line field on invoices.get, the signed
 * expiring PDF link of getDownloadUrl, send (recorded, idempotent, refused for void invoices), updateStatus,
 * createAdjustment, and the invoice.created / invoice.voided webhooks.
 */
import Database from "better-sqlite3";
import path from "node:path";
import { inflateSync } from "node:zlib";
import { PDFDocument } from "pdf-lib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CreatedInvoice,
  envelope,
  expectShape,
  Invoice,
  InvoiceDownload,
  InvoiceEventData,
  InvoiceStatusChange,
  pageEnvelope,
  SentInvoice,
  type InvoiceT,
} from "../testing/contract-schemas.ts";
import {
  expectApiError,
  expectValidationError,
  startWebhookReceiver,
  subscribedCustomer,
  useContractSandbox,
  waitFor,
  type WebhookReceiver,
} from "../testing/sandbox.ts";

let receiver: WebhookReceiver;
const t = useContractSandbox({ beforeAll, afterAll }, async () => {
  receiver = await startWebhookReceiver();
  return { seed: { customers: 20 } };
});

beforeAll(async () => {
  await t.commet.webhooks.create({ url: receiver.url, events: ["invoice.created", "invoice.voided"] });
});
afterAll(async () => {
  await receiver.close();
});

async function allInvoices(): Promise<InvoiceT[]> {
  const out: InvoiceT[] = [];
  let cursor: string | undefined;
  do {
    const page = expectShape(pageEnvelope(Invoice), await t.commet.invoices.list({ limit: 100, cursor }));
    out.push(...page.data);
    cursor = page.hasMore ? page.nextCursor : undefined;
  } while (cursor);
  return out;
}

async function getInvoice(id: string): Promise<InvoiceT> {
  return expectShape(envelope(Invoice), await t.commet.invoices.get({ id })).data;
}

async function customerIdOf(externalId: string): Promise<string> {
  return (await t.commet.customers.get({ id: externalId })).data!.id;
}

function sends(invoiceId: string): Array<{ email: string; sent_at: string }> {
  const db = new Database(path.join(t.sandbox.dataDir, "sandbox.sqlite"), { readonly: true });
  try {
    return db.prepare("SELECT email, sent_at FROM invoice_sends WHERE invoice_id = ?").all(invoiceId) as Array<{
      email: string;
      sent_at: string;
    }>;
  } finally {
    db.close();
  }
}

/** The page content streams of a PDF, inflated, as one latin1 string. */
function pageText(bytes: Uint8Array): string {
  const buf = Buffer.from(bytes);
  const out: string[] = [];
  let at = 0;
  for (;;) {
    const start = buf.indexOf("stream\n", at, "latin1");
    if (start < 0) break;
    const end = buf.indexOf("endstream", start, "latin1");
    try {
      out.push(inflateSync(buf.subarray(start + 7, end)).toString("latin1"));
    } catch {
      // not a deflated stream
    }
    at = end + 9;
  }
  return out.join("\n");
}

describe("invoices.get line items", () => {
  it("every line carries Commet's line fields; seats and overage lines explain quantity × unit price", async () => {
    const full = await Promise.all((await allInvoices()).map((i) => getInvoice(i.id)));
    const lines = full.flatMap((i) => i.lineItems ?? []);
    expect(lines.length).toBeGreaterThan(full.length - 1);
    for (const inv of full) {
      const charges = (inv.lineItems ?? []).filter((l) => l.amount >= 0).reduce((a, l) => a + l.amount, 0);
      expect(charges).toBe(inv.subtotal);
      expect(inv.total).toBe(inv.subtotal - inv.discountAmount - (inv.creditApplied ?? 0) + inv.taxAmount);
    }
    const overage = lines.filter((l) => l.lineType === "feature_overage");
    const seats = lines.filter((l) => l.lineType === "feature_seats");
    expect(overage.length).toBeGreaterThan(0);
    expect(seats.length).toBeGreaterThan(0);
    for (const l of [...overage, ...seats]) {
      expect(l.featureName).toBeTruthy();
      expect(l.quantity).toBeGreaterThan(0);
      expect(l.unitAmount).toBeGreaterThan(0);
      expect(Math.abs(l.amount - l.quantity * l.unitAmount)).toBeLessThanOrEqual(1);
      expect(l.overageAmount).toBe(l.quantity);
      expect((l.includedAmount ?? 0) + l.quantity).toBe(l.usedAmount);
    }
    expect(overage.every((l) => l.chargeType === "true_up")).toBe(true);
    expect(seats.every((l) => l.chargeType === "advance")).toBe(true);
  });

  it("the seeded Business invoice of usr_000008 shows a promo discount, a service credit and a memo", async () => {
    const customerId = await customerIdOf("usr_000008");
    const list = expectShape(pageEnvelope(Invoice), await t.commet.invoices.list({ customerId })).data;
    const inv = await getInvoice(list[list.length - 1]!.id);
    const discount = inv.lineItems!.find((l) => l.lineType === "promo_code_discount")!;
    const credit = inv.lineItems!.find((l) => l.lineType === "credit")!;
    const base = inv.lineItems!.find((l) => l.lineType === "plan_base")!;
    expect(discount).toMatchObject({ discountType: "percentage", discountValue: 10, discountName: "LOYAL10" });
    expect(discount.amount).toBe(-Math.round(base.amount * 0.1));
    expect(inv.discountAmount).toBe(-discount.amount);
    expect(inv.creditApplied).toBe(-credit.amount);
    expect(inv.total).toBe(inv.subtotal - inv.discountAmount - inv.creditApplied!);
    expect(inv.memo).toMatch(/LOYAL10/);
    const tx = (await t.commet.transactions.list({ limit: 100 })).data!.find((x) => x.invoiceId === inv.id);
    expect(tx?.grossAmount).toBe(inv.total);
  });
});

describe("invoices.getDownloadUrl", () => {
  it("answers a signed URL on the sandbox origin, valid seven days, serving the invoice as a real PDF", async () => {
    const inv = (await allInvoices())[0]!;
    const clockNow = Date.parse((await t.commet.testClock.get()).data!.now);
    const link = expectShape(envelope(InvoiceDownload), await t.commet.invoices.getDownloadUrl({ id: inv.id })).data;
    const url = new URL(link.url);
    expect(url.origin).toBe(t.sandbox.url);
    expect(url.searchParams.get("signature")).toBeTruthy();
    const ttl = Date.parse(link.expiresAt) - clockNow;
    expect(ttl).toBeGreaterThan(7 * 86_400_000 - 60_000);
    expect(ttl).toBeLessThanOrEqual(7 * 86_400_000);

    const res = await fetch(link.url);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/pdf");
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(Buffer.from(bytes.subarray(0, 5)).toString("latin1")).toBe("%PDF-");
    const pdf = await PDFDocument.load(bytes);
    expect(pdf.getPageCount()).toBeGreaterThanOrEqual(1);
    expect(pdf.getTitle()).toBe(`Invoice ${inv.invoiceNumber}`);
    // Standard-font text is written as hex strings inside the (deflated) page streams.
    const raw = pageText(bytes);
    const hex = (s: string) => Buffer.from(s, "latin1").toString("hex").toUpperCase();
    expect(raw).toContain(hex(inv.invoiceNumber));
    expect(raw).toContain(hex(`${inv.currency.toUpperCase()} ${(inv.total / 100).toFixed(2)}`));
  });

  it("a tampered signature, expiry or invoice id is 403; an unknown invoice is invoice_not_found", async () => {
    const [a, b] = await allInvoices();
    const link = (await t.commet.invoices.getDownloadUrl({ id: a!.id })).data!;
    const url = new URL(link.url);
    const sig = url.searchParams.get("signature")!;
    const tampered = [
      new URL(url),
      new URL(url),
      new URL(url.toString().replace(encodeURIComponent(a!.id), encodeURIComponent(b!.id))),
    ];
    tampered[0]!.searchParams.set("signature", `${sig.slice(0, -2)}${sig.endsWith("A") ? "B" : "A"}A`);
    tampered[1]!.searchParams.set("expires", String(Number(url.searchParams.get("expires")) + 86_400));
    for (const bad of tampered) {
      const res = await fetch(bad);
      expect(res.status).toBe(403);
      expect(res.headers.get("content-type")).not.toBe("application/pdf");
    }
    await expectApiError(t.commet.invoices.getDownloadUrl({ id: "inv_missing" }), {
      status: 404,
      code: "invoice_not_found",
    });
  });
});

describe("invoices.send and updateStatus", () => {
  it("send records one email to the customer per idempotency key and answers sent + sentAt", async () => {
    const inv = (await allInvoices()).find((i) => i.status === "paid")!;
    const key = `send-${inv.id}`;
    const first = expectShape(
      envelope(SentInvoice),
      await t.commet.invoices.send({ id: inv.id }, { idempotencyKey: key }),
    ).data;
    const replay = expectShape(
      envelope(SentInvoice),
      await t.commet.invoices.send({ id: inv.id }, { idempotencyKey: key }),
    ).data;
    expect(first.sent).toBe(true);
    expect(replay).toEqual(first);
    const customer = (await t.commet.customers.get({ id: inv.customerId })).data!;
    expect(sends(inv.id)).toEqual([{ email: customer.email, sent_at: first.sentAt }]);
    await t.commet.invoices.send({ id: inv.id }, { idempotencyKey: `${key}-again` });
    expect(sends(inv.id)).toHaveLength(2);
    await expectApiError(t.commet.invoices.send({ id: "inv_missing" }), { status: 404, code: "invoice_not_found" });
  });

  it("void: updateStatus voids an outstanding invoice (invoice.voided); a void invoice cannot be sent or changed", async () => {
    const inv = (await allInvoices()).find((i) => i.status === "outstanding")!;
    const changed = expectShape(
      envelope(InvoiceStatusChange),
      await t.commet.invoices.updateStatus({ id: inv.id, status: "void" }),
    ).data;
    expect(changed).toMatchObject({ id: inv.id, status: "void" });
    expect((await getInvoice(inv.id)).status).toBe("void");
    await expectValidationError(t.commet.invoices.send({ id: inv.id }), "id");
    expect(sends(inv.id)).toHaveLength(0);
    await expectValidationError(t.commet.invoices.updateStatus({ id: inv.id, status: "paid" }), "status");
    const hook = await waitFor(
      () => receiver.hooks.find((h) => h.json.event === "invoice.voided" && h.json.data?.invoiceId === inv.id),
      { what: "invoice.voided" },
    );
    const data = expectShape(InvoiceEventData, hook.json.data);
    expect(data).toMatchObject({ invoiceNumber: inv.invoiceNumber, invoiceStatus: "void", total: inv.total });
  });
});

describe("invoice.created", () => {
  it("is sent when a subscription's first invoice is issued, with the documented fields", async () => {
    const { customer, subscription } = await subscribedCustomer(t.commet, t.catalog.metered.plan);
    const issued = expectShape(
      pageEnvelope(Invoice),
      await t.commet.invoices.list({ subscriptionId: subscription.id }),
    ).data;
    expect(issued).toHaveLength(1);
    const hook = await waitFor(
      () => receiver.hooks.find((h) => h.json.event === "invoice.created" && h.json.data?.invoiceId === issued[0]!.id),
      { what: "invoice.created" },
    );
    const data = expectShape(InvoiceEventData, hook.json.data);
    expect(data).toMatchObject({
      invoiceNumber: issued[0]!.invoiceNumber,
      total: issued[0]!.total,
      subtotal: issued[0]!.subtotal,
      subscriptionId: subscription.id,
      customerId: customer.externalId,
    });
  });
});

describe("invoices.createAdjustment", () => {
  it("a charge is an outstanding adjustment invoice (invoice.created); a negative amount is a credit", async () => {
    const { customer } = await subscribedCustomer(t.commet, t.catalog.metered.plan);
    const charge = expectShape(
      envelope(CreatedInvoice),
      await t.commet.invoices.createAdjustment({
        customerId: customer.id,
        amount: 4500,
        description: "Onboarding session",
      }),
    ).data;
    expect(charge).toMatchObject({ status: "outstanding", invoiceType: "adjustment", subtotal: 4500, total: 4500 });
    const full = await getInvoice(charge.id);
    expect(full.lineItems).toEqual([
      expect.objectContaining({ lineType: "one_time", description: "Onboarding session", quantity: 1, amount: 4500 }),
    ]);
    const hook = await waitFor(
      () => receiver.hooks.find((h) => h.json.event === "invoice.created" && h.json.data?.invoiceId === charge.id),
      { what: "invoice.created for the adjustment" },
    );
    expect(expectShape(InvoiceEventData, hook.json.data)).toMatchObject({ invoiceStatus: "outstanding", total: 4500 });

    const credit = (
      await t.commet.invoices.createAdjustment({
        customerId: customer.id,
        amount: -1000,
        description: "Goodwill credit",
      })
    ).data!;
    const creditFull = await getInvoice(credit.id);
    expect(creditFull).toMatchObject({ status: "paid", subtotal: 0, creditApplied: 1000, total: -1000 });
    expect(creditFull.lineItems?.[0]?.lineType).toBe("credit");
    await expectValidationError(
      t.commet.invoices.createAdjustment({ customerId: customer.id, amount: 0, description: "nothing" }),
      "amount",
    );
    await expectApiError(
      t.commet.invoices.createAdjustment({ customerId: "cus_missing", amount: 100, description: "x" }),
      { status: 404, code: "customer_not_found" },
    );
  });
});

describe("download link expiry", () => {
  it("a link is refused with 410 once the sandbox clock passes its expiry, and a new link works", async () => {
    const inv = (await allInvoices())[0]!;
    const link = (await t.commet.invoices.getDownloadUrl({ id: inv.id })).data!;
    await t.commet.testClock.advance({ advanceDays: 8 });
    const expired = await fetch(link.url);
    expect(expired.status).toBe(410);
    expect(await expired.text()).toMatch(/expired/);
    const fresh = (await t.commet.invoices.getDownloadUrl({ id: inv.id })).data!;
    const res = await fetch(fresh.url);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/pdf");
  });
});
