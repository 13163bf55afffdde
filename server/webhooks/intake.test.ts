// The intake itself: signatures, envelope and data validation, deduplication, rollback on failure.
import { z } from "zod";
import { expect, it } from "vitest";
import { getIndexedCustomer } from "../directory/index.ts";
import { directoryWebhooks } from "../directory/webhooks.ts";
import { closeDatabaseGracefully, describeEachEngine } from "../testing/db.ts";
import { customerData, offlineCommet, sign, webhookEnvelope } from "../testing/webhooks.ts";
import { webhookHandler, webhookIntake, type WebhookIntake } from "./handlers.ts";
import { handleCommetWebhook } from "./intake.ts";
import { webhookTables } from "./schema.ts";

const SECRET = "whsec_test_directory_secret";
const intake = webhookIntake(directoryWebhooks);
const customerCreated = directoryWebhooks.handlers!["customer.created"]!;

describeEachEngine("webhook intake", (ctx) => {
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
  const eventCount = async () =>
    Number(
      (
        await webhookTables(ctx.database)
          .selectFrom("webhook_events")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it("deduplicates by event id: a redelivery is acknowledged and not applied again", async () => {
    const first = webhookEnvelope(
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
    const body = webhookEnvelope("customer.created", customerData("cus_forged", { email: "forged@example.org" }));
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
    expect(await deliver(null, { raw: tampered, signature: sign(raw, SECRET) })).toMatchObject({ status: 401 });
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
    const noId = webhookEnvelope("customer.created", customerData("cus_bad1"));
    delete (noId as Partial<typeof noId>).id;
    expect(await deliver(noId)).toMatchObject({ status: 400, body: { error: "invalid_payload" } });
    const noData = { ...webhookEnvelope("customer.created", {}), data: "nope" };
    expect(await deliver(noData)).toMatchObject({ status: 400, body: { fieldErrors: { data: expect.any(Array) } } });
    const missingEmail = webhookEnvelope("customer.created", { ...customerData("cus_bad2"), email: undefined });
    const res = await deliver(missingEmail);
    expect(res).toMatchObject({ status: 400, body: { error: "invalid_payload", eventId: missingEmail.id } });
    expect(res.body.fieldErrors?.email).toBeDefined();
    expect(await eventCount()).toBe(before);
    expect(await getIndexedCustomer(ctx.database, "cus_bad2")).toBeNull();
  });

  it("rolls back the event id when a handler fails, so Commet's retry is applied", async () => {
    let failNext = true;
    const intake = webhookIntake({
      handlers: {
        "customer.created": webhookHandler(z.object({ id: z.string() }), async (data, c) => {
          await customerCreated.apply(customerCreated.schema.parse(c.envelope.data), c);
          if (failNext) {
            failNext = false;
            throw new Error(`boom ${data.id}`);
          }
        }),
      },
    });
    const body = webhookEnvelope("customer.created", customerData("cus_retry", { email: "retry@example.org" }));
    expect(await deliver(body, { intake })).toMatchObject({ status: 500, body: { error: "processing_failed" } });
    expect(await getIndexedCustomer(ctx.database, "cus_retry")).toBeNull();
    expect(await deliver(body, { intake })).toMatchObject({ status: 200, body: { result: "received" } });
    expect(await getIndexedCustomer(ctx.database, "cus_retry")).not.toBeNull();
  });
});
