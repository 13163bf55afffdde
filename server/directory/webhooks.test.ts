// The directory's contribution to the webhook intake: the index follows customer.*, subscription.*, seats.updated.
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import { afterAll, beforeAll, expect, it } from "vitest";
import { closeDatabaseGracefully, describeEachEngine } from "../testing/db.ts";
import { startTestSandbox, waitFor, type TestSandbox } from "../testing/sandbox.ts";
import { customerData, offlineCommet, sign, webhookEnvelope } from "../testing/webhooks.ts";
import { handleCommetWebhook, webhookHandler, webhookIntake, type WebhookIntake } from "../webhooks/index.ts";
import { getIndexedCustomer, listIndexedSubscriptions, subscriptionStatusCounts } from "./list.ts";
import { searchCustomers } from "./search.ts";
import { directoryWebhooks } from "./webhooks.ts";

const SECRET = "whsec_test_directory_secret";
const intake = webhookIntake(directoryWebhooks);

describeEachEngine("directory webhooks", (ctx) => {
  closeDatabaseGracefully(ctx);

  const deliver = (
    body: unknown,
    opts: { signature?: string | null; raw?: string; secret?: string; intake?: WebhookIntake } = {},
  ) => {
    const rawBody = opts.raw ?? JSON.stringify(body);
    return handleCommetWebhook(ctx.database, {
      rawBody,
      signature: opts.signature === undefined ? sign(rawBody, SECRET) : opts.signature,
      secret: opts.secret ?? SECRET,
      commet: offlineCommet,
      intake: opts.intake ?? intake,
      onError: () => {},
    });
  };

  it("applies customer.created and customer.updated; the customer becomes searchable", async () => {
    const created = webhookEnvelope("customer.created", customerData("cus_grace", { externalId: "user_grace" }));
    expect(await deliver(created)).toMatchObject({
      status: 200,
      body: { ok: true, result: "received", eventId: created.id },
    });
    expect((await searchCustomers(ctx.database, "hopp")).hits.map((h) => h.id)).toEqual(["cus_grace"]);

    const updated = webhookEnvelope(
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

  it("keeps subscription status, plan and seats current; older events do not win", async () => {
    await deliver(
      webhookEnvelope(
        "customer.created",
        customerData("cus_sub", { externalId: "user_sub", email: "sub@example.org" }),
      ),
    );
    const at = (iso: string) => ({ timestamp: iso });
    const base = { subscriptionId: "sub_1", customerId: "user_sub" };
    await deliver(
      webhookEnvelope(
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
      webhookEnvelope(
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
      webhookEnvelope(
        "seats.updated",
        { customerId: "user_sub", subscriptionId: "sub_1", featureCode: "editors", previousSeats: 0, currentSeats: 5 },
        at("2026-11-21T10:06:00.000Z"),
      ),
    );
    await deliver(
      webhookEnvelope(
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
      webhookEnvelope(
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

  it("a recovered payment returns a past_due subscription to active", async () => {
    await deliver(webhookEnvelope("customer.created", customerData("cus_rec", { email: "rec@example.org" })));
    const base = { subscriptionId: "sub_rec", customerId: "cus_rec" };
    await deliver(
      webhookEnvelope(
        "subscription.past_due",
        { ...base, status: "past_due", invoiceId: "inv_r", invoiceNumber: "INV-R1" },
        { timestamp: "2026-11-21T12:00:00.000Z" },
      ),
    );
    expect(await getIndexedCustomer(ctx.database, "cus_rec")).toMatchObject({ subscriptionStatus: "past_due" });
    await deliver(
      webhookEnvelope(
        "payment.recovered",
        { ...base, invoiceId: "inv_r", invoiceNumber: "INV-R1", invoiceTotal: 4900 },
        { timestamp: "2026-11-21T12:30:00.000Z" },
      ),
    );
    expect(await getIndexedCustomer(ctx.database, "cus_rec")).toMatchObject({ subscriptionStatus: "active" });
  });

  it("at equal timestamps a delivery reordered by the network does not move a status back", async () => {
    await deliver(webhookEnvelope("customer.created", customerData("cus_tie", { email: "tie@example.org" })));
    const at = { timestamp: "2026-11-21T11:00:00.000Z" };
    const base = { subscriptionId: "sub_tie", customerId: "cus_tie" };
    // Emitted created → activated in the same millisecond, delivered activated first.
    await deliver(
      webhookEnvelope(
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
      webhookEnvelope(
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
      webhookEnvelope("subscription.created", {
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
      webhookEnvelope(
        "customer.created",
        customerData("cus_late", { externalId: "user_late", email: "late@example.org" }),
      ),
    );
    expect(await getIndexedCustomer(ctx.database, "cus_late")).toMatchObject({
      subscriptionId: "sub_early",
      planName: "Free",
    });
  });

  it("acknowledges events nobody handles, and dispatches to extra handlers", async () => {
    const payment = webhookEnvelope("payment.received", {
      customerId: "cus_grace",
      invoiceId: "inv_77",
      invoiceNumber: "INV-0077",
      amount: 100,
    });
    expect(await deliver(payment)).toMatchObject({ status: 200, body: { result: "ignored" } });
    expect((await searchCustomers(ctx.database, "INV-0077")).exactHit?.id).toBe("cus_grace");

    const seen: string[] = [];
    const intake = webhookIntake(directoryWebhooks, {
      handlers: {
        "usage.recorded": webhookHandler(z.object({ usageEventId: z.string() }), async (data, { envelope: e }) => {
          seen.push(`${e.id}:${data.usageEventId}`);
        }),
      },
    });
    const usage = webhookEnvelope("usage.recorded", {
      usageEventId: "evt_1",
      customerId: "cus_grace",
      featureCode: "api",
      value: 1,
    });
    expect(await deliver(usage, { intake })).toMatchObject({ status: 200, body: { result: "received" } });
    expect(await deliver(usage, { intake })).toMatchObject({ status: 200, body: { result: "duplicate" } });
    expect(seen).toEqual([`${usage.id}:evt_1`]);
    expect(await deliver(webhookEnvelope("usage.recorded", { nope: 1 }), { intake })).toMatchObject({ status: 400 });
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
          secret: SECRET,
          commet: offlineCommet,
          intake,
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
