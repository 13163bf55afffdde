/**
 * Subscription actions of the customer page — cancel at period end, revert it, cancel now, change plan:
 * their forms (zod, parsed in the browser and again by server/subscriptions), the panel's data and the answers.
 */
import { z } from "zod";
import { customerId, idempotencyKeySchema, plainText, reasonFields, requireTextForOther } from "./ops-forms.ts";
import type { OpsWriteResult, WriteResult } from "./ops-results.ts";

// ---------------------------------------------------------------- reasons

export const CANCEL_REASONS = {
  customer_request: "Customer asked to cancel",
  too_expensive: "Too expensive",
  not_using: "Not using the product",
  switching_provider: "Moving to another provider",
  business_closed: "Business closed",
  other: "Other (explain)",
} as const;

export const REVERT_REASONS = {
  customer_changed_mind: "Customer changed their mind",
  retained: "Retained (offer accepted)",
  scheduled_by_mistake: "Scheduled by mistake",
  other: "Other (explain)",
} as const;

export const PLAN_CHANGE_REASONS = {
  customer_request: "Customer request",
  sales_agreement: "Sales agreement / contract",
  outgrew_plan: "Outgrew the plan",
  reducing_cost: "Reducing cost",
  other: "Other (explain)",
} as const;

/** Typed (instead of the customer's email) to confirm an immediate cancellation. */
export const CANCEL_NOW_WORD = "CANCEL";

// ---------------------------------------------------------------- forms

/** Commet's public ids (sub_…, pln_…): letters, digits, _ and -. */
const commetId = (label: string, missing = `${label} is missing`) =>
  z
    .string({ error: missing })
    .trim()
    .min(1, missing)
    .max(100, `Unknown ${label.toLowerCase()}`)
    .regex(/^[A-Za-z0-9_-]+$/, `Unknown ${label.toLowerCase()}`);

/** The subscription the staffer saw: an action on a subscription replaced meanwhile is refused as stale. */
const subscriptionId = commetId("Subscription");

export const cancelFormSchema = z
  .object({ customerId, subscriptionId, ...reasonFields(CANCEL_REASONS), idempotencyKey: idempotencyKeySchema })
  .superRefine(requireTextForOther);
export type CancelForm = z.infer<typeof cancelFormSchema>;

export const revertCancelFormSchema = z
  .object({ customerId, subscriptionId, ...reasonFields(REVERT_REASONS), idempotencyKey: idempotencyKeySchema })
  .superRefine(requireTextForOther);
export type RevertCancelForm = z.infer<typeof revertCancelFormSchema>;

export const cancelNowFormSchema = z
  .object({
    customerId,
    subscriptionId,
    ...reasonFields(CANCEL_REASONS),
    idempotencyKey: idempotencyKeySchema,
    /** The customer's email or CANCEL, typed to confirm (checked by the server against Commet's email). */
    confirmText: z.preprocess(
      (v) => (typeof v === "string" && v.trim() === "" ? undefined : v),
      plainText(320, "The confirmation").optional(),
    ),
  })
  .superRefine(requireTextForOther);
export type CancelNowForm = z.infer<typeof cancelNowFormSchema>;

export const changePlanFormSchema = z
  .object({
    customerId,
    subscriptionId,
    /** The plan the staffer saw as current. */
    currentPlanId: commetId("Current plan"),
    planId: commetId("Plan", "Choose a plan"),
    ...reasonFields(PLAN_CHANGE_REASONS),
    idempotencyKey: idempotencyKeySchema,
  })
  .superRefine((v, ctx) => {
    requireTextForOther(v, ctx);
    if (v.planId === v.currentPlanId) {
      ctx.addIssue({ code: "custom", path: ["planId"], message: "This is the current plan: choose another one" });
    }
  });
export type ChangePlanForm = z.infer<typeof changePlanFormSchema>;

/** The reason as sent to Commet (its `reason` is free text): the code, and the details when given. */
export function commetReason(code: string, text: string): string {
  return text ? `${code}: ${text}` : code;
}

/** Whether the typed confirmation of an immediate cancellation matches (the customer's email or CANCEL). */
export function confirmsCancelNow(typed: string | undefined, email: string | null | undefined): boolean {
  const t = typed?.trim() ?? "";
  if (t === CANCEL_NOW_WORD) return true;
  return !!email && t.toLowerCase() === email.trim().toLowerCase();
}

// ---------------------------------------------------------------- panel

/** Another plan of the subscription's plan group, as the plan picker offers it. */
export interface PlanOption {
  id: string;
  name: string;
  /** Price for the subscription's interval, rate scale (10000 = $1.00); null when the plan has none. */
  price: number | null;
  interval: string | null;
  isFree: boolean;
  /**
   * What Commet does with it (plan groups docs): upgrade = now, prorated; downgrade = at the period
   * end; checkout = free → paid, only through the customer's own checkout.
   */
  direction: "upgrade" | "downgrade" | "checkout";
}

/** What the Subscription actions panel starts from, read fresh from Commet. */
export interface SubscriptionActionsPanel {
  customer: { id: string; email: string } | null;
  subscription: {
    id: string;
    status: string;
    planId: string;
    planName: string;
    billingInterval: string | null;
    currentPeriod: { start: string; end: string } | null;
    cancellation: { scheduledAt: string; reason: string | null; effectiveAt: string } | null;
    scheduledPlanChange: { changeType: string; newPlanName: string | null; scheduledFor: string } | null;
  };
  /**
   * When a cancellation at the period end would take effect — or why there is none: Commet cancels
   * free, past-due and pending-payment subscriptions immediately.
   */
  periodEndCancel: { ok: true; effectiveAt: string } | { ok: false; reason: string };
  /** Name of the plan group; null: the plan is in none, so it cannot be changed. */
  planGroup: string | null;
  /** The other plans of the group, in the group's order. */
  plans: PlanOption[];
  livemode: boolean;
}

// ---------------------------------------------------------------- answers

/** Commet's quote of a plan change (previewChange), or the scheduled date of a downgrade. Nothing is written. */
export interface PlanChangePreview {
  subscriptionId: string;
  from: { id: string; name: string };
  to: { id: string; name: string };
  /** now: applied at once, prorated; scheduled: at `effectiveDate` (the period end), nothing charged now. */
  timing: "now" | "scheduled";
  currency: string;
  /** Minor units (cents), as Commet quotes them; null for a scheduled change. */
  credit: number | null;
  charge: number | null;
  total: number | null;
  effectiveDate: string;
  daysRemaining: number | null;
  totalDays: number | null;
  /** One sentence stating the effect. */
  effect: string;
  livemode: boolean;
}

/** The subscription changed since the page was rendered (replaced, cancelled or reverted meanwhile): nothing was sent. */
export interface SubscriptionStale {
  kind: "stale";
  message: string;
}

export type SubscriptionWriteResult = WriteResult | SubscriptionStale;
export type PlanPreviewResult = SubscriptionWriteResult | { kind: "preview"; preview: PlanChangePreview };

/** What the subscription route sends to its fetchers. */
export type SubscriptionActionResult =
  OpsWriteResult | SubscriptionStale | { kind: "preview"; preview: PlanChangePreview };
