/**
 * Billing-period views for many customers (/usage/periods and its CSV): each billable customer's current or last
 * closed period counted from its own anchor, usage per feature from the timeline, the estimated usage charges from
 * the plan's pricing (the estimator), and for a closed period what Commet invoiced (read for the rows shown).
 */
import type { Readable } from "node:stream";
import type { Commet, Invoice } from "@commet/node";
import {
  type PeriodFeatureUsage,
  type PeriodInvoice,
  type PeriodMode,
  type PeriodRow,
  type PeriodSearch,
  type PeriodView,
} from "../../app/contracts/billing-periods.ts";
import { minorDigits } from "../../app/contracts/money.ts";
import type { PlanView } from "../../app/contracts/plans.ts";
import { createAuditLog } from "../audit/index.ts";
import { getCommet } from "../commet/client.ts";
import { listPlans } from "../commet/index.ts";
import { csvStream, type CsvColumn } from "../csv/index.ts";
import { getReadyDb } from "../db/index.ts";
import {
  BILLED_STATUSES,
  listBillableCustomers,
  usageInWindows,
  type BillableCustomer,
  type TimelineDatabase,
} from "../usage/timeline/index.ts";
import { addIntervals, type BillingInterval } from "./estimate.ts";
import { estimateUsageByPeriod } from "./periods.ts";

const DAY_MS = 86_400_000;
const INTERVALS: readonly string[] = ["weekly", "monthly", "quarterly", "yearly"];
/** Plan prices carry no currency in Commet's API; the index keeps no balance currency: the base currency. */
const CURRENCY = "USD";
/** Invoices read at once, and the most rows of one CSV whose invoices are read. */
const CONCURRENCY = 8;
export const CSV_INVOICE_ROWS = 2_000;

export interface PeriodSources {
  database?: TimelineDatabase;
  plans?: () => Promise<PlanView[]>;
  commet?: Pick<Commet, "invoices">;
  now?: number;
}

/** The interval a plan bills on: its default price's (the index keeps no per-subscription interval). */
export function intervalOf(plan: PlanView): BillingInterval | null {
  const price = plan.prices.find((p) => p.isDefault) ?? plan.prices[0];
  return price && INTERVALS.includes(price.interval) ? (price.interval as BillingInterval) : null;
}

/** The index n of the period (counted from the anchor) that contains `at`: start(n) ≤ at < start(n + 1). */
export function periodIndexAt(anchorMs: number, interval: BillingInterval, at: number): number {
  if (at < anchorMs) return -1;
  const anchor = new Date(anchorMs).toISOString();
  let n: number;
  if (interval === "weekly") n = Math.floor((at - anchorMs) / (7 * DAY_MS));
  else {
    const a = new Date(anchorMs);
    const b = new Date(at);
    const months = (b.getUTCFullYear() - a.getUTCFullYear()) * 12 + b.getUTCMonth() - a.getUTCMonth();
    n = Math.floor(months / (interval === "monthly" ? 1 : interval === "quarterly" ? 3 : 12));
  }
  while (n > 0 && Date.parse(addIntervals(anchor, interval, n)) > at) n--;
  while (Date.parse(addIntervals(anchor, interval, n + 1)) <= at) n++;
  return n;
}

const dayOf = (ms: number) => Math.floor(ms / DAY_MS);

interface Priced {
  customer: BillableCustomer;
  plan: PlanView;
  interval: BillingInterval;
  start: number;
  end: number;
}

/**
 * Prices one customer's period usage with the estimator (the period's usage as one day, so the amount is exactly
 * the period's: overage beyond the included amount × the unit price, rounded once). For the current period, the
 * projection to its end at the rate so far (elapsed at least one day), as the projected next invoice does.
 */
export function pricePeriod(
  p: Priced,
  used: ReadonlyMap<string, number>,
  mode: PeriodMode,
  now: number,
): Pick<PeriodRow, "features" | "usage" | "amount" | "projectedAmount" | "note"> {
  const trial = p.customer.status === "trialing";
  const credits = p.plan.consumptionModel === "credits";
  const period = { start: new Date(p.start).toISOString(), end: new Date(p.end).toISOString(), planId: p.plan.id };
  const plans = new Map([[p.plan.id, p.plan]]);
  const price = (usage: ReadonlyMap<string, number>) =>
    estimateUsageByPeriod(
      [...usage].map(([featureCode, total]) => ({ day: dayOf(p.start), featureCode, total })),
      [period],
      plans,
      CURRENCY,
    );
  const lengthMs = p.end - p.start;
  const scale = lengthMs / Math.min(Math.max(now - p.start, DAY_MS), lengthMs);
  const projectedUse = new Map([...used].map(([code, total]) => [code, Math.round(total * scale)]));
  const soFar = price(used);
  const projected = mode === "current" ? price(projectedUse) : null;
  const features: PeriodFeatureUsage[] = soFar.map((e, i) => ({
    code: e.featureCode,
    used: e.used,
    included: e.included,
    overageUnits: trial ? 0 : e.overageUnits,
    amount: trial ? 0 : e.amount,
    projectedUsed: projected ? projected[i]!.used : null,
    projectedAmount: projected ? (trial ? 0 : projected[i]!.amount) : null,
  }));
  return {
    features,
    usage: features.reduce((s, f) => s + f.used, 0),
    amount: features.reduce((s, f) => s + f.amount, 0),
    projectedAmount: projected ? features.reduce((s, f) => s + (f.projectedAmount ?? 0), 0) : null,
    note: trial
      ? "Trial: overage is blocked at the included amount, none is billed."
      : credits
        ? "Credits plan: usage draws on credits, no overage is billed."
        : null,
  };
}

/** Every billable customer's period of `mode`, priced; customers without one (plan unknown, first period) are skipped. */
export async function periodRows(
  database: TimelineDatabase,
  plans: readonly PlanView[],
  search: Pick<PeriodSearch, "mode" | "plan" | "status">,
  now: number,
): Promise<{ rows: PeriodRow[]; skipped: number }> {
  const byId = new Map(plans.map((p) => [p.id, p]));
  const customers = await listBillableCustomers(database, { plans: search.plan, statuses: search.status });
  const priced: Priced[] = [];
  for (const customer of customers) {
    const plan = byId.get(customer.planId);
    const interval = plan ? intervalOf(plan) : null;
    if (!plan || !interval) continue;
    const n = periodIndexAt(customer.startDate, interval, now) - (search.mode === "closed" ? 1 : 0);
    if (n < 0) continue;
    const anchor = new Date(customer.startDate).toISOString();
    priced.push({
      customer,
      plan,
      interval,
      start: Date.parse(addIntervals(anchor, interval, n)),
      end: Date.parse(addIntervals(anchor, interval, n + 1)),
    });
  }
  // A UTC day belongs to the period whose start falls on or before it (the estimator's rule).
  const usage = await usageInWindows(
    database,
    priced.map((p) => ({
      key: p.customer.customerId,
      // The reference the timeline stores a known customer under (externalId, else the Commet id): a second ref
      // per customer triples the query's cost at 20,000 customers and holds nothing.
      refs: [p.customer.externalId ?? p.customer.customerId],
      fromDay: dayOf(p.start),
      toDay: dayOf(p.end),
    })),
  );
  const rows = priced.map((p): PeriodRow => {
    const c = p.customer;
    return {
      customerId: c.customerId,
      externalId: c.externalId,
      customerName: c.fullName,
      email: c.email,
      subscriptionId: c.subscriptionId,
      status: c.status,
      planId: p.plan.id,
      planName: p.plan.name,
      interval: p.interval,
      periodStart: new Date(p.start).toISOString(),
      periodEnd: new Date(p.end).toISOString(),
      currency: CURRENCY,
      ...pricePeriod(p, usage.get(c.customerId) ?? new Map(), search.mode, now),
    };
  });
  return { rows, skipped: customers.length - priced.length };
}

const label = (r: PeriodRow) => (r.customerName ?? r.email).toLowerCase();

export function sortPeriodRows(rows: PeriodRow[], search: Pick<PeriodSearch, "sort" | "dir" | "mode">): PeriodRow[] {
  const sign = search.dir === "asc" ? 1 : -1;
  const amount = (r: PeriodRow) => (search.mode === "current" ? (r.projectedAmount ?? r.amount) : r.amount);
  const key: Record<PeriodSearch["sort"], (a: PeriodRow, b: PeriodRow) => number> = {
    amount: (a, b) => amount(a) - amount(b) || a.amount - b.amount,
    usage: (a, b) => a.usage - b.usage,
    customer: (a, b) => label(a).localeCompare(label(b)),
    plan: (a, b) => a.planName.localeCompare(b.planName),
    periodEnd: (a, b) => a.periodEnd.localeCompare(b.periodEnd),
  };
  return [...rows].sort((a, b) => sign * key[search.sort](a, b) || a.customerId.localeCompare(b.customerId));
}

/** The invoice Commet issued when the row's period closed (a true-up, issued at or after the period end). */
async function closingInvoice(
  commet: Pick<Commet, "invoices">,
  row: PeriodRow,
  plan: PlanView,
): Promise<PeriodInvoice | null> {
  const listed = await commet.invoices.list({ subscriptionId: row.subscriptionId, limit: 25 });
  const endDay = row.periodEnd.slice(0, 10);
  const found = (listed.data ?? []).find(
    (i: Invoice) =>
      i.status !== "void" && i.periodEnd.slice(0, 10) === endDay && Date.parse(i.issueDate) >= Date.parse(i.periodEnd),
  );
  if (!found) return null;
  const full = (await commet.invoices.get({ id: found.id })).data ?? found;
  const overage = (full.lineItems ?? []).filter((l) => l.lineType === "feature_overage");
  const overageByFeature: Record<string, number> = {};
  for (const l of overage) {
    // Lines name the feature; the plan in force maps the name to its code.
    const code = plan.features.find((f) => f.name === l.featureName)?.code ?? l.featureName ?? "";
    overageByFeature[code] = (overageByFeature[code] ?? 0) + l.amount;
  }
  return {
    id: full.id,
    number: full.invoiceNumber,
    overageAmount: overage.reduce((s, l) => s + l.amount, 0),
    overageByFeature,
    total: full.total,
    currency: full.currency.toUpperCase(),
  };
}

async function withInvoices(
  commet: Pick<Commet, "invoices">,
  rows: PeriodRow[],
  plans: readonly PlanView[],
): Promise<{ rows: PeriodRow[]; error: string | null }> {
  const byId = new Map(plans.map((p) => [p.id, p]));
  const planOf = (r: PeriodRow) => byId.get(r.planId)!;
  const out = [...rows];
  let error: string | null = null;
  let next = 0;
  const worker = async () => {
    while (next < out.length) {
      const i = next++;
      try {
        out[i] = { ...out[i]!, invoice: await closingInvoice(commet, out[i]!, planOf(out[i]!)) };
      } catch (e) {
        error = `Commet's invoices could not be read (${e instanceof Error ? e.message : String(e)}): invoiced amounts are missing.`;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, out.length) }, worker));
  return { rows: out, error };
}

const ASSUMPTIONS = [
  "Estimate: usage beyond each plan's included amount at its overage unit price, per customer's own billing period.",
  "Periods are counted from the subscription's start date at its plan's default billing interval; an immediate plan change that restarted a cycle is not followed.",
  "Usage is the console's timeline in whole UTC days (a day belongs to the period that started on or before it).",
  "Current period: projected to its end at the rate so far (at least one day elapsed). Base price, seats, tax and credits are not included.",
  "Amounts in USD, Commet's base currency.",
];

export async function loadBillingPeriodView(search: PeriodSearch, sources: PeriodSources = {}): Promise<PeriodView> {
  const database = sources.database ?? (await getReadyDb());
  const now = sources.now ?? Date.now();
  let plans: PlanView[] = [];
  let catalogError: string | null = null;
  try {
    plans = await (sources.plans ?? listPlans)();
  } catch {
    catalogError = "Commet's plan catalog could not be read: periods and prices are unknown. Try again in a moment.";
  }
  const { rows, skipped } = catalogError ? { rows: [], skipped: 0 } : await periodRows(database, plans, search, now);
  const sorted = sortPeriodRows(rows, search);
  const pages = Math.max(1, Math.ceil(sorted.length / search.pageSize));
  const page = Math.min(search.page, pages);
  let pageRows = sorted.slice((page - 1) * search.pageSize, page * search.pageSize);
  let invoiceError: string | null = null;
  if (search.mode === "closed" && pageRows.length) {
    ({ rows: pageRows, error: invoiceError } = await withInvoices(sources.commet ?? getCommet(), pageRows, plans));
  }
  const usageByFeature: Record<string, number> = {};
  for (const r of rows) for (const f of r.features) usageByFeature[f.code] = (usageByFeature[f.code] ?? 0) + f.used;
  const features = new Map<string, { code: string; name: string; unit: string | null }>();
  for (const p of plans)
    for (const f of p.features)
      if (f.type === "usage" && !features.has(f.code))
        features.set(f.code, { code: f.code, name: f.name, unit: f.unitName });
  return {
    search: { ...search, page },
    generatedAt: new Date(now).toISOString(),
    currency: CURRENCY,
    rows: pageRows,
    page,
    pages,
    pageSize: search.pageSize,
    totals: {
      customers: rows.length,
      usageByFeature,
      amount: rows.reduce((s, r) => s + r.amount, 0),
      projectedAmount: search.mode === "current" ? rows.reduce((s, r) => s + (r.projectedAmount ?? 0), 0) : null,
      pageInvoicedOverage:
        search.mode === "closed" && !invoiceError
          ? pageRows.reduce((s, r) => s + (r.invoice?.overageAmount ?? 0), 0)
          : null,
      pageAmount: pageRows.reduce((s, r) => s + r.amount, 0),
    },
    features: [...features.values()].filter((f) => usageByFeature[f.code] !== undefined || rows.length === 0),
    plans: plans.map((p) => ({ id: p.id, name: p.name })),
    statuses: [...BILLED_STATUSES],
    catalogError,
    invoiceError,
    skipped,
    assumptions: ASSUMPTIONS,
  };
}

type PeriodCsvKey =
  | "customer_id"
  | "customer_external_id"
  | "customer_name"
  | "customer_email"
  | "subscription_id"
  | "status"
  | "plan_id"
  | "plan_name"
  | "period_start"
  | "period_end"
  | "feature_code"
  | "feature_name"
  | "unit"
  | "used"
  | "included"
  | "overage_units"
  | "currency"
  | "estimated_amount"
  | "projected_used"
  | "projected_amount"
  | "invoice_number"
  | "invoiced_overage_amount"
  | "invoice_total";

export const PERIOD_CSV_COLUMNS: readonly CsvColumn<PeriodCsvKey>[] = (
  [
    "customer_id",
    "customer_external_id",
    "customer_name",
    "customer_email",
    "subscription_id",
    "status",
    "plan_id",
    "plan_name",
    "period_start",
    "period_end",
    "feature_code",
    "feature_name",
    "unit",
    "used",
    "included",
    "overage_units",
    "currency",
    "estimated_amount",
    "projected_used",
    "projected_amount",
    "invoice_number",
    "invoiced_overage_amount",
    "invoice_total",
  ] as const
).map((key) => ({ key, header: key }));

const decimal = (minor: number | null | undefined, currency: string) =>
  minor === null || minor === undefined ? null : (minor / 10 ** minorDigits(currency)).toFixed(minorDigits(currency));

export interface Exporter {
  id: string;
  email: string;
  role: string;
}

/**
 * One CSV row per customer and usage feature of its plan (every page, in the page's order), ids and names; the
 * invoice columns repeat on each of a customer's rows (closed mode, the first CSV_INVOICE_ROWS customers). Audited as
 * "usage.periods.export" before the first byte.
 */
export async function exportBillingPeriodCsv(
  staff: Exporter,
  search: PeriodSearch,
  sources: PeriodSources = {},
): Promise<{ csv: Readable; filename: string }> {
  const database = sources.database ?? (await getReadyDb());
  const now = sources.now ?? Date.now();
  const plans = await (sources.plans ?? listPlans)();
  const { rows } = await periodRows(database, plans, search, now);
  let sorted = sortPeriodRows(rows, search);
  if (search.mode === "closed") {
    const head = await withInvoices(sources.commet ?? getCommet(), sorted.slice(0, CSV_INVOICE_ROWS), plans);
    sorted = [...head.rows, ...sorted.slice(CSV_INVOICE_ROWS)];
  }
  await createAuditLog(database.db).record(
    {
      actor: { id: staff.id, email: staff.email },
      role: staff.role,
      action: "usage.periods.export",
      customerId: null,
      params: { filters: { mode: search.mode, plan: search.plan, status: search.status }, customers: rows.length },
      idempotencyKey: crypto.randomUUID(),
    },
    { status: "succeeded" },
  );
  const names = new Map(plans.flatMap((p) => p.features.map((f) => [f.code, f] as const)));
  const out = sorted.flatMap((r) =>
    r.features.map((f) => ({
      customer_id: r.customerId,
      customer_external_id: r.externalId,
      customer_name: r.customerName,
      customer_email: r.email,
      subscription_id: r.subscriptionId,
      status: r.status,
      plan_id: r.planId,
      plan_name: r.planName,
      period_start: r.periodStart,
      period_end: r.periodEnd,
      feature_code: f.code,
      feature_name: names.get(f.code)?.name ?? null,
      unit: names.get(f.code)?.unitName ?? null,
      used: f.used,
      included: f.included,
      overage_units: f.overageUnits,
      currency: r.currency,
      estimated_amount: decimal(f.amount, r.currency),
      projected_used: f.projectedUsed,
      projected_amount: decimal(f.projectedAmount, r.currency),
      invoice_number: r.invoice?.number ?? null,
      invoiced_overage_amount: r.invoice ? decimal(r.invoice.overageByFeature[f.code] ?? 0, r.invoice.currency) : null,
      invoice_total: r.invoice ? decimal(r.invoice.total, r.invoice.currency) : null,
    })),
  );
  return {
    csv: csvStream(out, PERIOD_CSV_COLUMNS),
    filename: `billing_periods_${search.mode}_${new Date(now).toISOString().slice(0, 10)}_UTC.csv`,
  };
}
