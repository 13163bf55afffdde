/** One invoice of one customer, read live from Commet with every line field (null when it is another customer's). */
import type { Commet, Invoice } from "@commet/node";
import { displayStatus, type InvoiceDetail } from "../../app/contracts/invoices.ts";
import { getCommet } from "../commet/client.ts";

export type InvoicesCommet = Pick<Commet, "invoices" | "customers">;

export function toInvoiceDetail(invoice: Invoice, nowMs: number): InvoiceDetail {
  return {
    id: invoice.id,
    customerId: invoice.customerId,
    invoiceNumber: invoice.invoiceNumber,
    status: invoice.status,
    displayStatus: displayStatus(invoice, nowMs),
    invoiceType: invoice.invoiceType,
    currency: invoice.currency,
    subtotal: invoice.subtotal,
    discountAmount: invoice.discountAmount,
    creditApplied: invoice.creditApplied ?? 0,
    taxAmount: invoice.taxAmount,
    total: invoice.total,
    periodStart: invoice.periodStart,
    periodEnd: invoice.periodEnd,
    issueDate: invoice.issueDate,
    dueDate: invoice.dueDate,
    planName: invoice.planName ?? null,
    memo: invoice.memo,
    poNumber: invoice.poNumber ?? null,
    reference: invoice.reference ?? null,
    lineItems: (invoice.lineItems ?? []).map((l) => ({
      lineType: l.lineType,
      featureName: l.featureName,
      description: l.description,
      quantity: l.quantity,
      unitAmount: l.unitAmount,
      amount: l.amount,
      includedAmount: l.includedAmount,
      usedAmount: l.usedAmount,
      overageAmount: l.overageAmount,
      discountType: l.discountType,
      discountValue: l.discountValue,
      discountName: l.discountName,
      chargeType: l.chargeType,
    })),
  };
}

export interface CustomerInvoice {
  invoice: InvoiceDetail;
  customer: { id: string; email: string; fullName: string | null; externalId: string | null };
}

/** The invoice and its customer, or null when the invoice is not this customer's. Throws SDK errors (404 included). */
export async function getCustomerInvoice(
  customerRef: string,
  invoiceId: string,
  options: { commet?: InvoicesCommet; now?: () => number } = {},
): Promise<CustomerInvoice | null> {
  const commet = options.commet ?? getCommet();
  const [invoice, customer] = await Promise.all([
    commet.invoices.get({ id: invoiceId }),
    commet.customers.get({ id: customerRef }),
  ]);
  if (!invoice.data || !customer.data) return null;
  if (invoice.data.customerId !== customer.data.id) return null;
  const c = customer.data;
  return {
    invoice: toInvoiceDetail(invoice.data, (options.now ?? Date.now)()),
    customer: { id: c.id, email: c.email, fullName: c.fullName ?? null, externalId: c.externalId ?? null },
  };
}
