// POST /webhooks/commet over real HTTP: raw body, headers, status codes and JSON answers.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { expect, it } from "vitest";
import { z } from "zod";
import { directoryWebhooks } from "../directory/webhooks.ts";
import { closeDatabaseGracefully, describeEachEngine } from "../testing/db.ts";
import { customerData, offlineCommet, sign, startWebhookEndpoint, webhookEnvelope } from "../testing/webhooks.ts";
import { webhookHandler } from "./handlers.ts";
import { commetWebhookRouter, MAX_WEBHOOK_BODY_BYTES } from "./router.ts";
import { webhookTables } from "./schema.ts";

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

  it("takes the event id from the signed body only: X-Commet-Event-Id never makes a delivery new", async () => {
    const applied: string[] = [];
    const counting = {
      handlers: {
        "probe.counted": webhookHandler(z.object({ n: z.number() }), async (_data, c) => {
          applied.push(c.envelope.id);
        }),
      },
    };
    const endpoint = await startWebhookEndpoint(ctx.database, { secret: SECRET, domains: [counting] });
    try {
      const post = (raw: string, eventId: string) =>
        fetch(endpoint.url, {
          method: "POST",
          body: raw,
          headers: { "x-commet-signature": sign(raw, SECRET), "x-commet-event-id": eventId },
        });
      const events = async () =>
        Number(
          (
            await webhookTables(ctx.database)
              .selectFrom("webhook_events")
              .select((eb) => eb.fn.countAll<number>().as("n"))
              .executeTakeFirstOrThrow()
          ).n,
        );
      const before = await events();

      // The same signed bytes, three header values: one event, applied once.
      const signed = JSON.stringify(webhookEnvelope("probe.counted", { n: 1 }));
      const answers = [];
      for (const header of ["whev_a", "whev_b", "whev_c"]) answers.push(await (await post(signed, header)).json());
      expect(answers.map((a: { result?: string }) => a.result)).toEqual(["received", "duplicate", "duplicate"]);
      expect(applied).toEqual([JSON.parse(signed).id]);

      // A signed body without an id is refused, whatever the header says: nothing stored, nothing applied.
      const { id: _drop, ...noId } = webhookEnvelope("probe.counted", { n: 2 });
      const unidentified = JSON.stringify(noId);
      for (const header of ["whev_x", "whev_y", "whev_z"]) {
        const res = await post(unidentified, header);
        expect(res.status).toBe(400);
        const body = (await res.json()) as { error: string; message: string };
        expect(body).toMatchObject({ ok: false, error: "invalid_payload", fieldErrors: { id: expect.any(Array) } });
        expect(body.message).toMatch(/no usable event id/);
      }
      const blankId = JSON.stringify({ ...noId, id: "" });
      expect((await post(blankId, "whev_blank")).status).toBe(400);
      expect(applied).toHaveLength(1);
      expect(await events()).toBe(before + 1);
    } finally {
      await endpoint.close();
    }
  });
});
