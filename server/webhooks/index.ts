/**
 * server/webhooks — Commet webhook intake: verify (SDK), validate, deduplicate (webhook_events), group
 * commit, POST /webhooks/commet, and the retention of processed-event records. Domains contribute a `WebhookDomain` (handlers by event type,
 * observers of every event); docs/decisions/0011-webhook-intake.md.
 */
export {
  webhookEnvelopeSchema,
  webhookHandler,
  webhookIntake,
  webhookObserver,
  type WebhookContext,
  type WebhookDomain,
  type WebhookEnvelope,
  type WebhookHandler,
  type WebhookHandlers,
  type WebhookIntake,
  type WebhookObserver,
} from "./handlers.ts";
export { handleCommetWebhook, type HandleWebhookInput, type WebhookResponse } from "./intake.ts";
export { pruneWebhookEvents, startWebhookEventPruner, type WebhookEventPrunerOptions } from "./retention.ts";
export { commetWebhookRouter, MAX_WEBHOOK_BODY_BYTES, type CommetWebhookEndpointOptions } from "./router.ts";
export type { WebhookDatabase } from "./schema.ts";
