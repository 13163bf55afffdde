// POST /webhooks/commet over real HTTP: raw body, headers, status codes and JSON answers.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { expect, it } from "vitest";
import { directoryWebhooks } from "../directory/webhooks.ts";
import { closeDatabaseGracefully, describeEachEngine } from "../testing/db.ts";
import { customerData, offlineCommet, sign, webhookEnvelope } from "../testing/webhooks.ts";
import { commetWebhookRouter, MAX_WEBHOOK_BODY_BYTES } from "./router.ts";

const SECRET = "whsec_test_directory_secret";

describeEachEngine("webhook endpoint", (ctx) => {
  closeDatabaseGracefully(ctx);

  it("serves POST /webhooks/commet over HTTP (Express middleware): raw body, headers, status and JSON", async () => {
    const app = express();
    app.use(
      commetWebhookRouter("/webhooks/commet", {
        database: async () => ctx.database,
        secret: () => SECRET,
        commet: () => offlineCommet,
        domains: [directoryWebhooks],
      }),
    );
    const server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/commet`;
    try {
      const post = (raw: string, headers: Record<string, string>) => fetch(url, { method: "POST", body: raw, headers });
      const body = JSON.stringify(
        webhookEnvelope("customer.created", customerData("cus_http", { email: "http@example.org" })),
      );
      const ok = await post(body, { "x-commet-signature": sign(body, SECRET), "content-type": "application/json" });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ ok: true, result: "received" });
      // The signature covers the exact bytes, whatever the content type says.
      const asText = JSON.stringify(
        webhookEnvelope("customer.created", customerData("cus_text", { email: "text@example.org" })),
      );
      expect(
        (await post(asText, { "x-commet-signature": sign(asText, SECRET), "content-type": "text/plain" })).status,
      ).toBe(200);
      const unsigned = await post(body, { "content-type": "application/json" });
      expect(unsigned.status).toBe(401);
      expect(await unsigned.json()).toMatchObject({ ok: false, error: "missing_signature" });
      // The event id may come from the X-Commet-Event-Id header when the body has none.
      const { id: _drop, ...noId } = webhookEnvelope(
        "customer.created",
        customerData("cus_hdr", { email: "hdr@example.org" }),
      );
      const raw = JSON.stringify(noId);
      const viaHeader = await post(raw, {
        "x-commet-signature": sign(raw, SECRET),
        "x-commet-event-id": "whev_from_header",
      });
      expect(await viaHeader.json()).toMatchObject({ ok: true, eventId: "whev_from_header" });
      const big = "x".repeat(MAX_WEBHOOK_BODY_BYTES + 1);
      const tooBig = await post(big, { "x-commet-signature": sign(big, SECRET), "content-type": "application/json" });
      expect(tooBig.status).toBe(413);
      expect(await tooBig.json()).toMatchObject({ ok: false, error: "payload_too_large" });
      const get = await fetch(url);
      expect(get.status).toBe(405);
      expect(get.headers.get("allow")).toBe("POST");
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
