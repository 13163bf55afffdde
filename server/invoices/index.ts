/**
 * server/invoices — invoices read live from Commet and the writes on them.
 *
 *   getCustomerInvoice(customerRef, invoiceId) → { invoice (every line field), customer } | null
 *   invoiceDownloadUrl({ actor, role, customerRef, invoiceId }) → Commet's signed PDF URL, audited as
 *     "invoices.download" (the URL itself is never stored or logged); null when not this customer's
 *   sendInvoice({ actor, role, form }) → WriteResult: the exactly-once "invoices.send" write (invoices:send)
 *   invoiceQueue(state) → the /invoices page: filters (status incl. overdue, period, customer), totals, paging
 *   exportInvoicesCsv(staff, state) → the same rows as CSV, audited as "invoices.export"
 */
export { getCustomerInvoice, toInvoiceDetail, type CustomerInvoice, type InvoicesCommet } from "./detail.ts";
export { DOWNLOAD_ACTION, invoiceDownloadUrl, type DownloadInput } from "./download.ts";
export { invoiceSendWrite, sendInvoice, type SendInvoiceInput } from "./send.ts";
export { exportInvoicesCsv, INVOICE_CSV_COLUMNS, invoiceQueue, MAX_SCAN, type QueueSources } from "./queue.ts";
