/**
 * server/payments — a customer's payments and the org-wide queue, read live from Commet, and the
 * payment writes (payments:retry, payments:refund, recovery:issue) exactly once through server/writes.
 * Forms, views and results: app/contracts/payments.ts. Failure reasons come from Commet's webhooks.
 */
export {
  issueRecoveryLink,
  refundPayment,
  retryPayment,
  type PaymentWriteInput,
  type PaymentWriteResult,
} from "./actions.ts";
export { failureReasonsIn, paymentWebhooks, recordPaymentFailure } from "./failures.ts";
export { exportPaymentsCsv, loadPaymentsQueue, QUEUE_PAGES, type QueueSources } from "./queue.ts";
export { loadPaymentsPanel, PANEL_PAGES, type PaymentsReadOptions } from "./read.ts";
