/**
 * The sandbox's recurring billing: an invoice when a paid period starts (base, extra seats, in advance) and, when one
 * closes, a recurring invoice (overage true-up plus the next period's base and seats). Invoices are in cents, plan
 * prices in rate scale (10000 = $1.00), hence the /100.
 */

import { newId } from "./ids.ts";
import {
  type CustomerRow,
  type PlanRow,
  type Sandbox,
  type SubscriptionRow,
  addInterval,
  webhookCustomerId,
} from "./model.ts";
import { dropScheduledChange, takeScheduledChange } from "./plan-change.ts";
import { chargeRenewal, settleInvoice } from "./payments.ts";
import type { InvoiceRowFull } from "./serialize.ts";

const DAY = 86_400_000;
type Line = ReturnType<typeof line>;

/** One invoice line as Commet's invoices carry it (amounts in cents). */
export function line(
  lineType: string,
  featureName: string | null,
  description: string,
  quantity: number,
  unitAmount: number,
  amount: number,
  includedAmount: number | null,
  usedAmount: number | null,
  overageAmount: number | null,
  chargeType: "standard" | "advance" | "true_up",
  discount: { type: "percentage" | "fixed"; value: number; name: string } | null = null,
) {
  return {
    lineType,
    featureName,
    description,
    quantity,
    unitAmount,
    amount: Math.round(amount),
    includedAmount,
    usedAmount,
    overageAmount,
    discountType: discount?.type ?? null,
    discountValue: discount?.value ?? null,
    discountName: discount?.name ?? null,
    chargeType,
  };
}

/** The plan's base price for one period, charged in advance (plan prices are rate scale, hence the /100). */
export function planBaseLine(planName: string, price: number, interval: string): Line {
  return line(
    "plan_base",
    null,
    `${planName} plan (${interval})`,
    1,
    price / 100,
    price / 100,
    null,
    null,
    null,
    "advance",
  );
}

export function nextInvoiceNumber(sb: Sandbox, periodEnd: string): string {
  const n = (sb.q("SELECT MAX(seq) AS n FROM invoices").get() as { n: number | null }).n ?? 0;
  return `INV-${new Date(periodEnd).getUTCFullYear()}-${String(n + 1).padStart(6, "0")}`;
}

/** Plan base and seats/quota held beyond the included amount, charged in advance. */
export function advanceLines(sb: Sandbox, s: SubscriptionRow, plan: PlanRow): Line[] {
  const lines: Line[] = [];
  if (plan.price > 0) {
    lines.push(planBaseLine(plan.name, plan.price, s.billing_interval));
  }
  for (const pf of sb.catalog.planFeatures.get(plan.id)?.values() ?? []) {
    const f = sb.catalog.featuresByCode.get(pf.feature_code)!;
    if (!pf.enabled || !pf.overage_enabled || pf.unlimited || pf.overage_unit_price === null) continue;
    if (f.type !== "seats" && f.type !== "quota") continue;
    const included = pf.included ?? 0;
    const count = f.type === "seats" ? sb.seatCount(s.customer_id, f.code) : sb.quotaCount(s.customer_id, f.code);
    const extra = Math.max(0, count - included);
    if (extra > 0) {
      lines.push(
        line(
          f.type === "seats" ? "feature_seats" : "feature_quota",
          f.name,
          `${extra} ${f.name.toLowerCase()} beyond the included ${included}`,
          extra,
          pf.overage_unit_price / 100,
          (extra * pf.overage_unit_price) / 100,
          included,
          count,
          extra,
          "advance",
        ),
      );
    }
  }
  return lines;
}

/** Metered usage beyond the included amount in the period that just closed. */
export function overageLines(sb: Sandbox, s: SubscriptionRow, plan: PlanRow): Line[] {
  if (plan.consumption_model === "credits") return [];
  const lines: Line[] = [];
  for (const pf of sb.catalog.planFeatures.get(plan.id)?.values() ?? []) {
    const f = sb.catalog.featuresByCode.get(pf.feature_code)!;
    if (f.type !== "usage" || !pf.enabled || !pf.overage_enabled || pf.unlimited || pf.overage_unit_price === null)
      continue;
    const included = pf.included ?? 0;
    const used = sb.usageTotal(s, f.code);
    const over = Math.max(0, used - included);
    if (over > 0) {
      lines.push(
        line(
          "feature_overage",
          f.name,
          `${over} ${f.unit_name ?? "unit"}s over the included ${included}`,
          over,
          pf.overage_unit_price / 100,
          (over * pf.overage_unit_price) / 100,
          included,
          used,
          over,
          "true_up",
        ),
      );
    }
  }
  return lines;
}

/**
 * Writes an invoice (outstanding) and collects it: `checkout` = the customer is present and the test card pays at
 * once; `renewal` = the saved card is charged by payments.ts chargeRenewal, per the customer's card behaviour.
 */
function issueInvoice(
  sb: Sandbox,
  s: SubscriptionRow,
  customer: CustomerRow,
  plan: PlanRow,
  period: { start: string; end: string },
  lines: Line[],
  collect: "checkout" | "renewal",
): { id: string; number: string; total: number; paid: boolean } | null {
  if (lines.length === 0) return null;
  const now = sb.clock.iso();
  const subtotal = lines.reduce((a, l) => a + l.amount, 0);
  const invoiceId = newId("inv");
  const number = nextInvoiceNumber(sb, period.end);
  const due = new Date(Date.parse(now) + 7 * DAY).toISOString();
  sb.q(
    `INSERT INTO invoices (id, customer_id, subscription_id, invoice_number, status, invoice_type, currency, subtotal,
       discount_amount, tax_amount, total, period_start, period_end, issue_date, due_date, plan_name, memo, line_items, created_at, updated_at)
     VALUES (?, ?, ?, ?, 'outstanding', 'recurring', 'USD', ?, 0, 0, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)`,
  ).run(
    invoiceId,
    customer.id,
    s.id,
    number,
    subtotal,
    subtotal,
    period.start,
    period.end,
    now,
    due,
    plan.name,
    JSON.stringify(lines),
    now,
    now,
  );
  const invoice = sb.q("SELECT * FROM invoices WHERE id = ?").get(invoiceId) as InvoiceRowFull;
  const paid = collect === "checkout" ? (settleInvoice(sb, invoice), true) : chargeRenewal(sb, s, invoiceId).paid;
  const customerRef = webhookCustomerId(customer);
  sb.emit("invoice.created", {
    invoiceId,
    invoiceNumber: number,
    invoiceStatus: paid ? "paid" : "outstanding",
    periodStart: period.start,
    periodEnd: period.end,
    issueDate: now,
    dueDate: due,
    currency: "USD",
    subtotal,
    total: subtotal,
    customerId: customerRef,
    subscriptionId: s.id,
  });
  return { id: invoiceId, number, total: subtotal, paid };
}

/**
 * A subscription just became active (free plan, paid plan charged at once, checkout paid): its first
 * invoice (plan base and extra seats in advance; a zero invoice on a free plan) and subscription.activated.
 */
export function subscriptionActivated(sb: Sandbox, s: SubscriptionRow): void {
  const plan = sb.catalog.plansById.get(s.plan_id)!;
  const customer = sb.customer(s.customer_id);
  const period = { start: s.period_start!, end: s.period_end! };
  const lines = advanceLines(sb, s, plan);
  if (lines.length === 0) {
    lines.push(
      line("plan_base", null, `${plan.name} plan (${s.billing_interval})`, 1, 0, 0, null, null, null, "advance"),
    );
  }
  const invoice = issueInvoice(sb, s, customer, plan, period, lines, "checkout")!;
  sb.emit("subscription.activated", {
    subscriptionId: s.id,
    customerId: webhookCustomerId(customer),
    status: "active",
    currentPeriodStart: period.start,
    currentPeriodEnd: period.end,
    name: s.name,
    invoiceId: invoice.id,
    invoiceNumber: invoice.number,
    invoiceTotal: invoice.total,
    invoiceCurrency: "USD",
    provider: "commet",
  });
}

/**
 * Closes one period of a live subscription and starts the next (usage reset, plan credits refilled). A plan change
 * scheduled for this period end takes effect here: the closed period's overage on the old plan, the next period's
 * base and seats on the new one (plan-change.ts).
 */
function closePeriod(sb: Sandbox, s: SubscriptionRow): void {
  const plan = sb.catalog.plansById.get(s.plan_id)!;
  const customer = sb.customer(s.customer_id);
  const wasTrial = s.status === "trialing";
  const change = takeScheduledChange(sb, s);
  const nextPlan = change?.plan ?? plan;
  const nextInterval = change?.interval ?? s.billing_interval;
  const next = { ...s, plan_id: nextPlan.id, billing_interval: nextInterval };
  const advance = advanceLines(sb, next, nextPlan);
  const lines = [...(wasTrial ? [] : overageLines(sb, s, plan)), ...advance];
  const now = sb.clock.iso();
  sb.q(
    "UPDATE subscriptions SET status = ?, plan_id = ?, billing_interval = ?, period_start = ?, period_end = ?, credits_remaining = ?, updated_at = ? WHERE id = ?",
  ).run(
    wasTrial ? "active" : s.status,
    nextPlan.id,
    nextInterval,
    s.period_end,
    addInterval(s.period_end!, nextInterval),
    nextPlan.included_credits,
    now,
    s.id,
  );
  sb.q("DELETE FROM usage_totals WHERE subscription_id = ?").run(s.id);
  // Charged after the period moved on: a decline puts the renewed subscription past_due (payments.ts).
  const invoice = issueInvoice(
    sb,
    s,
    customer,
    nextPlan,
    { start: s.period_start!, end: s.period_end! },
    lines,
    "renewal",
  );
  change?.announce(advance.reduce((a, l) => a + l.amount, 0));
  if (wasTrial && invoice?.paid !== false) {
    sb.emit("trial.converted", {
      subscriptionId: s.id,
      customerId: webhookCustomerId(customer),
      status: "active",
      planId: plan.id,
      planName: plan.name,
    });
  }
}

function cancelAtEnd(sb: Sandbox, s: SubscriptionRow): void {
  const now = sb.clock.iso();
  // A cancellation wins over a plan change scheduled for the same period end.
  dropScheduledChange(sb, s.id);
  sb.q("UPDATE subscriptions SET status = 'canceled', end_date = period_end, updated_at = ? WHERE id = ?").run(
    now,
    s.id,
  );
  sb.emit("subscription.canceled", {
    subscriptionId: s.id,
    customerId: webhookCustomerId(sb.customer(s.customer_id)),
    status: "canceled",
    canceledAt: s.canceled_at ?? now,
    cancelReason: s.cancel_reason,
    endDate: s.period_end!,
  });
}

/** Processes every live subscription whose period ended at or before the org's now (may roll several periods). */
export function processBilling(sb: Sandbox) {
  const nowIso = sb.clock.iso();
  const due = sb
    .q("SELECT * FROM subscriptions WHERE status IN ('trialing','active','past_due') AND period_end <= ? ORDER BY seq")
    .all(nowIso) as SubscriptionRow[];
  const customers = new Set<string>();
  let enqueued = 0;
  // One unit of work: a failure rolls the whole run back (the request answers 500), so `failed` stays 0.
  sb.tx(() => {
    for (const first of due) {
      customers.add(first.customer_id);
      let s: SubscriptionRow | undefined = first;
      while (s && s.status !== "canceled" && s.period_end && s.period_end <= nowIso) {
        if (s.cancel_at_period_end) {
          cancelAtEnd(sb, s);
          break;
        }
        closePeriod(sb, s);
        enqueued++;
        s = sb.q("SELECT * FROM subscriptions WHERE id = ?").get(first.id) as SubscriptionRow | undefined;
      }
    }
  });
  return {
    customersFound: customers.size,
    enqueued,
    failed: 0,
    dunningRetried: 0,
    dunningFailed: 0,
    object: "test_clock" as const,
    livemode: false,
  };
}
