/**
 * The activity domain's part in the webhook intake (docs/decisions/0011-webhook-intake.md): an observer
 * that stores every new event about a customer, handled by another domain or not.
 */
import { z } from "zod";
import { webhookObserver, type WebhookDomain } from "../webhooks/index.ts";
import { recordAccountEvent } from "./store.ts";

export const activityWebhooks: WebhookDomain = {
  observers: [
    // Every envelope's data is an object: the observer sees them all and decides in recordAccountEvent.
    webhookObserver(z.record(z.string(), z.unknown()), async (_data, { trx, envelope, now }) => {
      await recordAccountEvent(trx, envelope, now);
    }),
  ],
};
