/**
 * The org-wide /invoices queue and its CSV: invoices read live from Commet (paged by cursor up to a scan cap),
 * filtered by display status (overdue included), period and customer, named from the directory index, sorted
 * and totalled here — Commet's list filters by customer and status only.
 */
import { randomUUID } from "node:crypto";
import type { Readable } from "node:stream";
import type { Commet, Invoice } from "@commet/node";
import {
  displayStatus,
  type InvoiceQueuePage,
  type InvoiceQueueRow,
  type InvoiceQueueState,
  type InvoiceQueueStatus,
  type InvoiceQueueTotals,
  type InvoiceSort,
} from "../../app/contracts/invoices.ts";
import { minorDigits } from "../../app/contracts/money.ts";
import type { Role } from "../../app/contracts/permissions.ts";
import { recordAudit } from "../audit/index.ts";
import { getCommet } from "../commet/client.ts";
import { csvStream, type CsvColumn } from "../csv/index.ts";
import { getReadyDb, type Database } from "../db/index.ts";
import { customerLabels } from "../directory/index.ts";

/** Most invoices one request reads from Commet (100 per page). */
export const MAX_SCAN = 5_000;
const PAGE = 100;
const DAY = 86_400_000;

export interface QueueSources {
  commet?: Pick<Commet, "invoices">;
  database?: Database;
  now?: number;
  maxScan?: number;
  /** server/audit's recordAudit (default); tests bind another database. */
  recordAudit?: typeof recordAudit;
}

async function scan(
  commet: Pick<Commet, "invoices">,
  customer: string | undefined,
  maxScan: number,
): Promise<{ invoices: Invoice[]; truncated: boolean }> {
  const invoices: Invoice[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await commet.invoices.list({
      limit: PAGE,
      ...(cursor ? { cursor } : {}),
      ...(customer ? { customerId: customer } : {}),
    });
    invoices.push(...(page.data ?? []));
    cursor = page.hasMore ? page.nextCursor : undefined;
    if (!cursor) return { invoices, truncated: false };
    if (invoices.length >= maxScan) return { invoices, truncated: true };
  }
}

function inPeriod(invoice: Invoice, state: InvoiceQueueState): boolean {
  if (state.from && Date.parse(invoice.periodEnd) <= Date.parse(`${state.from}T00:00:00Z`)) return false;
  if (state.to && Date.parse(invoice.periodStart) >= Date.parse(`${state.to}T00:00:00Z`) + DAY) return false;
  return true;
}

const sortKeys: Record<InvoiceSort, (r: InvoiceQueueRow) => string | number> = {
  issued: (r) => Date.parse(r.issueDate),
  due: (r) => Date.parse(r.dueDate),
  total: (r) => r.total,
  number: (r) => r.invoiceNumber,
  customer: (r) => (r.customerName ?? r.customerEmail ?? r.customerId).toLowerCase(),
};

function sortRows(rows: InvoiceQueueRow[], sort: string): InvoiceQueueRow[] {
  const desc = sort.startsWith("-");
  const key = sortKeys[(desc ? sort.slice(1) : sort) as InvoiceSort] ?? sortKeys.issued;
  return rows.sort((a, b) => {
    const x = key(a);
    const y = key(b);
    const c = x < y ? -1 : x > y ? 1 : a.invoiceNumber.localeCompare(b.invoiceNumber);
    return desc ? -c : c;
  });
}

/** Every invoice matching the filters, sorted, with totals (before paging). */
async function matching(state: InvoiceQueueState, sources: QueueSources) {
  const now = sources.now ?? Date.now();
  const commet = sources.commet ?? getCommet();
  const { invoices, truncated } = await scan(commet, state.customer, sources.maxScan ?? MAX_SCAN);
  const inRange = invoices.filter((i) => inPeriod(i, state));
  const database = sources.database ?? (await getReadyDb());
  const labels = await customerLabels(database, [...new Set(inRange.map((i) => i.customerId))]);
  const byStatus: InvoiceQueueTotals["byStatus"] = {};
  const rows: InvoiceQueueRow[] = [];
  for (const i of inRange) {
    const shown = displayStatus(i, now) as InvoiceQueueStatus;
    byStatus[shown] = (byStatus[shown] ?? 0) + 1;
    if (state.status && shown !== state.status) continue;
    const label = labels[i.customerId];
    rows.push({
      id: i.id,
      invoiceNumber: i.invoiceNumber,
      status: i.status,
      displayStatus: shown,
      customerId: i.customerId,
      customerExternalId: label?.externalId ?? null,
      customerName: label?.fullName ?? null,
      customerEmail: label?.email ?? null,
      currency: i.currency,
      total: i.total,
      periodStart: i.periodStart,
      periodEnd: i.periodEnd,
      issueDate: i.issueDate,
      dueDate: i.dueDate,
      planName: i.planName ?? null,
    });
  }
  const currencies = new Map<string, { currency: string; total: number; outstanding: number }>();
  for (const r of rows) {
    const code = r.currency.toUpperCase();
    const sum = currencies.get(code) ?? { currency: code, total: 0, outstanding: 0 };
    sum.total += r.total;
    if (r.status === "outstanding") sum.outstanding += r.total;
    currencies.set(code, sum);
  }
  const totals: InvoiceQueueTotals = { count: rows.length, byCurrency: [...currencies.values()], byStatus };
  return { rows: sortRows(rows, state.sort), totals, truncated, scanned: invoices.length, now };
}

export async function invoiceQueue(state: InvoiceQueueState, sources: QueueSources = {}): Promise<InvoiceQueuePage> {
  const { rows, totals, truncated, scanned, now } = await matching(state, sources);
  const lastPage = Math.max(1, Math.ceil(rows.length / state.pageSize));
  const page = Math.min(state.page, lastPage);
  const start = (page - 1) * state.pageSize;
  return {
    state: { ...state, page },
    rows: rows.slice(start, start + state.pageSize),
    totals,
    truncated,
    scanned,
    now,
  };
}

type CsvKey =
  | "invoice_number"
  | "invoice_id"
  | "status"
  | "customer_id"
  | "customer_external_id"
  | "customer_name"
  | "customer_email"
  | "plan"
  | "period_start"
  | "period_end"
  | "issue_date"
  | "due_date"
  | "currency"
  | "total";

export const INVOICE_CSV_COLUMNS: readonly CsvColumn<CsvKey>[] = [
  { key: "invoice_number", header: "invoice_number" },
  { key: "invoice_id", header: "invoice_id" },
  { key: "status", header: "status" },
  { key: "customer_id", header: "customer_id" },
  { key: "customer_external_id", header: "customer_external_id" },
  { key: "customer_name", header: "customer_name" },
  { key: "customer_email", header: "customer_email" },
  { key: "plan", header: "plan" },
  { key: "period_start", header: "period_start" },
  { key: "period_end", header: "period_end" },
  { key: "issue_date", header: "issue_date" },
  { key: "due_date", header: "due_date" },
  { key: "currency", header: "currency" },
  { key: "total", header: "total" },
];

export interface Exporter {
  id: string;
  email: string;
  role: Role;
}

/** The queue's rows for the same filters as CSV (all pages); the export is audited before a row is read. */
export async function exportInvoicesCsv(
  staff: Exporter,
  state: InvoiceQueueState,
  sources: QueueSources = {},
): Promise<{ csv: Readable; filename: string }> {
  const { page: _page, pageSize: _size, ...filters } = state;
  // Read first: a Commet failure exports nothing and records nothing. The audit row precedes the first CSV byte.
  const { rows, now } = await matching(state, sources);
  await (sources.recordAudit ?? recordAudit)(
    {
      actor: { id: staff.id, email: staff.email },
      role: staff.role,
      action: "invoices.export",
      customerId: state.customer ?? null,
      params: { filters },
      idempotencyKey: `invoices-export-${randomUUID()}`,
    },
    { status: "succeeded" },
  );
  const csv = csvStream(
    rows.map((r) => ({
      invoice_number: r.invoiceNumber,
      invoice_id: r.id,
      status: r.displayStatus,
      customer_id: r.customerId,
      customer_external_id: r.customerExternalId,
      customer_name: r.customerName,
      customer_email: r.customerEmail,
      plan: r.planName,
      period_start: r.periodStart,
      period_end: r.periodEnd,
      issue_date: r.issueDate,
      due_date: r.dueDate,
      currency: r.currency.toUpperCase(),
      // Major units as a number (12.34), so a spreadsheet sums it.
      total: r.total / 10 ** minorDigits(r.currency.toUpperCase()),
    })),
    INVOICE_CSV_COLUMNS,
  );
  return { csv, filename: `invoices_${new Date(now).toISOString().slice(0, 10)}.csv` };
}
