/**
 * The error envelope of the Commet API and the documented codes the sandbox raises.
 * HTTP statuses follow each code's documented error type (shared/commet-docs/errors/).
 */

export type ErrorType =
  | "validation_error"
  | "authentication_error"
  | "not_found_error"
  | "conflict_error"
  | "billing_error"
  | "rate_limit_error"
  | "internal_error";

const STATUS_BY_TYPE: Record<ErrorType, number> = {
  validation_error: 400,
  authentication_error: 401,
  not_found_error: 404,
  conflict_error: 409,
  billing_error: 400,
  rate_limit_error: 429,
  internal_error: 500,
};

export interface FieldIssue {
  field: string;
  message: string;
}

export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly type: ErrorType,
    readonly code: string,
    message: string,
    readonly extra: { param?: string; details?: unknown; status?: number; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.status = extra.status ?? STATUS_BY_TYPE[type];
  }

  toBody(): { success: false; error: Record<string, unknown> } {
    const error: Record<string, unknown> = { type: this.type, code: this.code, message: this.message };
    if (this.extra.param !== undefined) error.param = this.extra.param;
    if (this.extra.details !== undefined) error.details = this.extra.details;
    return { success: false, error };
  }
}

export const errors = {
  validation: (message: string, details: FieldIssue[]) =>
    new ApiError("validation_error", "validation_error", message, { details, param: details[0]?.field }),
  invalidJson: () =>
    new ApiError("validation_error", "invalid_json", "The request body is not valid JSON.", {
      param: "body",
      details: [{ field: "body", message: "Malformed JSON" }],
    }),
  unauthorized: () =>
    new ApiError(
      "authentication_error",
      "unauthorized",
      "Missing or invalid API key. Send it in the x-api-key header.",
    ),
  notFound: (message = "The requested endpoint does not exist.") =>
    new ApiError("not_found_error", "not_found", message),
  customerNotFound: (id: string) =>
    new ApiError("not_found_error", "customer_not_found", `Customer '${id}' does not exist.`, { param: "customerId" }),
  featureNotFound: (code: string, param = "featureCode") =>
    new ApiError("not_found_error", "feature_not_found", `Feature '${code}' does not exist.`, { param }),
  planNotFound: (id: string, param?: string) =>
    new ApiError("not_found_error", "plan_not_found", `Plan '${id}' does not exist.`, { param }),
  subscriptionNotFound: (id: string) =>
    new ApiError("not_found_error", "subscription_not_found", `Subscription '${id}' does not exist.`),
  invoiceNotFound: (id: string) =>
    new ApiError("not_found_error", "invoice_not_found", `Invoice '${id}' does not exist.`),
  invoiceNotSendable: (id: string, status: string) =>
    new ApiError("validation_error", "validation_error", `Invoice '${id}' is ${status} and cannot be sent.`, {
      param: "id",
      details: [
        {
          field: "id",
          message: `Only outstanding, paid or uncollectible invoices can be sent (this one is ${status})`,
        },
      ],
    }),
  invoiceStatusFinal: (id: string, status: string) =>
    new ApiError(
      "validation_error",
      "validation_error",
      `Invoice '${id}' is ${status}; only outstanding invoices can change status.`,
      {
        param: "status",
        details: [{ field: "status", message: `The invoice is already ${status}` }],
      },
    ),
  transactionNotFound: (id: string) =>
    new ApiError("not_found_error", "transaction_not_found", `Transaction '${id}' does not exist.`),
  webhookNotFound: (id: string) =>
    new ApiError("not_found_error", "webhook_not_found", `Webhook endpoint '${id}' does not exist.`),
  noActiveSubscription: (customerId: string) =>
    new ApiError(
      "not_found_error",
      "no_active_subscription",
      `Customer '${customerId}' has no active, trialing or past-due subscription.`,
      { param: "customerId" },
    ),
  notScheduledForCancellation: (id: string) =>
    new ApiError(
      "conflict_error",
      "not_scheduled_for_cancellation",
      `Subscription '${id}' has no scheduled cancellation to revert.`,
    ),
  alreadyScheduled: (message: string) => new ApiError("conflict_error", "already_scheduled", message),
  subscriptionNotActive: (id: string, status: string) =>
    new ApiError(
      "conflict_error",
      "subscription_not_active",
      `Subscription '${id}' is ${status}; plan changes need an active subscription.`,
      { details: { status } },
    ),
  oneTimeNotCancelable: (id: string) =>
    new ApiError(
      "conflict_error",
      "one_time_subscription_not_cancelable",
      `Subscription '${id}' is a one-time purchase and cannot be canceled.`,
    ),
  plansNotInSameGroup: (current: string, target: string, param: string) =>
    new ApiError(
      "validation_error",
      "plans_not_in_same_group",
      `Plan '${target}' is not in the same plan group as the current plan '${current}'.`,
      { param },
    ),
  planChangeScheduled: (effectiveAt: string) =>
    new ApiError(
      "validation_error",
      "plan_change_scheduled",
      `This change takes effect at the end of the current period (${effectiveAt}) and is not prorated; apply it with change-plan.`,
      { param: "planId", details: { effectiveAt } },
    ),
  noChangeRequested: (param: string) =>
    new ApiError(
      "validation_error",
      "no_change_requested",
      "The subscription is already on this plan and billing interval, and no change is scheduled.",
      { param },
    ),
  priceNotFound: (plan: string, interval: string, param: string) =>
    new ApiError("not_found_error", "price_not_found", `Plan '${plan}' has no ${interval} price.`, { param }),
  offerNotFound: (id: string) =>
    new ApiError("not_found_error", "offer_not_found", `Offer '${id}' does not exist.`, { param: "offerId" }),
  planGroupNotFound: (id: string) =>
    new ApiError("not_found_error", "plan_group_not_found", `Plan group '${id}' does not exist.`),
  chargeFailed: (failure: { code: string; message: string }, transactionId: string, invoiceId: string) =>
    new ApiError("billing_error", "charge_failed", `The plan change charge failed: ${failure.message}`, {
      details: { failureCode: failure.code, failureMessage: failure.message, transactionId, invoiceId },
    }),
  paymentFailed: (message: string, details: Record<string, unknown>) =>
    new ApiError("billing_error", "payment_failed", message, { details }),
  featureNotInPlan: (code: string, plan: string) =>
    new ApiError("billing_error", "feature_not_in_plan", `Feature '${code}' is not included in plan '${plan}'.`, {
      param: "featureCode",
    }),
  insufficientSeats: (code: string, current: number, requested: number) =>
    new ApiError(
      "billing_error",
      "insufficient_seats",
      `Cannot remove ${requested} '${code}' seats: the current balance is ${current}.`,
      { param: "count", details: { featureCode: code, current, requested } },
    ),
  insufficientBalance: (code: string, current: number, requested: number) =>
    new ApiError(
      "billing_error",
      "insufficient_balance",
      `Cannot remove ${requested} from quota '${code}': the current balance is ${current}.`,
      { param: "count", details: { featureCode: code, current, requested } },
    ),
  insufficientCredits: (details: { required: number; remaining: number }) =>
    new ApiError(
      "billing_error",
      "insufficient_credits",
      `Not enough credits: ${details.required} required, ${details.remaining} remaining.`,
      { details },
    ),
  includedLimitReached: (code: string, details: { included: number; current: number; requested: number }) =>
    new ApiError(
      "billing_error",
      "included_limit_reached",
      `Usage of '${code}' would exceed the plan's included ${details.included} units and overage is disabled.`,
      { details },
    ),
  duplicate: (message: string, param?: string) => new ApiError("conflict_error", "duplicate", message, { param }),
  alreadyHasActiveSubscription: (customerId: string, subscriptionId: string) =>
    new ApiError(
      "conflict_error",
      "already_has_active_subscription",
      `Customer '${customerId}' already has subscription '${subscriptionId}'.`,
      { details: { subscriptionId } },
    ),
  subscriptionAlreadyCanceled: (id: string) =>
    new ApiError("conflict_error", "subscription_already_canceled", `Subscription '${id}' is already canceled.`),
  transactionNotRefundable: (id: string, status: string) =>
    new ApiError(
      "conflict_error",
      "transaction_not_refundable",
      `Transaction '${id}' is ${status}: only a succeeded transaction can be refunded.`,
      { param: "id", details: { transactionId: id, status } },
    ),
  transactionNotRetryable: (id: string, status: string, why = `it is ${status}`) =>
    new ApiError(
      "conflict_error",
      "transaction_not_retryable",
      `Transaction '${id}' cannot be retried: ${why}. Only a failed subscription renewal charge can be retried.`,
      { param: "id", details: { transactionId: id, status } },
    ),
  noOutstandingInvoice: (subscriptionId: string, invoiceId?: string) =>
    new ApiError(
      "conflict_error",
      "no_outstanding_invoice",
      invoiceId
        ? `Invoice '${invoiceId}' of subscription '${subscriptionId}' is no longer outstanding.`
        : `Subscription '${subscriptionId}' has no outstanding invoice to charge or recover.`,
      { details: { subscriptionId, invoiceId: invoiceId ?? null } },
    ),
  invalidSubscriptionStatus: (id: string, status: string, accepted: string[]) =>
    new ApiError(
      "conflict_error",
      "invalid_subscription_status",
      `Subscription '${id}' is ${status}; this operation needs ${accepted.join(" or ")}.`,
      { details: { subscriptionId: id, status, accepted } },
    ),
  chargeInProgress: (subscriptionId: string, transactionId: string) =>
    new ApiError(
      "conflict_error",
      "charge_in_progress",
      `A payment retry (transaction '${transactionId}') is already running for subscription '${subscriptionId}'.`,
      { details: { subscriptionId, transactionId } },
    ),
  idempotencyKeyMismatch: () =>
    new ApiError(
      "conflict_error",
      "idempotency_key_mismatch",
      "This Idempotency-Key was already used with a different request payload or operation.",
    ),
  idempotencyInProgress: () =>
    new ApiError(
      "conflict_error",
      "idempotency_in_progress",
      "A request with this Idempotency-Key is still being processed.",
    ),
  rateLimited: (retryAfterSeconds: number) =>
    new ApiError("rate_limit_error", "rate_limited", `Too many requests. Retry after ${retryAfterSeconds} s.`, {
      headers: { "retry-after": String(retryAfterSeconds) },
    }),
  internal: (message = "Internal error.", status = 500) =>
    new ApiError("internal_error", "internal_error", message, { status }),
};
