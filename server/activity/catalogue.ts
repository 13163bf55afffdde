/**
 * Which Commet webhooks are account activity, under which kind, and which field names the customer
 * (docs/decisions/0015-account-activity.md). Keyed by the SDK's WebhookEvent: a new event type in the SDK
 * fails the typecheck here until it is classified.
 */
import type { WebhookEvent } from "@commet/node";
import type { ActivityKind } from "../../app/contracts/activity.ts";

/** The kind of each event type; null: not stored as account activity (see the comments). */
export const EVENT_KINDS: Record<WebhookEvent, Exclude<ActivityKind, "staff"> | null> = {
  "subscription.created": "subscription",
  "subscription.activated": "subscription",
  "subscription.reactivated": "subscription",
  "subscription.canceled": "subscription",
  "subscription.updated": "subscription",
  "subscription.plan_changed": "subscription",
  "subscription.cancellation_scheduled": "subscription",
  "subscription.cancellation_revoked": "subscription",
  "subscription.plan_change_scheduled": "subscription",
  "subscription.plan_change_revoked": "subscription",
  "subscription.past_due": "subscription",
  "trial.started": "subscription",
  "trial.converted": "subscription",
  "trial.expired": "subscription",
  "trial.will_end": "subscription",
  "trial.checkout_ready": "subscription",
  "checkout.ready": "subscription",
  "addon.activated": "subscription",
  "addon.deactivated": "subscription",
  "payment.received": "payments",
  "payment.failed": "payments",
  "payment.recovered": "payments",
  "payment.retry_failed": "payments",
  "payment.refunded": "payments",
  "payment.disputed": "payments",
  "payment.dispute_resolved": "payments",
  "payment_link.created": "payments",
  "payment_link.completed": "payments",
  "payment_link.failed": "payments",
  "payment_link.canceled": "payments",
  "payment_method.attached": "payments",
  "payment_method.updated": "payments",
  "invoice.created": "invoices",
  "invoice.voided": "invoices",
  "invoice.overdue": "invoices",
  "invoice.upcoming": "invoices",
  "customer.created": "customer",
  "customer.updated": "customer",
  "customer.state_changed": "customer",
  "credits.granted": "usage",
  "credits.purchased": "usage",
  "credits.low": "usage",
  "credits.depleted": "usage",
  "credits.expired": "usage",
  "balance.topped_up": "usage",
  "balance.low": "usage",
  "balance.depleted": "usage",
  "quota.threshold_reached": "usage",
  "quota.exceeded": "usage",
  "seats.updated": "usage",
  "seats.limit_reached": "usage",
  // One event per tracked unit of usage: the usage timeline (server/usage/timeline, decision 0008) keeps each
  // one already, per event and in daily rollups; here they would multiply the intake's writes and bury the
  // account's history. The customer page's Usage tab shows them.
  "usage.recorded": null,
  // The organisation's payouts name no customer.
  "payout.available": null,
  "payout.created": null,
  "payout.paid": null,
  "payout.failed": null,
};

const PREFIX_KINDS: ReadonlyArray<[string, Exclude<ActivityKind, "staff">]> = [
  ["subscription.", "subscription"],
  ["trial.", "subscription"],
  ["addon.", "subscription"],
  ["payment", "payments"],
  ["invoice.", "invoices"],
  ["customer.", "customer"],
  ["credits.", "usage"],
  ["balance.", "usage"],
  ["quota.", "usage"],
  ["seats.", "usage"],
];

/**
 * The kind an event is stored under, or null when it is not account activity. A type this SDK does not
 * know yet (Commet adds events) is still kept when it names a customer: by its prefix, else "customer".
 */
export function kindOfEvent(type: string): Exclude<ActivityKind, "staff"> | null {
  if (Object.hasOwn(EVENT_KINDS, type)) return EVENT_KINDS[type as WebhookEvent];
  if (type.startsWith("payout.") || type.startsWith("usage.")) return null;
  return PREFIX_KINDS.find(([prefix]) => type.startsWith(prefix))?.[1] ?? "customer";
}

/**
 * The customer an event is about, as Commet named it: `data.id` for customer.created/updated (the
 * customer resource itself), `data.customerId` for every other event (the externalId when the customer
 * has one, else Commet's id). Null when the event names no customer (e.g. a refund without an invoice).
 */
export function customerKeyOf(type: string, data: Record<string, unknown>): string | null {
  const key = type === "customer.created" || type === "customer.updated" ? data.id : data.customerId;
  return typeof key === "string" && key.length > 0 && key.length <= 255 ? key : null;
}
