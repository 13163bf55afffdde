/** For tests and benches of the webhook intake: signed Commet deliveries, and a real endpoint to send them to. */
import { createHmac, randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Commet } from "@commet/node";
import express from "express";
import { commetWebhookRouter, type WebhookDatabase, type WebhookDomain } from "../webhooks/index.ts";

/** Only `webhooks.verify` is used: no request leaves this SDK instance. */
export const offlineCommet = new Commet({ apiKey: "ck_test_offline", telemetry: false });

/** The X-Commet-Signature of a body: HMAC-SHA256 with the webhook secret, hex. */
export function sign(body: string, secret: string): string {
  return createHmac("sha256", secret).update(body).digest("hex");
}

/** A Commet webhook envelope as the API documents it (fixed timestamp unless `extra` says otherwise). */
export function webhookEnvelope(event: string, data: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    id: `whev_${randomUUID()}`,
    event,
    timestamp: "2026-11-21T12:00:00.000Z",
    organizationId: "org_test",
    mode: "sandbox",
    apiVersion: "2026-07-31",
    data,
    ...extra,
  };
}

/** The data of a customer.* event. */
export function customerData(id: string, overrides: Record<string, unknown> = {}) {
  return {
    id,
    externalId: null,
    fullName: "Grace Hopper",
    email: "grace@navy.example",
    taxDocument: null,
    documentType: null,
    timezone: "UTC",
    metadata: null,
    createdAt: "2026-11-01T00:00:00.000Z",
    updatedAt: "2026-11-01T00:00:00.000Z",
    ...overrides,
  };
}

/**
 * A real HTTP endpoint on 127.0.0.1 serving POST /webhooks/commet with the console's own middleware
 * (commetWebhookRouter, as server/app-server.ts mounts it).
 */
export async function startWebhookEndpoint(
  database: WebhookDatabase,
  options: { secret: string; domains: readonly WebhookDomain[] },
): Promise<{ url: string; close(): Promise<void> }> {
  const app = express();
  app.use(
    commetWebhookRouter("/webhooks/commet", {
      database: async () => database,
      secret: () => options.secret,
      commet: () => offlineCommet,
      domains: options.domains,
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
