// The sandbox's invoice document routes: a signed download link for the PDF, and sending the invoice by email.

import { z } from "zod";
import { type RouteDef, parse } from "../api.ts";
import { errors } from "../errors.ts";
import { newId } from "../ids.ts";
import { type Sandbox, webhookCustomerId } from "../model.ts";
import { signedDownloadUrl } from "../invoice-pdf.ts";
import type { InvoiceRowFull } from "../serialize.ts";

function invoice(sb: Sandbox, id: string): InvoiceRowFull {
  const row = sb.q("SELECT * FROM invoices WHERE id = ?").get(id) as InvoiceRowFull | undefined;
  if (!row) throw errors.invoiceNotFound(id);
  return row;
}

const statusSchema = z.object({ status: z.enum(["paid", "void"]) });

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
