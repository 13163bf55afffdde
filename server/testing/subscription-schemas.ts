/**
 * Zod mirrors of the @commet/node 7.10.0 subscription-change types (dist/index.d.ts): PreviewChange, PlanChange,
 * UncanceledSubscription, ReactivatedSubscription, PlanGroup and the subscription/invoice/payment webhook data.
 * Same conventions as ./contract-schemas.ts (strict objects; `T?:` optional; `T | null` nullable).
 */
import { z } from "zod";
import {
  InvoiceEventData,
  PaymentReceivedData,
  PaymentRecoveredData,
  SubscriptionActivatedData,
} from "./contract-schemas.ts";

const dateTime = z.iso.datetime({ offset: true });
const livemode = z.boolean();
const subscriptionStatus = z.enum(["draft", "pending_payment", "trialing", "active", "past_due", "canceled"]);
const planRef = z.strictObject({ id: z.string().min(1), name: z.string() });
const paymentProvider = z.enum(["stripe", "commet", "dlocal"]);

export const PreviewChange = z.strictObject({
  currency: z.string(),
  currentPlanCredit: z.number(),
  newPlanCharge: z.number(),
  estimatedTotal: z.number(),
  effectiveDate: dateTime,
  daysRemaining: z.number(),
  totalDays: z.number(),
  isUpgrade: z.boolean(),
  object: z.literal("subscription"),
  livemode,
});

export const PlanChange = z.strictObject({
  requiresCheckout: z.boolean().optional(),
  checkoutUrl: z.string().optional(),
  id: z.string().optional(),
  scheduled: z.boolean().optional(),
  scheduledFor: dateTime.optional(),
  changeType: z.enum(["subscription.plan_downgrade", "subscription.interval_change", "subscription.cancel"]).optional(),
  customerId: z.string().optional(),
  newPlanId: z.string().optional(),
  newPlanName: z.string().optional(),
  newBillingInterval: z.string().optional(),
  previousPlan: planRef.optional(),
  currentPlan: z.strictObject({ id: z.string(), name: z.string(), price: z.number() }).optional(),
  billingInterval: z.string().optional(),
  billing: z
    .strictObject({
      credit: z.number(),
      creditsApplied: z.number(),
      charge: z.number(),
      taxAmount: z.number(),
      netAmount: z.number(),
      totalCharged: z.number(),
      remainingCreditBalance: z.number(),
    })
    .optional(),
  invoiceId: z.string().optional(),
  seatLimitWarning: z
    .strictObject({
      featureCode: z.string(),
      featureName: z.string(),
      currentSeats: z.number(),
      included: z.number(),
      newPlanName: z.string(),
      effectiveDate: dateTime,
    })
    .optional(),
  object: z.literal("subscription"),
  livemode,
});

export const UncanceledSubscription = z.strictObject({
  id: z.string().min(1),
  customerId: z.string().min(1),
  status: subscriptionStatus,
  updatedAt: dateTime,
  object: z.literal("subscription"),
  livemode,
});

export const ReactivatedSubscription = z.strictObject({
  id: z.string().min(1),
  retryInitiated: z.boolean(),
  object: z.literal("subscription"),
  livemode,
});

export const PlanGroup = z.strictObject({
  id: z.string().min(1),
  name: z.string(),
  description: z.string().nullable(),
  isPublic: z.boolean(),
  createdAt: dateTime,
  updatedAt: dateTime,
  plans: z.array(z.strictObject({ id: z.string(), name: z.string(), sortOrder: z.number() })).optional(),
  object: z.literal("plan_group"),
  livemode,
});

// ---- webhook data (WebhookEventDataMap) ----

export const SubscriptionUpdatedData = z.strictObject({
  subscriptionId: z.string(),
  customerId: z.string(),
  status: z.string(),
  canceledAt: z.string().optional(),
  cancelReason: z.string().nullable(),
  endDate: z.string().optional(),
});

export const CancellationScheduledData = z.strictObject({
  subscriptionId: z.string(),
  customerId: z.string(),
  status: z.string(),
  canceledAt: z.string().optional(),
  cancelReason: z.string().nullable(),
  effectiveAt: z.string(),
});

export const CancellationRevokedData = z.strictObject({
  subscriptionId: z.string(),
  customerId: z.string(),
  status: z.string(),
  currentPeriodEnd: z.string().optional(),
});

export const PlanChangedData = z.strictObject({
  subscriptionId: z.string(),
  customerId: z.string(),
  previousPlan: planRef,
  currentPlan: planRef,
  billingInterval: z.string().nullable(),
  credit: z.number(),
  charge: z.number(),
  totalCharged: z.number(),
});

export const PlanChangeScheduledData = z.strictObject({
  subscriptionId: z.string(),
  customerId: z.string(),
  status: z.string(),
  currentPlan: planRef,
  scheduledPlan: planRef,
  billingInterval: z.string().nullable(),
  scheduledBillingInterval: z.string().nullable(),
  effectiveAt: z.string(),
});

export const PlanChangeRevokedData = z.strictObject({
  subscriptionId: z.string(),
  customerId: z.string(),
  status: z.string(),
  currentPlan: planRef,
  revokedPlan: planRef,
  billingInterval: z.string().nullable(),
  revokedBillingInterval: z.string().nullable(),
});

// Reactivation carries the activation's fields; its provider is never null (the reactivation was charged).
export const SubscriptionReactivatedData = SubscriptionActivatedData.extend({ provider: paymentProvider });

export const InvoiceCreatedData = InvoiceEventData;
export const InvoiceVoidedData = InvoiceEventData;
export { PaymentReceivedData, PaymentRecoveredData };
