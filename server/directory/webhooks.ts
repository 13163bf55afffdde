/**
 * What the directory takes from Commet's webhooks (docs/decisions/0011-webhook-intake.md): customer.*,
 * subscription.* / trial.*, payment.recovered and seats.updated keep the index current; any event naming an invoice number
 * and a customer feeds the search's invoice lookup.
 */
import { z } from "zod";
import { webhookHandler, webhookObserver, type WebhookDomain } from "../webhooks/index.ts";
import { commetCustomerSchema, customerInput } from "./commet-customer.ts";
import { recordInvoice, setSeatCount, upsertCustomers, upsertSubscriptions, type SubscriptionInput } from "./store.ts";

const planRef = z.object({ id: z.string().min(1), name: z.string() });

/** Common shape of subscription.* and trial.* data; each event carries a subset. */
const subscriptionData = z.object({
  subscriptionId: z.string().min(1),
  customerId: z.string().min(1),
  status: z.string().optional(),
  planId: z.string().optional(),
  planName: z.string().optional(),
  currentPlan: planRef.optional(),
  startDate: z.string().optional(),
});

const seatsData = z.object({
  customerId: z.string().min(1),
  subscriptionId: z.string().min(1).nullable(),
  featureCode: z.string().min(1),
  previousSeats: z.number().optional(),
  currentSeats: z.number().int().min(0),
});

const invoiceRef = z.object({
  invoiceNumber: z.string().min(1).max(100),
  invoiceId: z.string().optional(),
  customerId: z.string().min(1),
});

const applyCustomer = webhookHandler(
  commetCustomerSchema.extend({ email: z.string().min(1) }),
  async (c, { trx, now }) => {
    await upsertCustomers(trx, [customerInput(c)], now);
  },
);

const applySubscription = webhookHandler(subscriptionData, async (s, { trx, eventAt, now }) => {
  const input: SubscriptionInput = { id: s.subscriptionId, customerRef: s.customerId };
  if (s.status !== undefined) input.status = s.status;
  const plan = s.currentPlan ?? (s.planId ? { id: s.planId, name: s.planName ?? null } : undefined);
  if (plan) {
    input.planId = plan.id;
    input.planName = plan.name;
  }
  if (s.startDate !== undefined) input.startDate = s.startDate;
  await upsertSubscriptions(trx, [input], eventAt, now);
});

/** A recovered payment returns its past_due subscription to active (webhooks/payment-recovered.md). */
const applyRecovery = webhookHandler(
  z.object({ subscriptionId: z.string().min(1).nullable(), customerId: z.string().min(1) }),
  async (p, { trx, eventAt, now }) => {
    if (!p.subscriptionId) return;
    await upsertSubscriptions(
      trx,
      [{ id: p.subscriptionId, customerRef: p.customerId, status: "active" }],
      eventAt,
      now,
    );
  },
);

const applySeats = webhookHandler(seatsData, async (s, { trx, eventAt, now }) => {
  await setSeatCount(
    trx,
    { customerRef: s.customerId, subscriptionId: s.subscriptionId, featureCode: s.featureCode, count: s.currentSeats },
    eventAt,
    now,
  );
});

const SUBSCRIPTION_EVENTS = [
  "subscription.created",
  "subscription.activated",
  "subscription.reactivated",
  "subscription.canceled",
  "subscription.updated",
  "subscription.plan_changed",
  "subscription.cancellation_scheduled",
  "subscription.cancellation_revoked",
  "subscription.plan_change_scheduled",
  "subscription.plan_change_revoked",
  "subscription.past_due",
  "trial.started",
  "trial.converted",
  "trial.expired",
] as const;

export const directoryWebhooks: WebhookDomain = {
  handlers: {
    "customer.created": applyCustomer,
    "customer.updated": applyCustomer,
    "seats.updated": applySeats,
    "payment.recovered": applyRecovery,
    ...Object.fromEntries(SUBSCRIPTION_EVENTS.map((e) => [e, applySubscription])),
  },
  observers: [
    webhookObserver(invoiceRef, async (i, { trx, now }) => {
      await recordInvoice(
        trx,
        { invoiceNumber: i.invoiceNumber, invoiceId: i.invoiceId ?? null, customerRef: i.customerId },
        now,
      );
    }),
  ],
};
