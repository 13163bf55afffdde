/**
 * For the timeline tests and bench: signed usage.recorded deliveries through the real webhook entry
 * (handleCommetWebhook / commetWebhookRouter with the directory's and the timeline's handlers).
 */
import { createHmac, randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Commet } from "@commet/node";
import express from "express";
import {
  commetWebhookRouter,
  directoryWebhookHandlers,
  handleCommetWebhook,
  type WebhookResponse,
} from "../directory/index.ts";
import type { TimelineDatabase } from "../usage/timeline/schema.ts";
import { usageWebhookHandlers } from "../usage/timeline/ingest.ts";

export const TEST_SECRET = "whsec_usage_timeline_test";
/** Only `webhooks.verify` is used: no request leaves this SDK instance. */
export const offlineCommet = new Commet({ apiKey: "ck_test_offline", telemetry: false });
export const consoleHandlers = { ...directoryWebhookHandlers, ...usageWebhookHandlers };

export function sign(body: string, secret = TEST_SECRET): string {
  return createHmac("sha256", secret).update(body).digest("hex");
}

export interface UsageData {
  usageEventId: string;
  customerId: string;
  featureCode: string;
  value: number;
  ts: string;
  subscriptionId?: string;
}

export function usageEnvelope(data: UsageData, id = `whev_${randomUUID()}`): string {
  return JSON.stringify({
    id,
    event: "usage.recorded",
    timestamp: new Date().toISOString(),
    organizationId: "org_test",
    mode: "sandbox",
    apiVersion: "2026-07-31",
    data: { subscriptionId: data.subscriptionId ?? "sub_test", ...data },
  });
}

/** One signed delivery through handleCommetWebhook (as POST /webhooks/commet runs it). */
export function deliverUsage(database: TimelineDatabase, rawBody: string): Promise<WebhookResponse> {
  return handleCommetWebhook(database, {
    rawBody,
    signature: sign(rawBody),
    secret: TEST_SECRET,
    commet: offlineCommet,
    handlers: consoleHandlers,
    onError: () => {},
  });
}

/**
 * A real HTTP endpoint on 127.0.0.1 serving POST /webhooks/commet with the console's own middleware
 * (commetWebhookRouter, as server/app-server.ts mounts it), for the sandbox tests.
 */
export async function startWebhookEndpoint(
  database: TimelineDatabase,
  secret = TEST_SECRET,
): Promise<{ url: string; close(): Promise<void> }> {
  const app = express();
  app.use(
    commetWebhookRouter("/webhooks/commet", {
      database: async () => database,
      secret: () => secret,
      commet: () => offlineCommet,
      handlers: consoleHandlers,
    }),
  );
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks/commet`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
