/**
 * Failure reasons arrive through Commet's signed webhooks (the console's real intake) on both engines:
 * payment.failed and payment.retry_failed are kept per event; other events and redeliveries add nothing.
 */
import { expect, it } from "vitest";
import { handleCommetWebhook, webhookIntake } from "../webhooks/index.ts";
import { describeEachEngine } from "../testing/db.ts";
import { offlineCommet, sign, webhookEnvelope } from "../testing/webhooks.ts";
import { failureReasonsIn, paymentWebhooks } from "./index.ts";

const SECRET = "whsec_payments_test_secret";

describeEachEngine("payment failure reasons from webhooks", (ctx) => {
  const deliver = (envelope: ReturnType<typeof webhookEnvelope>) => {
    const rawBody = JSON.stringify(envelope);
    return handleCommetWebhook(ctx.database, {
      rawBody,
      signature: sign(rawBody, SECRET),
      secret: SECRET,
      commet: offlineCommet,
      intake: webhookIntake(paymentWebhooks),
      onError: () => {},
    });
  };

  it("records payment.failed and payment.retry_failed per event; a redelivery or another event adds nothing", async () => {
    const failed = webhookEnvelope(
      "payment.failed",
      {
        invoiceId: "inv_f1",
        invoiceNumber: "INV-1",
        customerId: "usr_1",
        subscriptionId: "sub_1",
        failureCode: "insufficient_funds",
        failureMessage: "The card has insufficient funds.",
        recoveryUrl: "https://pay.example/recover/tok",
      },
      { timestamp: "2026-11-21T12:00:00.000Z" },
    );
    expect((await deliver(failed)).status).toBe(200);
    expect((await deliver(failed)).status).toBe(200); // redelivery
    const retry = webhookEnvelope(
      "payment.retry_failed",
      {
        invoiceId: "inv_f1",
        invoiceNumber: "INV-1",
        customerId: "usr_1",
        subscriptionId: "sub_1",
        reason: "card_declined",
      },
      { timestamp: "2026-11-22T12:00:00.000Z" },
    );
    expect((await deliver(retry)).status).toBe(200);
    const other = webhookEnvelope("payment.recovered", {
      invoiceId: "inv_f1",
      invoiceNumber: "INV-1",
      customerId: "usr_1",
    });
    expect((await deliver(other)).status).toBe(200);

    const events = await failureReasonsIn(ctx.db)(["inv_f1", "inv_none"]);
    expect(events.get("inv_f1")).toEqual([
      { at: Date.parse("2026-11-21T12:00:00.000Z"), reason: "The card has insufficient funds. (insufficient_funds)" },
      { at: Date.parse("2026-11-22T12:00:00.000Z"), reason: "The retry failed (card_declined)" },
    ]);
    expect(events.has("inv_none")).toBe(false);
    // The recovery link in payment.failed is a bearer credential: it is not kept.
    const rows = await ctx.db
      .selectFrom("payment_failures" as never)
      .selectAll()
      .execute();
    expect(JSON.stringify(rows)).not.toContain("recover/tok");
  });
});
