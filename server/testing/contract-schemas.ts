/**
 * Zod mirrors of the @commet/node 7.10.0 response types (node_modules/@commet/node/dist/index.d.ts).
 * Closed interfaces use strict objects, so an extra or a missing field fails the contract tests.
 * `T?: X` in the .d.ts becomes `.optional()`; `T: X | null` becomes `.nullable()` (required).
 */
import { z } from "zod";

const dateTime = z.iso.datetime({ offset: true });
const livemode = z.boolean();
const featureType = z.enum(["boolean", "usage", "seats", "quota"]);
const consumptionModel = z.enum(["metered", "credits", "balance"]);
const billingInterval = z.enum(["weekly", "monthly", "quarterly", "yearly", "one_time"]);
const subscriptionStatus = z.enum(["draft", "pending_payment", "trialing", "active", "past_due", "canceled"]);
const discountType = z.enum(["percentage", "amount"]);
const invoiceType = z.enum([
  "recurring",
  "overage",
  "plan_change",
  "adjustment",
  "credit_purchase",
  "balance_topup",
  "addon_activation",
  "one_time_payment",
  "reactivation",
]);
const invoiceStatus = z.enum(["draft", "outstanding", "paid", "void", "uncollectible"]);
const metadata = z.record(z.string(), z.unknown());

/** `ApiResponse<T>` on success: `{ success: true, data, hasMore?, nextCursor? }`. */
export function envelope<T extends z.ZodType>(data: T) {
  return z.strictObject({
    success: z.literal(true),
    data,
    hasMore: z.boolean().optional(),
    nextCursor: z.string().optional(),
  });
}

/** Cursor-paginated list envelope: `hasMore` is required, `nextCursor` present only when more pages exist. */
export function pageEnvelope<T extends z.ZodType>(item: T) {
  return z
    .strictObject({
      success: z.literal(true),
      data: z.array(item),
      hasMore: z.boolean(),
      nextCursor: z.string().min(1).optional(),
    })
    .refine((p) => !p.hasMore || p.nextCursor !== undefined, "hasMore=true requires nextCursor");
}

/** Error envelope (`{ success: false, error: ApiErrorDetail }`). */
export const ErrorEnvelope = z.strictObject({
  success: z.literal(false),
  error: z.strictObject({
    type: z.string().min(1),
    code: z.string().min(1),
    message: z.string().min(1),
    param: z.string().optional(),
    details: z.unknown().optional(),
    doc_url: z.string().optional(),
  }),
});

export const Customer = z.strictObject({
  id: z.string().min(1),
  externalId: z.string().nullable(),
  fullName: z.string().nullable(),
  email: z.string(),
  taxDocument: z.string().nullable(),
  documentType: z.string().nullable(),
  timezone: z.string().nullable(),
  metadata: metadata.nullable(),
  createdAt: dateTime,
  updatedAt: dateTime,
  object: z.literal("customer"),
  livemode,
});
export type CustomerT = z.infer<typeof Customer>;

const batchAddress = z.strictObject({
  line1: z.string(),
  line2: z.string().optional(),
  city: z.string(),
  state: z.string().optional(),
  postalCode: z.string(),
  country: z.string(),
  region: z.string().optional(),
});

export const CustomerBatch = z.strictObject({
  successful: z.array(z.strictObject({ id: z.string().min(1), externalId: z.string().nullable(), email: z.string() })),
  failed: z.array(
    z.strictObject({
      index: z.number().int(),
      error: z.string(),
      data: z.strictObject({
        id: z.string().optional(),
        externalId: z.string().optional(),
        email: z.string(),
        fullName: z.string().nullable().optional(),
        taxDocument: z.string().nullable().optional(),
        timezone: z.string().optional(),
        metadata: metadata.nullable().optional(),
        address: batchAddress.optional(),
      }),
    }),
  ),
  object: z.literal("customer"),
  livemode,
});

export const Feature = z.strictObject({
  id: z.string().min(1),
  name: z.string(),
  code: z.string().min(1),
  type: featureType,
  description: z.string().nullable(),
  unitName: z.string().nullable(),
  createdAt: dateTime,
  updatedAt: dateTime,
  object: z.literal("feature"),
  livemode,
});

export const Plan = z.strictObject({
  id: z.string().min(1),
  name: z.string(),
  code: z.string().min(1),
  description: z.string().nullable(),
  consumptionModel: consumptionModel.nullable(),
  isPublic: z.boolean(),
  isDefault: z.boolean(),
  isFree: z.boolean(),
  blockOnExhaustion: z.boolean().nullable(),
  sortOrder: z.number(),
  planGroupId: z.string().nullable(),
  metadata: metadata.nullable(),
  createdAt: dateTime,
  updatedAt: dateTime,
  features: z
    .array(
      z.strictObject({
        code: z.string(),
        name: z.string(),
        type: featureType,
        unitName: z.string().nullable(),
        enabled: z.boolean(),
        includedAmount: z.number().nullable(),
        unlimited: z.boolean(),
        overage: z
          .strictObject({
            enabled: z.boolean(),
            model: z.literal("per_unit").nullable(),
            unitPrice: z.number().nullable(),
          })
          .nullable(),
        regionalPrices: z
          .array(
            z.strictObject({ currency: z.string(), overageUnitPrice: z.number().nullable(), autoSynced: z.boolean() }),
          )
          .optional(),
      }),
    )
    .optional(),
  prices: z
    .array(
      z.strictObject({
        billingInterval,
        price: z.number(),
        isDefault: z.boolean(),
        trialDays: z.number(),
        includedBalance: z.number().nullable(),
        includedCredits: z.number().nullable(),
        introOffer: z
          .strictObject({
            enabled: z.boolean(),
            discountType: discountType.nullable(),
            discountValue: z.number().nullable(),
            durationCycles: z.number().nullable(),
          })
          .nullable(),
        regionalPrices: z
          .array(
            z.strictObject({
              currency: z.string(),
              price: z.number(),
              includedBalance: z.number().nullable(),
              autoSynced: z.boolean(),
            }),
          )
          .optional(),
      }),
    )
    .optional(),
  exchangeRates: z.array(z.strictObject({ currency: z.string(), exchangeRate: z.number() })).optional(),
  object: z.literal("plan"),
  livemode,
});
export type PlanT = z.infer<typeof Plan>;

export const Subscription = z.strictObject({
  id: z.string().min(1),
  customerId: z.string().min(1),
  plan: z.strictObject({ id: z.string(), name: z.string(), basePrice: z.number().optional() }),
  name: z.string(),
  description: z.string().nullable(),
  status: subscriptionStatus,
  billingInterval: billingInterval.nullable(),
  consumptionModel: consumptionModel.nullable().optional(),
  trialEndsAt: z.string().nullable(),
  currentPeriod: z.strictObject({ start: dateTime, end: dateTime, daysRemaining: z.number() }).nullable(),
  features: z
    .array(
      z.strictObject({
        code: z.string(),
        name: z.string(),
        type: featureType,
        enabled: z.boolean().optional(),
        usage: z
          .strictObject({
            current: z.number(),
            included: z.number(),
            overageQuantity: z.number(),
            overageUnitPrice: z.number().optional(),
          })
          .optional(),
      }),
    )
    .optional(),
  credits: z.strictObject({ remaining: z.number(), included: z.number(), purchased: z.number() }).nullable().optional(),
  balance: z.strictObject({ remaining: z.number(), included: z.number(), currency: z.string() }).nullable().optional(),
  cancellation: z
    .strictObject({ scheduledAt: dateTime, reason: z.string().nullable(), effectiveAt: dateTime })
    .nullable(),
  cancelAtPeriodEnd: z.boolean(),
  scheduledPlanChange: z
    .strictObject({
      changeType: z.enum(["plan_downgrade", "interval_change"]),
      newPlanId: z.string().nullable(),
      newPlanName: z.string().nullable(),
      newBillingInterval: z.string().nullable(),
      scheduledFor: dateTime,
    })
    .nullable(),
  discount: z
    .strictObject({ type: discountType, value: z.number(), name: z.string().nullable(), endsAt: z.string().nullable() })
    .nullable(),
  startDate: dateTime,
  endDate: z.string().nullable(),
  billingDayOfMonth: z.number().nullable(),
  nextBillingDate: z.string().nullable(),
  checkoutUrl: z.string().nullable(),
  checkoutProvider: z.enum(["stripe", "commet", "dlocal"]).nullable().optional(),
  createdAt: dateTime,
  updatedAt: dateTime,
  object: z.literal("subscription"),
  livemode,
});
export type SubscriptionT = z.infer<typeof Subscription>;

export const CanceledSubscription = z.strictObject({
  id: z.string().min(1),
  customerId: z.string().min(1),
  status: subscriptionStatus,
  canceledAt: dateTime,
  cancelReason: z.string().nullable(),
  scheduledCancellationDate: dateTime,
  updatedAt: dateTime,
  object: z.literal("subscription"),
  livemode,
});

const featureNumbers = {
  enabled: z.boolean().optional(),
  current: z.number().optional(),
  included: z.number().optional(),
  remaining: z.number().optional(),
  overageQuantity: z.number().optional(),
  overageUnitPrice: z.number().optional(),
  unlimited: z.boolean().optional(),
  overageEnabled: z.boolean().optional(),
  billedQuantity: z.number().optional(),
};

export const FeatureAccess = z.strictObject({
  code: z.string(),
  name: z.string(),
  type: featureType,
  allowed: z.boolean(),
  ...featureNumbers,
  object: z.literal("feature"),
  livemode,
});

export const FeatureLookup = z.strictObject({
  allowed: z.boolean(),
  code: z.string().optional(),
  name: z.string().optional(),
  type: featureType.optional(),
  ...featureNumbers,
  willBeCharged: z.boolean().optional(),
  reason: z.string().optional(),
  object: z.literal("feature"),
  livemode,
});

const balanceEvent = {
  id: z.string().min(1),
  customerId: z.string().min(1),
  featureCode: z.string().min(1),
  previousBalance: z.number(),
  newBalance: z.number(),
  ts: dateTime,
  createdAt: dateTime,
  livemode,
};

export const SeatEvent = z.strictObject({ ...balanceEvent, object: z.literal("seat") });

export const BulkSeatUpdate = z.strictObject({
  id: z.string().min(1),
  featureCode: z.string().min(1),
  previousBalance: z.number(),
  newBalance: z.number(),
  ts: dateTime,
  createdAt: dateTime,
  object: z.literal("seat"),
  livemode,
});

export const SeatBalance = z.strictObject({
  current: z.number(),
  asOf: dateTime,
  object: z.literal("seat"),
  livemode,
});

/**
 * 7.10.0 declares `SeatBalanceListItem` as `{ object: "seat"; livemode }` only — an open
 * interface, so the per-feature balances ride alongside. The sandbox carries them as
 * `balances: Record<featureCode, { current, asOf }>` (the shape the API documents).
 */
export const SeatBalanceList = z.looseObject({
  object: z.literal("seat"),
  livemode,
  balances: z.record(z.string(), z.strictObject({ current: z.number(), asOf: dateTime })),
});

export const UsageEvent = z.strictObject({
  id: z.string().startsWith("evt_"),
  object: z.literal("usage_event"),
  livemode,
  organizationId: z.string().min(1),
  customerId: z.string().min(1),
  feature: z.string().min(1),
  idempotencyKey: z.string().optional(),
  ts: z.string(),
  properties: z
    .array(
      z.strictObject({
        id: z.string(),
        usageEventId: z.string().startsWith("evt_"),
        property: z.string(),
        value: z.string(),
        createdAt: z.string(),
      }),
    )
    .optional(),
  createdAt: z.string(),
});

export const UsageCheckResult = z.strictObject({
  allowed: z.boolean(),
  consumptionModel,
  feature: z.string(),
  quantity: z.number(),
  current: z.number().optional(),
  remaining: z.number().optional(),
  unlimited: z.boolean().optional(),
  included: z.number().optional(),
  overageEnabled: z.boolean().optional(),
  overageUnitPrice: z.number().nullable().optional(),
  creditsPerUnit: z.number().optional(),
  estimatedCredits: z.number().optional(),
  planCredits: z.number().optional(),
  purchasedCredits: z.number().optional(),
  totalCredits: z.number().optional(),
  unitPrice: z.number().optional(),
  estimatedAmount: z.number().optional(),
  currentBalance: z.number().optional(),
  blockOnExhaustion: z.boolean().optional(),
  currency: z.string().optional(),
  reason: z.enum(["included_limit_reached", "insufficient_credits", "insufficient_balance"]).optional(),
  message: z.string().optional(),
});

export const UsageAdjustment = z.strictObject({
  id: z.string().startsWith("evt_"),
  feature: z.string(),
  value: z.number(),
  previousValue: z.number(),
  adjustment: z.number(),
  customerId: z.string(),
  idempotencyKey: z.string().nullable(),
  reason: z.string().nullable(),
  ts: z.string(),
  createdAt: z.string(),
  object: z.literal("usage_event"),
  livemode,
});

export const UsageQuota = z.strictObject({
  featureCode: z.string(),
  current: z.number(),
  included: z.number(),
  remaining: z.number().nullable(),
  billedQuantity: z.number(),
  unlimited: z.boolean(),
  overageEnabled: z.boolean(),
  asOf: z.string().nullable(),
  object: z.literal("usage_quota"),
  livemode,
});

export const UsageQuotaEvent = z.strictObject({ ...balanceEvent, object: z.literal("usage_quota") });

export const PortalAccess = z.strictObject({
  portalUrl: z.url(),
  object: z.literal("portal_session"),
  livemode,
});

const lineItem = z.strictObject({
  lineType: z.enum([
    "plan_base",
    "feature_overage",
    "feature_seats",
    "feature_quota",
    "discount",
    "promo_code_discount",
    "credit",
    "balance_overage",
    "addon_base",
    "one_time",
  ]),
  featureName: z.string().nullable(),
  description: z.string(),
  quantity: z.number(),
  unitAmount: z.number(),
  amount: z.number(),
  includedAmount: z.number().nullable(),
  usedAmount: z.number().nullable(),
  overageAmount: z.number().nullable(),
  discountType: z.string().nullable(),
  discountValue: z.number().nullable(),
  discountName: z.string().nullable(),
  chargeType: z.enum(["standard", "advance", "true_up"]),
});

export const Invoice = z.strictObject({
  id: z.string().min(1),
  customerId: z.string().min(1),
  subscriptionId: z.string().nullable(),
  invoiceNumber: z.string().min(1),
  status: invoiceStatus,
  invoiceType,
  currency: z.string(),
  subtotal: z.number(),
  discountAmount: z.number(),
  creditApplied: z.number().optional(),
  taxAmount: z.number(),
  total: z.number(),
  periodStart: dateTime,
  periodEnd: dateTime,
  issueDate: dateTime,
  dueDate: dateTime,
  planName: z.string().nullable().optional(),
  memo: z.string().nullable(),
  poNumber: z.string().nullable().optional(),
  reference: z.string().nullable().optional(),
  metadata,
  createdAt: dateTime,
  updatedAt: dateTime,
  lineItems: z.array(lineItem).optional(),
  object: z.literal("invoice"),
  livemode,
});
export type InvoiceT = z.infer<typeof Invoice>;

export const CreatedInvoice = z.strictObject({
  id: z.string().min(1),
  customerId: z.string().min(1),
  invoiceNumber: z.string().min(1),
  status: invoiceStatus,
  invoiceType,
  currency: z.string(),
  subtotal: z.number(),
  taxAmount: z.number(),
  total: z.number(),
  issueDate: dateTime,
  dueDate: dateTime,
  memo: z.string().nullable(),
  metadata,
  createdAt: dateTime,
  updatedAt: dateTime,
  object: z.literal("invoice"),
  livemode,
});

export const InvoiceDownload = z.strictObject({
  url: z.url(),
  expiresAt: dateTime,
  object: z.literal("invoice"),
  livemode,
});

export const SentInvoice = z.strictObject({
  sent: z.boolean(),
  sentAt: dateTime,
  object: z.literal("invoice"),
  livemode,
});

export const InvoiceStatusChange = z.strictObject({
  id: z.string().min(1),
  status: invoiceStatus,
  updatedAt: dateTime,
  object: z.literal("invoice"),
  livemode,
});

/** invoice.created / invoice.voided / invoice.overdue data (webhooks/invoice-*.md). */
export const InvoiceEventData = z.strictObject({
  invoiceId: z.string(),
  invoiceNumber: z.string(),
  invoiceStatus: z.string(),
  periodStart: z.string(),
  periodEnd: z.string(),
  issueDate: z.string(),
  dueDate: z.string(),
  currency: z.string(),
  subtotal: z.number(),
  total: z.number(),
  customerId: z.string(),
  subscriptionId: z.string().nullable(),
});

export const Transaction = z.strictObject({
  id: z.string().min(1),
  invoiceId: z.string().nullable(),
  grossAmount: z.number().nullable(),
  subtotal: z.number().nullable(),
  taxAmount: z.number().nullable(),
  presentmentAmount: z.number().nullable(),
  currency: z.string(),
  provider: z.enum(["stripe", "commet", "dlocal"]),
  status: z.enum(["pending", "succeeded", "failed", "refunded", "disputed"]),
  customerEmail: z.string().nullable(),
  customerName: z.string().nullable(),
  paidAt: z.string().nullable(),
  createdAt: dateTime,
  updatedAt: dateTime,
  availableAt: z.string().nullable().optional(),
  object: z.literal("transaction"),
  livemode,
});

export const TransactionRefund = z.strictObject({
  id: z.string().min(1),
  status: z.literal("refunded"),
  object: z.literal("transaction"),
  livemode,
});

export const TransactionRetry = z.strictObject({
  id: z.string().min(1),
  status: z.literal("processing"),
  object: z.literal("transaction"),
  livemode,
});

export const RecoveryLink = z.strictObject({
  url: z.url(),
  token: z.string().min(1),
  object: z.literal("subscription"),
  livemode,
});

/** Payment webhook data as typed by 7.10.0 (PaymentReceivedData, PaymentFailedData, …). */
export const PaymentReceivedData = z.strictObject({
  invoiceId: z.string(),
  invoiceNumber: z.string(),
  invoiceTotal: z.number(),
  customerId: z.string(),
  subscriptionId: z.string().nullable(),
  paymentTransactionId: z.string().nullable(),
  provider: z.enum(["stripe", "commet", "dlocal"]).nullable(),
  grossAmount: z.number().nullable(),
  currency: z.string().nullable(),
  orgNetAmount: z.number().nullable(),
  customerEmail: z.string().nullable(),
  paidAt: z.string().optional(),
});
export const PaymentFailedData = z.strictObject({
  invoiceId: z.string(),
  invoiceNumber: z.string(),
  customerId: z.string(),
  subscriptionId: z.string().nullable(),
  failureCode: z.string(),
  failureMessage: z.string(),
  recoveryUrl: z.string().nullable(),
});
export const PaymentRecoveredData = z.strictObject({
  invoiceId: z.string(),
  invoiceNumber: z.string(),
  invoiceTotal: z.number(),
  customerId: z.string(),
  subscriptionId: z.string().nullable(),
});
export const PaymentRetryFailedData = z.strictObject({
  invoiceId: z.string(),
  invoiceNumber: z.string(),
  customerId: z.string(),
  subscriptionId: z.string(),
  reason: z.string(),
});
export const PaymentRefundedData = z.strictObject({
  paymentTransactionId: z.string(),
  provider: z.enum(["stripe", "commet", "dlocal"]),
  paymentLinkId: z.string().nullable(),
  invoiceId: z.string().nullable(),
  invoiceNumber: z.string().nullable(),
  customerId: z.string().nullable(),
  subscriptionId: z.string().nullable(),
  refundAmount: z.number(),
  currency: z.string(),
});
export const SubscriptionPastDueData = z.strictObject({
  subscriptionId: z.string(),
  customerId: z.string(),
  status: z.literal("past_due"),
  invoiceId: z.string(),
  invoiceNumber: z.string(),
});

export const TestClock = z.strictObject({
  simulatedTime: z.string().nullable(),
  isActive: z.boolean(),
  now: dateTime,
  object: z.literal("test_clock"),
  livemode,
});

export const TestClockBilling = z.strictObject({
  customersFound: z.number().int(),
  enqueued: z.number().int(),
  failed: z.number().int(),
  dunningRetried: z.number().int(),
  dunningFailed: z.number().int(),
  object: z.literal("test_clock"),
  livemode,
});

const webhookEndpointFields = {
  id: z.string().min(1),
  object: z.literal("webhook"),
  livemode,
  url: z.url(),
  events: z.array(z.string()),
  description: z.string().nullable(),
  isActive: z.boolean(),
  apiVersion: z.string().nullable(),
  createdAt: z.string(),
};
export const WebhookEndpoint = z.strictObject(webhookEndpointFields);
export const WebhookEndpointCreated = z.strictObject({
  ...webhookEndpointFields,
  secretKey: z.string().startsWith("whsec_"),
});
export const WebhookDeleted = z.strictObject({ id: z.string().min(1), deleted: z.literal(true) });

/** Webhook delivery body: the documented envelope plus the stable event `id` (`whev_…`, the consumer's dedupe key). */
export const WebhookDelivery = z.strictObject({
  id: z.string().regex(/^whev_[A-Za-z0-9]+$/),
  event: z.string(),
  timestamp: dateTime,
  organizationId: z.string().min(1),
  mode: z.enum(["live", "sandbox"]),
  apiVersion: z.string(),
  data: z.record(z.string(), z.unknown()),
});

export const SeatsUpdatedData = z.strictObject({
  customerId: z.string(),
  subscriptionId: z.string().nullable(),
  featureCode: z.string(),
  previousSeats: z.number(),
  currentSeats: z.number(),
});

export const UsageRecordedData = z.strictObject({
  subscriptionId: z.string(),
  customerId: z.string(),
  usageEventId: z.string(),
  featureCode: z.string(),
  value: z.number(),
  ts: z.string(),
});

export const CustomerEventData = Customer.omit({ object: true, livemode: true });

const paymentProvider = z.enum(["stripe", "commet", "dlocal"]);

export const SubscriptionCreatedData = z.strictObject({
  subscriptionId: z.string(),
  customerId: z.string(),
  planId: z.string(),
  planName: z.string(),
  status: z.string(),
  startDate: z.string(),
  name: z.string().nullable(),
});

export const SubscriptionActivatedData = z.strictObject({
  subscriptionId: z.string(),
  customerId: z.string(),
  status: z.string(),
  currentPeriodStart: z.string().optional(),
  currentPeriodEnd: z.string().optional(),
  name: z.string().nullable(),
  invoiceId: z.string(),
  invoiceNumber: z.string(),
  invoiceTotal: z.number(),
  invoiceCurrency: z.string(),
  provider: paymentProvider.nullable(),
});

export const SubscriptionCanceledData = z.strictObject({
  subscriptionId: z.string(),
  customerId: z.string(),
  status: z.string(),
  canceledAt: z.string().optional(),
  cancelReason: z.string().nullable(),
  endDate: z.string().optional(),
});

export const SandboxHealth = z.strictObject({
  ok: z.literal(true),
  livemode: z.literal(false),
  customers: z.number().int(),
  /** Seeded usage events owed as usage.recorded to the registered endpoints, and how many were answered 2xx / gave up. */
  historyEvents: z.number().int().nonnegative(),
  historyDelivered: z.number().int().nonnegative(),
  historyFailed: z.number().int().nonnegative(),
});

/** Paths of every `livemode` that is not `false` (the sandbox is never live). */
function liveModePaths(value: unknown, path = "$"): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => liveModePaths(v, `${path}[${i}]`));
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([k, v]) =>
    k === "livemode" && v !== false ? [`${path}.livemode`] : liveModePaths(v, `${path}.${k}`),
  );
}

/**
 * Parse with a readable failure (zod issues with paths) for test output. Also checks the sandbox
 * invariant the types cannot express: every `livemode` in the response is `false`.
 */
export function expectShape<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new Error(
      `contract shape mismatch:\n${z.prettifyError(result.error)}\nvalue: ${JSON.stringify(value).slice(0, 2000)}`,
    );
  }
  const live = liveModePaths(value);
  if (live.length > 0) throw new Error(`sandbox response with livemode !== false at ${live.join(", ")}`);
  return result.data;
}
