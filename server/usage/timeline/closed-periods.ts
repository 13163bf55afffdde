/**
 * Closed-period reconciliation: for each invoice Commet issued when a billing period closed, the timeline's usage in
 * exactly that period [periodStart, periodEnd) against the invoice's overage lines (included, used, overage, amount),
 * per customer and feature, each difference sized in units and money. Live-counter drift stays in reconcile.ts.
 */
import type { Commet, Invoice } from "@commet/node";
import type { PlanView } from "../../../app/contracts/plans.ts";
import type { ReconFlag, ReconReport, ReconRow } from "../../../app/contracts/reconciliation.ts";
import { listPlans } from "../../commet/index.ts";
import { customerLabels } from "../../directory/index.ts";
import { sql } from "kysely";
import { getIngestStatus } from "./ingest.ts";
import { periodContexts, type PeriodContext } from "./period-context.ts";
import { timelineDb, type TimelineDatabase } from "./schema.ts";

const DAY = 86_400_000;
/** Most invoices one report scans (Commet lists 100 a page and cannot filter by date). */
export const RECON_MAX_SCAN = 100_000;
/** Invoices whose lines are read at once (invoices.list carries no lines). */
const CONCURRENCY = 16;
/** Customers per timeline query. */
const CHUNK = 500;

export interface ClosedPeriodSources {
  commet: Pick<Commet, "invoices">;
  plans?: () => Promise<PlanView[]>;
  maxScan?: number;
}

type Line = NonNullable<Invoice["lineItems"]>[number];

/** An invoice issued when its period had closed (the true-up invoice), not one charged in advance for a new period. */
function closesItsPeriod(i: Invoice): boolean {
  return i.status !== "void" && Date.parse(i.periodEnd) <= Date.parse(i.issueDate);
}

async function scanClosed(
  commet: Pick<Commet, "invoices">,
  fromMs: number,
  toMs: number,
  maxScan: number,
): Promise<{ invoices: Invoice[]; truncated: boolean }> {
  const out: Invoice[] = [];
  let scanned = 0;
  let cursor: string | undefined;
  for (;;) {
    const page = await commet.invoices.list({ limit: 100, ...(cursor ? { cursor } : {}) });
    for (const i of page.data ?? []) {
      const end = Date.parse(i.periodEnd);
      if (end >= fromMs && end < toMs && closesItsPeriod(i)) out.push(i);
    }
    scanned += page.data?.length ?? 0;
    cursor = page.hasMore ? page.nextCursor : undefined;
    if (!cursor) return { invoices: out, truncated: false };
    if (scanned >= maxScan) return { invoices: out, truncated: true };
  }
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * The timeline's usage per invoice and feature in the invoice's own period: per chunk of invoices, the whole UTC
 * days come from usage_daily and the two partial boundary days from usage_events, each joined to a VALUES list of
 * (customer ref, invoice, bounds) — each customer's period follows its own anchor, so periods barely repeat. Invoices of customers the directory does not know yet are
 * matched by their subscription instead (webhooks carry it).
 */
async function trackedUsage(
  database: TimelineDatabase,
  invoices: Array<{ invoice: Invoice; refs: string[]; known: boolean }>,
): Promise<Map<string, Map<string, number>>> {
  const db = timelineDb(database.db);
  const perInvoice = new Map<string, Map<string, number>>(invoices.map((i) => [i.invoice.id, new Map()]));
  const add = (invoiceId: string, code: string, total: number) => {
    const m = perInvoice.get(invoiceId)!;
    m.set(code, (m.get(code) ?? 0) + total);
  };
  const pairs = invoices.flatMap(({ invoice, refs }) =>
    refs.map((ref) => ({
      ref,
      id: invoice.id,
      start: Date.parse(invoice.periodStart),
      end: Date.parse(invoice.periodEnd),
    })),
  );
  // Every feature the timeline has seen (the plan-day rollup is small and holds them all).
  const codes = (await db.selectFrom("usage_daily_plan").select("feature_code").distinct().execute()).map(
    (r) => r.feature_code,
  );
  for (let i = 0; codes.length > 0 && i < pairs.length; i += CHUNK) {
    const chunk = pairs.slice(i, i + CHUNK).map((p) => {
      // Whole UTC days inside the period come from the daily rollups; only the two partial days read events.
      const d0 = Math.ceil(p.start / DAY);
      const d1 = Math.floor(p.end / DAY);
      return d0 < d1
        ? { ...p, d0, d1, a0: p.start, a1: d0 * DAY, b0: d1 * DAY, b1: p.end }
        : { ...p, d0: 0, d1: 0, a0: p.start, a1: p.end, b0: 0, b1: 0 };
    });
    const bigint = (n: number) => sql`CAST(${n} AS BIGINT)`;
    const days = chunk
      .filter((p) => p.d0 < p.d1)
      .map((p) => sql`(${p.ref}, ${p.id}, ${bigint(p.d0)}, ${bigint(p.d1)})`);
    if (days.length > 0) {
      const { rows } = await sql<{ inv: string; feature_code: string; total: number | string }>`
        WITH p(ref, inv, d0, d1) AS (VALUES ${sql.join(days)})
        SELECT p.inv AS inv, u.feature_code AS feature_code, SUM(u.total) AS total
        FROM p JOIN usage_daily u ON u.customer_id = p.ref AND u.day >= p.d0 AND u.day < p.d1
        GROUP BY p.inv, u.feature_code`.execute(db);
      for (const r of rows) add(r.inv, r.feature_code, Number(r.total));
    }
    // The two boundary slices as separate range joins (an OR of ranges keeps PostgreSQL off the index).
    const edges = chunk.flatMap((p) => [
      sql`(${p.ref}, ${p.id}, ${bigint(p.a0)}, ${bigint(p.a1)})`,
      ...(p.b1 > p.b0 ? [sql`(${p.ref}, ${p.id}, ${bigint(p.b0)}, ${bigint(p.b1)})`] : []),
    ]);
    // One sum per slice and feature code, each a range of the (customer, feature, occurred_at) index rather than
    // all of the customer's events; as a correlated subquery so PostgreSQL cannot turn it into a hash join over
    // the whole table (no rows: NULL, nothing added — a feature with no events stays untracked).
    const { rows } = await sql<{ inv: string; feature_code: string; total: number | string | null }>`
      WITH p(ref, inv, t0, t1) AS (VALUES ${sql.join(edges)}), f(code) AS (VALUES ${sql.join(codes.map((c) => sql`(${c})`))})
      SELECT p.inv AS inv, f.code AS feature_code,
        (SELECT SUM(u.quantity) FROM usage_events u WHERE u.customer_id = p.ref AND u.feature_code = f.code
          AND u.occurred_at >= p.t0 AND u.occurred_at < p.t1) AS total
      FROM p CROSS JOIN f`.execute(db);
    for (const r of rows) if (r.total !== null) add(r.inv, r.feature_code, Number(r.total));
  }
  for (const { invoice, refs, known } of invoices) {
    if (known || !invoice.subscriptionId) continue;
    const sums = await db
      .selectFrom("usage_events")
      .select((eb) => ["feature_code", eb.fn.sum<number>("quantity").as("total")])
      .where("subscription_id", "=", invoice.subscriptionId)
      .where("customer_id", "not in", refs)
      .where("occurred_at", ">=", Date.parse(invoice.periodStart))
      .where("occurred_at", "<", Date.parse(invoice.periodEnd))
      .groupBy("feature_code")
      .execute();
    for (const r of sums) add(invoice.id, r.feature_code, Number(r.total));
  }
  return perInvoice;
}

/** Commet id → every reference the timeline may store the customer under (externalId when set, else the id). */
async function refsOf(
  database: TimelineDatabase,
  ids: string[],
): Promise<{ refs: Map<string, string[]>; known: Set<string> }> {
  const db = timelineDb(database.db);
  const out = new Map(ids.map((id) => [id, [id]]));
  const known = new Set<string>();
  for (let i = 0; i < ids.length; i += CHUNK) {
    const chunk = ids.slice(i, i + CHUNK);
    const rows = await db
      .selectFrom("directory_customers")
      .select(["id", "external_id"])
      .where((eb) => eb.or([eb("id", "in", chunk), eb("external_id", "in", chunk)]))
      .execute();
    for (const r of rows) {
      const refs = [r.id, ...(r.external_id ? [r.external_id] : [])];
      for (const key of refs)
        if (out.has(key)) {
          out.set(key, [...new Set([...out.get(key)!, ...refs])]);
          known.add(key);
        }
    }
  }
  return { refs: out, known };
}

const same = (a: number, b: number) => Math.abs(a - b) < 1e-6;

export interface Catalog {
  plansByName: Map<string, PlanView>;
  byName: Map<string, { code: string; name: string; unitName: string | null }>;
  byCode: Map<string, { code: string; name: string; unitName: string | null }>;
}

/** Usage features by name (invoice lines name them) and code (the timeline's key), the first plan naming one winning. */
export function catalogOf(plans: PlanView[]): Catalog {
  const byCode = new Map<string, { code: string; name: string; unitName: string | null }>();
  for (const p of plans)
    for (const f of p.features) if (f.type === "usage" && !byCode.has(f.code)) byCode.set(f.code, f);
  const byName = new Map<string, { code: string; name: string; unitName: string | null }>();
  for (const f of byCode.values()) if (!byName.has(f.name)) byName.set(f.name, f);
  return { plansByName: new Map(plans.map((p) => [p.name, p])), byName, byCode };
}

/**
 * One invoice against the timeline. `context` says what the invoice alone does not: the period was a trial (no
 * overage is billed, so none is expected), or a plan change took effect at its end (the invoice names the new
 * plan; the period's included amounts are the previous plan's).
 */
export function compareInvoice(
  invoice: Invoice,
  tracked: Map<string, number>,
  { plansByName, byName, byCode }: Catalog,
  context: PeriodContext = { trial: false, planId: null },
): Array<Omit<ReconRow, "customerExternalId" | "customerName">> {
  const inForce = context.planId ? [...plansByName.values()].find((p) => p.id === context.planId) : undefined;
  const plan = inForce ?? (invoice.planName ? plansByName.get(invoice.planName) : undefined);
  const lines = (invoice.lineItems ?? []).filter((l: Line) => l.lineType === "feature_overage" && l.featureName);
  const base = {
    customerId: invoice.customerId,
    invoiceId: invoice.id,
    invoiceNumber: invoice.invoiceNumber,
    planName: inForce?.name ?? invoice.planName ?? null,
    periodStart: invoice.periodStart,
    periodEnd: invoice.periodEnd,
    currency: invoice.currency.toUpperCase(),
  };
  const rows: Array<Omit<ReconRow, "customerExternalId" | "customerName">> = [];
  const seen = new Set<string>();
  for (const l of lines) {
    const feature = byName.get(l.featureName!);
    const code = feature?.code ?? null;
    if (code) seen.add(code);
    const trackedUsed = code ? (tracked.get(code) ?? 0) : 0;
    const included = l.includedAmount;
    const trackedOverage = included === null ? null : Math.max(0, trackedUsed - included);
    const trackedAmount = trackedOverage === null ? null : Math.round(trackedOverage * l.unitAmount);
    const invoicedOverage = l.overageAmount ?? l.quantity;
    const usedDiff = l.usedAmount === null ? null : l.usedAmount - trackedUsed;
    const flag: ReconFlag =
      code === null || !tracked.has(code)
        ? "untracked_line"
        : usedDiff !== null && !same(usedDiff, 0)
          ? "used_differs"
          : trackedAmount !== null && !same(trackedAmount, l.amount)
            ? "used_differs"
            : "match";
    rows.push({
      ...base,
      featureCode: code,
      featureName: l.featureName!,
      unitName: feature?.unitName ?? null,
      included,
      invoicedUsed: l.usedAmount,
      invoicedOverage,
      invoicedAmount: l.amount,
      trackedUsed,
      trackedOverage,
      trackedAmount,
      usedDiff,
      overageDiff: trackedOverage === null ? null : invoicedOverage - trackedOverage,
      amountDiff: trackedAmount === null ? null : l.amount - trackedAmount,
      flag,
    });
  }
  // Features the timeline tracked that the invoice bills no overage for: fine while within the included amount.
  for (const [code, trackedUsed] of tracked) {
    if (seen.has(code)) continue;
    const feature = byCode.get(code);
    if (!feature) continue;
    const pf = plan?.features.find((f) => f.code === code);
    const included = pf ? (pf.unlimited ? null : (pf.included ?? 0)) : null;
    const billsOverage = !!pf && !pf.unlimited && pf.overageUnitPrice !== null && !context.trial;
    const trackedOverage = included === null ? null : Math.max(0, trackedUsed - included);
    const unitCents = billsOverage ? pf.overageUnitPrice! / 100 : null;
    const trackedAmount = trackedOverage === null || unitCents === null ? null : Math.round(trackedOverage * unitCents);
    const flag: ReconFlag =
      billsOverage && trackedOverage !== null && trackedOverage > 0 ? "unbilled_overage" : "match";
    rows.push({
      ...base,
      featureCode: code,
      featureName: feature.name,
      unitName: feature.unitName,
      included,
      invoicedUsed: null,
      invoicedOverage: 0,
      invoicedAmount: 0,
      trackedUsed,
      trackedOverage,
      trackedAmount,
      usedDiff: null,
      overageDiff: trackedOverage === null ? null : 0 - trackedOverage,
      amountDiff: trackedAmount === null ? null : 0 - trackedAmount,
      flag,
    });
  }
  return rows;
}

/** localeCompare's order (the default locale's collation), without building it again for each of ~10⁶ comparisons. */
const collator = new Intl.Collator();

const dayStart = (iso: string) => Date.parse(`${iso}T00:00:00Z`);
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * Every customer's closed periods ending in [from, to] (UTC days): one row per invoice and feature with usage on
 * either side, flagged rows first (largest money difference first). Invoices whose lines cannot be read are
 * reported in `failed`; a catalog failure still compares the invoiced lines (no unbilled-overage check).
 */
export async function reconcileClosedPeriods(
  database: TimelineDatabase,
  sources: ClosedPeriodSources,
  range: { from?: string; to?: string; now?: number },
): Promise<ReconReport> {
  const started = performance.now();
  const now = range.now ?? Date.now();
  const to = range.to ?? isoDay(now);
  const from = range.from ?? isoDay(dayStart(to) - 30 * DAY);
  const { invoices: listed, truncated } = await scanClosed(
    sources.commet,
    dayStart(from),
    dayStart(to) + DAY,
    sources.maxScan ?? RECON_MAX_SCAN,
  );
  let catalogError: string | null = null;
  const [plans, detailed] = await Promise.all([
    (sources.plans ?? listPlans)().catch(() => {
      catalogError = "Commet's plan catalog could not be read: overage the invoices did not bill is not checked.";
      return [] as PlanView[];
    }),
    mapLimit(listed, CONCURRENCY, async (i) => {
      try {
        return { invoice: (await sources.commet.invoices.get({ id: i.id })).data ?? i, error: null };
      } catch (error) {
        return { invoice: i, error: error instanceof Error ? error.message : String(error) };
      }
    }),
  ]);
  const failed = detailed.filter((d) => d.error !== null).map((d) => ({ invoiceId: d.invoice.id, error: d.error! }));
  const ok = detailed.filter((d) => d.error === null).map((d) => d.invoice);
  const { refs, known } = await refsOf(database, [...new Set(ok.map((i) => i.customerId))]);
  const tracked = await trackedUsage(
    database,
    ok.map((invoice) => ({
      invoice,
      refs: refs.get(invoice.customerId) ?? [invoice.customerId],
      known: known.has(invoice.customerId),
    })),
  );
  const [labels, contexts] = await Promise.all([
    customerLabels(database, [...refs.keys()]),
    periodContexts(database, ok),
  ]);
  const catalog = catalogOf(plans);
  const rows: ReconRow[] = ok.flatMap((invoice) =>
    compareInvoice(invoice, tracked.get(invoice.id) ?? new Map(), catalog, contexts.get(invoice.id)).map((r) => ({
      ...r,
      customerExternalId: labels[r.customerId]?.externalId ?? null,
      customerName: labels[r.customerId]?.fullName ?? null,
    })),
  );
  rows.sort(
    (a, b) =>
      Number(a.flag === "match") - Number(b.flag === "match") ||
      Math.abs(b.amountDiff ?? 0) - Math.abs(a.amountDiff ?? 0) ||
      Math.abs(b.usedDiff ?? 0) - Math.abs(a.usedDiff ?? 0) ||
      collator.compare(a.periodEnd, b.periodEnd) ||
      collator.compare(a.invoiceNumber, b.invoiceNumber) ||
      collator.compare(a.featureName, b.featureName),
  );
  const currencies = new Map<string, { currency: string; invoiced: number; tracked: number; diff: number }>();
  for (const r of rows) {
    const c = currencies.get(r.currency) ?? { currency: r.currency, invoiced: 0, tracked: 0, diff: 0 };
    c.invoiced += r.invoicedAmount;
    c.tracked += r.trackedAmount ?? 0;
    c.diff += r.amountDiff ?? 0;
    currencies.set(r.currency, c);
  }
  const ingest = await getIngestStatus(database);
  const beyondTimeline = ok.filter(
    (i) => ingest.firstDay === null || i.periodStart.slice(0, 10) < ingest.firstDay,
  ).length;
  return {
    from,
    to,
    rows,
    totals: {
      invoices: ok.length,
      customers: new Set(ok.map((i) => i.customerId)).size,
      compared: rows.length,
      flagged: rows.filter((r) => r.flag !== "match").length,
      byCurrency: [...currencies.values()],
    },
    truncated,
    failed,
    catalogError,
    timeline: { events: ingest.events, firstDay: ingest.firstDay, lastDay: ingest.lastDay },
    beyondTimeline,
    tookMs: Math.round(performance.now() - started),
  };
}
