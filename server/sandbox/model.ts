// The sandbox's object rows and the shared state every route handler gets (clock, catalog, store).

import type { Db } from "./store.ts";
import { atomic, getMeta, setMeta, statements } from "./store.ts";
import { newId } from "./ids.ts";
import { errors } from "./errors.ts";

export const API_VERSION = "2026-07-11";
export const LIVE_STATUSES = ["trialing", "active", "past_due"] as const;

export interface FeatureRow {
  id: string;
  code: string;
  name: string;
  type: "boolean" | "usage" | "seats" | "quota";
  description: string | null;
  unit_name: string | null;
  created_at: string;
  updated_at: string;
}
export interface PlanRow {
  seq: number;
  id: string;
  code: string;
  name: string;
  description: string | null;
  consumption_model: "metered" | "credits" | "balance" | null;
  is_public: number;
  is_default: number;
  is_free: number;
  block_on_exhaustion: number | null;
  sort_order: number;
  metadata: string | null;
  billing_interval: Interval;
  price: number;
  trial_days: number;
  included_credits: number | null;
  created_at: string;
  updated_at: string;
}
export interface PlanFeatureRow {
  plan_id: string;
  feature_code: string;
  enabled: number;
  included: number | null;
  unlimited: number;
  overage_enabled: number;
  overage_unit_price: number | null;
  credits_per_unit: number | null;
}
export interface CustomerRow {
  seq: number;
  id: string;
  external_id: string | null;
  full_name: string | null;
  email: string;
  tax_document: string | null;
  timezone: string | null;
  metadata: string | null;
  address: string | null;
  created_at: string;
  updated_at: string;
}
export type SubscriptionStatus = "draft" | "pending_payment" | "trialing" | "active" | "past_due" | "canceled";
export type Interval = "weekly" | "monthly" | "quarterly" | "yearly" | "one_time";
export interface SubscriptionRow {
  seq: number;
  id: string;
  customer_id: string;
  plan_id: string;
  name: string;
  description: string | null;
  status: SubscriptionStatus;
  billing_interval: Interval;
  trial_ends_at: string | null;
  period_start: string | null;
  period_end: string | null;
  start_date: string;
  end_date: string | null;
  canceled_at: string | null;
  cancel_reason: string | null;
  cancel_at_period_end: number;
  credits_remaining: number | null;
  credits_purchased: number;
  created_at: string;
  updated_at: string;
}

/** The organization's clock: real time, or the frozen simulated instant once the test clock was advanced. */
export class Clock {
  private simulated: number | null;
  constructor(private readonly db: Db) {
    const v = getMeta(db, "clock_simulated");
    this.simulated = v ? Date.parse(v) : null;
  }
  reload(): void {
    const v = getMeta(this.db, "clock_simulated");
    this.simulated = v ? Date.parse(v) : null;
  }
  nowMs(): number {
    return this.simulated ?? Date.now();
  }
  now(): Date {
    return new Date(this.nowMs());
  }
  iso(): string {
    return this.now().toISOString();
  }
  get isActive(): boolean {
    return this.simulated !== null;
  }
  get simulatedIso(): string | null {
    return this.simulated === null ? null : new Date(this.simulated).toISOString();
  }
  /** Moves the clock forward only; returns false when the target is not after the current time. */
  advanceTo(targetMs: number): boolean {
    if (targetMs <= this.nowMs()) return false;
    this.simulated = targetMs;
    setMeta(this.db, "clock_simulated", new Date(targetMs).toISOString());
    return true;
  }
}

export interface PlanGroupRow {
  seq: number;
  id: string;
  name: string;
  description: string | null;
  is_public: number;
  created_at: string;
  updated_at: string;
}

/** Plans and features change only on reset: keep them in memory for the hot paths. */
export class Catalog {
  featuresByCode = new Map<string, FeatureRow>();
  plansById = new Map<string, PlanRow>();
  plansByCode = new Map<string, PlanRow>();
  planFeatures = new Map<string, Map<string, PlanFeatureRow>>();
  planGroups = new Map<string, PlanGroupRow>();
  /** Plan id → its group and its sortOrder inside it (a plan belongs to at most one group). */
  groupOfPlan = new Map<string, { groupId: string; sortOrder: number }>();
  constructor(private readonly db: Db) {
    this.reload();
  }
  reload(): void {
    this.featuresByCode.clear();
    this.plansById.clear();
    this.plansByCode.clear();
    this.planFeatures.clear();
    this.planGroups.clear();
    this.groupOfPlan.clear();
    for (const f of this.db.prepare("SELECT * FROM features ORDER BY rowid").all() as FeatureRow[]) {
      this.featuresByCode.set(f.code, f);
    }
    for (const p of this.db.prepare("SELECT * FROM plans ORDER BY sort_order, seq").all() as PlanRow[]) {
      this.plansById.set(p.id, p);
      this.plansByCode.set(p.code, p);
      this.planFeatures.set(p.id, new Map());
    }
    for (const pf of this.db.prepare("SELECT * FROM plan_features").all() as PlanFeatureRow[]) {
      this.planFeatures.get(pf.plan_id)?.set(pf.feature_code, pf);
    }
    for (const g of this.db.prepare("SELECT * FROM plan_groups ORDER BY seq").all() as PlanGroupRow[]) {
      this.planGroups.set(g.id, g);
    }
    const members = this.db.prepare("SELECT group_id, plan_id, sort_order FROM plan_group_plans").all() as Array<{
      group_id: string;
      plan_id: string;
      sort_order: number;
    }>;
    for (const m of members) this.groupOfPlan.set(m.plan_id, { groupId: m.group_id, sortOrder: m.sort_order });
  }
  /** The plans of a group, in sortOrder. */
  groupPlans(groupId: string): Array<{ plan: PlanRow; sortOrder: number }> {
    const out: Array<{ plan: PlanRow; sortOrder: number }> = [];
    for (const [planId, m] of this.groupOfPlan) {
      const plan = this.plansById.get(planId);
      if (m.groupId === groupId && plan) out.push({ plan, sortOrder: m.sortOrder });
    }
    return out.sort((a, b) => a.sortOrder - b.sortOrder);
  }
  plan(idOrCode: string): PlanRow | undefined {
    return this.plansById.get(idOrCode) ?? this.plansByCode.get(idOrCode);
  }
  planFeature(planId: string, code: string): PlanFeatureRow | undefined {
    return this.planFeatures.get(planId)?.get(code);
  }
}

export interface EndpointRow {
  seq: number;
  id: string;
  url: string;
  events: string;
  description: string | null;
  is_active: number;
  api_version: string | null;
  secret: string;
  created_at: string;
}

/** Shared state handed to every route handler. */
export class Sandbox {
  readonly q: ReturnType<typeof statements>;
  readonly clock: Clock;
  readonly catalog: Catalog;
  organizationId: string;
  private endpoints: Array<{ row: EndpointRow; events: Set<string> }> | null = null;
  /** Called after a transaction that queued webhook deliveries. */
  onEventsQueued: () => void = () => {};
  /** Called (inside the mutation's transaction) whenever webhook endpoints were created, changed or deleted. */
  onEndpointsChanged: () => void = () => {};
  /**
   * Fault rules for live events: decided when the event is queued, so "drop the next two usage.recorded" means
   * the next two events emitted, whatever the delivery loop is doing at that moment.
   */
  dropDelivery: (eventType: string) => boolean = () => false;

  constructor(
    readonly db: Db,
    readonly origin: () => string,
  ) {
    this.q = statements(db);
    this.clock = new Clock(db);
    this.catalog = new Catalog(db);
    this.organizationId = getMeta(db, "organization_id") ?? "org_sandbox";
  }

  /** Atomic unit of work (a savepoint when a batch transaction is open). */
  tx<T>(fn: () => T): T {
    return atomic(this.db, fn);
  }

  reload(): void {
    this.clock.reload();
    this.catalog.reload();
    this.endpoints = null;
    this.organizationId = getMeta(this.db, "organization_id") ?? "org_sandbox";
  }

  invalidateEndpoints(): void {
    this.endpoints = null;
    this.onEndpointsChanged();
  }

  private activeEndpoints(): Array<{ row: EndpointRow; events: Set<string> }> {
    if (!this.endpoints) {
      const rows = this.q("SELECT * FROM webhook_endpoints WHERE is_active = 1 ORDER BY seq").all() as EndpointRow[];
      this.endpoints = rows.map((row) => ({ row, events: new Set(JSON.parse(row.events) as string[]) }));
    }
    return this.endpoints;
  }

  /** Queues `type` for every active endpoint subscribed to it (call inside the mutation's transaction). */
  emit(type: string, data: Record<string, unknown>): void {
    const targets = this.activeEndpoints().filter((e) => e.events.has(type));
    if (targets.length === 0) return;
    this.enqueue(
      type,
      data,
      targets.map((e) => e.row.id),
      false,
    );
    queueMicrotask(() => this.onEventsQueued());
  }

  /**
   * Writes one event (envelope `{id, event, timestamp, organizationId, mode, apiVersion, data}`) and a pending
   * delivery per endpoint into the outbox; `history` marks replayed seed history (delivered after live events).
   */
  enqueue(type: string, data: Record<string, unknown>, endpointIds: readonly string[], history: boolean): string {
    const id = newId("whev", 24);
    const timestamp = this.clock.iso();
    const payload = JSON.stringify({
      id,
      event: type,
      timestamp,
      organizationId: this.organizationId,
      mode: "sandbox",
      apiVersion: API_VERSION,
      data,
    });
    this.q("INSERT INTO webhook_events (id, type, payload, created_at) VALUES (?, ?, ?, ?)").run(
      id,
      type,
      payload,
      timestamp,
    );
    const now = Date.now();
    for (const endpointId of endpointIds) {
      if (!history && this.dropDelivery(type)) {
        this.q(
          `INSERT INTO webhook_deliveries (event_id, endpoint_id, status, next_attempt_at, history, last_error)
           VALUES (?, ?, 'dropped', ?, 0, 'dropped by a fault rule')`,
        ).run(id, endpointId, now);
        continue;
      }
      this.q(
        "INSERT INTO webhook_deliveries (event_id, endpoint_id, status, next_attempt_at, history) VALUES (?, ?, 'pending', ?, ?)",
      ).run(id, endpointId, now, history ? 1 : 0);
    }
    return id;
  }

  // ---- lookups ----

  findCustomer(idOrExternal: string): CustomerRow | undefined {
    return (this.q("SELECT * FROM customers WHERE id = ?").get(idOrExternal) ??
      this.q("SELECT * FROM customers WHERE external_id = ?").get(idOrExternal)) as CustomerRow | undefined;
  }

  customer(idOrExternal: string): CustomerRow {
    const c = this.findCustomer(idOrExternal);
    if (!c) throw errors.customerNotFound(idOrExternal);
    return c;
  }

  liveSubscription(customerId: string): SubscriptionRow | undefined {
    return this.q(
      "SELECT * FROM subscriptions WHERE customer_id = ? AND status IN ('trialing','active','past_due') ORDER BY seq DESC LIMIT 1",
    ).get(customerId) as SubscriptionRow | undefined;
  }

  /** Customer, live subscription and its plan, or the documented error. */
  liveContext(customerRef: string): { customer: CustomerRow; sub: SubscriptionRow; plan: PlanRow } {
    const customer = this.customer(customerRef);
    const sub = this.liveSubscription(customer.id);
    if (!sub) throw errors.noActiveSubscription(customerRef);
    const plan = this.catalog.plansById.get(sub.plan_id);
    if (!plan) throw errors.planNotFound(sub.plan_id);
    return { customer, sub, plan };
  }

  feature(code: string, param = "featureCode"): FeatureRow {
    const f = this.catalog.featuresByCode.get(code);
    if (!f) throw errors.featureNotFound(code, param);
    return f;
  }

  /** A feature that must be of `type`: any other answers "feature not found", as Commet does. */
  featureOfType(code: string, type: FeatureRow["type"]): FeatureRow {
    const f = this.feature(code);
    if (f.type !== type) throw errors.featureNotFound(code);
    return f;
  }

  planFeatureOrThrow(plan: PlanRow, code: string): PlanFeatureRow {
    const pf = this.catalog.planFeature(plan.id, code);
    if (!pf || !pf.enabled) throw errors.featureNotInPlan(code, plan.code);
    return pf;
  }

  usageTotal(sub: SubscriptionRow, code: string): number {
    const row = this.q(
      "SELECT total, period_start FROM usage_totals WHERE subscription_id = ? AND feature_code = ?",
    ).get(sub.id, code) as { total: number; period_start: string } | undefined;
    return row && row.period_start === sub.period_start ? row.total : 0;
  }

  seatCount(customerId: string, code: string): number {
    return this.balance("seat_balances", customerId, code);
  }

  quotaCount(customerId: string, code: string): number {
    return this.balance("quota_balances", customerId, code);
  }

  private balance(table: BalanceTable, customerId: string, code: string): number {
    const row = this.q(`SELECT count FROM ${table} WHERE customer_id = ? AND feature_code = ?`).get(
      customerId,
      code,
    ) as { count: number } | undefined;
    return row?.count ?? 0;
  }

  setBalance(table: BalanceTable, customerId: string, code: string, count: number, at: string): void {
    this.q(
      `INSERT INTO ${table} (customer_id, feature_code, count, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT(customer_id, feature_code) DO UPDATE SET count = excluded.count, updated_at = excluded.updated_at`,
    ).run(customerId, code, count, at);
  }
}

/** Seat and quota balances: one row per customer and feature, the same shape. */
type BalanceTable = "seat_balances" | "quota_balances";

/** The id webhooks carry for a customer: the caller's externalId when set, else the Commet id. */
export function webhookCustomerId(c: Pick<CustomerRow, "id" | "external_id">): string {
  return c.external_id ?? c.id;
}

/** The usage_events columns a usage.recorded webhook is made of. */
export interface UsageEventRef {
  id: string;
  subscription_id: string | null;
  feature_code: string;
  value: number;
  ts: string;
}

/** `usage.recorded` data (7.10.0 UsageRecordedData) — live tracks and the replayed seed history both use this. */
export function usageRecordedData(
  e: UsageEventRef,
  customer: Pick<CustomerRow, "id" | "external_id">,
): Record<string, unknown> {
  return {
    subscriptionId: e.subscription_id,
    customerId: webhookCustomerId(customer),
    usageEventId: e.id,
    featureCode: e.feature_code,
    value: e.value,
    ts: e.ts,
  };
}

export function addInterval(iso: string, interval: Interval, times = 1): string {
  const d = new Date(iso);
  switch (interval) {
    case "weekly":
      return new Date(d.getTime() + 7 * 86_400_000 * times).toISOString();
    case "monthly":
      return addMonths(d, times).toISOString();
    case "quarterly":
      return addMonths(d, 3 * times).toISOString();
    case "yearly":
      return addMonths(d, 12 * times).toISOString();
    case "one_time":
      return iso;
  }
}

function addMonths(d: Date, months: number): Date {
  const r = new Date(d.getTime());
  const day = r.getUTCDate();
  r.setUTCDate(1);
  r.setUTCMonth(r.getUTCMonth() + months);
  const last = new Date(Date.UTC(r.getUTCFullYear(), r.getUTCMonth() + 1, 0)).getUTCDate();
  r.setUTCDate(Math.min(day, last));
  return r;
}

export function parseJson<T>(text: string | null): T | null {
  return text === null ? null : (JSON.parse(text) as T);
}
