/**
 * server/customer-view — everything the customer page (/customers/:customerId) shows, read live
 * from Commet (never from the local directory index, which at most says which reads can start early).
 *
 *   loadCustomerView(customerRef, { commet?, audit?, onCall?, timeoutMs?, known? }) → CustomerPanels
 *     starts every Commet call at once — customers.get, subscriptions.getActive, subscriptions.list,
 *     featureAccess.list, seats.getAllBalances, quota.getAll, invoices.list — and returns one promise
 *     per panel. A panel promise never rejects: it settles to { ok: true, data } or
 *     { ok: false, problem } (server/commet/errors.ts mapping), so one failing or slow call
 *     degrades only its own panel. `customerRef` is a Commet id or an externalId.
 *   settleWithin(promise, ms) → the settled value, or undefined when it takes longer (the route uses
 *     it to answer 404 for an unknown customer without waiting on a slow Commet).
 *
 * Bench: `npm run bench:customer-page` (server/customer-view/bench.ts).
 */
import {
  CommetAPIError,
  type Commet,
  type Customer,
  type FeatureAccess,
  type Invoice,
  type Subscription,
  type UsageQuota,
} from "@commet/node";
import { z } from "zod";
import type { Problem } from "../../app/contracts/problem.ts";
import { listAuditRows } from "../audit/index.ts";
import { getCommet } from "../commet/client.ts";
import { toCommetProblem } from "../commet/errors.ts";
import type {
  CustomerPanels,
  FeatureView,
  InvoiceView,
  PanelName,
  PanelResult,
  ProfileView,
  QuotaView,
  SeatView,
  StaffActionView,
  SubscriptionView,
} from "../../app/contracts/customer-view.ts";
import { logger } from "../observability/index.ts";

/** The part of the SDK the page reads (a real `Commet` fits; tests pass one bound to a sandbox). */
export type CustomerViewCommet = {
  customers: Pick<Commet["customers"], "get" | "list">;
  subscriptions: Pick<Commet["subscriptions"], "getActive" | "list">;
  featureAccess: Pick<Commet["featureAccess"], "list">;
  seats: Pick<Commet["seats"], "getAllBalances">;
  quota: Pick<Commet["quota"], "getAll">;
  invoices: Pick<Commet["invoices"], "list" | "get">;
};

/** Reads this customer's recent staff actions (server/audit's listAudit fits). */
export type StaffActionsSource = (customerIds: string[], limit: number) => Promise<StaffActionView[]>;

export interface CustomerViewOptions {
  commet?: CustomerViewCommet;
  /** Recent staff actions for the audit panel; default: server/audit. */
  staffActions?: StaffActionsSource;
  /** Called when each Commet call settles (bench, logs). */
  onCall?: (name: CommetCallName, ms: number, ok: boolean) => void;
  /** Per-attempt timeout of each Commet call (the SDK retries 408/429/5xx on its own). */
  timeoutMs?: number;
  /** A panel whose call has not settled by then shows "Commet is slow" (default PANEL_DEADLINE_MS). */
  deadlineMs?: number;
  /** The customer as the directory index knows it: the invoice read starts beside the profile read (see KnownCustomer). */
  known?: KnownCustomer | null;
}

/**
 * A customer's Commet id and email as the console's directory index last saw them: a hint that lets reads needing
 * them start beside the profile read, used only when the profile agrees (otherwise those reads are made again).
 */
export type KnownCustomer = { id: string; email: string };

/**
 * `read(hint)` started now, beside whatever settles `actual`; its answer is used when `actual` turns out the same
 * (`same`), else `read(actual)` is made then. No hint: `read(actual)` once `actual` settles (a rejection passes on).
 */
export async function readAhead<K, T>(
  hint: K | null | undefined,
  actual: Promise<K>,
  same: (hint: K, actual: K) => boolean,
  read: (key: K) => Promise<T>,
): Promise<T> {
  const early = hint == null ? null : read(hint);
  early?.catch(() => {}); // unused when `actual` differs or fails: its rejection must not go unhandled
  const key = await actual;
  return early && same(hint!, key) ? early : read(key);
}

export type CommetCallName =
  | "customers.get"
  | "subscriptions.getActive"
  | "subscriptions.list"
  | "featureAccess.list"
  | "seats.getAllBalances"
  | "quota.getAll"
  | "invoices.list";

export const INVOICES_SHOWN = 12;
export const STAFF_ACTIONS_SHOWN = 10;
/**
 * Invoices are read in Commet's largest page: the Payments panel reads the same first page (server/payments),
 * so both panels share one call; the Invoices panel shows the first INVOICES_SHOWN of it.
 */
export const INVOICE_PAGE_LIMIT = 100;
/** Per-attempt timeout of the page's Commet reads; the write forms' reads use it too, so they share the calls. */
export const PANEL_READ_TIMEOUT_MS = 3_500;

const unexpected: Problem = {
  kind: "unavailable",
  title: "This panel could not load",
  message: "The console hit an unexpected error reading this from Commet. The details are in the server log.",
  retryable: true,
};

/** A Commet failure (or anything else) as the Problem its panel shows. */
export function panelProblem(error: unknown, panel: string): Problem {
  const problem = toCommetProblem(error);
  if (problem) return problem;
  logger("customer-view").error({ err: error, panel }, "panel failed");
  return unexpected;
}

/**
 * What a panel shows when Commet has not answered by the deadline (the SDK may still be retrying a
 * 5xx with backoff). The page's stream must close before Remix's stream timeout (≈ 5 s), so a panel
 * never waits longer than `PANEL_DEADLINE_MS`.
 */
export const PANEL_DEADLINE_MS = 4_000;

function slowProblem(ms: number): Problem {
  return {
    kind: "unavailable",
    title: "Commet is slow to answer",
    message: `Commet did not answer within ${(ms / 1000).toFixed(0)} s — it may be retrying a temporary failure. Try again in a moment.`,
    retryable: true,
  };
}

/** A panel promise that never rejects and settles by the deadline (a slow Commet shows "Commet is slow"). */
export async function toPanel<T>(
  promise: Promise<T>,
  panel: string,
  deadlineMs = PANEL_DEADLINE_MS,
): Promise<PanelResult<T>> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<PanelResult<T>>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, problem: slowProblem(deadlineMs) }), deadlineMs);
  });
  const settled = promise.then(
    (data): PanelResult<T> => ({ ok: true, data }),
    (error: unknown): PanelResult<T> => ({ ok: false, problem: panelProblem(error, panel) }),
  );
  try {
    return await Promise.race([settled, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The promise's value (or rejection, rethrown) when it settles within `ms`; undefined after that. */
export async function settleWithin<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

function toProfile(c: Customer): ProfileView {
  return {
    id: c.id,
    externalId: c.externalId ?? null,
    fullName: c.fullName ?? null,
    email: c.email,
    taxDocument: c.taxDocument ?? null,
    timezone: c.timezone ?? null,
    metadata: c.metadata && Object.keys(c.metadata).length > 0 ? c.metadata : null,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
    livemode: c.livemode,
  };
}

export function toSubscriptionView(s: Subscription): SubscriptionView {
  return {
    id: s.id,
    name: s.name,
    status: s.status,
    planId: s.plan.id,
    planName: s.plan.name,
    billingInterval: s.billingInterval ?? null,
    consumptionModel: s.consumptionModel ?? null,
    trialEndsAt: s.trialEndsAt ?? null,
    currentPeriod: s.currentPeriod ?? null,
    cancellation: s.cancellation ?? null,
    cancelAtPeriodEnd: s.cancelAtPeriodEnd ?? false,
    scheduledPlanChange: s.scheduledPlanChange
      ? {
          changeType: s.scheduledPlanChange.changeType,
          newPlanName: s.scheduledPlanChange.newPlanName,
          newBillingInterval: s.scheduledPlanChange.newBillingInterval,
          scheduledFor: s.scheduledPlanChange.scheduledFor,
        }
      : null,
    discount: s.discount ?? null,
    nextBillingDate: s.nextBillingDate ?? null,
    startDate: s.startDate,
    endDate: s.endDate ?? null,
    credits: s.credits ?? null,
    balance: s.balance ?? null,
  };
}

function toFeature(f: FeatureAccess): FeatureView {
  return {
    code: f.code,
    name: f.name,
    type: f.type,
    allowed: f.allowed,
    enabled: f.enabled ?? null,
    current: f.current ?? null,
    included: f.included ?? null,
    remaining: f.remaining ?? null,
    overageQuantity: f.overageQuantity ?? null,
    overageUnitPrice: f.overageUnitPrice ?? null,
    overageEnabled: f.overageEnabled ?? null,
    unlimited: f.unlimited ?? false,
  };
}

function toQuota(q: UsageQuota): QuotaView {
  return {
    featureCode: q.featureCode,
    current: q.current,
    included: q.included,
    remaining: q.remaining,
    billedQuantity: q.billedQuantity,
    unlimited: q.unlimited,
    overageEnabled: q.overageEnabled,
  };
}

function toInvoice(i: Invoice): InvoiceView {
  return {
    id: i.id,
    invoiceNumber: i.invoiceNumber,
    status: i.status,
    invoiceType: i.invoiceType,
    currency: i.currency,
    subtotal: i.subtotal,
    total: i.total,
    periodStart: i.periodStart,
    periodEnd: i.periodEnd,
    issueDate: i.issueDate,
    dueDate: i.dueDate,
    planName: i.planName ?? null,
  };
}

/**
 * seats.getAllBalances: @commet/node 7.10.0 types the answer as a bare `SeatBalanceListItem`, but
 * Commet sends a `SeatBalanceCollection` ({ balances: { code: { current, asOf } } }, see the API
 * schemas). Parsed here instead of trusted.
 */
const seatCollectionSchema = z.object({
  balances: z.record(z.string(), z.object({ current: z.number(), asOf: z.string() })),
});

export function toSeats(data: unknown): SeatView[] {
  const { balances } = seatCollectionSchema.parse(data);
  return Object.entries(balances)
    .map(([featureCode, b]) => ({ featureCode, current: b.current, asOf: b.asOf }))
    .sort((a, b) => a.featureCode.localeCompare(b.featureCode));
}

/** Recent staff actions on this customer, from the audit trail (server/audit). */
export const auditStaffActions: StaffActionsSource = async (customerIds, limit) => {
  const { rows } = await listAuditRows({ customerId: [...new Set(customerIds)] }, { pageSize: limit, page: 1 });
  return rows.map((e) => ({
    id: e.id,
    createdAt: e.createdAt,
    actorEmail: e.actor.email,
    role: e.role,
    action: e.action,
    status: e.status,
    errorCode: e.errorCode,
  }));
};

/** The `data` of a successful answer; a success without data is not Commet's contract. */
function required<T>(response: { data?: T }, what: string): T {
  if (response.data === undefined || response.data === null) throw new Error(`Commet answered ${what} without data`);
  return response.data;
}

function isNotFound(error: unknown): boolean {
  return toCommetProblem(error)?.kind === "not_found";
}

/**
 * The customer by Commet id, or else by externalId (customers.list filters on it exactly): a
 * second request only when the first answers 404.
 */
export async function getCustomer(
  commet: Pick<CustomerViewCommet, "customers">,
  customerRef: string,
  timeout: number,
): Promise<Customer> {
  try {
    return required(await commet.customers.get({ id: customerRef }, { timeout }), "customers.get");
  } catch (error) {
    if (!isNotFound(error)) throw error;
    const page = await commet.customers.list({ externalId: customerRef, limit: 1 }, { timeout });
    const found = page.data?.find((c) => c.externalId === customerRef);
    if (!found) throw error;
    return found;
  }
}

/** Starts every Commet call of the customer page at once; one promise per panel. */
/** A customer without an active subscription has no features or quota: Commet's 404 for that is an empty list. */
async function withoutSubscriptionEmpty<T>(call: () => Promise<T[]>): Promise<T[]> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof CommetAPIError && error.code === "no_active_subscription") return [];
    throw error;
  }
}

export function loadCustomerView(customerRef: string, options: CustomerViewOptions = {}): CustomerPanels {
  const commet = options.commet ?? getCommet();
  const timeout = options.timeoutMs ?? PANEL_READ_TIMEOUT_MS;
  const staffActions = options.staffActions ?? auditStaffActions;
  const deadline = options.deadlineMs ?? PANEL_DEADLINE_MS;
  const panel = <T>(promise: Promise<T>, name: PanelName) => toPanel(promise, name, deadline);

  const timed = <T>(name: CommetCallName, call: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const promise = call();
    promise.then(
      () => options.onCall?.(name, performance.now() - started, true),
      () => options.onCall?.(name, performance.now() - started, false),
    );
    return promise;
  };
  const customerId = { customerId: customerRef };

  const customer = timed("customers.get", () => getCustomer(commet, customerRef, timeout));
  const active = timed(
    "subscriptions.getActive",
    async () => (await commet.subscriptions.getActive(customerId, { timeout })).data ?? null,
  );
  const history = timed(
    "subscriptions.list",
    async () => (await commet.subscriptions.list(customerId, { timeout })).data ?? [],
  );
  const features = timed("featureAccess.list", async () =>
    withoutSubscriptionEmpty(async () => (await commet.featureAccess.list(customerId, { timeout })).data ?? []),
  );
  const seats = timed(
    "seats.getAllBalances",
    async () => (await commet.seats.getAllBalances(customerId, { timeout })).data,
  );
  const quota = timed("quota.getAll", async () =>
    withoutSubscriptionEmpty(async () => (await commet.quota.getAll(customerId, { timeout })).data ?? []),
  );
  // By Commet id once the profile has it (an externalId in the URL too), as the Payments panel reads them.
  // Started at once when the index knows the id (one Commet round trip less).
  const invoices = timed("invoices.list", () =>
    readAhead(
      options.known?.id,
      customer.then(
        (c) => c.id,
        () => customerRef,
      ),
      (a, b) => a === b,
      (customerId) => commet.invoices.list({ customerId, limit: INVOICE_PAGE_LIMIT }, { timeout }),
    ),
  );

  // The audit trail is local: it only needs the customer's ids, known once the profile arrives.
  const actions = customer.then(
    (c) => staffActions([c.id, ...(c.externalId ? [c.externalId] : [])], STAFF_ACTIONS_SHOWN),
    () => staffActions([customerRef], STAFF_ACTIONS_SHOWN),
  );

  return {
    profile: panel(customer.then(toProfile), "profile"),
    subscription: panel(
      active.then((s) => (s ? toSubscriptionView(s) : null)),
      "subscription",
    ),
    history: panel(
      history.then((list) => list.map(toSubscriptionView).sort((a, b) => b.startDate.localeCompare(a.startDate))),
      "history",
    ),
    features: panel(
      features.then((list) => list.map(toFeature)),
      "features",
    ),
    seats: panel(seats.then(toSeats), "seats"),
    quota: panel(
      quota.then((list) => list.map(toQuota)),
      "quota",
    ),
    invoices: panel(
      invoices.then((page) => {
        const list = page.data ?? [];
        return {
          invoices: list.slice(0, INVOICES_SHOWN).map(toInvoice),
          hasMore: list.length > INVOICES_SHOWN || (page.hasMore ?? false),
        };
      }),
      "invoices",
    ),
    staffActions: panel(actions, "staffActions"),
  };
}
