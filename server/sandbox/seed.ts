/**
 * The sandbox's deterministic demo organization: content depends only on the customer count, dates on the seeding
 * day (90 days of history ending today), so any seed looks current (docs/decisions/0003-local-sandbox.md).
 */

import type { Db } from "./store.ts";
import { INDEXES, setMeta } from "./store.ts";
import { mulberry32 } from "../prng.ts";
import { seededId } from "./ids.ts";
import { line, planBaseLine } from "./ledger.ts";
import { decorateSeededInvoices } from "./seed-invoices.ts";
import { addInterval, type Interval, type SubscriptionStatus } from "./model.ts";
import { type CardBehaviour, DECLINED, INSUFFICIENT_FUNDS } from "./payments.ts";

const DAY = 86_400_000;
const HISTORY_DAYS = 90;
/** Above this many seeded usage events, history is bucketed into multi-day events (see decision record). */
const MAX_HISTORY_EVENTS = 450_000;

const FEATURES = [
  { code: "api_calls", name: "API calls", type: "usage", unit: "call", description: "Requests to the public API" },
  { code: "editor", name: "Editor seats", type: "seats", unit: "seat", description: "Members who can edit" },
  { code: "viewer", name: "Viewer seats", type: "seats", unit: "seat", description: "Read-only members" },
  { code: "projects", name: "Projects", type: "quota", unit: "project", description: "Active projects" },
  { code: "sso", name: "Single sign-on", type: "boolean", unit: null, description: "SAML single sign-on" },
] as const;

interface PF {
  included: number | null;
  unlimited?: boolean;
  overage?: number;
  creditsPerUnit?: number;
  enabled?: boolean;
}
interface PlanSeed {
  code: string;
  name: string;
  description: string;
  model: "metered" | "credits";
  price: number;
  trialDays: number;
  isFree?: boolean;
  isDefault?: boolean;
  includedCredits?: number;
  blockOnExhaustion?: boolean;
  public?: boolean;
  features: Record<string, PF>;
}

/** Prices in rate scale (10000 = $1.00). */
export const PLANS: PlanSeed[] = [
  {
    code: "free",
    name: "Free",
    description: "For trying things out",
    model: "metered",
    price: 0,
    trialDays: 0,
    isFree: true,
    isDefault: true,
    features: {
      api_calls: { included: 1_000 },
      editor: { included: 1 },
      viewer: { included: 3 },
      projects: { included: 3 },
    },
  },
  {
    code: "starter",
    name: "Starter",
    description: "For small teams",
    model: "metered",
    price: 290_000,
    trialDays: 14,
    features: {
      api_calls: { included: 10_000, overage: 20 },
      editor: { included: 3, overage: 120_000 },
      viewer: { included: 5, overage: 40_000 },
      projects: { included: 10, overage: 20_000 },
    },
  },
  {
    code: "pro",
    name: "Pro",
    description: "For growing teams",
    model: "metered",
    price: 990_000,
    trialDays: 14,
    features: {
      api_calls: { included: 100_000, overage: 10 },
      editor: { included: 10, overage: 100_000 },
      viewer: { included: 20, overage: 30_000 },
      projects: { included: 50, overage: 10_000 },
    },
  },
  {
    code: "business",
    name: "Business",
    description: "For organizations with compliance needs",
    model: "metered",
    price: 2_990_000,
    trialDays: 0,
    features: {
      api_calls: { included: 1_000_000, overage: 5 },
      editor: { included: 25, overage: 80_000 },
      viewer: { included: 100, overage: 20_000 },
      projects: { included: null, unlimited: true },
      sso: { included: null },
    },
  },
  {
    code: "ai_credits",
    name: "AI Credits",
    description: "Prepaid credits, blocked when exhausted",
    model: "credits",
    price: 490_000,
    trialDays: 0,
    includedCredits: 50_000,
    blockOnExhaustion: true,
    features: {
      api_calls: { included: null, creditsPerUnit: 1 },
      editor: { included: 2, overage: 100_000 },
      projects: { included: 5 },
    },
  },
];

/** The demo plan group: plans in upgrade order (changes between them are prorated or scheduled, decision 0014). */
export const PLAN_GROUP = {
  name: "Core plans",
  description: "Free, Starter, Pro and Business: customers move between them",
  planCodes: ["free", "starter", "pro", "business"],
} as const;

/**
 * Puts free → business into the demo plan group (ai_credits stays outside any group). Idempotent, so a data dir
 * seeded before plan groups existed gets it at start. The id comes from its own PRNG: other seeded ids do not move.
 */
export function seedPlanGroup(db: Db, at: string): void {
  if (db.prepare("SELECT 1 FROM plan_groups LIMIT 1").get()) return;
  const planIds = PLAN_GROUP.planCodes.map(
    (code) => (db.prepare("SELECT id FROM plans WHERE code = ?").get(code) as { id: string } | undefined)?.id,
  );
  if (planIds.some((id) => id === undefined)) return;
  const groupId = seededId("pgrp", mulberry32(0x96a9));
  db.prepare(
    "INSERT INTO plan_groups (id, name, description, is_public, created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?)",
  ).run(groupId, PLAN_GROUP.name, PLAN_GROUP.description, at, at);
  const insMember = db.prepare("INSERT INTO plan_group_plans (group_id, plan_id, sort_order) VALUES (?, ?, ?)");
  planIds.forEach((id, i) => insMember.run(groupId, id!, i));
}

const FIRST = [
  "Olivia",
  "Liam",
  "Emma",
  "Noah",
  "Ava",
  "Mateo",
  "Sofia",
  "Lucas",
  "Mia",
  "Ethan",
  "Isabella",
  "Hugo",
  "Amelia",
  "Leo",
  "Chloe",
  "Arjun",
  "Yuki",
  "Lena",
  "Omar",
  "Priya",
  "Jonas",
  "Camila",
  "Diego",
  "Hannah",
  "Kenji",
  "Nora",
  "Samuel",
  "Zara",
  "Felix",
  "Aisha",
  "Gabriel",
  "Elena",
  "Tomás",
  "Ingrid",
  "Rafael",
  "Mei",
  "Victor",
  "Lucía",
  "Daniel",
  "Freya",
  "Marco",
  "Anika",
  "Julian",
  "Valentina",
  "Ravi",
  "Clara",
  "Ibrahim",
  "Maya",
  "Stefan",
  "Paula",
];
const LAST = [
  "Smith",
  "García",
  "Müller",
  "Rossi",
  "Dubois",
  "Kowalski",
  "Tanaka",
  "Silva",
  "Johansson",
  "Nguyen",
  "Patel",
  "Fernández",
  "O'Brien",
  "Kim",
  "Schmidt",
  "Martin",
  "López",
  "Novak",
  "Costa",
  "Jensen",
  "Yamamoto",
  "Haddad",
  "Moreau",
  "Bianchi",
  "Wójcik",
  "Andersen",
  "Okafor",
  "Chen",
  "Ramírez",
  "Fischer",
  "Dupont",
  "Svensson",
  "Ali",
  "Romero",
  "Weber",
  "Rahman",
  "Lindqvist",
  "Ortiz",
  "Sato",
  "Murphy",
];
const COMPANIES = [
  "acme",
  "globex",
  "initech",
  "umbrella",
  "hooli",
  "vandelay",
  "stark",
  "wayne",
  "tyrell",
  "cyberdyne",
  "soylent",
  "massive",
  "oscorp",
  "wonka",
  "aperture",
  "blackmesa",
  "gringotts",
  "monarch",
  "pied-piper",
  "dunder",
  "sterling",
  "bluth",
  "prestige",
  "nakatomi",
  "weyland",
  "zorg",
  "octan",
  "virtucon",
  "genco",
  "krusty",
];
const TLDS = ["com", "io", "co", "dev", "eu", "app"];
const TIMEZONES = [
  "UTC",
  "America/New_York",
  "America/Chicago",
  "America/Los_Angeles",
  "America/Sao_Paulo",
  "America/Mexico_City",
  "America/Buenos_Aires",
  "Europe/London",
  "Europe/Paris",
  "Europe/Berlin",
  "Europe/Madrid",
  "Asia/Tokyo",
  "Asia/Singapore",
  "Australia/Sydney",
];
const SEGMENTS = ["startup", "smb", "mid-market", "enterprise"];

/**
 * The first customers get fixed statuses so every status exists even in a tiny seed; 10–16 carry the payment
 * histories the money journeys need. `startDaysAgo` pins the subscription start (so the closed periods, hence
 * the seeded charges, are known); `card` is the saved card's behaviour (default "succeeds").
 */
interface Forced {
  status: SubscriptionStatus | null;
  plan: string;
  startDaysAgo?: number;
  card?: CardBehaviour;
  /** An earlier subscription ended by a refund (refunded charge), and one disputed charge on the current one. */
  refundAndDispute?: boolean;
}
/** Past-due fixed customers start 64 days back: one paid renewal, then a renewal that failed about 3 days ago. */
const PAST_DUE_START = 64;
const FORCED: Forced[] = [
  { status: "active", plan: "pro" },
  { status: "trialing", plan: "starter" },
  { status: "past_due", plan: "starter", startDaysAgo: PAST_DUE_START, card: "succeeds_on_retry" },
  { status: "canceled", plan: "pro" },
  { status: "pending_payment", plan: "business" },
  { status: "active", plan: "ai_credits" }, // credits exhausted: usage.track answers insufficient_credits
  { status: "active", plan: "free" },
  { status: "active", plan: "business" },
  { status: null, plan: "free" }, // no subscription at all
  { status: "active", plan: "pro", startDaysAgo: 100 }, // usr_000010: three paid charges (refund journey)
  { status: "past_due", plan: "pro", startDaysAgo: PAST_DUE_START, card: "declines" }, // usr_000011
  { status: "past_due", plan: "business", startDaysAgo: PAST_DUE_START, card: "succeeds_on_retry" }, // usr_000012
  { status: "active", plan: "starter" }, // usr_000013: upgrade journey
  { status: "active", plan: "business" }, // usr_000014: downgrade journey
  { status: "active", plan: "pro" }, // usr_000015: cancel + revert journey
  { status: "active", plan: "pro", startDaysAgo: 75, refundAndDispute: true }, // usr_000016
];
export const EXHAUSTED_CREDITS_CUSTOMER_INDEX = 5;

function pick<T>(rnd: () => number, items: readonly T[]): T {
  return items[Math.floor(rnd() * items.length)]!;
}

function weighted<T>(rnd: () => number, entries: Array<[T, number]>): T {
  const total = entries.reduce((s, [, w]) => s + w, 0);
  let x = rnd() * total;
  for (const [v, w] of entries) {
    x -= w;
    if (x < 0) return v;
  }
  return entries[entries.length - 1]![0];
}

function slug(s: string): string {
  return s
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^a-zA-Z]/g, "")
    .toLowerCase();
}

function uuidFrom(rnd: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(rnd() * 16).toString(16)).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const iso = (ms: number) => new Date(ms).toISOString();

export interface SeedResult {
  customers: number;
  subscriptions: number;
  usageEvents: number;
  invoices: number;
  transactions: number;
}

const DISPUTE_REASONS = ["fraudulent", "product_not_received", "duplicate", "unrecognized"];

export function seedDemo(db: Db, opts: { customers: number; anchorMs?: number }): SeedResult {
  const anchor = opts.anchorMs ?? Math.floor(Date.now() / DAY) * DAY;
  const rnd = mulberry32(0xc0113e7);
  const idRnd = mulberry32(0x5eed1d5);
  // Payment history draws from its own streams, so it never shifts the customers' data or ids.
  const payRnd = mulberry32(0x9a7e17);
  const payIdRnd = mulberry32(0x7a11e7);
  const result: SeedResult = { customers: 0, subscriptions: 0, usageEvents: 0, invoices: 0, transactions: 0 };

  const run = db.transaction(() => {
    setMeta(db, "organization_id", uuidFrom(idRnd));
    setMeta(db, "seed_anchor", iso(anchor));
    setMeta(db, "seed_customers", String(opts.customers));
    const catalogAt = iso(anchor - 400 * DAY);

    const insFeature = db.prepare(
      "INSERT INTO features (id, code, name, type, description, unit_name, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    );
    for (const f of FEATURES) {
      insFeature.run(seededId("feat", idRnd), f.code, f.name, f.type, f.description, f.unit, catalogAt, catalogAt);
    }
    const insPlan = db.prepare(
      `INSERT INTO plans (id, code, name, description, consumption_model, is_public, is_default, is_free, block_on_exhaustion,
        sort_order, metadata, billing_interval, price, trial_days, included_credits, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 'monthly', ?, ?, ?, ?, ?)`,
    );
    const insPF = db.prepare(
      `INSERT INTO plan_features (plan_id, feature_code, enabled, included, unlimited, overage_enabled, overage_unit_price, credits_per_unit)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const planIds = new Map<string, string>();
    PLANS.forEach((p, i) => {
      const id = seededId("plan", idRnd);
      planIds.set(p.code, id);
      insPlan.run(
        id,
        p.code,
        p.name,
        p.description,
        p.model,
        p.public === false ? 0 : 1,
        p.isDefault ? 1 : 0,
        p.isFree ? 1 : 0,
        p.model === "credits" ? (p.blockOnExhaustion ? 1 : 0) : null,
        i,
        p.price,
        p.trialDays,
        p.includedCredits ?? null,
        catalogAt,
        catalogAt,
      );
      for (const [code, pf] of Object.entries(p.features)) {
        insPF.run(
          id,
          code,
          pf.enabled === false ? 0 : 1,
          pf.included,
          pf.unlimited ? 1 : 0,
          pf.overage !== undefined ? 1 : 0,
          pf.overage ?? null,
          pf.creditsPerUnit ?? null,
        );
      }
    });
    seedPlanGroup(db, catalogAt);

    const insCustomer = db.prepare(
      `INSERT INTO customers (id, external_id, full_name, email, tax_document, timezone, metadata, address, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)`,
    );
    const insSub = db.prepare(
      `INSERT INTO subscriptions (id, customer_id, plan_id, name, description, status, billing_interval, trial_ends_at,
         period_start, period_end, start_date, end_date, canceled_at, cancel_reason, cancel_at_period_end, credits_remaining,
         credits_purchased, created_at, updated_at)
       VALUES (?, ?, ?, ?, NULL, ?, 'monthly', ?, ?, ?, ?, ?, ?, ?, 0, ?, 0, ?, ?)`,
    );
    const insSeat = db.prepare(
      "INSERT INTO seat_balances (customer_id, feature_code, count, updated_at) VALUES (?, ?, ?, ?)",
    );
    const insSeatEvent = db.prepare(
      `INSERT INTO seat_events (id, customer_id, feature_code, previous_balance, new_balance, ts, created_at)
       VALUES (?, ?, ?, 0, ?, ?, ?)`,
    );
    const insQuota = db.prepare(
      "INSERT INTO quota_balances (customer_id, feature_code, count, updated_at) VALUES (?, ?, ?, ?)",
    );
    const insUsage = db.prepare(
      `INSERT INTO usage_events (id, customer_id, subscription_id, feature_code, value, kind, idempotency_key, properties, ts, created_at)
       VALUES (?, ?, ?, 'api_calls', ?, 'track', NULL, NULL, ?, ?)`,
    );
    const insTotal = db.prepare(
      "INSERT INTO usage_totals (subscription_id, feature_code, period_start, total) VALUES (?, 'api_calls', ?, ?)",
    );
    const insInvoice = db.prepare(
      `INSERT INTO invoices (id, customer_id, subscription_id, invoice_number, status, invoice_type, currency, subtotal,
         discount_amount, tax_amount, total, period_start, period_end, issue_date, due_date, plan_name, memo, line_items,
         created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, 'recurring', 'USD', ?, 0, 0, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)`,
    );
    const insTx = db.prepare(
      `INSERT INTO transactions (id, invoice_id, customer_id, gross_amount, subtotal, tax_amount, currency, provider, status,
         customer_email, customer_name, paid_at, created_at, updated_at, failure_code, failure_message, refunded_at,
         dispute_reason)
       VALUES (?, ?, ?, ?, ?, 0, 'USD', 'commet', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insCard = db.prepare("INSERT INTO card_behaviours (customer_id, behaviour) VALUES (?, ?)");

    // Plan first: how many live metered subscriptions will carry usage history decides the bucket size.
    type Draft = { status: SubscriptionStatus | null; plan: PlanSeed; forced?: Forced };
    const drafts: Draft[] = [];
    for (let i = 0; i < opts.customers; i++) {
      const forced = FORCED[i];
      if (forced) {
        drafts.push({ status: forced.status, plan: PLANS.find((p) => p.code === forced.plan)!, forced });
        continue;
      }
      const status = weighted<SubscriptionStatus | null>(rnd, [
        ["active", 58],
        ["trialing", 8],
        ["past_due", 7],
        ["canceled", 12],
        ["pending_payment", 5],
        [null, 10],
      ]);
      let plan = weighted(rnd, [
        [PLANS[0]!, 25],
        [PLANS[1]!, 30],
        [PLANS[2]!, 25],
        [PLANS[3]!, 10],
        [PLANS[4]!, 10],
      ]);
      if (status !== "active" && plan.isFree) plan = PLANS[1]!;
      if (status === "trialing" && plan.trialDays === 0) plan = PLANS[2]!;
      drafts.push({ status, plan });
    }
    const liveCount = drafts.filter(
      (d) => d.status === "active" || d.status === "trialing" || d.status === "past_due",
    ).length;
    const bucketDays = Math.max(1, Math.ceil((liveCount * HISTORY_DAYS) / MAX_HISTORY_EVENTS));
    setMeta(db, "seed_usage_bucket_days", String(bucketDays));

    let invoiceNo = 0;
    const usedEmails = new Set<string>();
    const slugs = new Map([...FIRST, ...LAST].map((n) => [n, slug(n)]));
    const historyStart = anchor - HISTORY_DAYS * DAY;

    drafts.forEach((draft, i) => {
      const first = pick(rnd, FIRST);
      const last = pick(rnd, LAST);
      const company = pick(rnd, COMPANIES);
      const domain = `${company}.${pick(rnd, TLDS)}`;
      const local = `${slugs.get(first)}.${slugs.get(last)}`;
      let email = `${local}@${domain}`;
      if (usedEmails.has(email)) email = `${local}${i}@${domain}`;
      usedEmails.add(email);
      const customerId = seededId("cus", idRnd);
      const externalId = `usr_${String(i + 1).padStart(6, "0")}`;
      const fullName = `${first} ${last}`;
      const createdMs = anchor - (120 + Math.floor(rnd() * 600)) * DAY + Math.floor(rnd() * DAY);
      const metadata = JSON.stringify({ segment: pick(rnd, SEGMENTS), company });
      const tax = rnd() < 0.3 ? String(10_000_000 + Math.floor(rnd() * 89_999_999)) : null;
      insCustomer.run(
        customerId,
        externalId,
        fullName,
        email,
        tax,
        pick(rnd, TIMEZONES),
        metadata,
        iso(createdMs),
        iso(createdMs),
      );
      result.customers++;
      if (!draft.status) return;

      const plan = draft.plan;
      const planId = planIds.get(plan.code)!;
      const subId = seededId("sub", idRnd);
      const status = draft.status;
      const interval: Interval = "monthly";
      // Period layout relative to the anchor.
      let startMs: number;
      let periodStart: string | null = null;
      let periodEnd: string | null = null;
      let trialEnds: string | null = null;
      let endDate: string | null = null;
      let canceledAt: string | null = null;
      let cancelReason: string | null = null;
      const closedPeriods: Array<[number, number]> = [];
      if (status === "trialing") {
        startMs = anchor - (1 + Math.floor(rnd() * 12)) * DAY + Math.floor(rnd() * DAY);
        periodStart = iso(startMs);
        trialEnds = iso(startMs + plan.trialDays * DAY);
        periodEnd = trialEnds;
      } else if (status === "pending_payment") {
        startMs = anchor - Math.floor(rnd() * 3) * DAY + Math.floor(rnd() * DAY);
      } else {
        startMs = Math.max(createdMs, anchor - (40 + Math.floor(rnd() * 300)) * DAY) + Math.floor(rnd() * DAY);
        if (draft.forced?.startDaysAgo) startMs = anchor - draft.forced.startDaysAgo * DAY + 3_600_000;
        let ps = iso(startMs);
        let pe = addInterval(ps, interval);
        const stopAt = status === "canceled" ? anchor - (5 + Math.floor(rnd() * 50)) * DAY : anchor;
        while (Date.parse(pe) <= stopAt) {
          closedPeriods.push([Date.parse(ps), Date.parse(pe)]);
          ps = pe;
          pe = addInterval(ps, interval);
        }
        if (status === "canceled") {
          const last = closedPeriods[closedPeriods.length - 1];
          endDate = iso(last ? last[1] : stopAt);
          canceledAt = iso(Date.parse(endDate) - (3 + Math.floor(rnd() * 10)) * DAY);
          cancelReason = pick(rnd, ["too_expensive", "missing_features", "switched_service", null]);
          if (last) {
            periodStart = iso(last[0]);
            periodEnd = iso(last[1]);
          }
        } else {
          periodStart = ps;
          periodEnd = pe;
        }
      }
      const live = status === "active" || status === "trialing" || status === "past_due";
      // The saved card: every past_due customer's card declined its last renewal; a few live ones will decline
      // (or decline once) when the test clock renews them.
      let card: CardBehaviour = draft.forced?.card ?? "succeeds";
      if (!draft.forced && status === "past_due") card = payRnd() < 0.5 ? "declines" : "succeeds_on_retry";
      else if (!draft.forced && live) {
        const x = payRnd();
        card = x < 0.03 ? "declines" : x < 0.05 ? "succeeds_on_retry" : "succeeds";
      }
      if (card !== "succeeds") insCard.run(customerId, card);
      // Some cancellations were full refunds of the last charge (Commet cancels the subscription with reason refund).
      const lastClosed = closedPeriods[closedPeriods.length - 1];
      const refundEndedAt =
        !draft.forced && status === "canceled" && lastClosed && lastClosed[1] > historyStart && payRnd() < 0.2
          ? lastClosed[1] + 2 * 3_600_000
          : null;

      // Daily usage for the history window (index 0 = anchor - 90 days).
      const daily = new Float64Array(HISTORY_DAYS);
      const apiPF = plan.features.api_calls;
      const perMonth = plan.model === "credits" ? plan.includedCredits! : (apiPF?.included ?? 0);
      const intensity = i === EXHAUSTED_CREDITS_CUSTOMER_INDEX ? 1.6 : 0.15 + rnd() * (plan.isFree ? 0.9 : 1.25);
      const activeFrom = status === "canceled" ? startMs : startMs;
      const activeTo = status === "canceled" ? Date.parse(endDate!) : anchor;
      if (status !== "pending_payment" && apiPF) {
        for (let d = 0; d < HISTORY_DAYS; d++) {
          const dayMs = historyStart + d * DAY;
          if (dayMs < activeFrom - DAY || dayMs >= activeTo) continue;
          const weekday = (Math.floor(dayMs / DAY) + 4) % 7; // 1970-01-01 was a Thursday
          const weekFactor = weekday === 0 || weekday === 6 ? 0.45 : 1.15;
          daily[d] = Math.round((perMonth / 30) * intensity * weekFactor * (0.7 + rnd() * 0.6));
        }
      }
      // Usage events (kept individually: history.ts replays them as usage.recorded webhooks).
      let periodTotal = 0;
      const periodStartMs = periodStart ? Date.parse(periodStart) : Infinity;
      // [ts, value] of each event: invoices bill exactly the events inside their period, as Commet does.
      const events: Array<[number, number]> = [];
      if (live || status === "canceled") {
        for (let d = 0; d < HISTORY_DAYS; d += bucketDays) {
          let value = 0;
          for (let k = d; k < Math.min(d + bucketDays, HISTORY_DAYS); k++) value += daily[k]!;
          if (value <= 0) continue;
          const tsMs = historyStart + d * DAY + Math.floor(rnd() * DAY);
          const ts = iso(Math.min(tsMs, anchor - 1));
          insUsage.run(seededId("evt", idRnd), customerId, subId, value, ts, ts);
          events.push([Date.parse(ts), value]);
          result.usageEvents++;
          if (live && Date.parse(ts) >= periodStartMs) periodTotal += value;
        }
      }
      let creditsRemaining: number | null = null;
      if (plan.model === "credits") {
        creditsRemaining =
          i === EXHAUSTED_CREDITS_CUSTOMER_INDEX ? 0 : Math.max(0, plan.includedCredits! - periodTotal);
      }
      if (live && periodStart) insTotal.run(subId, periodStart, periodTotal);

      insSub.run(
        subId,
        customerId,
        planId,
        plan.name,
        status,
        trialEnds,
        periodStart,
        periodEnd,
        iso(startMs),
        refundEndedAt ? iso(refundEndedAt) : endDate,
        refundEndedAt ? iso(refundEndedAt) : canceledAt,
        refundEndedAt ? "refund" : cancelReason,
        creditsRemaining,
        iso(startMs),
        iso(Math.max(startMs, refundEndedAt ?? (canceledAt ? Date.parse(canceledAt) : startMs))),
      );
      result.subscriptions++;

      // Seats and quota for live subscriptions.
      const seatCounts: Record<string, number> = {};
      if (live) {
        for (const code of ["editor", "viewer"] as const) {
          const pf = plan.features[code];
          if (!pf) continue;
          const count = 1 + Math.floor(rnd() * ((pf.included ?? 1) + 3));
          seatCounts[code] = count;
          const at = iso(startMs);
          insSeat.run(customerId, code, count, at);
          insSeatEvent.run(seededId("seat", idRnd), customerId, code, count, at, at);
        }
        const q = plan.features.projects;
        if (q)
          insQuota.run(
            customerId,
            "projects",
            Math.floor(rnd() * ((q.unlimited ? 40 : (q.included ?? 3)) + 2)),
            iso(startMs),
          );
      }

      // Invoices for closed periods inside the history window.
      closedPeriods.forEach(([ps, pe], idx) => {
        if (pe <= historyStart || plan.price === 0) return;
        const lines: Array<Record<string, unknown>> = [planBaseLine(plan.name, plan.price, "monthly")];
        for (const code of ["editor", "viewer"] as const) {
          const pf = plan.features[code];
          const count = seatCounts[code] ?? 0;
          if (pf?.overage && count > (pf.included ?? 0)) {
            const extra = count - (pf.included ?? 0);
            lines.push(
              line(
                "feature_seats",
                code === "editor" ? "Editor seats" : "Viewer seats",
                `${extra} additional ${code} seats`,
                extra,
                pf.overage / 100,
                (extra * pf.overage) / 100,
                pf.included,
                count,
                extra,
                "advance",
              ),
            );
          }
        }
        if (apiPF?.overage) {
          let used = 0;
          for (const [t, v] of events) if (t >= ps && t < pe) used += v;
          const over = Math.max(0, used - (apiPF.included ?? 0));
          if (over > 0) {
            lines.push(
              line(
                "feature_overage",
                "API calls",
                `${over} API calls over the included ${apiPF.included}`,
                over,
                apiPF.overage / 100,
                Math.round((over * apiPF.overage) / 100),
                apiPF.included,
                used,
                over,
                "true_up",
              ),
            );
          }
        }
        const subtotal = Math.round(lines.reduce((s, l) => s + (l.amount as number), 0));
        const isLast = idx === closedPeriods.length - 1;
        const outstanding = status === "past_due" && isLast;
        const invoiceId = seededId("inv", idRnd);
        invoiceNo++;
        const number = `INV-${new Date(pe).getUTCFullYear()}-${String(invoiceNo).padStart(6, "0")}`;
        insInvoice.run(
          invoiceId,
          customerId,
          subId,
          number,
          outstanding ? "outstanding" : "paid",
          subtotal,
          subtotal,
          iso(ps),
          iso(pe),
          iso(pe),
          iso(pe + 7 * DAY),
          plan.name,
          JSON.stringify(lines),
          iso(pe),
          iso(pe),
        );
        // The charge: failed with the card's decline for the outstanding renewal; the last charge of a
        // refund-ended subscription refunded; a few others disputed (the fixed customers only where stated).
        const failure = outstanding ? (card === "declines" ? DECLINED : INSUFFICIENT_FUNDS) : null;
        const refunded = isLast && refundEndedAt !== null;
        const disputed =
          !outstanding &&
          !refunded &&
          (draft.forced
            ? draft.forced.refundAndDispute === true && idx === 0
            : pe < anchor - 10 * DAY && payRnd() < 0.01);
        const paidAt = iso(pe + 60_000);
        const changedAt = refunded ? iso(refundEndedAt) : disputed ? iso(pe + 9 * DAY) : outstanding ? iso(pe) : paidAt;
        insTx.run(
          seededId("txn", idRnd),
          invoiceId,
          customerId,
          subtotal,
          subtotal,
          failure ? "failed" : refunded ? "refunded" : disputed ? "disputed" : "succeeded",
          email,
          fullName,
          failure ? null : paidAt,
          iso(pe),
          changedAt,
          failure?.code ?? null,
          failure?.message ?? null,
          refunded ? iso(refundEndedAt) : null,
          disputed ? (draft.forced ? "product_not_received" : pick(payRnd, DISPUTE_REASONS)) : null,
        );
        result.invoices++;
        result.transactions++;
      });

      if (draft.forced?.refundAndDispute) {
        // An earlier subscription on the same plan, ended three days in by a full refund of its first charge.
        const prevStart = startMs - 35 * DAY;
        const refundedAt = prevStart + 3 * DAY;
        const prevSubId = seededId("sub", payIdRnd);
        const prevInvoiceId = seededId("inv", payIdRnd);
        const total = plan.price / 100;
        insSub.run(
          prevSubId,
          customerId,
          planId,
          plan.name,
          "canceled",
          null,
          iso(prevStart),
          addInterval(iso(prevStart), interval),
          iso(prevStart),
          iso(refundedAt),
          iso(refundedAt),
          "refund",
          null,
          iso(prevStart),
          iso(refundedAt),
        );
        invoiceNo++;
        insInvoice.run(
          prevInvoiceId,
          customerId,
          prevSubId,
          `INV-${new Date(prevStart).getUTCFullYear()}-${String(invoiceNo).padStart(6, "0")}`,
          "paid",
          total,
          total,
          iso(prevStart),
          addInterval(iso(prevStart), interval),
          iso(prevStart),
          iso(prevStart + 7 * DAY),
          plan.name,
          JSON.stringify([planBaseLine(plan.name, plan.price, "monthly")]),
          iso(prevStart),
          iso(prevStart),
        );
        insTx.run(
          seededId("txn", payIdRnd),
          prevInvoiceId,
          customerId,
          total,
          total,
          "refunded",
          email,
          fullName,
          iso(prevStart + 60_000),
          iso(prevStart),
          iso(refundedAt),
          null,
          null,
          iso(refundedAt),
          null,
        );
        result.subscriptions++;
        result.invoices++;
        result.transactions++;
      }
    });
    decorateSeededInvoices(db);
    // The seeded history ends here: rows after this seq are live events (history.ts replays only these).
    const { last } = db.prepare("SELECT COALESCE(MAX(seq), 0) AS last FROM usage_events").get() as { last: number };
    setMeta(db, "seed_usage_last_seq", String(last));
    setMeta(db, "seeded_at", new Date().toISOString());
  });
  // Bulk load: no journal and no fsync while seeding (a crash mid-seed leaves no "seeded_at", so the
  // next start reseeds from scratch), then back to WAL + synchronous=NORMAL for serving.
  db.pragma("journal_mode = OFF");
  db.pragma("synchronous = OFF");
  db.pragma("cache_size = -262144");
  try {
    run();
    db.exec(INDEXES);
  } finally {
    db.pragma("cache_size = -16384");
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
  }
  return result;
}
