// The sandbox's subscription routes: create, list, get (or the active one), with their webhooks (changes: subscription-changes.ts).

import { z } from "zod";
import { type RouteDef, listReply, nonEmpty, page, pageQuery, parse } from "../api.ts";
import { errors } from "../errors.ts";
import { newId } from "../ids.ts";
import { type Sandbox, type SubscriptionRow, addInterval, webhookCustomerId } from "../model.ts";
import { subscriptionOut } from "../serialize.ts";
import { subscriptionActivated } from "../ledger.ts";

const STATUSES = ["draft", "pending_payment", "trialing", "active", "past_due", "canceled"] as const;
const INTERVALS = ["weekly", "monthly", "quarterly", "yearly", "one_time"] as const;

const listSchema = z.object({ customerId: z.string().optional(), status: z.enum(STATUSES).optional(), ...pageQuery });
const createSchema = z
  .object({
    customerId: nonEmpty,
    planId: nonEmpty.optional(),
    planCode: nonEmpty.optional(),
    billingInterval: z.enum(INTERVALS).nullable().optional(),
    initialSeats: z.record(z.string(), z.number().int().min(0)).optional(),
    skipTrial: z.boolean().optional(),
    customTrialDays: z.number().int().min(0).max(730).optional(),
    introOffer: z
      .object({
        discountType: z.enum(["percentage", "amount"]),
        discountValue: z.number(),
        durationCycles: z.number().int(),
      })
      .optional(),
    promoCode: z.string().optional(),
    provider: z.enum(["stripe", "commet", "dlocal"]).optional(),
    name: z.string().max(255).optional(),
    startDate: z.iso.datetime({ offset: true }).optional(),
    successUrl: z.url().optional(),
  })
  .refine((v) => Boolean(v.planId) !== Boolean(v.planCode), {
    message: "Provide exactly one of planId or planCode",
    path: ["planId"],
  });
export function getSub(sb: Sandbox, id: string): SubscriptionRow {
  const s = sb.q("SELECT * FROM subscriptions WHERE id = ?").get(id) as SubscriptionRow | undefined;
  if (!s) throw errors.subscriptionNotFound(id);
  return s;
}

export function subscriptionWebhookBase(sb: Sandbox, s: SubscriptionRow) {
  const c = sb.customer(s.customer_id);
  return { subscriptionId: s.id, customerId: webhookCustomerId(c) };
}

/** pending_payment → active (or trialing when the plan has a trial): what paying the checkout does. */
export function activateSubscription(sb: Sandbox, s: SubscriptionRow): void {
  const plan = sb.catalog.plansById.get(s.plan_id)!;
  const now = sb.clock.iso();
  sb.q(
    "UPDATE subscriptions SET status = 'active', period_start = ?, period_end = ?, credits_remaining = ?, updated_at = ? WHERE id = ?",
  ).run(now, addInterval(now, s.billing_interval), plan.included_credits, now, s.id);
  subscriptionActivated(sb, getSub(sb, s.id));
}

export const subscriptionRoutes: RouteDef[] = [
  [
    "GET",
    "/api/v1/subscriptions",
    ({ sb, query }) => {
      const q = parse(listSchema, query);
      const filters: Array<[string, unknown]> = [];
      if (q.customerId) filters.push(["customer_id = ?", sb.findCustomer(q.customerId)?.id ?? q.customerId]);
      if (q.status) filters.push(["status = ?", q.status]);
      return listReply(page<SubscriptionRow>(sb, "subscriptions", filters, q), (s) => subscriptionOut(sb, s, false));
    },
  ],
  [
    "GET",
    "/api/v1/subscriptions/active",
    ({ sb, query }) => {
      const { customerId } = parse(z.object({ customerId: nonEmpty }), query);
      const c = sb.customer(customerId);
      const s = sb.liveSubscription(c.id);
      return { data: s ? subscriptionOut(sb, s, true) : null };
    },
  ],
  [
    "GET",
    "/api/v1/subscriptions/:id",
    ({ sb, params }) => ({ data: subscriptionOut(sb, getSub(sb, params.id!), true) }),
  ],
  [
    "POST",
    "/api/v1/subscriptions",
    ({ sb, body }) => {
      const input = parse(createSchema, body);
      const sub = sb.tx(() => {
        const c = sb.customer(input.customerId);
        const planRef = (input.planId ?? input.planCode)!;
        const plan = sb.catalog.plan(planRef);
        if (!plan) throw errors.planNotFound(planRef);
        const blocking = sb
          .q(
            "SELECT id FROM subscriptions WHERE customer_id = ? AND status IN ('draft','pending_payment','trialing','active','past_due') LIMIT 1",
          )
          .get(c.id) as { id: string } | undefined;
        if (blocking) throw errors.alreadyHasActiveSubscription(input.customerId, blocking.id);
        if (input.initialSeats) {
          for (const code of Object.keys(input.initialSeats)) {
            const f = sb.feature(code, `initialSeats.${code}`);
            if (f.type !== "seats") {
              throw errors.validation(`'${code}' is not a seats feature.`, [
                { field: `initialSeats.${code}`, message: "Not a seats feature" },
              ]);
            }
            sb.planFeatureOrThrow(plan, code);
          }
        }
        const now = sb.clock.iso();
        const start = input.startDate ? new Date(input.startDate).toISOString() : now;
        const interval = input.billingInterval ?? plan.billing_interval;
        const trialDays = input.skipTrial ? 0 : (input.customTrialDays ?? plan.trial_days);
        let status: SubscriptionRow["status"];
        let periodStart: string | null = null;
        let periodEnd: string | null = null;
        let trialEnds: string | null = null;
        if (plan.is_free) {
          status = "active";
          periodStart = start;
          periodEnd = addInterval(start, interval);
        } else if (trialDays > 0) {
          status = "trialing";
          periodStart = start;
          trialEnds = new Date(Date.parse(start) + trialDays * 86_400_000).toISOString();
          periodEnd = trialEnds;
        } else if (input.successUrl) {
          // A hosted checkout: the subscription waits in pending_payment until /checkout/<id> is visited.
          status = "pending_payment";
        } else {
          // The sandbox's simulated saved card: the first charge succeeds at once.
          status = "active";
          periodStart = start;
          periodEnd = addInterval(start, interval);
        }
        const id = newId("sub");
        sb.q(
          `INSERT INTO subscriptions (id, customer_id, plan_id, name, description, status, billing_interval, trial_ends_at,
             period_start, period_end, start_date, end_date, canceled_at, cancel_reason, cancel_at_period_end, credits_remaining,
             credits_purchased, created_at, updated_at)
           VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, 0, ?, 0, ?, ?)`,
        ).run(
          id,
          c.id,
          plan.id,
          input.name ?? plan.name,
          status,
          interval,
          trialEnds,
          periodStart,
          periodEnd,
          start,
          status === "pending_payment" ? null : plan.included_credits,
          now,
          now,
        );
        for (const [code, count] of Object.entries(input.initialSeats ?? {})) {
          sb.setBalance("seat_balances", c.id, code, count, now);
        }
        const s = getSub(sb, id);
        const base = subscriptionWebhookBase(sb, s);
        sb.emit("subscription.created", {
          ...base,
          planId: plan.id,
          planName: plan.name,
          status: status === "active" ? "pending_payment" : status,
          startDate: start,
          name: input.name ?? null,
        });
        if (status === "trialing") {
          sb.emit("trial.started", { ...base, status, planId: plan.id, planName: plan.name, trialEndsAt: trialEnds });
        }
        if (status === "active") {
          subscriptionActivated(sb, s);
        }
        return s;
      });
      return { status: 201, data: subscriptionOut(sb, sub, true) };
    },
  ],
];
