// The sandbox's subscription change routes: cancel, uncancel, reactivate, preview-change, change-plan, plan groups
// and the hosted checkout of a free → paid change.

import type { ServerResponse } from "node:http";
import { z } from "zod";
import { type RouteDef, nonEmpty, pageArray, pageQuery, parse } from "../api.ts";
import { errors } from "../errors.ts";
import { type Interval, type Sandbox, type SubscriptionRow } from "../model.ts";
import {
  applyImmediate,
  createCheckout,
  previewOut,
  reactivateCanceled,
  recoverPastDue,
  resolveChange,
  revokeByChangingBack,
  revokeScheduled,
  scheduleChange,
} from "../plan-change.ts";
import { setCardBehaviour } from "../payments.ts";
import { planGroupOut } from "../serialize.ts";
import { esc, page } from "./portal.ts";
import { getSub, subscriptionWebhookBase } from "./subscriptions.ts";

const CHANGE_INTERVALS = ["weekly", "monthly", "quarterly", "yearly"] as const;
const INTERVALS = [...CHANGE_INTERVALS, "one_time"] as const;

const cancelSchema = z.object({ reason: z.string().max(500).optional(), immediate: z.boolean().optional() });
const previewSchema = z.object({
  planId: nonEmpty,
  billingInterval: z.enum(INTERVALS).optional(),
  offerId: nonEmpty.optional(),
});
const changeSchema = z
  .object({
    newPlanId: nonEmpty.optional(),
    newBillingInterval: z.enum(CHANGE_INTERVALS).optional(),
    successUrl: z.url().optional(),
    offerId: nonEmpty.optional(),
  })
  .refine((v) => v.newPlanId !== undefined || v.newBillingInterval !== undefined, {
    message: "Provide newPlanId, newBillingInterval or both",
    path: ["newPlanId"],
  });
const reactivateSchema = z.object({ offerId: nonEmpty.optional() });
const groupsQuery = z.object(pageQuery);

/** Statuses whose cancellation settles at once (free plans too): nothing paid ahead to run out. */
const CANCEL_NOW_STATUSES = new Set(["draft", "pending_payment", "past_due"]);

function canceledOut(s: SubscriptionRow) {
  return {
    id: s.id,
    customerId: s.customer_id,
    status: s.status,
    canceledAt: s.canceled_at!,
    cancelReason: s.cancel_reason,
    scheduledCancellationDate: s.end_date ?? s.canceled_at!,
    updatedAt: s.updated_at,
    object: "subscription" as const,
    livemode: false,
  };
}

/** Voids the unpaid renewal invoices of a subscription canceled in its dunning window (invoice.voided). */
function voidOutstanding(sb: Sandbox, s: SubscriptionRow): void {
  const now = sb.clock.iso();
  const rows = sb
    .q(
      "SELECT id, invoice_number, period_start, period_end, issue_date, due_date, currency, subtotal, total FROM invoices WHERE subscription_id = ? AND status = 'outstanding'",
    )
    .all(s.id) as Array<Record<string, string | number>>;
  const base = subscriptionWebhookBase(sb, s);
  for (const i of rows) {
    sb.q("UPDATE invoices SET status = 'void', updated_at = ? WHERE id = ?").run(now, i.id);
    sb.emit("invoice.voided", {
      invoiceId: i.id,
      invoiceNumber: i.invoice_number,
      invoiceStatus: "void",
      periodStart: i.period_start,
      periodEnd: i.period_end,
      issueDate: i.issue_date,
      dueDate: i.due_date,
      currency: i.currency,
      subtotal: i.subtotal,
      total: i.total,
      customerId: base.customerId,
      subscriptionId: s.id,
    });
  }
}

function cancel(sb: Sandbox, id: string, input: z.infer<typeof cancelSchema>): SubscriptionRow {
  const s = getSub(sb, id);
  if (s.status === "canceled") throw errors.subscriptionAlreadyCanceled(s.id);
  if (s.billing_interval === "one_time") throw errors.oneTimeNotCancelable(s.id);
  const plan = sb.catalog.plansById.get(s.plan_id)!;
  const now = sb.clock.iso();
  const reason = input.reason ?? null;
  const base = subscriptionWebhookBase(sb, s);
  const immediate =
    input.immediate === true || !s.period_end || plan.is_free === 1 || CANCEL_NOW_STATUSES.has(s.status);
  if (!immediate && s.cancel_at_period_end) {
    throw errors.alreadyScheduled(`Subscription '${s.id}' is already scheduled to cancel on ${s.end_date}.`);
  }
  // A subscription has one pending change: a cancellation replaces a scheduled plan change.
  revokeScheduled(sb, s, plan);
  if (immediate) {
    if (s.status === "past_due") voidOutstanding(sb, s);
    sb.q(
      `UPDATE subscriptions SET status = 'canceled', canceled_at = ?, cancel_reason = ?, end_date = ?, cancel_at_period_end = 0,
         updated_at = ? WHERE id = ?`,
    ).run(now, reason, now, now, s.id);
    sb.emit("subscription.canceled", {
      ...base,
      status: "canceled",
      canceledAt: now,
      cancelReason: reason,
      endDate: now,
    });
  } else {
    sb.q(
      `UPDATE subscriptions SET canceled_at = ?, cancel_reason = ?, end_date = period_end, cancel_at_period_end = 1,
         updated_at = ? WHERE id = ?`,
    ).run(now, reason, now, s.id);
    // subscription.updated still fires for backward compatibility, with the explicit event after it.
    sb.emit("subscription.updated", {
      ...base,
      status: s.status,
      canceledAt: now,
      cancelReason: reason,
      endDate: s.period_end!,
    });
    sb.emit("subscription.cancellation_scheduled", {
      ...base,
      status: s.status,
      canceledAt: now,
      cancelReason: reason,
      effectiveAt: s.period_end!,
    });
  }
  return getSub(sb, s.id);
}

function uncancel(sb: Sandbox, id: string): SubscriptionRow {
  const s = getSub(sb, id);
  if (s.status === "canceled") throw errors.subscriptionAlreadyCanceled(s.id);
  if (!s.cancel_at_period_end) throw errors.notScheduledForCancellation(s.id);
  const now = sb.clock.iso();
  sb.q(
    `UPDATE subscriptions SET canceled_at = NULL, cancel_reason = NULL, end_date = NULL, cancel_at_period_end = 0,
       updated_at = ? WHERE id = ?`,
  ).run(now, s.id);
  const base = subscriptionWebhookBase(sb, s);
  sb.emit("subscription.cancellation_revoked", { ...base, status: s.status, currentPeriodEnd: s.period_end! });
  sb.emit("subscription.updated", { ...base, status: s.status, cancelReason: null });
  return getSub(sb, s.id);
}

/** A change-plan call (or a preview) is refused while a cancellation is scheduled: revert it first. */
function refuseWhileCanceling(s: SubscriptionRow): void {
  if (s.cancel_at_period_end) {
    throw errors.invalidSubscriptionStatus(s.id, `active with a cancellation scheduled for ${s.end_date}`, [
      "active without a scheduled cancellation (uncancel first)",
    ]);
  }
}

export const subscriptionChangeRoutes: RouteDef[] = [
  [
    "POST",
    "/api/v1/subscriptions/:id/cancel",
    ({ sb, params, body }) => {
      const input = parse(cancelSchema, body);
      return { data: canceledOut(sb.tx(() => cancel(sb, params.id!, input))) };
    },
  ],
  [
    "POST",
    "/api/v1/subscriptions/:id/uncancel",
    ({ sb, params }) => {
      const s = sb.tx(() => uncancel(sb, params.id!));
      return {
        data: {
          id: s.id,
          customerId: s.customer_id,
          status: s.status,
          updatedAt: s.updated_at,
          object: "subscription",
          livemode: false,
        },
      };
    },
  ],
  [
    "POST",
    "/api/v1/subscriptions/:id/reactivate",
    ({ sb, params, body }) => {
      const input = parse(reactivateSchema, body);
      const data = sb.tx(() => {
        const s = getSub(sb, params.id!);
        if (s.status === "past_due") {
          if (input.offerId) {
            throw errors.validation("Past-due recovery cannot apply an offer.", [
              { field: "offerId", message: "Not accepted for a past_due subscription" },
            ]);
          }
          return recoverPastDue(sb, s);
        }
        if (s.status !== "canceled") throw errors.invalidSubscriptionStatus(s.id, s.status, ["canceled", "past_due"]);
        if (input.offerId) throw errors.offerNotFound(input.offerId);
        return reactivateCanceled(sb, s);
      });
      return { data };
    },
  ],
  [
    "POST",
    "/api/v1/subscriptions/:id/preview-change",
    ({ sb, params, body }) => {
      const input = parse(previewSchema, body);
      const s = getSub(sb, params.id!);
      const change = resolveChange(sb, s, input.planId, input.billingInterval, {
        plan: "planId",
        interval: "billingInterval",
      });
      refuseWhileCanceling(s);
      if (input.offerId) throw errors.offerNotFound(input.offerId);
      if (change.timing === "same") throw errors.noChangeRequested("planId");
      if (change.timing === "scheduled") throw errors.planChangeScheduled(s.period_end!);
      return { data: previewOut(sb, s, change) };
    },
  ],
  [
    "POST",
    "/api/v1/subscriptions/:id/change-plan",
    ({ sb, params, body }) => {
      const input = parse(changeSchema, body);
      const data = sb.tx(() => {
        const s = getSub(sb, params.id!);
        const change = resolveChange(sb, s, input.newPlanId, input.newBillingInterval, {
          plan: "newPlanId",
          interval: "newBillingInterval",
        });
        refuseWhileCanceling(s);
        if (input.offerId) throw errors.offerNotFound(input.offerId);
        if (change.timing === "same") return revokeByChangingBack(sb, s, change, "newPlanId");
        if (change.timing === "scheduled") return scheduleChange(sb, s, change);
        if (change.current.is_free && !change.target.is_free) {
          // Free → paid always goes through hosted checkout (there is no card on file to charge).
          return {
            requiresCheckout: true,
            checkoutUrl: createCheckout(sb, "change", s, change.target.id, change.interval, input.successUrl),
            id: s.id,
            customerId: s.customer_id,
            newPlanId: change.target.id,
            newPlanName: change.target.name,
            newBillingInterval: change.interval,
            object: "subscription" as const,
            livemode: false,
          };
        }
        return applyImmediate(sb, s, change);
      });
      return { data };
    },
  ],
  [
    "GET",
    "/api/v1/plan-groups",
    ({ sb, query }) =>
      pageArray(
        [...sb.catalog.planGroups.values()].map((g) => planGroupOut(sb, g, false)),
        parse(groupsQuery, query),
      ),
  ],
  [
    "GET",
    "/api/v1/plan-groups/:id",
    ({ sb, params }) => {
      const g = sb.catalog.planGroups.get(params.id!);
      if (!g) throw errors.planGroupNotFound(params.id!);
      return { data: planGroupOut(sb, g, true) };
    },
  ],
];

interface CheckoutRow {
  token: string;
  kind: "change" | "reactivation";
  subscription_id: string;
  new_plan_id: string;
  new_billing_interval: Interval;
  success_url: string | null;
  completed_at: string | null;
}

/**
 * GET /checkout/change/<token>: the hosted checkout of a free → paid change, or the recovery link of a declined
 * reactivation; POST pays with the sandbox test card (which becomes the customer's saved card) and applies it once.
 */
export function renderChangeCheckout(sb: Sandbox, res: ServerResponse, token: string, method: string): void {
  const row = sb.q("SELECT * FROM plan_change_checkouts WHERE token = ?").get(token) as CheckoutRow | undefined;
  if (!row) return page(res, 404, "Checkout not found", "<h1>This checkout does not exist</h1>");
  const plan = sb.catalog.plansById.get(row.new_plan_id)!;
  const done = row.success_url ? `<p><a href="${esc(row.success_url)}">Return to the application</a></p>` : "";
  const verb = row.kind === "reactivation" ? "Reactivate" : "Upgrade to";
  if (row.completed_at) {
    return page(res, 200, "Checkout complete", `<h1>Nothing to pay</h1><p>This was already paid.</p>${done}`);
  }
  if (method === "POST") {
    try {
      sb.tx(() => {
        const s = getSub(sb, row.subscription_id);
        setCardBehaviour(sb, s.customer_id, "succeeds");
        if (row.kind === "reactivation") {
          if (s.status !== "canceled") throw errors.invalidSubscriptionStatus(s.id, s.status, ["canceled"]);
          reactivateCanceled(sb, s, "checkout");
        } else {
          const change = resolveChange(sb, s, row.new_plan_id, row.new_billing_interval, {
            plan: "newPlanId",
            interval: "newBillingInterval",
          });
          if (change.timing !== "immediate") throw errors.noChangeRequested("newPlanId");
          applyImmediate(sb, s, change, "checkout");
        }
        sb.q("UPDATE plan_change_checkouts SET completed_at = ? WHERE token = ?").run(sb.clock.iso(), token);
      });
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      return page(res, 409, "Checkout unavailable", `<h1>This can no longer be paid</h1><p>${esc(message)}</p>`);
    }
    return page(res, 200, "Payment confirmed", `<h1>Payment confirmed</h1><p>${esc(plan.name)} is active.</p>${done}`);
  }
  page(
    res,
    200,
    `Checkout — ${plan.name}`,
    `<h1>${verb} ${esc(plan.name)}</h1>
<p>${esc((plan.price / 10000).toFixed(2))} USD per ${esc(row.new_billing_interval.replace("ly", ""))}. Sandbox: the test card always succeeds.</p>
<form method="post"><button type="submit">Pay with test card</button></form>`,
  );
}
