/**
 * The revenue overview as one audited CSV: a section column tells MRR-by-plan rows, monthly movement rows
 * and monthly collection rows apart; amounts are decimal currency units, ids and names side by side.
 */
import type { Readable } from "node:stream";
import { minorDigits } from "../../app/contracts/money.ts";
import type { RevenueOverview, RevenueSearch } from "../../app/contracts/revenue.ts";
import { createAuditLog } from "../audit/index.ts";
import { csvStream, type CsvCell, type CsvColumn } from "../csv/index.ts";
import { getReadyDb } from "../db/index.ts";
import { loadRevenueOverview, type RevenueSources } from "./overview.ts";

const KEYS = [
  "section",
  "month",
  "plan_id",
  "plan_name",
  "interval",
  "currency",
  "subscriptions",
  "extra_seats",
  "base_mrr",
  "seats_mrr",
  "overage_mrr",
  "mrr",
  "arr",
  "new_mrr",
  "expansion",
  "contraction",
  "churn",
  "net_new_mrr",
  "new_count",
  "expansion_count",
  "contraction_count",
  "churn_count",
  "collected",
  "refunded",
  "failed",
] as const;
type Key = (typeof KEYS)[number];
const COLUMNS: CsvColumn<Key>[] = KEYS.map((key) => ({ key, header: key }));

/** Minor units → decimal text of the currency (cents / 100, yen as is). */
const amount = (minor: number, currency: string) => {
  const digits = minorDigits(currency);
  return (minor / 10 ** digits).toFixed(digits);
};

export function revenueCsvRows(o: RevenueOverview): Array<Partial<Record<Key, CsvCell>>> {
  const c = o.currency;
  const rows: Array<Partial<Record<Key, CsvCell>>> = o.mrr.plans.map((p) => ({
    section: "mrr_by_plan",
    plan_id: p.planId,
    plan_name: p.planName,
    interval: p.interval,
    currency: c,
    subscriptions: p.subscriptions,
    extra_seats: p.extraSeats,
    base_mrr: amount(p.baseMrr, c),
    seats_mrr: amount(p.seatsMrr, c),
    overage_mrr: amount(p.overageMrr, c),
    mrr: amount(p.mrr, c),
    arr: amount(p.arr, c),
  }));
  rows.push({
    section: "mrr_total",
    currency: c,
    subscriptions: o.mrr.subscriptions,
    overage_mrr: amount(o.mrr.overageTotal, c),
    mrr: amount(o.mrr.total, c),
    arr: amount(o.mrr.arr, c),
  });
  for (const m of o.movements)
    rows.push({
      section: "movements",
      month: m.month,
      currency: c,
      new_mrr: amount(m.newMrr, c),
      expansion: amount(m.expansion, c),
      contraction: amount(m.contraction, c),
      churn: amount(m.churn, c),
      net_new_mrr: amount(m.net, c),
      new_count: m.counts.new,
      expansion_count: m.counts.expansion,
      contraction_count: m.counts.contraction,
      churn_count: m.counts.churn,
    });
  for (const cur of o.collections)
    for (const m of cur.months)
      rows.push({
        section: "collections",
        month: m.month,
        currency: cur.currency,
        collected: amount(m.collected, cur.currency),
        refunded: amount(m.refunded, cur.currency),
        failed: amount(m.failed, cur.currency),
      });
  return rows;
}

export interface Exporter {
  id: string;
  email: string;
  role: string;
}

/** The overview's rows as CSV; the export is audited ("revenue.export") before anything is sent. */
export async function exportRevenueCsv(
  staff: Exporter,
  search: RevenueSearch,
  sources: RevenueSources = {},
): Promise<{ csv: Readable; filename: string; overview: RevenueOverview }> {
  const database = sources.database ?? (await getReadyDb());
  const overview = await loadRevenueOverview(search, { ...sources, database });
  const rows = revenueCsvRows(overview);
  await createAuditLog(database.db).record(
    {
      actor: { id: staff.id, email: staff.email },
      role: staff.role,
      action: "revenue.export",
      customerId: null,
      params: {
        months: search.months,
        rows: rows.length,
        complete: overview.coverage.statuses.every((s) => s.complete),
        errors: Object.values(overview.errors).filter(Boolean).length,
      },
      idempotencyKey: crypto.randomUUID(),
    },
    { status: "succeeded" },
  );
  const full = rows.map((r) => Object.fromEntries(KEYS.map((k) => [k, r[k] ?? null])) as Record<Key, CsvCell>);
  const day = overview.generatedAt.slice(0, 10);
  return { csv: csvStream(full, COLUMNS), filename: `revenue_${search.months}m_${day}.csv`, overview };
}
