/**
 * Plan changes and reactivation in the sandbox: which change in a plan group is immediate and which waits for the
 * period end, the proration quote, the charged plan_change / reactivation invoices and the scheduled change the
 * billing run applies (docs/decisions/0014-sandbox-money-emulation.md, "Subscription changes").
 */

import { randomBytes } from "node:crypto";
import { errors } from "./errors.ts";
import { newId } from "./ids.ts";
import { advanceLines, line, nextInvoiceNumber, overageLines } from "./ledger.ts";
import { chargeInvoice, chargeOutstanding, issueRecoveryLink, settleInvoice } from "./payments.ts";
import type { InvoiceRowFull } from "./serialize.ts";
import {
  type CustomerRow,
  type Interval,
  type PlanRow,
  type Sandbox,
  type SubscriptionRow,
  addInterval,
  webhookCustomerId,
} from "./model.ts";

const DAY = 86_400_000;
/** Interval length order: a longer interval is an immediate change, a shorter one waits for the period end. */
const INTERVAL_RANK: Record<Interval, number> = { one_time: 0, weekly: 1, monthly: 2, quarterly: 3, yearly: 4 };

type ChangeType = "plan_downgrade" | "interval_change";
type Line = ReturnType<typeof line>;

export interface ScheduledChangeRow {
  subscription_id: string;
  change_type: ChangeType;
  new_plan_id: string;
  /** Null when only the plan changes (as the webhook's scheduledBillingInterval). */
  new_billing_interval: Interval | null;
  scheduled_for: string;
  created_at: string;
}

export interface ResolvedChange {
  current: PlanRow;
  target: PlanRow;
  interval: Interval;
  timing: "immediate" | "scheduled" | "same";
  changeType: ChangeType;
}

export function scheduledChange(sb: Sandbox, subscriptionId: string): ScheduledChangeRow | undefined {
  return sb.q("SELECT * FROM scheduled_plan_changes WHERE subscription_id = ?").get(subscriptionId) as
    ScheduledChangeRow | undefined;
}

/** `Subscription.scheduledPlanChange` (7.10.0). */
export function scheduledPlanChangeOut(sb: Sandbox, subscriptionId: string) {
  const c = scheduledChange(sb, subscriptionId);
  if (!c) return null;
  const plan = sb.catalog.plansById.get(c.new_plan_id);
  return {
    changeType: c.change_type,
    newPlanId: c.new_plan_id,
    newPlanName: plan?.name ?? null,
    newBillingInterval: c.new_billing_interval,
    scheduledFor: c.scheduled_for,
  };
}

function planRef(p: PlanRow) {
  return { id: p.id, name: p.name };
}

/**
 * Validates a requested change and decides its timing as Commet documents it: free → paid is immediate, paid → free
 * is scheduled; otherwise a longer interval is immediate and a shorter one scheduled; with the interval unchanged a
 * higher sortOrder in the plan group is immediate and a lower one scheduled.
 */
export function resolveChange(
  sb: Sandbox,
  s: SubscriptionRow,
  targetRef: string | undefined,
  intervalIn: Interval | undefined,
  params: { plan: string; interval: string },
): ResolvedChange {
  if (s.status !== "active") throw errors.subscriptionNotActive(s.id, s.status);
  const current = sb.catalog.plansById.get(s.plan_id)!;
  const target = targetRef ? sb.catalog.plan(targetRef) : current;
  if (!target) throw errors.planNotFound(targetRef!, params.plan);
  if (intervalIn && intervalIn !== target.billing_interval) {
    throw errors.priceNotFound(target.code, intervalIn, params.interval);
  }
  const interval = intervalIn ?? s.billing_interval;
  const base = { current, target, interval };
  if (target.id === current.id && interval === s.billing_interval) {
    return { ...base, timing: "same", changeType: "plan_downgrade" };
  }
  if (target.id !== current.id) {
    const from = sb.catalog.groupOfPlan.get(current.id);
    const to = sb.catalog.groupOfPlan.get(target.id);
    if (!from || !to || from.groupId !== to.groupId)
      throw errors.plansNotInSameGroup(current.code, target.code, params.plan);
  }
  const intervalChanged = interval !== s.billing_interval;
  const changeType: ChangeType =
    intervalChanged && target.is_free === current.is_free ? "interval_change" : "plan_downgrade";
  let immediate: boolean;
  if (current.is_free && !target.is_free) immediate = true;
  else if (!current.is_free && target.is_free) immediate = false;
  else if (intervalChanged) immediate = INTERVAL_RANK[interval] > INTERVAL_RANK[s.billing_interval];
  else {
    const from = sb.catalog.groupOfPlan.get(current.id)!.sortOrder;
    const to = sb.catalog.groupOfPlan.get(target.id)!.sortOrder;
    immediate = to > from;
  }
  return { ...base, timing: immediate ? "immediate" : "scheduled", changeType };
}

function sum(lines: Line[]): number {
  return lines.reduce((a, l) => a + l.amount, 0);
}

/**
 * The proration of an immediate change (cents): credit = old base × days remaining / days in the period; charge =
 * the new plan's full base plus its extra seats/quota for the new period, plus the metered overage accrued so far
 * (the period restarts, so it is closed out on the same invoice); total = charge − credit, never below zero.
 */
export function quote(sb: Sandbox, s: SubscriptionRow, change: ResolvedChange) {
  const start = Date.parse(s.period_start!);
  const end = Date.parse(s.period_end!);
  const totalDays = Math.max(1, Math.round((end - start) / DAY));
  const daysRemaining = Math.min(totalDays, Math.max(0, Math.ceil((end - sb.clock.nowMs()) / DAY)));
  const credit = Math.round(((change.current.price / 100) * daysRemaining) / totalDays);
  const next = { ...s, plan_id: change.target.id, billing_interval: change.interval };
  const advance = advanceLines(sb, next, change.target);
  const overage = overageLines(sb, s, change.current);
  const charge = sum(advance) + sum(overage);
  const creditsApplied = Math.min(credit, charge);
  const net = charge - creditsApplied;
  return { credit, charge, creditsApplied, net, advance, overage, daysRemaining, totalDays };
}

/** `PreviewChange` (7.10.0) of an immediate change. */
export function previewOut(sb: Sandbox, s: SubscriptionRow, change: ResolvedChange) {
  const q = quote(sb, s, change);
  return {
    currency: "USD",
    currentPlanCredit: q.credit,
    newPlanCharge: q.charge,
    estimatedTotal: q.net,
    effectiveDate: sb.clock.iso(),
    daysRemaining: q.daysRemaining,
    totalDays: q.totalDays,
    isUpgrade: true,
    object: "subscription" as const,
    livemode: false,
  };
}

export type Collect = "saved_card" | "checkout";
export type Charged =
  | { paid: true; id: string; number: string; total: number }
  | { paid: false; id: string; failure: { code: string; message: string }; transactionId: string };

/**
 * Issues an invoice of `type` and collects it (payments.ts): `saved_card` charges the customer's card per its
 * sandbox behaviour, `checkout` is the customer paying on a hosted page (always succeeds). Paid → invoice.created
 * (+ payment.received); declined → the invoice is voided and the failed transaction stays as the attempt's record.
 */
function issueChargedInvoice(
  sb: Sandbox,
  s: SubscriptionRow,
  customer: CustomerRow,
  type: "plan_change" | "reactivation",
  plan: PlanRow,
  period: { start: string; end: string },
  lines: Line[],
  collect: Collect,
): Charged {
  const now = sb.clock.iso();
  const total = sum(lines);
  const id = newId("inv");
  const number = nextInvoiceNumber(sb, period.end);
  sb.q(
    `INSERT INTO invoices (id, customer_id, subscription_id, invoice_number, status, invoice_type, currency, subtotal,
       discount_amount, tax_amount, total, period_start, period_end, issue_date, due_date, plan_name, memo, line_items, created_at, updated_at)
     VALUES (?, ?, ?, ?, 'outstanding', ?, 'USD', ?, 0, 0, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)`,
  ).run(
    id,
    customer.id,
    s.id,
    number,
    type,
    total,
    total,
    period.start,
    period.end,
    now,
    now,
    plan.name,
    JSON.stringify(lines),
    now,
    now,
  );
  const row = sb.q("SELECT * FROM invoices WHERE id = ?").get(id) as InvoiceRowFull;
  if (collect === "checkout") settleInvoice(sb, row);
  else {
    const result = chargeInvoice(sb, row);
    if (!result.paid) {
      sb.q("UPDATE invoices SET status = 'void', updated_at = ? WHERE id = ?").run(now, id);
      const failure = result.failure ?? { code: "card_declined", message: "The card was declined." };
      return { paid: false, id, failure, transactionId: result.transaction.id };
    }
  }
  sb.emit("invoice.created", {
    invoiceId: id,
    invoiceNumber: number,
    invoiceStatus: "paid",
    periodStart: period.start,
    periodEnd: period.end,
    issueDate: now,
    dueDate: now,
    currency: "USD",
    subtotal: total,
    total,
    customerId: webhookCustomerId(customer),
    subscriptionId: s.id,
  });
  return { paid: true, id, number, total };
}

/** Removes a pending scheduled change and fires subscription.plan_change_revoked (it will no longer take effect). */
export function revokeScheduled(sb: Sandbox, s: SubscriptionRow, current: PlanRow): ScheduledChangeRow | undefined {
  const pending = scheduledChange(sb, s.id);
  if (!pending) return undefined;
  dropScheduledChange(sb, s.id);
  const revoked = sb.catalog.plansById.get(pending.new_plan_id)!;
  sb.emit("subscription.plan_change_revoked", {
    subscriptionId: s.id,
    customerId: webhookCustomerId(sb.customer(s.customer_id)),
    status: s.status,
    currentPlan: planRef(current),
    revokedPlan: planRef(revoked),
    billingInterval: s.billing_interval,
    revokedBillingInterval: pending.new_billing_interval,
  });
  return pending;
}

export function dropScheduledChange(sb: Sandbox, subscriptionId: string): void {
  sb.q("DELETE FROM scheduled_plan_changes WHERE subscription_id = ?").run(subscriptionId);
}

/**
 * An immediate change: the plan switches now, the billing cycle restarts today, the plan_change invoice is issued and
 * charged; a pending scheduled change is revoked. Returns the `PlanChange` (7.10.0) answer.
 */
export function applyImmediate(
  sb: Sandbox,
  s: SubscriptionRow,
  change: ResolvedChange,
  collect: Collect = "saved_card",
) {
  const customer = sb.customer(s.customer_id);
  const q = quote(sb, s, change);
  const now = sb.clock.iso();
  const periodEnd = addInterval(now, change.interval);
  const lines: Line[] = [...q.advance, ...q.overage];
  if (q.creditsApplied > 0) {
    lines.push(
      line(
        "credit",
        null,
        `Unused ${change.current.name} time (${q.daysRemaining} of ${q.totalDays} days)`,
        1,
        -q.creditsApplied,
        -q.creditsApplied,
        null,
        null,
        null,
        "standard",
      ),
    );
  }
  const invoice =
    lines.length > 0
      ? issueChargedInvoice(
          sb,
          s,
          customer,
          "plan_change",
          change.target,
          { start: now, end: periodEnd },
          lines,
          collect,
        )
      : null;
  // Declined: nothing changes but the recorded attempt (failed transaction, voided invoice).
  if (invoice && !invoice.paid) throw errors.chargeFailed(invoice.failure, invoice.transactionId, invoice.id);
  revokeScheduled(sb, s, change.current);
  sb.q(
    `UPDATE subscriptions SET plan_id = ?, billing_interval = ?, period_start = ?, period_end = ?, credits_remaining = ?,
       updated_at = ? WHERE id = ?`,
  ).run(change.target.id, change.interval, now, periodEnd, change.target.included_credits, now, s.id);
  sb.q("DELETE FROM usage_totals WHERE subscription_id = ?").run(s.id);
  sb.emit("subscription.plan_changed", {
    subscriptionId: s.id,
    customerId: webhookCustomerId(customer),
    previousPlan: planRef(change.current),
    currentPlan: planRef(change.target),
    billingInterval: change.interval,
    credit: q.credit,
    charge: q.charge,
    totalCharged: q.net,
  });
  return {
    id: s.id,
    customerId: s.customer_id,
    previousPlan: planRef(change.current),
    currentPlan: { ...planRef(change.target), price: change.target.price },
    billingInterval: change.interval,
    billing: {
      credit: q.credit,
      creditsApplied: q.creditsApplied,
      charge: q.charge,
      taxAmount: 0,
      netAmount: q.net,
      totalCharged: q.net,
      remainingCreditBalance: q.credit - q.creditsApplied,
    },
    ...(invoice ? { invoiceId: invoice.id } : {}),
    object: "subscription" as const,
    livemode: false,
  };
}

/** A seats feature the customer already holds more of than the new plan includes, with no overage to absorb it. */
function seatLimitWarning(sb: Sandbox, s: SubscriptionRow, target: PlanRow, effectiveDate: string) {
  for (const pf of sb.catalog.planFeatures.get(target.id)?.values() ?? []) {
    const f = sb.catalog.featuresByCode.get(pf.feature_code)!;
    if (f.type !== "seats" || pf.unlimited || pf.overage_enabled) continue;
    const currentSeats = sb.seatCount(s.customer_id, f.code);
    const included = pf.included ?? 0;
    if (currentSeats > included) {
      return {
        featureCode: f.code,
        featureName: f.name,
        currentSeats,
        included,
        newPlanName: target.name,
        effectiveDate,
      };
    }
  }
  return undefined;
}

/**
 * Schedules a change for the period end (one pending change per subscription: a different one replaces it with
 * plan_change_revoked + plan_change_scheduled; the same one again is a no-op). Returns the `PlanChange` answer.
 */
export function scheduleChange(sb: Sandbox, s: SubscriptionRow, change: ResolvedChange) {
  const scheduledFor = s.period_end!;
  const newInterval = change.interval !== s.billing_interval ? change.interval : null;
  const pending = scheduledChange(sb, s.id);
  const same = pending && pending.new_plan_id === change.target.id && pending.new_billing_interval === newInterval;
  if (!same) {
    revokeScheduled(sb, s, change.current);
    const now = sb.clock.iso();
    sb.q(
      `INSERT INTO scheduled_plan_changes (subscription_id, change_type, new_plan_id, new_billing_interval, scheduled_for, created_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
    ).run(s.id, change.changeType, change.target.id, newInterval, scheduledFor, now);
    sb.q("UPDATE subscriptions SET updated_at = ? WHERE id = ?").run(now, s.id);
    sb.emit("subscription.plan_change_scheduled", {
      subscriptionId: s.id,
      customerId: webhookCustomerId(sb.customer(s.customer_id)),
      status: s.status,
      currentPlan: planRef(change.current),
      scheduledPlan: planRef(change.target),
      billingInterval: s.billing_interval,
      scheduledBillingInterval: newInterval,
      effectiveAt: scheduledFor,
    });
  }
  const warning = seatLimitWarning(sb, s, change.target, scheduledFor);
  return {
    id: s.id,
    scheduled: true,
    scheduledFor,
    changeType: `subscription.${change.changeType}` as const,
    customerId: s.customer_id,
    newPlanId: change.target.id,
    newPlanName: change.target.name,
    newBillingInterval: change.interval,
    currentPlan: { ...planRef(change.current), price: change.current.price },
    billingInterval: s.billing_interval,
    ...(warning ? { seatLimitWarning: warning } : {}),
    object: "subscription" as const,
    livemode: false,
  };
}

/**
 * change-plan back to the current plan and interval while a change is pending: the pending change is revoked
 * (subscription.plan_change_revoked). Without one there is nothing to change (no_change_requested).
 */
export function revokeByChangingBack(sb: Sandbox, s: SubscriptionRow, change: ResolvedChange, param: string) {
  if (!revokeScheduled(sb, s, change.current)) throw errors.noChangeRequested(param);
  sb.q("UPDATE subscriptions SET updated_at = ? WHERE id = ?").run(sb.clock.iso(), s.id);
  return {
    id: s.id,
    scheduled: false,
    customerId: s.customer_id,
    currentPlan: { ...planRef(change.current), price: change.current.price },
    billingInterval: s.billing_interval,
    object: "subscription" as const,
    livemode: false,
  };
}

/**
 * For the billing run (ledger.ts closePeriod): the change scheduled for this period end, removed from the schedule.
 * `announce(charged)` fires subscription.plan_changed once the renewal invoice is issued (no proration at renewal).
 */
export function takeScheduledChange(
  sb: Sandbox,
  s: SubscriptionRow,
): { plan: PlanRow; interval: Interval; announce(charged: number): void } | null {
  const pending = scheduledChange(sb, s.id);
  if (!pending || !s.period_end || pending.scheduled_for > s.period_end) return null;
  const plan = sb.catalog.plansById.get(pending.new_plan_id);
  dropScheduledChange(sb, s.id);
  if (!plan) return null;
  const previous = sb.catalog.plansById.get(s.plan_id)!;
  const interval = pending.new_billing_interval ?? s.billing_interval;
  return {
    plan,
    interval,
    announce(charged) {
      sb.emit("subscription.plan_changed", {
        subscriptionId: s.id,
        customerId: webhookCustomerId(sb.customer(s.customer_id)),
        previousPlan: planRef(previous),
        currentPlan: planRef(plan),
        billingInterval: interval,
        credit: 0,
        charge: charged,
        totalCharged: charged,
      });
    },
  };
}

/**
 * Reactivates a canceled subscription: a fresh reactivation invoice at the plan's current price, charged, and a new
 * billing period anchored to now; subscription.reactivated.
 */
export function reactivateCanceled(sb: Sandbox, s: SubscriptionRow, collect: Collect = "saved_card") {
  const customer = sb.customer(s.customer_id);
  const blocking = sb
    .q(
      "SELECT id FROM subscriptions WHERE customer_id = ? AND id != ? AND status IN ('draft','pending_payment','trialing','active','past_due') LIMIT 1",
    )
    .get(s.customer_id, s.id) as { id: string } | undefined;
  if (blocking) throw errors.alreadyHasActiveSubscription(webhookCustomerId(customer), blocking.id);
  const plan = sb.catalog.plansById.get(s.plan_id);
  if (!plan) throw errors.planNotFound(s.plan_id);
  const now = sb.clock.iso();
  const periodEnd = addInterval(now, s.billing_interval);
  const next = { ...s, period_start: now, period_end: periodEnd };
  const lines = advanceLines(sb, next, plan);
  if (lines.length === 0) {
    lines.push(
      line("plan_base", null, `${plan.name} plan (${s.billing_interval})`, 1, 0, 0, null, null, null, "advance"),
    );
  }
  const invoice = issueChargedInvoice(
    sb,
    s,
    customer,
    "reactivation",
    plan,
    { start: now, end: periodEnd },
    lines,
    collect,
  );
  if (!invoice.paid) {
    // Documented: the subscription stays canceled and the error carries a link where the customer pays with a new card.
    const recoveryUrl = createCheckout(sb, "reactivation", s, plan.id, s.billing_interval);
    throw errors.paymentFailed("The reactivation charge was declined; the subscription stays canceled.", {
      recoveryUrl,
      failureCode: invoice.failure.code,
      failureMessage: invoice.failure.message,
      transactionId: invoice.transactionId,
    });
  }
  dropScheduledChange(sb, s.id);
  sb.q(
    `UPDATE subscriptions SET status = 'active', period_start = ?, period_end = ?, end_date = NULL, canceled_at = NULL,
       cancel_reason = NULL, cancel_at_period_end = 0, credits_remaining = ?, updated_at = ? WHERE id = ?`,
  ).run(now, periodEnd, plan.included_credits, now, s.id);
  sb.q("DELETE FROM usage_totals WHERE subscription_id = ?").run(s.id);
  sb.emit("subscription.reactivated", {
    subscriptionId: s.id,
    customerId: webhookCustomerId(customer),
    status: "active",
    currentPeriodStart: now,
    currentPeriodEnd: periodEnd,
    name: s.name,
    invoiceId: invoice.id,
    invoiceNumber: invoice.number,
    invoiceTotal: invoice.total,
    invoiceCurrency: "USD",
    provider: "commet",
  });
  return { id: s.id, retryInitiated: false, object: "subscription" as const, livemode: false };
}

/**
 * Reactivates a past_due subscription: retries its outstanding renewal charge(s) with the saved card (payments.ts
 * chargeOutstanding: payment.received + payment.recovered, active again on the original billing anchor).
 */
export function recoverPastDue(sb: Sandbox, s: SubscriptionRow) {
  // A transactions.retry still settling would collect the same invoice twice.
  const pending = sb
    .q(
      `SELECT t.id FROM transactions t JOIN invoices i ON i.id = t.invoice_id
       WHERE i.subscription_id = ? AND i.status = 'outstanding' AND t.status = 'pending' LIMIT 1`,
    )
    .get(s.id) as { id: string } | undefined;
  if (pending) throw errors.chargeInProgress(s.id, pending.id);
  for (let first = true; ; first = false) {
    const result = chargeOutstanding(sb, s.id);
    if (!result) {
      if (first) throw errors.noOutstandingInvoice(s.id);
      break;
    }
    if (!result.paid) {
      // Documented: a declined retry answers an error whose details carry a recovery link for the customer.
      const failure = result.failure ?? { code: "card_declined", message: "The card was declined." };
      throw errors.paymentFailed("The renewal charge was declined; the subscription stays past_due.", {
        recoveryUrl: issueRecoveryLink(sb, s.id, result.transaction.invoice_id!).url,
        failureCode: failure.code,
        failureMessage: failure.message,
        transactionId: result.transaction.id,
      });
    }
  }
  return { id: s.id, retryInitiated: true, object: "subscription" as const, livemode: false };
}

/**
 * A hosted checkout page (routes/subscription-changes.ts renderChangeCheckout): `change` = a free → paid plan change,
 * `reactivation` = the recovery link of a declined reactivation. Paying applies it once.
 */
export function createCheckout(
  sb: Sandbox,
  kind: "change" | "reactivation",
  s: SubscriptionRow,
  newPlanId: string,
  interval: Interval,
  successUrl?: string,
): string {
  const token = randomBytes(24).toString("base64url");
  sb.q(
    `INSERT INTO plan_change_checkouts (token, kind, subscription_id, new_plan_id, new_billing_interval, success_url, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  ).run(token, kind, s.id, newPlanId, interval, successUrl ?? null, sb.clock.iso());
  return `${sb.origin()}/checkout/change/${token}`;
}
