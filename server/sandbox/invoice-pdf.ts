/**
 * Invoice documents in the sandbox: signed, expiring download links (HMAC over invoice id + expiry, by the
 * sandbox clock) and the PDF they serve, rendered with pdf-lib from the stored invoice.
 */

import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { ServerResponse } from "node:http";
import { PDFDocument, type PDFFont, StandardFonts, rgb } from "pdf-lib";
import type { CustomerRow, Sandbox } from "./model.ts";
import type { InvoiceRowFull } from "./serialize.ts";
import { getMeta, setMeta } from "./store.ts";

/** Commet's links expire after seven days (api-reference/invoices.md). */
export const DOWNLOAD_TTL_MS = 7 * 86_400_000;

/** Per-store signing key: survives restarts (links stay valid for their 7 days), replaced by a reset. */
function linkSecret(sb: Sandbox): Buffer {
  let hex = getMeta(sb.db, "invoice_link_secret");
  if (!hex) {
    hex = randomBytes(32).toString("hex");
    setMeta(sb.db, "invoice_link_secret", hex);
  }
  return Buffer.from(hex, "hex");
}

function signature(sb: Sandbox, invoiceId: string, expires: number): string {
  return createHmac("sha256", linkSecret(sb)).update(`${invoiceId}\n${expires}`).digest("base64url");
}

/** A download link for the invoice, valid for seven days of the sandbox clock. */
export function signedDownloadUrl(sb: Sandbox, invoiceId: string): { url: string; expiresAt: string } {
  const expiresMs = sb.clock.nowMs() + DOWNLOAD_TTL_MS;
  const expires = Math.floor(expiresMs / 1000);
  const url = new URL(`/invoices/${encodeURIComponent(invoiceId)}/pdf`, sb.origin());
  url.searchParams.set("expires", String(expires));
  url.searchParams.set("signature", signature(sb, invoiceId, expires));
  return { url: url.toString(), expiresAt: new Date(expires * 1000).toISOString() };
}

type LinkCheck = { ok: true } | { ok: false; status: 403 | 410; message: string };

/** Signature first (a tampered id or expiry is 403), then expiry by the sandbox clock (410). */
export function checkDownloadLink(sb: Sandbox, invoiceId: string, search: URLSearchParams): LinkCheck {
  const expiresRaw = search.get("expires") ?? "";
  const given = Buffer.from(search.get("signature") ?? "");
  const expires = /^\d{1,12}$/.test(expiresRaw) ? Number(expiresRaw) : NaN;
  const expected = Number.isFinite(expires) ? Buffer.from(signature(sb, invoiceId, expires)) : Buffer.alloc(0);
  if (expected.length === 0 || given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, status: 403, message: "The link's signature does not match. Request a new download link." };
  }
  if (expires * 1000 <= sb.clock.nowMs()) {
    return { ok: false, status: 410, message: "This download link has expired. Request a new download link." };
  }
  return { ok: true };
}

const money = (cents: number, currency: string) =>
  `${cents < 0 ? "-" : ""}${currency.toUpperCase()} ${(Math.abs(cents) / 100).toFixed(2)}`;
const unitMoney = (cents: number, currency: string) => {
  // Per-unit prices can be fractions of a cent (API calls at $0.001).
  const digits = Number.isInteger(cents) ? 2 : Math.min(6, 2 + String(cents).split(".")[1]!.length);
  return `${cents < 0 ? "-" : ""}${currency.toUpperCase()} ${(Math.abs(cents) / 100).toFixed(digits)}`;
};
const day = (iso: string) => iso.slice(0, 10);

interface Line {
  lineType: string;
  description: string;
  quantity: number;
  unitAmount: number;
  amount: number;
}

/** Renders the invoice as a one-or-more page A4 PDF. */
export async function renderInvoicePdf(
  invoice: InvoiceRowFull,
  customer: CustomerRow | undefined,
  createdMs: number,
): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.setTitle(`Invoice ${invoice.invoice_number}`);
  doc.setAuthor("Commet (sandbox)");
  doc.setCreationDate(new Date(createdMs));
  doc.setModificationDate(new Date(createdMs));
  const regular = await doc.embedFont(StandardFonts.Helvetica);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  // Standard fonts cover WinAnsi only: anything else (a customer's name in another script) prints as "?".
  const safe = (font: PDFFont, text: string) =>
    [...text]
      .map((ch) => {
        try {
          font.encodeText(ch);
          return ch;
        } catch {
          return "?";
        }
      })
      .join("");

  const [W, H] = [595.28, 841.89];
  const margin = 50;
  let page = doc.addPage([W, H]);
  let y = H - margin;
  const text = (s: string, x: number, opts: { font?: PDFFont; size?: number; right?: boolean } = {}) => {
    const font = opts.font ?? regular;
    const size = opts.size ?? 10;
    const str = safe(font, s);
    const at = opts.right ? x - font.widthOfTextAtSize(str, size) : x;
    page.drawText(str, { x: at, y, size, font, color: rgb(0.1, 0.1, 0.1) });
  };
  const newline = (dy = 14) => {
    y -= dy;
    if (y < margin + 40) {
      page = doc.addPage([W, H]);
      y = H - margin;
    }
  };

  const cur = invoice.currency;
  text("INVOICE", margin, { font: bold, size: 20 });
  text("Commet sandbox", W - margin, { font: bold, size: 12, right: true });
  newline(26);
  text(`Number: ${invoice.invoice_number}`, margin);
  text(`Status: ${invoice.status}`, W - margin, { right: true });
  newline();
  text(`Issued: ${day(invoice.issue_date)}`, margin);
  text(`Due: ${day(invoice.due_date)}`, W - margin, { right: true });
  newline();
  text(`Period: ${day(invoice.period_start)} to ${day(invoice.period_end)}`, margin);
  if (invoice.plan_name) text(`Plan: ${invoice.plan_name}`, W - margin, { right: true });
  newline(24);
  text("Bill to", margin, { font: bold });
  newline();
  text(customer?.full_name ?? customer?.email ?? invoice.customer_id, margin);
  newline();
  if (customer) {
    text(customer.email, margin);
    newline();
    if (customer.external_id) {
      text(`Customer ${customer.external_id}`, margin);
      newline();
    }
  }
  newline(14);

  const cols = { qty: 330, unit: 430, amount: W - margin };
  text("Description", margin, { font: bold });
  text("Qty", cols.qty, { font: bold, right: true });
  text("Unit price", cols.unit, { font: bold, right: true });
  text("Amount", cols.amount, { font: bold, right: true });
  newline(6);
  page.drawLine({ start: { x: margin, y }, end: { x: W - margin, y }, thickness: 0.5 });
  newline(14);
  const lines = JSON.parse(invoice.line_items) as Line[];
  for (const l of lines) {
    const desc = l.description.length > 52 ? `${l.description.slice(0, 51)}…` : l.description;
    text(desc, margin);
    text(String(l.quantity), cols.qty, { right: true });
    text(unitMoney(l.unitAmount, cur), cols.unit, { right: true });
    text(money(l.amount, cur), cols.amount, { right: true });
    newline();
  }
  newline(4);
  page.drawLine({ start: { x: 330, y: y + 10 }, end: { x: W - margin, y: y + 10 }, thickness: 0.5 });
  const credit = -lines.filter((l) => l.lineType === "credit").reduce((a, l) => a + l.amount, 0);
  const totals: Array<[string, number, boolean]> = [
    ["Subtotal", invoice.subtotal, false],
    ["Discounts", -invoice.discount_amount, false],
    ["Credits applied", -credit, false],
    ["Tax", invoice.tax_amount, false],
    ["Total", invoice.total, true],
  ];
  for (const [label, value, strong] of totals) {
    if (!strong && value === 0 && label !== "Subtotal") continue;
    text(label, cols.unit, { right: true, font: strong ? bold : regular });
    text(money(value, cur), cols.amount, { right: true, font: strong ? bold : regular });
    newline();
  }
  if (invoice.memo) {
    newline(10);
    text("Memo", margin, { font: bold });
    newline();
    // Wrap the memo at ~90 characters per line.
    for (const chunk of invoice.memo.match(/.{1,90}(\s|$)/g) ?? [invoice.memo]) {
      text(chunk.trim(), margin);
      newline();
    }
  }
  return doc.save();
}

function plain(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": String(Buffer.byteLength(message)),
    "cache-control": "no-store",
  });
  res.end(message);
}

/** GET /invoices/<id>/pdf?expires&signature: the PDF, or 403 (bad signature), 410 (expired), 404 (no invoice). */
export async function serveInvoicePdf(
  sb: Sandbox,
  res: ServerResponse,
  invoiceId: string,
  search: URLSearchParams,
): Promise<void> {
  const check = checkDownloadLink(sb, invoiceId, search);
  if (!check.ok) return plain(res, check.status, check.message);
  const invoice = sb.q("SELECT * FROM invoices WHERE id = ?").get(invoiceId) as InvoiceRowFull | undefined;
  if (!invoice) return plain(res, 404, "This invoice does not exist.");
  const customer = sb.q("SELECT * FROM customers WHERE id = ?").get(invoice.customer_id) as CustomerRow | undefined;
  const pdf = await renderInvoicePdf(invoice, customer, Date.parse(invoice.created_at));
  res.writeHead(200, {
    "content-type": "application/pdf",
    "content-length": String(pdf.byteLength),
    "content-disposition": `inline; filename="${invoice.invoice_number.replace(/[^A-Za-z0-9._-]/g, "_")}.pdf"`,
    "cache-control": "private, no-store",
  });
  res.end(Buffer.from(pdf));
}
