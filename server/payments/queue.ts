/**
 * The org-wide payments queue (/payments) and its CSV: Commet's transactions read per status in bounded
 * pages, joined with the console's customer index (plan, subscription status), failed charges of
 * past-due customers first, then the rest newest first; the amount still at risk summed per currency.
 */
import type { Readable } from "node:stream";
import type { Transaction } from "@commet/node";
import {
  paymentsRangeError,
  TRANSACTION_STATUSES,
  type PaymentQueueRow,
  type PaymentsQueue,
  type PaymentsSearch,
  type TransactionStatus,
} from "../../app/contracts/payments.ts";
import { minorDigits } from "../../app/contracts/money.ts";
import { createAuditLog } from "../audit/index.ts";
import { getCommet } from "../commet/client.ts";
import { csvStream, type CsvColumn } from "../csv/index.ts";
import { getReadyDb, type Database } from "../db/index.ts";
import { indexedCustomersByEmail, listIndexedPlans } from "../directory/index.ts";
import { PAGE_LIMIT, readPages, type PaymentsCommet } from "./read.ts";

/** Pages read per status: the queue covers at most QUEUE_PAGES × 100 transactions of each status. */
export const QUEUE_PAGES = 5;
const TIMEOUT_MS = 5_000;
/** Order of attention: failed first, then disputed, pending, refunded, succeeded. */
const RANK: Record<TransactionStatus, number> = { failed: 0, disputed: 1, pending: 2, refunded: 3, succeeded: 4 };

export interface QueueSources {
  commet?: Pick<PaymentsCommet, "transactions">;
  database?: Pick<Database, "db" | "dialect">;
}

interface QueueRows {
  rows: PaymentQueueRow[];
  coverage: PaymentsQueue["coverage"];
  plans: PaymentsQueue["plans"];
}

const dayStart = (day: string) => Date.parse(`${day}T00:00:00.000Z`);

async function queueRows(search: PaymentsSearch, sources: QueueSources): Promise<QueueRows> {
  const commet = sources.commet ?? getCommet();
  const database = sources.database ?? (await getReadyDb());
  const statuses = search.status ? [search.status] : [...TRANSACTION_STATUSES];
  const lists = await Promise.all(
    statuses.map((status) =>
      readPages<Transaction>(
        (cursor) => commet.transactions.list({ status, limit: PAGE_LIMIT, cursor }, { timeout: TIMEOUT_MS }),
        QUEUE_PAGES,
      ).then((list) => ({ status, ...list })),
    ),
  );
  const all = lists.flatMap((l) => l.items);
  const [customers, plans] = await Promise.all([
    indexedCustomersByEmail(database, all.map((t) => t.customerEmail ?? "").filter(Boolean)),
    listIndexedPlans(database),
  ]);
  const from = search.from ? dayStart(search.from) : -Infinity;
  const to = search.to ? dayStart(search.to) + 86_400_000 : Infinity;
  const rows: PaymentQueueRow[] = [];
  for (const t of all) {
    const at = Date.parse(t.createdAt);
    if (at < from || at >= to) continue;
    const customer = t.customerEmail ? customers.get(t.customerEmail.trim().toLowerCase()) : undefined;
    if (search.plan && customer?.planId !== search.plan) continue;
    const status = t.status as TransactionStatus;
    rows.push({
      id: t.id,
      status,
      amount: t.grossAmount,
      currency: t.currency,
      createdAt: t.createdAt,
      invoiceId: t.invoiceId,
      customerEmail: t.customerEmail,
      customerName: t.customerName,
      customerId: customer?.id ?? null,
      planName: customer?.planName ?? null,
      subscriptionStatus: customer?.subscriptionStatus ?? null,
      atRisk: status === "failed" && customer?.subscriptionStatus === "past_due",
    });
  }
  rows.sort(
    (a, b) =>
      Number(b.atRisk) - Number(a.atRisk) ||
      RANK[a.status] - RANK[b.status] ||
      b.createdAt.localeCompare(a.createdAt) ||
      a.id.localeCompare(b.id),
  );
  return {
    rows,
    plans: plans.map((p) => ({ planId: p.planId, planName: p.planName })),
    coverage: {
      perStatusLimit: QUEUE_PAGES * PAGE_LIMIT,
      statuses: lists.map((l) => ({ status: l.status, read: l.items.length, complete: l.complete })),
    },
  };
}

/** One page of the queue, its counts per status and the amount at risk (of the filtered set). */
export async function loadPaymentsQueue(search: PaymentsSearch, sources: QueueSources = {}): Promise<PaymentsQueue> {
  const rangeError = paymentsRangeError(search);
  if (rangeError) {
    const database = sources.database ?? (await getReadyDb());
    const plans = (await listIndexedPlans(database)).map((p) => ({ planId: p.planId, planName: p.planName }));
    const coverage = { perStatusLimit: QUEUE_PAGES * PAGE_LIMIT, statuses: [] };
    return { state: { ...search, page: 1 }, rangeError, rows: [], total: 0, atRisk: [], counts: {}, plans, coverage };
  }
  const { rows, coverage, plans } = await queueRows(search, sources);
  const counts: Partial<Record<TransactionStatus, number>> = {};
  const risk = new Map<string, { amount: number; count: number }>();
  for (const r of rows) {
    counts[r.status] = (counts[r.status] ?? 0) + 1;
    if (!r.atRisk || r.amount === null) continue;
    const sum = risk.get(r.currency) ?? { amount: 0, count: 0 };
    sum.amount += r.amount;
    sum.count += 1;
    risk.set(r.currency, sum);
  }
  const lastPage = Math.max(1, Math.ceil(rows.length / search.pageSize));
  const page = Math.min(search.page, lastPage);
  return {
    state: { ...search, page },
    rangeError: null,
    rows: rows.slice((page - 1) * search.pageSize, page * search.pageSize),
    total: rows.length,
    atRisk: [...risk].map(([currency, s]) => ({ currency, ...s })),
    counts,
    plans,
    coverage,
  };
}

type CsvKey =
  | "transaction_id"
  | "created_at"
  | "status"
  | "at_risk"
  | "amount"
  | "currency"
  | "customer_email"
  | "customer_name"
  | "customer_id"
  | "plan"
  | "subscription_status"
  | "invoice_id";

const CSV_COLUMNS: CsvColumn<CsvKey>[] = [
  { key: "transaction_id", header: "transaction_id" },
  { key: "created_at", header: "created_at" },
  { key: "status", header: "status" },
  { key: "at_risk", header: "at_risk" },
  { key: "amount", header: "amount" },
  { key: "currency", header: "currency" },
  { key: "customer_email", header: "customer_email" },
  { key: "customer_name", header: "customer_name" },
  { key: "customer_id", header: "customer_id" },
  { key: "plan", header: "plan" },
  { key: "subscription_status", header: "subscription_status" },
  { key: "invoice_id", header: "invoice_id" },
];

/** Amounts in the CSV are decimal currency units (minor units / 10^digits: cents / 100, yen as is). */
function csvAmount(minor: number | null, currency: string): string | null {
  if (minor === null) return null;
  const digits = minorDigits(currency);
  return (minor / 10 ** digits).toFixed(digits);
}

export interface Exporter {
  id: string;
  email: string;
  role: string;
}

/** Every row behind the queue's filters (all pages, same order) as CSV; the export is audited first. */
export async function exportPaymentsCsv(
  staff: Exporter,
  search: PaymentsSearch,
  sources: QueueSources = {},
): Promise<{ error: string } | { error: null; csv: Readable; filename: string }> {
  const rangeError = paymentsRangeError(search);
  if (rangeError) return { error: rangeError };
  const database = sources.database ?? (await getReadyDb());
  const { rows, coverage } = await queueRows(search, { ...sources, database });
  const { page: _page, pageSize: _size, ...filters } = search;
  await createAuditLog(database.db).record(
    {
      actor: { id: staff.id, email: staff.email },
      role: staff.role,
      action: "payments.export",
      customerId: null,
      params: { filters, rows: rows.length, complete: coverage.statuses.every((s) => s.complete) },
      idempotencyKey: crypto.randomUUID(),
    },
    { status: "succeeded" },
  );
  const csv = csvStream(
    rows.map((r) => ({
      transaction_id: r.id,
      created_at: r.createdAt,
      status: r.status,
      at_risk: r.atRisk ? "yes" : "no",
      amount: csvAmount(r.amount, r.currency),
      currency: r.currency.toUpperCase(),
      customer_email: r.customerEmail,
      customer_name: r.customerName,
      customer_id: r.customerId,
      plan: r.planName,
      subscription_status: r.subscriptionStatus,
      invoice_id: r.invoiceId,
    })),
    CSV_COLUMNS,
  );
  const day = new Date().toISOString().slice(0, 10);
  return { error: null, csv, filename: `payments_${search.status ?? "all"}_${day}.csv` };
}
