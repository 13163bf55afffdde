// Group commit: deliveries arriving together share a transaction; a failing batch is retried one by one.
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
const customerCreated = directoryWebhooks.handlers!["customer.created"]!;

describeEachEngine("webhook group commit", (ctx) => {
  closeDatabaseGracefully(ctx);

  const deliver = (body: unknown, intake: WebhookIntake) => {
    const rawBody = JSON.stringify(body);
    return handleCommetWebhook(ctx.database, {
      rawBody,
      signature: sign(rawBody, SECRET),
      secret: SECRET,
      commet: offlineCommet,
      intake,
      onError: () => {},
    });
  };

  it("a burst is committed in batches: batch handlers see several events at once, redeliveries in the burst count once", async () => {
    const batchSizes: number[] = [];
    const applied: string[] = [];
    const intake = webhookIntake(directoryWebhooks, {
      handlers: {
        "thing.happened": webhookHandler(
          z.object({ n: z.number() }),
          async (data) => void applied.push(`one:${data.n}`),
          async (items) => {
            batchSizes.push(items.length);
            for (const i of items) applied.push(`many:${i.data.n}`);
          },
        ),
      },
    });
    const bodies = Array.from({ length: 120 }, (_, n) => webhookEnvelope("thing.happened", { n }));
    const burst = [...bodies, ...bodies.slice(0, 20)]; // 20 redeliveries of the same event ids
    const results = await Promise.all(burst.map((b) => deliver(b, intake)));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(results.filter((r) => r.body.result === "received")).toHaveLength(120);
    expect(results.filter((r) => r.body.result === "duplicate")).toHaveLength(20);
    expect(applied.filter((a) => a.startsWith("many:")).sort()).toEqual(bodies.map((_, n) => `many:${n}`).sort());
    expect(applied.some((a) => a.startsWith("one:"))).toBe(false);
    expect(Math.max(...batchSizes)).toBeGreaterThan(1);
    expect((await deliver(bodies[5], intake)).body.result).toBe("duplicate");
  });

  it("one failing event in a batch fails alone (500, nothing kept); the others are stored and acknowledged", async () => {
    const intake = webhookIntake({
      ...directoryWebhooks,
      handlers: {
        ...directoryWebhooks.handlers,
        "customer.created": webhookHandler(customerCreated.schema, async (data, c) => {
          await customerCreated.apply(data, c);
          if ((data as { id: string }).id === "cus_poison") throw new Error("poison");
        }),
      },
    });
    const ids = Array.from({ length: 40 }, (_, i) => (i === 17 ? "cus_poison" : `cus_burst_${i}`));
    const bodies = ids.map((id) =>
      webhookEnvelope("customer.created", customerData(id, { email: `${id}@example.org` })),
    );
    const results = await Promise.all(bodies.map((b) => deliver(b, intake)));
    results.forEach((r, i) => expect(r.status).toBe(ids[i] === "cus_poison" ? 500 : 200));
    expect(await getIndexedCustomer(ctx.database, "cus_poison")).toBeNull();
    for (const id of ids.filter((x) => x !== "cus_poison"))
      expect(await getIndexedCustomer(ctx.database, id)).not.toBeNull();
    const stored = await webhookTables(ctx.database)
      .selectFrom("webhook_events")
      .select("id")
      .where("id", "=", bodies[17]!.id)
      .execute();
    expect(stored).toEqual([]);
  });
});
