/**
 * The revenue overview: MRR/ARR by plan from the active subscriptions of the customer index priced by
 * Commet's plan catalog, MRR movements per month from the stored subscription webhooks, and collected /
 * refunded / failed charges per month from Commet's transactions (bounded pages).
 */
import type { Transaction } from "@commet/node";
import type { PlanView } from "../../app/contracts/plans.ts";
import {
  MONTHLY_FACTOR,
  type CollectionMonth,
  type MovementMonth,
  type MrrByPlan,
  type RevenueOverview,
  type RevenueSearch,
} from "../../app/contracts/revenue.ts";
import { listSubscriptionMovements, type AccountEvent, type SubscriptionMovement } from "../activity/index.ts";
import { getCommet } from "../commet/client.ts";
import { listPlans } from "../commet/index.ts";
import { getReadyDb, type Database } from "../db/index.ts";
import { indexedSubscriptionPlans, subscriptionGroups } from "../directory/index.ts";
import { expectedOverageByPlan } from "./overage.ts";
import type { IndexedSubscription } from "../../app/contracts/directory.ts";

/** Plan prices carry no currency in Commet's API (7.10.0): they are the organization's base currency. */
export const BASE_CURRENCY = "USD";
/** Pages of 100 read per transaction status: the collections cover at most this many charges of each. */
export const TRANSACTION_PAGES = 5;
const PAGE_LIMIT = 100;
const TIMEOUT_MS = 5_000;
/** Subscription webhooks read for the movements (oldest first); more in the window are reported as cut off. */
export const MOVEMENT_EVENT_LIMIT = 50_000;
const COLLECTION_STATUSES = ["succeeded", "refunded", "failed"] as const;
/** Statuses of a subscription that has been paid for at least once (trials and pending ones have not). */
const STARTED = new Set(["active", "past_due", "canceled"]);

export interface RevenueSources {
  database?: Database;
  plans?: () => Promise<PlanView[]>;
  commet?: { transactions: Pick<ReturnType<typeof getCommet>["transactions"], "list"> };
  now?: () => number;
}

// ---- pricing (pure) ------------------------------------------------------------------------------

/** The price a subscription of `plan` pays: the price of `interval` when the plan has one, else its default. */
function priceOf(plan: PlanView, interval?: string | null) {
  return (
    (interval ? plan.prices.find((p) => p.interval === interval) : undefined) ??
    plan.prices.find((p) => p.isDefault) ??
    plan.prices[0] ??
    null
  );
}

/** Rate scale (10000 = 1.00) to minor units of a 2-digit currency: exact, rounded once per total. */
const rateToMinor = (rate: number) => rate / 100;

/**
 * A subscription's monthly recurring amount in (fractional) minor units: the base price normalised to a
 * month, plus each seat feature's seats beyond the included ones at its seat price (per billing period,
 * normalised the same way). One-time prices add nothing.
 */
export function monthlyAmount(
  plan: PlanView,
  seats: Record<string, number> | null,
  interval?: string | null,
): { base: number; seats: number; extraSeats: number; interval: string | null } {
  const price = priceOf(plan, interval);
  const factor = price ? (MONTHLY_FACTOR[price.interval] ?? 0) : 0;
  const base = price ? rateToMinor(price.price) * factor : 0;
  let seatAmount = 0;
  let extraSeats = 0;
  for (const f of plan.features) {
    if (f.type !== "seats" || f.unlimited || f.overageUnitPrice === null) continue;
    const extra = Math.max(0, (seats?.[f.code] ?? 0) - (f.included ?? 0));
    extraSeats += extra;
    seatAmount += extra * rateToMinor(f.overageUnitPrice) * factor;
  }
  return { base, seats: seatAmount, extraSeats, interval: price?.interval ?? null };
}

/**
 * MRR by plan of the given active subscriptions (largest first); unpriced = plan not in the catalog. `overage`:
 * expected usage overage per plan id, (fractional) minor units a month (expectedOverageByPlan).
 */
export function mrrByPlan(
  /** One entry per subscription, or per group of `count` subscriptions on the same plan and seats. */
  subscriptions: ReadonlyArray<Pick<IndexedSubscription, "planId" | "seats"> & { count?: number }>,
  plans: readonly PlanView[],
  overage: ReadonlyMap<string, number> = new Map(),
): RevenueOverview["mrr"] {
  const byId = new Map(plans.map((p) => [p.id, p]));
  const acc = new Map<string, MrrByPlan & { baseExact: number; seatsExact: number }>();
  let unpriced = 0;
  for (const s of subscriptions) {
    const plan = s.planId ? byId.get(s.planId) : undefined;
    const count = s.count ?? 1;
    if (!plan) {
      unpriced += count;
      continue;
    }
    const m = monthlyAmount(plan, s.seats);
    const row = acc.get(plan.id) ?? {
      planId: plan.id,
      planName: plan.name,
      interval: m.interval,
      subscriptions: 0,
      baseMrr: 0,
      seatsMrr: 0,
      overageMrr: 0,
      extraSeats: 0,
      mrr: 0,
      arr: 0,
      baseExact: 0,
      seatsExact: 0,
    };
    row.subscriptions += count;
    row.extraSeats += m.extraSeats * count;
    // Added once per subscription (not × count): the same floating-point sum as one row each.
    for (let i = 0; i < count; i++) {
      row.baseExact += m.base;
      row.seatsExact += m.seats;
    }
    acc.set(plan.id, row);
  }
  const rows: MrrByPlan[] = [...acc.values()].map(({ baseExact, seatsExact, ...r }) => {
    const baseMrr = Math.round(baseExact);
    const seatsMrr = Math.round(seatsExact);
    const overageMrr = Math.round(overage.get(r.planId) ?? 0);
    const mrr = baseMrr + seatsMrr + overageMrr;
    return { ...r, baseMrr, seatsMrr, overageMrr, mrr, arr: mrr * 12 };
  });
  rows.sort((a, b) => b.mrr - a.mrr || a.planName.localeCompare(b.planName));
  const total = rows.reduce((n, r) => n + r.mrr, 0);
  return {
    plans: rows,
    total,
    overageTotal: rows.reduce((n, r) => n + r.overageMrr, 0),
    arr: total * 12,
    subscriptions: rows.reduce((n, r) => n + r.subscriptions, 0) + unpriced,
    unpriced,
  };
}

// ---- windows ------------------------------------------------------------------------------------

/** The window's months, oldest first (YYYY-MM, UTC), ending with the current one. */
export function monthsOf(now: number, count: number): string[] {
  const d = new Date(now);
  const out: string[] = [];
  for (let i = count - 1; i >= 0; i--) {
    const m = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - i, 1));
    out.push(m.toISOString().slice(0, 7));
  }
  return out;
}

const monthStart = (month: string) => Date.parse(`${month}-01T00:00:00.000Z`);
const monthOf = (at: number) => new Date(at).toISOString().slice(0, 7);

// ---- movements (pure over stored events) --------------------------------------------------------

/** A subscription lifecycle webhook's fields the movements read, from the stored payload (the reference path). */
export function movementOfEvent(e: AccountEvent): SubscriptionMovement {
  const str = (v: unknown) => (typeof v === "string" && v ? v : null);
  const planRefId = (v: unknown) => (v && typeof v === "object" ? str((v as { id?: unknown }).id) : null);
  return {
    type: e.type,
    occurredAt: e.occurredAt,
    subscriptionId: str(e.payload.subscriptionId),
    planId: str(e.payload.planId),
    previousPlanId: planRefId(e.payload.previousPlan),
    currentPlanId: planRefId(e.payload.currentPlan),
    billingInterval: str(e.payload.billingInterval),
  };
}

/**
 * New (activated, reactivated), expansion / contraction (plan changed to a dearer / cheaper plan, by the
 * difference of their monthly base prices) and churn (canceled, at the monthly base price of the plan it
 * was on) per month. A subscription's plan is followed through its own events (created, plan_changed),
 * else the index's. Seat changes are not movements here. `events`: oldest first (listSubscriptionMovements).
 */
export function movementsOf(
  events: readonly SubscriptionMovement[],
  months: readonly string[],
  plans: readonly PlanView[],
  indexedPlanOf: (subscriptionId: string) => string | null,
  /** The index's subscriptions: one that started in the window with no activation stored counts as new. */
  indexed: ReadonlyArray<Pick<IndexedSubscription, "id" | "planId" | "status" | "startDate">> = [],
): MovementMonth[] {
  const byMonth = new Map<string, MovementMonth>(
    months.map((month) => [
      month,
      {
        month,
        newMrr: 0,
        expansion: 0,
        contraction: 0,
        churn: 0,
        net: 0,
        counts: { new: 0, expansion: 0, contraction: 0, churn: 0 },
      },
    ]),
  );
  const planById = new Map(plans.map((p) => [p.id, p]));
  // The window's month of an instant by comparing with month starts (no date formatting per event).
  const starts = months.map(monthStart);
  const end = months.length
    ? Date.UTC(new Date(starts.at(-1)!).getUTCFullYear(), new Date(starts.at(-1)!).getUTCMonth() + 1, 1)
    : 0;
  const rowOf = (at: number) => {
    if (!(at >= starts[0]! && at < end)) return byMonth.get(monthOf(at));
    let i = starts.length - 1;
    while (starts[i]! > at) i--;
    return byMonth.get(months[i]!);
  };
  const planOfSub = new Map<string, string>();
  const intervalOfSub = new Map<string, string>();
  // Amounts depend only on (plan, interval): computed once per pair, not once per event.
  const values = new Map<string, number>();
  const value = (planId: string | null, interval?: string | null) => {
    const key = `${planId ?? ""}\u0000${interval ?? ""}`;
    let v = values.get(key);
    if (v === undefined) {
      const plan = planId ? planById.get(planId) : undefined;
      v = plan ? monthlyAmount(plan, null, interval).base : 0;
      values.set(key, v);
    }
    return v;
  };
  // The plan a subscription was created on, whatever order same-instant events were stored in.
  for (const e of events) {
    const sub = e.subscriptionId;
    if (e.type === "subscription.created" && sub && e.planId && !planOfSub.has(sub)) planOfSub.set(sub, e.planId);
  }
  for (const e of events) {
    const sub = e.subscriptionId;
    if (!sub || e.type === "subscription.created") continue;
    const known = () => planOfSub.get(sub) ?? indexedPlanOf(sub);
    const m = rowOf(e.occurredAt);
    if (e.type === "subscription.plan_changed") {
      const previous = e.previousPlanId ?? known();
      const current = e.currentPlanId;
      const interval = e.billingInterval;
      if (interval) intervalOfSub.set(sub, interval);
      if (current) planOfSub.set(sub, current);
      const delta = Math.round(value(current, interval) - value(previous, interval));
      if (!m || delta === 0) continue;
      if (delta > 0) {
        m.expansion += delta;
        m.counts.expansion += 1;
      } else {
        m.contraction += -delta;
        m.counts.contraction += 1;
      }
      continue;
    }
    if (!m) continue;
    const amount = Math.round(value(known(), intervalOfSub.get(sub)));
    if (e.type === "subscription.canceled") {
      m.churn += amount;
      m.counts.churn += 1;
    } else {
      m.newMrr += amount;
      m.counts.new += 1;
    }
  }
  // Subscriptions whose activation the console never received (created before its webhooks, or seeded):
  // the index's start date stands in, on the plan the subscription was created on when known.
  const activatedSubs = new Set(
    events
      .filter((e) => e.type === "subscription.activated" || e.type === "subscription.reactivated")
      .map((e) => e.subscriptionId),
  );
  for (const s of indexed) {
    if (activatedSubs.has(s.id) || s.startDate === null || !STARTED.has(s.status ?? "")) continue;
    const m = byMonth.get(monthOf(s.startDate));
    if (!m) continue;
    m.newMrr += Math.round(value(planOfSub.get(s.id) ?? s.planId));
    m.counts.new += 1;
  }
  return [...byMonth.values()].map((m) => ({ ...m, net: m.newMrr + m.expansion - m.contraction - m.churn }));
}

// ---- collections (pure over transactions) -------------------------------------------------------

/**
 * Collected (succeeded), refunded and failed charges per month of their creation, per currency: the USD
 * gross amount when Commet has one, else the amount as presented in the charge's currency.
 */
export function collectionsOf(
  transactions: ReadonlyArray<
    Pick<Transaction, "status" | "grossAmount" | "presentmentAmount" | "currency" | "createdAt">
  >,
  months: readonly string[],
): RevenueOverview["collections"] {
  const perCurrency = new Map<string, Map<string, CollectionMonth>>();
  const inWindow = new Set(months);
  for (const t of transactions) {
    const month = t.createdAt.slice(0, 7);
    if (!inWindow.has(month)) continue;
    const usd = t.grossAmount !== null;
    const amount = usd ? t.grossAmount! : t.presentmentAmount;
    if (amount === null) continue;
    const currency = usd ? "USD" : t.currency.toUpperCase();
    let rows = perCurrency.get(currency);
    if (!rows) {
      rows = new Map(months.map((mo) => [mo, { month: mo, collected: 0, refunded: 0, failed: 0 }]));
      perCurrency.set(currency, rows);
    }
    const row = rows.get(month)!;
    if (t.status === "succeeded") row.collected += amount;
    else if (t.status === "refunded") row.refunded += amount;
    else if (t.status === "failed") row.failed += amount;
  }
  return [...perCurrency]
    .sort(([a], [b]) => (a === "USD" ? -1 : b === "USD" ? 1 : a.localeCompare(b)))
    .map(([currency, rows]) => {
      const list = [...rows.values()];
      const sum = (k: "collected" | "refunded" | "failed") => list.reduce((n, r) => n + r[k], 0);
      return { currency, months: list, collected: sum("collected"), refunded: sum("refunded"), failed: sum("failed") };
    });
}

// ---- reads ---------------------------------------------------------------------------------------

async function readTransactions(commet: NonNullable<RevenueSources["commet"]>) {
  return Promise.all(
    COLLECTION_STATUSES.map(async (status) => {
      const items: Transaction[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < TRANSACTION_PAGES; i++) {
        const page = await commet.transactions.list({ status, limit: PAGE_LIMIT, cursor }, { timeout: TIMEOUT_MS });
        items.push(...(page.data ?? []));
        if (!page.hasMore || !page.nextCursor) return { status, items, complete: true };
        cursor = page.nextCursor;
      }
      return { status, items, complete: false };
    }),
  );
}

const problem = (what: string, error: unknown) => {
  console.error(`[revenue] ${what} failed:`, error);
  return `${what} could not be read from Commet. Try again in a moment.`;
};

/** The whole overview: each source failing on its own leaves the others on the page with a message. */
export async function loadRevenueOverview(
  search: RevenueSearch,
  sources: RevenueSources = {},
): Promise<RevenueOverview> {
  const database = sources.database ?? (await getReadyDb());
  const now = (sources.now ?? Date.now)();
  const months = monthsOf(now, search.months);
  const from = monthStart(months[0]!);
  const commet = sources.commet ?? getCommet();
  const [plansResult, subscriptions, active, events, txResult] = await Promise.all([
    (sources.plans ?? listPlans)().then(
      (plans) => ({ plans, error: null }),
      (error: unknown) => ({ plans: [] as PlanView[], error: problem("The plan catalog", error) }),
    ),
    indexedSubscriptionPlans(database),
    subscriptionGroups(database, "active"),
    listSubscriptionMovements(database, { from, to: now + 1, limit: MOVEMENT_EVENT_LIMIT }),
    readTransactions(commet).then(
      (lists) => ({ lists, error: null }),
      (error: unknown) => ({ lists: [], error: problem("Transactions", error) }),
    ),
  ]);
  const planOfIndexed = new Map(subscriptions.map((s) => [s.id, s.planId]));
  const overage = plansResult.error
    ? new Map<string, number>()
    : await expectedOverageByPlan(database, plansResult.plans, now);
  return {
    search,
    generatedAt: new Date(now).toISOString(),
    currency: BASE_CURRENCY,
    mrr: mrrByPlan(active, plansResult.plans, overage),
    movements: movementsOf(events, months, plansResult.plans, (id) => planOfIndexed.get(id) ?? null, subscriptions),
    collections: collectionsOf(
      txResult.lists.flatMap((l) => l.items),
      months,
    ),
    coverage: {
      perStatusLimit: TRANSACTION_PAGES * PAGE_LIMIT,
      statuses: txResult.lists.map((l) => ({ status: l.status, read: l.items.length, complete: l.complete })),
    },
    errors: { plans: plansResult.error, transactions: txResult.error },
  };
}
