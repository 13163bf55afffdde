import { createHmac, randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Commet } from "@commet/node";
import express from "express";
import { z } from "zod";
import { afterAll, beforeAll, expect, it } from "vitest";
import { closeDatabaseGracefully, describeEachEngine } from "../testing/db.ts";
import { startTestSandbox, waitFor, type TestSandbox } from "../testing/sandbox.ts";
import { getIndexedCustomer, listIndexedSubscriptions, subscriptionStatusCounts } from "./list.ts";
import { tables } from "./schema.ts";
import { searchCustomers } from "./search.ts";
import {
  commetWebhookRouter,
  directoryWebhookHandlers,
  handleCommetWebhook,
  MAX_WEBHOOK_BODY_BYTES,
  webhookHandler,
  type WebhookHandlers,
} from "./webhooks.ts";

const SECRET = "whsec_test_directory_secret";
// Only `webhooks.verify` is used: no request leaves this SDK instance.
const commet = new Commet({ apiKey: "ck_test_offline", telemetry: false });

function sign(body: string, secret = SECRET): string {
  return createHmac("sha256", secret).update(body).digest("hex");
}

function envelope(event: string, data: Record<string, unknown>, extra: Record<string, unknown> = {}) {
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

function customerData(id: string, overrides: Record<string, unknown> = {}) {
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

describeEachEngine("directory webhooks", (ctx) => {
  closeDatabaseGracefully(ctx);

  const deliver = (
    body: unknown,
    opts: { signature?: string | null; raw?: string; secret?: string; handlers?: WebhookHandlers } = {},
  ) => {
    const rawBody = opts.raw ?? JSON.stringify(body);
    return handleCommetWebhook(ctx.database, {
      rawBody,
      signature: opts.signature === undefined ? sign(rawBody) : opts.signature,
      secret: opts.secret ?? SECRET,
      commet,
      ...(opts.handlers ? { handlers: opts.handlers } : {}),
      onError: () => {},
    });
  };
  const eventCount = async () =>
    Number(
      (
        await tables(ctx.database)
          .selectFrom("webhook_events")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it("applies customer.created and customer.updated; the customer becomes searchable", async () => {
    const created = envelope("customer.created", customerData("cus_grace", { externalId: "user_grace" }));
    expect(await deliver(created)).toMatchObject({
      status: 200,
      body: { ok: true, result: "received", eventId: created.id },
    });
    expect((await searchCustomers(ctx.database, "hopp")).hits.map((h) => h.id)).toEqual(["cus_grace"]);

    const updated = envelope(
      "customer.updated",
      customerData("cus_grace", {
        externalId: "user_grace",
        fullName: "Grace Brewster Hopper",
        updatedAt: "2026-11-02T00:00:00.000Z",
      }),
    );
    expect((await deliver(updated)).status).toBe(200);
    expect((await searchCustomers(ctx.database, "brew")).hits.map((h) => h.id)).toEqual(["cus_grace"]);
  });

  it("deduplicates by event id: a redelivery is acknowledged and not applied again", async () => {
    const first = envelope(
      "customer.created",
      customerData("cus_dedup", { email: "dedup@example.org", fullName: "First Name" }),
    );
    expect((await deliver(first)).body.result).toBe("received");
    const before = await eventCount();
    // Same id, different content (and newer): still the same event for us.
    const again = { ...first, data: { ...first.data, fullName: "Second Name", updatedAt: "2026-11-05T00:00:00.000Z" } };
    expect(await deliver(again)).toMatchObject({ status: 200, body: { ok: true, result: "duplicate" } });
    expect(await eventCount()).toBe(before);
    expect((await getIndexedCustomer(ctx.database, "cus_dedup"))?.fullName).toBe("First Name");
  });

  it("refuses unsigned, wrongly signed and tampered deliveries with 401 and stores nothing", async () => {
    const before = await eventCount();
    const body = envelope("customer.created", customerData("cus_forged", { email: "forged@example.org" }));
    const raw = JSON.stringify(body);
    expect(await deliver(body, { signature: null })).toMatchObject({
      status: 401,
      body: { error: "missing_signature" },
    });
    expect(await deliver(body, { signature: sign(raw, "whsec_someone_else") })).toMatchObject({
      status: 401,
      body: { error: "invalid_signature" },
    });
    expect(await deliver(body, { signature: "not-hex" })).toMatchObject({ status: 401 });
    const tampered = raw.replace("forged@example.org", "evil@example.org");
    expect(await deliver(null, { raw: tampered, signature: sign(raw) })).toMatchObject({ status: 401 });
    expect(await deliver(body, { secret: "" })).toMatchObject({
      status: 401,
      body: { error: "webhook_secret_missing" },
    });
    expect(await eventCount()).toBe(before);
    expect(await getIndexedCustomer(ctx.database, "cus_forged")).toBeNull();
  });

  it("answers 400 to signed but malformed payloads and stores nothing", async () => {
    const before = await eventCount();
    expect(await deliver(null, { raw: "{not json" })).toMatchObject({ status: 400, body: { error: "invalid_json" } });
    const noId = envelope("customer.created", customerData("cus_bad1"));
    delete (noId as Partial<typeof noId>).id;
    expect(await deliver(noId)).toMatchObject({ status: 400, body: { error: "invalid_payload" } });
    const noData = { ...envelope("customer.created", {}), data: "nope" };
    expect(await deliver(noData)).toMatchObject({ status: 400, body: { fieldErrors: { data: expect.any(Array) } } });
    const missingEmail = envelope("customer.created", { ...customerData("cus_bad2"), email: undefined });
    const res = await deliver(missingEmail);
    expect(res).toMatchObject({ status: 400, body: { error: "invalid_payload", eventId: missingEmail.id } });
    expect(res.body.fieldErrors?.email).toBeDefined();
    expect(await eventCount()).toBe(before);
    expect(await getIndexedCustomer(ctx.database, "cus_bad2")).toBeNull();
  });

  it("keeps subscription status, plan and seats current; older events do not win", async () => {
    await deliver(
      envelope("customer.created", customerData("cus_sub", { externalId: "user_sub", email: "sub@example.org" })),
    );
    const at = (iso: string) => ({ timestamp: iso });
    const base = { subscriptionId: "sub_1", customerId: "user_sub" };
    await deliver(
      envelope(
        "subscription.created",
        {
          ...base,
          planId: "pln_pro",
          planName: "Pro",
          status: "pending_payment",
          startDate: "2026-11-21T10:00:00.000Z",
          name: null,
        },
        at("2026-11-21T10:00:00.000Z"),
      ),
    );
    expect(await getIndexedCustomer(ctx.database, "user_sub")).toMatchObject({
      id: "cus_sub",
      subscriptionStatus: "pending_payment",
      planId: "pln_pro",
      planName: "Pro",
    });
    await deliver(
      envelope(
        "subscription.activated",
        {
          ...base,
          status: "active",
          name: null,
          invoiceId: "inv_9",
          invoiceNumber: "INV-0900",
          invoiceTotal: 100,
          invoiceCurrency: "usd",
          provider: null,
        },
        at("2026-11-21T10:05:00.000Z"),
      ),
    );
    await deliver(
      envelope(
        "seats.updated",
        { customerId: "user_sub", subscriptionId: "sub_1", featureCode: "editors", previousSeats: 0, currentSeats: 5 },
        at("2026-11-21T10:06:00.000Z"),
      ),
    );
    await deliver(
      envelope(
        "subscription.plan_changed",
        {
          ...base,
          previousPlan: { id: "pln_pro", name: "Pro" },
          currentPlan: { id: "pln_team", name: "Team" },
          billingInterval: "monthly",
          credit: 0,
          charge: 0,
          totalCharged: 0,
        },
        at("2026-11-21T10:07:00.000Z"),
      ),
    );
    // Delivered late: an older past_due must not override the newer state.
    await deliver(
      envelope(
        "subscription.past_due",
        { ...base, status: "past_due", invoiceId: "inv_8", invoiceNumber: "INV-0800" },
        at("2026-11-21T10:01:00.000Z"),
      ),
    );
    expect(await getIndexedCustomer(ctx.database, "cus_sub")).toMatchObject({
      subscriptionId: "sub_1",
      subscriptionStatus: "active",
      planId: "pln_team",
      planName: "Team",
      seats: { editors: 5 },
      seatsTotal: 5,
    });
    const subs = await listIndexedSubscriptions(ctx.database, { status: ["active"], plan: ["pln_team"] });
    expect(subs.rows.map((r) => [r.id, r.customerId, r.customerEmail])).toEqual([
      ["sub_1", "cus_sub", "sub@example.org"],
    ]);
    expect((await subscriptionStatusCounts(ctx.database)).counts.active).toBeGreaterThanOrEqual(1);
    // Invoice numbers carried by events are searchable (even by the late one).
    expect((await searchCustomers(ctx.database, "inv-0900")).exactHit?.id).toBe("cus_sub");
    expect((await searchCustomers(ctx.database, "INV-0800")).exactHit?.id).toBe("cus_sub");
  });

  it("at equal timestamps a delivery reordered by the network does not move a status back", async () => {
    await deliver(envelope("customer.created", customerData("cus_tie", { email: "tie@example.org" })));
    const at = { timestamp: "2026-11-21T11:00:00.000Z" };
    const base = { subscriptionId: "sub_tie", customerId: "cus_tie" };
    // Emitted created → activated in the same millisecond, delivered activated first.
    await deliver(
      envelope(
        "subscription.activated",
        {
          ...base,
          status: "active",
          name: null,
          invoiceId: "inv_t",
          invoiceNumber: "INV-T1",
          invoiceTotal: 0,
          invoiceCurrency: "usd",
          provider: null,
        },
        at,
      ),
    );
    await deliver(
      envelope(
        "subscription.created",
        {
          ...base,
          planId: "pln_free",
          planName: "Free",
          status: "pending_payment",
          startDate: at.timestamp,
          name: null,
        },
        at,
      ),
    );
    expect(await getIndexedCustomer(ctx.database, "cus_tie")).toMatchObject({
      subscriptionStatus: "active",
      planName: "Free",
    });
  });

  it("links a subscription that arrived before its customer", async () => {
    await deliver(
      envelope("subscription.created", {
        subscriptionId: "sub_early",
        customerId: "user_late",
        planId: "pln_free",
        planName: "Free",
        status: "active",
        startDate: "2026-11-20T00:00:00.000Z",
        name: null,
      }),
    );
    await deliver(
      envelope("customer.created", customerData("cus_late", { externalId: "user_late", email: "late@example.org" })),
    );
    expect(await getIndexedCustomer(ctx.database, "cus_late")).toMatchObject({
      subscriptionId: "sub_early",
      planName: "Free",
    });
  });

  it("acknowledges events nobody handles, and dispatches to extra handlers", async () => {
    const payment = envelope("payment.received", {
      customerId: "cus_grace",
      invoiceId: "inv_77",
      invoiceNumber: "INV-0077",
      amount: 100,
    });
    expect(await deliver(payment)).toMatchObject({ status: 200, body: { result: "ignored" } });
    expect((await searchCustomers(ctx.database, "INV-0077")).exactHit?.id).toBe("cus_grace");

    const seen: string[] = [];
    const handlers: WebhookHandlers = {
      ...directoryWebhookHandlers,
      "usage.recorded": webhookHandler(z.object({ usageEventId: z.string() }), async (data, { envelope: e }) => {
        seen.push(`${e.id}:${data.usageEventId}`);
      }),
    };
    const usage = envelope("usage.recorded", {
      usageEventId: "evt_1",
      customerId: "cus_grace",
      featureCode: "api",
      value: 1,
    });
    expect(await deliver(usage, { handlers })).toMatchObject({ status: 200, body: { result: "received" } });
    expect(await deliver(usage, { handlers })).toMatchObject({ status: 200, body: { result: "duplicate" } });
    expect(seen).toEqual([`${usage.id}:evt_1`]);
    expect(await deliver(envelope("usage.recorded", { nope: 1 }), { handlers })).toMatchObject({ status: 400 });
  });

  it("serves POST /webhooks/commet over HTTP (Express middleware): raw body, headers, status and JSON", async () => {
    const app = express();
    app.use(
      commetWebhookRouter("/webhooks/commet", {
        database: async () => ctx.database,
        secret: () => SECRET,
        commet: () => commet,
        handlers: directoryWebhookHandlers,
      }),
    );
    const server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/commet`;
    try {
      const post = (raw: string, headers: Record<string, string>) => fetch(url, { method: "POST", body: raw, headers });
      const body = JSON.stringify(
        envelope("customer.created", customerData("cus_http", { email: "http@example.org" })),
      );
      const ok = await post(body, { "x-commet-signature": sign(body), "content-type": "application/json" });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ ok: true, result: "received" });
      // The signature covers the exact bytes, whatever the content type says.
      const asText = JSON.stringify(
        envelope("customer.created", customerData("cus_text", { email: "text@example.org" })),
      );
      expect((await post(asText, { "x-commet-signature": sign(asText), "content-type": "text/plain" })).status).toBe(
        200,
      );
      const unsigned = await post(body, { "content-type": "application/json" });
      expect(unsigned.status).toBe(401);
      expect(await unsigned.json()).toMatchObject({ ok: false, error: "missing_signature" });
      // The event id may come from the X-Commet-Event-Id header when the body has none.
      const { id: _drop, ...noId } = envelope(
        "customer.created",
        customerData("cus_hdr", { email: "hdr@example.org" }),
      );
      const raw = JSON.stringify(noId);
      const viaHeader = await post(raw, { "x-commet-signature": sign(raw), "x-commet-event-id": "whev_from_header" });
      expect(await viaHeader.json()).toMatchObject({ ok: true, eventId: "whev_from_header" });
      const big = "x".repeat(MAX_WEBHOOK_BODY_BYTES + 1);
      const tooBig = await post(big, { "x-commet-signature": sign(big), "content-type": "application/json" });
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

  it("rolls back the event id when a handler fails, so Commet's retry is applied", async () => {
    let failNext = true;
    const handlers: WebhookHandlers = {
      "customer.created": webhookHandler(z.object({ id: z.string() }), async (data, c) => {
        await directoryWebhookHandlers["customer.created"]!.apply(
          directoryWebhookHandlers["customer.created"]!.schema.parse(c.envelope.data),
          c,
        );
        if (failNext) {
          failNext = false;
          throw new Error(`boom ${data.id}`);
        }
      }),
    };
    const body = envelope("customer.created", customerData("cus_retry", { email: "retry@example.org" }));
    expect(await deliver(body, { handlers })).toMatchObject({ status: 500, body: { error: "processing_failed" } });
    expect(await getIndexedCustomer(ctx.database, "cus_retry")).toBeNull();
    expect(await deliver(body, { handlers })).toMatchObject({ status: 200, body: { result: "received" } });
    expect(await getIndexedCustomer(ctx.database, "cus_retry")).not.toBeNull();
  });
});

describeEachEngine("webhook group commit", (ctx) => {
  closeDatabaseGracefully(ctx);

  const deliver = (body: unknown, handlers: WebhookHandlers) => {
    const rawBody = JSON.stringify(body);
    return handleCommetWebhook(ctx.database, {
      rawBody,
      signature: sign(rawBody),
      secret: SECRET,
      commet,
      handlers,
      onError: () => {},
    });
  };

  it("a burst is committed in batches: batch handlers see several events at once, redeliveries in the burst count once", async () => {
    const batchSizes: number[] = [];
    const applied: string[] = [];
    const handlers: WebhookHandlers = {
      ...directoryWebhookHandlers,
      "thing.happened": webhookHandler(
        z.object({ n: z.number() }),
        async (data) => void applied.push(`one:${data.n}`),
        async (items) => {
          batchSizes.push(items.length);
          for (const i of items) applied.push(`many:${i.data.n}`);
        },
      ),
    };
    const bodies = Array.from({ length: 120 }, (_, n) => envelope("thing.happened", { n }));
    const burst = [...bodies, ...bodies.slice(0, 20)]; // 20 redeliveries of the same event ids
    const results = await Promise.all(burst.map((b) => deliver(b, handlers)));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(results.filter((r) => r.body.result === "received")).toHaveLength(120);
    expect(results.filter((r) => r.body.result === "duplicate")).toHaveLength(20);
    expect(applied.filter((a) => a.startsWith("many:")).sort()).toEqual(bodies.map((_, n) => `many:${n}`).sort());
    expect(applied.some((a) => a.startsWith("one:"))).toBe(false);
    expect(Math.max(...batchSizes)).toBeGreaterThan(1);
    expect((await deliver(bodies[5], handlers)).body.result).toBe("duplicate");
  });

  it("one failing event in a batch fails alone (500, nothing kept); the others are stored and acknowledged", async () => {
    const handlers: WebhookHandlers = {
      ...directoryWebhookHandlers,
      "customer.created": webhookHandler(directoryWebhookHandlers["customer.created"]!.schema, async (data, c) => {
        await directoryWebhookHandlers["customer.created"]!.apply(data, c);
        if ((data as { id: string }).id === "cus_poison") throw new Error("poison");
      }),
    };
    const ids = Array.from({ length: 40 }, (_, i) => (i === 17 ? "cus_poison" : `cus_burst_${i}`));
    const bodies = ids.map((id) => envelope("customer.created", customerData(id, { email: `${id}@example.org` })));
    const results = await Promise.all(bodies.map((b) => deliver(b, handlers)));
    results.forEach((r, i) => expect(r.status).toBe(ids[i] === "cus_poison" ? 500 : 200));
    expect(await getIndexedCustomer(ctx.database, "cus_poison")).toBeNull();
    for (const id of ids.filter((x) => x !== "cus_poison"))
      expect(await getIndexedCustomer(ctx.database, id)).not.toBeNull();
    const stored = await tables(ctx.database)
      .selectFrom("webhook_events")
      .select("id")
      .where("id", "=", bodies[17]!.id)
      .execute();
    expect(stored).toEqual([]);
  });
});

// End to end: the sandbox signs and delivers real webhooks to an HTTP endpoint that calls the handler.
describeEachEngine("directory webhooks from the sandbox", (ctx) => {
  closeDatabaseGracefully(ctx);

  let sandbox: TestSandbox;
  let server: Server;
  const statuses: number[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        void handleCommetWebhook(ctx.database, {
          rawBody: Buffer.concat(chunks).toString("utf8"),
          signature: req.headers["x-commet-signature"]?.toString() ?? null,
          eventIdHeader: req.headers["x-commet-event-id"]?.toString() ?? null,
          secret: SECRET,
          commet,
        }).then((r) => {
          statuses.push(r.status);
          res.writeHead(r.status, { "content-type": "application/json" }).end(JSON.stringify(r.body));
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    sandbox = await startTestSandbox({
      seed: { customers: 0 },
      webhookUrl: `http://127.0.0.1:${port}/webhooks/commet`,
      webhookSecret: SECRET,
    });
  });
  afterAll(async () => {
    await sandbox?.dispose();
    await new Promise((resolve) => server?.close(resolve));
  });

  it("indexes a customer created in Commet from its signed customer.created", async () => {
    const client = sandbox.client();
    const email = `e2e-${randomUUID().slice(0, 8)}@example.org`;
    const created = await client.customers.create({
      email,
      fullName: "Émilie du Châtelet",
      externalId: `ext_${email}`,
    });
    const id = created.data!.id;
    const hit = await waitFor(
      async () => (await searchCustomers(ctx.database, "emilie chat")).hits.find((h) => h.id === id),
      {
        what: "the webhook to index the customer",
      },
    );
    expect(hit).toMatchObject({ email, matchedOn: "name" });
    // Nothing the sandbox signed was refused (a 500 on a lock conflict is retried by the sender).
    expect(statuses.filter((s) => s === 400 || s === 401)).toEqual([]);
  });

  it("follows a subscription and its seats from the sandbox's subscription.* and seats.updated", async () => {
    const client = sandbox.client();
    const email = `seats-${randomUUID().slice(0, 8)}@example.org`;
    const externalId = `ext_${randomUUID().slice(0, 8)}`;
    const customer = (await client.customers.create({ email, fullName: "Seat Holder", externalId })).data!;
    const sub = (await client.subscriptions.create({ customerId: customer.id, planCode: "free" })).data!;
    const live = await waitFor(
      async () => {
        const row = await getIndexedCustomer(ctx.database, customer.id);
        return row?.subscriptionId === sub.id && row.subscriptionStatus === "active" ? row : null;
      },
      { what: "subscription webhooks to reach the index" },
    );
    expect(live.planName).toBe("Free");
    await client.seats.add({ customerId: externalId, featureCode: "editor", count: 2 });
    const expected = (await client.seats.getBalance({ customerId: externalId, featureCode: "editor" })).data!.current;
    const seated = await waitFor(
      async () => {
        const row = await getIndexedCustomer(ctx.database, customer.id);
        return row?.seats.editor === expected ? row : null;
      },
      { what: "seats.updated to reach the index" },
    );
    expect(seated.seatsTotal).toBe(expected);
    // Nothing the sandbox signed was refused (a 500 on a lock conflict is retried by the sender).
    expect(statuses.filter((s) => s === 400 || s === 401)).toEqual([]);
  });
});
