/**
 * For the timeline tests and bench: signed usage.recorded deliveries through the real webhook intake,
 * with the directory's and the timeline's contributions (as server/app-server.ts wires them).
 */
import { randomUUID } from "node:crypto";
import { directoryWebhooks } from "../directory/index.ts";
import type { TimelineDatabase } from "../usage/timeline/schema.ts";
import { usageWebhooks } from "../usage/timeline/index.ts";
import { handleCommetWebhook, webhookIntake, type WebhookResponse } from "../webhooks/index.ts";
import { offlineCommet, sign, startWebhookEndpoint, webhookEnvelope } from "./webhooks.ts";

export const TEST_SECRET = "whsec_usage_timeline_test";
export const consoleDomains = [directoryWebhooks, usageWebhooks] as const;
export const consoleIntake = webhookIntake(...consoleDomains);

export interface UsageData {
  usageEventId: string;
  customerId: string;
  featureCode: string;
  value: number;
  ts: string;
  subscriptionId?: string;
}

export function usageEnvelope(data: UsageData, id = `whev_${randomUUID()}`): string {
  return JSON.stringify(
    webhookEnvelope(
      "usage.recorded",
      { subscriptionId: data.subscriptionId ?? "sub_test", ...data },
      { id, timestamp: new Date().toISOString() },
    ),
  );
}

/** One signed delivery through handleCommetWebhook (as POST /webhooks/commet runs it). */
export function deliverUsage(database: TimelineDatabase, rawBody: string): Promise<WebhookResponse> {
  return handleCommetWebhook(database, {
    rawBody,
    signature: sign(rawBody, TEST_SECRET),
    secret: TEST_SECRET,
    commet: offlineCommet,
    intake: consoleIntake,
    onError: () => {},
  });
}

/** The console's webhook endpoint on a real port, for the sandbox to deliver to. */
export function startConsoleWebhookEndpoint(database: TimelineDatabase) {
  return startWebhookEndpoint(database, { secret: TEST_SECRET, domains: consoleDomains });
}
