// The sandbox's invoice document routes: a signed download link for the PDF, and sending the invoice by email.

import { z } from "zod";
import { type RouteDef, parse } from "../api.ts";
import { errors } from "../errors.ts";
import { newId } from "../ids.ts";
import { type Sandbox, webhookCustomerId } from "../model.ts";
import { signedDownloadUrl } from "../invoice-pdf.ts";
import { line, nextInvoiceNumber } from "../ledger.ts";
import { type InvoiceRowFull, invoiceOut } from "../serialize.ts";

const DUE_MS = 7 * 86_400_000;

function invoice(sb: Sandbox, id: string): InvoiceRowFull {
  const row = sb.q("SELECT * FROM invoices WHERE id = ?").get(id) as InvoiceRowFull | undefined;
  if (!row) throw errors.invoiceNotFound(id);
  return row;
}

const statusSchema = z.object({ status: z.enum(["paid", "void"]) });
const adjustmentSchema = z.object({
  customerId: z.string().min(1),
  amount: z
    .number()
    .int()
    .refine((n) => n !== 0, "Must not be 0"),
  description: z.string().trim().min(1).max(500),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

/** The invoice.* webhook payload (webhooks/invoice-created.md; voided and overdue carry the same shape). */
export function invoiceEventData(sb: Sandbox, row: InvoiceRowFull): Record<string, unknown> {
  return {
    invoiceId: row.id,
    invoiceNumber: row.invoice_number,
    invoiceStatus: row.status,
    periodStart: row.period_start,
    periodEnd: row.period_end,
    issueDate: row.issue_date,
    dueDate: row.due_date,
    currency: row.currency,
    subtotal: row.subtotal,
    total: row.total,
    customerId: webhookCustomerId(sb.customer(row.customer_id)),
    subscriptionId: row.subscription_id,
  };
}

export const invoiceRoutes: RouteDef[] = [
  [
    "POST",
    "/api/v1/invoices",
    ({ sb, body }) => {
      // A one-off adjustment (cents): a charge is outstanding until paid; a negative amount is a credit, settled at once.
      const input = parse(adjustmentSchema, body);
      const customer = sb.customer(input.customerId);
      const now = sb.clock.iso();
      const due = new Date(sb.clock.nowMs() + DUE_MS).toISOString();
      const credit = input.amount < 0;
      const lines = [
        line(
          credit ? "credit" : "one_time",
          null,
          input.description,
          1,
          input.amount,
          input.amount,
          null,
          null,
          null,
          "standard",
        ),
      ];
      const id = newId("inv");
      const number = nextInvoiceNumber(sb, now);
      const status = credit ? "paid" : "outstanding";
      const subtotal = credit ? 0 : input.amount;
      sb.q(
        `INSERT INTO invoices (id, customer_id, subscription_id, invoice_number, status, invoice_type, currency, subtotal,
           discount_amount, tax_amount, total, period_start, period_end, issue_date, due_date, plan_name, memo, line_items,
           created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, 'adjustment', 'USD', ?, 0, 0, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?)`,
      ).run(
        id,
        customer.id,
        sb.liveSubscription(customer.id)?.id ?? null,
        number,
        status,
        subtotal,
        input.amount,
        now,
        now,
        now,
        due,
        JSON.stringify(lines),
        now,
        now,
      );
      const row = invoice(sb, id);
      sb.emit("invoice.created", invoiceEventData(sb, row));
      // CreatedInvoice: the Invoice fields without period, plan, subscription, discounts and lines.
      const out = invoiceOut(row, false);
      const keys = [
        "id",
        "customerId",
        "invoiceNumber",
        "status",
        "invoiceType",
        "currency",
        "subtotal",
        "taxAmount",
        "total",
        "issueDate",
        "dueDate",
        "memo",
        "metadata",
        "createdAt",
        "updatedAt",
        "object",
        "livemode",
      ];
      return { status: 201, data: Object.fromEntries(keys.map((k) => [k, out[k]])) };
    },
  ],
  [
    "GET",
    "/api/v1/invoices/:id/download",
    ({ sb, params }) => {
      const row = invoice(sb, params.id!);
      const { url, expiresAt } = signedDownloadUrl(sb, row.id);
      return { data: { url, expiresAt, object: "invoice", livemode: false } };
    },
  ],
  [
    "POST",
    "/api/v1/invoices/:id/send",
    ({ sb, params }) => {
      const row = invoice(sb, params.id!);
      // A draft is not issued yet and a void invoice will never be collected: neither goes to the customer.
      if (row.status === "void" || row.status === "draft") throw errors.invoiceNotSendable(row.id, row.status);
      const customer = sb.customer(row.customer_id);
      const sentAt = sb.clock.iso();
      sb.q("INSERT INTO invoice_sends (id, invoice_id, customer_id, email, sent_at) VALUES (?, ?, ?, ?, ?)").run(
        newId("isnd"),
        row.id,
        customer.id,
        customer.email,
        sentAt,
      );
      return { data: { sent: true, sentAt, object: "invoice", livemode: false } };
    },
  ],

  [
    "PUT",
    "/api/v1/invoices/:id/status",
    ({ sb, params, body }) => {
      const input = parse(statusSchema, body);
      const row = invoice(sb, params.id!);
      // Only outstanding invoices change status (api-reference/invoices.md: paid and void are final).
      if (row.status !== "outstanding") throw errors.invoiceStatusFinal(row.id, row.status);
      const now = sb.clock.iso();
      sb.q("UPDATE invoices SET status = ?, updated_at = ? WHERE id = ?").run(input.status, now, row.id);
      if (input.status === "void") sb.emit("invoice.voided", invoiceEventData(sb, { ...row, status: "void" }));
      return { data: { id: row.id, status: input.status, updatedAt: now, object: "invoice", livemode: false } };
    },
  ],
];
