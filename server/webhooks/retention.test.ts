// Retention of processed-event records: pruned after the retention, dedupe intact inside it (injected clock).
import { expect, it } from "vitest";
import { directoryWebhooks } from "../directory/webhooks.ts";
import { describeEachEngine } from "../testing/db.ts";
import { customerData, offlineCommet, sign, webhookEnvelope } from "../testing/webhooks.ts";
import { webhookIntake } from "./handlers.ts";
import { handleCommetWebhook } from "./intake.ts";
import { pruneWebhookEvents, startWebhookEventPruner } from "./retention.ts";
import { webhookTables } from "./schema.ts";

const SECRET = "whsec_test_retention_secret";
const DAY = 24 * 60 * 60_000;
const T0 = Date.parse("2026-11-01T00:00:00.000Z");

describeEachEngine(
  "webhook event retention",
  (ctx) => {
    const intake = webhookIntake(directoryWebhooks);
    const deliver = (body: unknown, at: number) => {
      const rawBody = JSON.stringify(body);
      return handleCommetWebhook(ctx.database, {
        rawBody,
        signature: sign(rawBody, SECRET),
        secret: SECRET,
        commet: offlineCommet,
        intake,
        clock: () => at,
      });
    };
    const ids = async () =>
      (await webhookTables(ctx.database).selectFrom("webhook_events").select("id").orderBy("id").execute()).map(
        (r) => r.id,
      );

    it("keeps records inside the retention (a redelivery is still a duplicate) and deletes older ones", async () => {
      const old = webhookEnvelope("customer.created", customerData("cus_old"), { id: "whev_old" });
      const recent = webhookEnvelope("customer.created", customerData("cus_recent"), { id: "whev_recent" });
      expect((await deliver(old, T0)).body.result).toBe("received");
      expect((await deliver(recent, T0 + 20 * DAY)).body.result).toBe("received");

      // 29 days after the first: nothing is old enough; Commet's redelivery of it is still deduplicated.
      expect(await pruneWebhookEvents(ctx.database, { retentionDays: 30, clock: () => T0 + 29 * DAY })).toBe(0);
      expect((await deliver(old, T0 + 29 * DAY)).body.result).toBe("duplicate");
      // Exactly at the retention boundary it is kept too.
      expect(await pruneWebhookEvents(ctx.database, { retentionDays: 30, clock: () => T0 + 30 * DAY })).toBe(0);
      expect(await ids()).toEqual(["whev_old", "whev_recent"]);

      // 31 days after the first: only the first goes; the second is still inside its window.
      expect(await pruneWebhookEvents(ctx.database, { retentionDays: 30, clock: () => T0 + 31 * DAY })).toBe(1);
      expect(await ids()).toEqual(["whev_recent"]);
      expect((await deliver(recent, T0 + 31 * DAY)).body.result).toBe("duplicate");
    });

    it("deletes a backlog in bounded batches, oldest first, and stops between batches when asked", async () => {
      for (let i = 0; i < 25; i++) {
        const body = webhookEnvelope("probe.unhandled", { i }, { id: `whev_backlog_${String(i).padStart(2, "0")}` });
        expect((await deliver(body, T0 + i * 1000)).body.result).toBe("ignored");
      }
      const later = T0 + 100 * DAY;
      let batches = 0;
      const first = await pruneWebhookEvents(ctx.database, {
        retentionDays: 30,
        clock: () => later,
        batchSize: 10,
        shouldStop: () => ++batches >= 1,
      });
      expect(first).toBe(10);
      // The oldest went first.
      expect((await ids()).filter((id) => id.startsWith("whev_backlog_"))[0]).toBe("whev_backlog_10");
      expect(await pruneWebhookEvents(ctx.database, { retentionDays: 30, clock: () => later, batchSize: 10 })).toBe(15);
      expect(await ids()).toEqual([]);
    });

    it("runs periodically from start-up and stops with stop()", async () => {
      const body = webhookEnvelope("probe.unhandled", {}, { id: "whev_periodic" });
      await deliver(body, T0);
      const lines: string[] = [];
      const stop = startWebhookEventPruner(ctx.database, {
        retentionDays: 1,
        clock: () => T0 + 2 * DAY,
        initialDelayMs: 0,
        intervalMs: 10,
        log: (line) => lines.push(line),
      });
      await expect.poll(ids).toEqual([]);
      await stop();
      expect(lines).toEqual(["pruned 1 processed-event records older than 1 days"]);
      // Stopped: a record old enough stays.
      await deliver(webhookEnvelope("probe.unhandled", {}, { id: "whev_after_stop" }), T0);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await ids()).toEqual(["whev_after_stop"]);
    });
  },
  { fresh: "each" },
);
