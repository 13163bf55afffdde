/**
 * Commet sends no event when a plan or feature is edited; the events that name a plan are the hint the
 * catalog may have moved (a new plan, a new release), so they clear the cached catalog.
 */
import { z } from "zod";
import { webhookObserver, type WebhookDomain } from "../webhooks/index.ts";
import { invalidateCatalog } from "./client.ts";

/** The documented events that carry a plan reference (planId, currentPlan, scheduledPlan, targetPlanId). */
export const CATALOG_HINT_EVENTS: ReadonlySet<string> = new Set([
  "subscription.created",
  "subscription.plan_changed",
  "subscription.plan_change_scheduled",
  "subscription.plan_change_revoked",
  "plan_grant.created",
  "plan_grant.updated",
  "plan_grant.expired",
  "plan_grant.revoked",
]);

export const catalogWebhooks: WebhookDomain = {
  observers: [
    webhookObserver(z.unknown(), async (_data, ctx) => {
      if (CATALOG_HINT_EVENTS.has(ctx.envelope.event)) invalidateCatalog();
    }),
  ],
};
