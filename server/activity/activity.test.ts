// Account activity on both engines: the intake observer stores each event about a customer once, and the
// timeline interleaves those events with the audit trail's staff actions, filtered and paged.
import { expect, it } from "vitest";
import { createAuditLog } from "../audit/index.ts";
import { directoryWebhooks } from "../directory/index.ts";
import { closeDatabaseGracefully, describeEachEngine } from "../testing/db.ts";
import { customerData, offlineCommet, sign, webhookEnvelope } from "../testing/webhooks.ts";
import { usageWebhooks } from "../usage/timeline/index.ts";
import { handleCommetWebhook, webhookIntake } from "../webhooks/index.ts";
import { activityTables } from "./schema.ts";
import { pruneAccountEvents } from "./store.ts";
import { customerTimeline, InvalidActivityCursorError, type TimelineInput } from "./timeline.ts";
import { activityWebhooks } from "./webhooks.ts";

const SECRET = "whsec_test_activity_secret";
const intake = webhookIntake(directoryWebhooks, usageWebhooks, activityWebhooks);
const T0 = Date.parse("2026-11-21T12:00:00.000Z");
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

describeEachEngine("account activity", (ctx) => {
  closeDatabaseGracefully(ctx);

  const deliver = (body: { id: string }) => {
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
  const stored = (customerId?: string) => {
    let q = activityTables(ctx.database).selectFrom("account_events").selectAll();
    if (customerId) q = q.where("customer_id", "=", customerId);
    return q.orderBy("occurred_at").execute();
  };
  let clockNow = T0;
  const audit = () => createAuditLog(ctx.db, { clock: () => clockNow });
  const timeline = (input: Partial<TimelineInput> & { customerRef: string }) =>
    customerTimeline({ database: ctx.database, audit: audit() }, { role: "support", pageSize: 25, ...input });

  it("stores an event about a customer once, under the Commet id the directory knows, raw key kept", async () => {
    expect(
      (await deliver(webhookEnvelope("customer.created", customerData("cus_act1", { externalId: "ext_act1" })))).status,
    ).toBe(200);
    const failed = webhookEnvelope(
      "payment.failed",
      {
        invoiceId: "inv_1",
        invoiceNumber: "INV-0001",
        customerId: "ext_act1",
        subscriptionId: "sub_1",
        provider: "commet",
        failureCode: "card_declined",
        failureMessage: "Your card was declined.",
        recoveryUrl: "https://pay.commet.co/recover/tok_9f8e7d6c",
      },
      { timestamp: at(5) },
    );
    // Handled by another domain or not, the observer sees it.
    expect((await deliver(failed)).body.result).not.toBe("duplicate");
    expect((await deliver(failed)).body.result).toBe("duplicate");
    const rows = await stored("cus_act1");
    expect(rows.map((r) => [r.type, r.kind, r.customer_key])).toEqual([
      ["customer.created", "customer", "cus_act1"],
      ["payment.failed", "payments", "ext_act1"],
    ]);
    expect(rows.filter((r) => r.event_id === failed.id)).toHaveLength(1);
    // Redeliveries arriving together share one group commit: still one row.
    const recovered = webhookEnvelope("payment.recovered", {
      invoiceId: "inv_1",
      invoiceNumber: "INV-0001",
      invoiceTotal: 4900,
      customerId: "ext_act1",
      subscriptionId: "sub_1",
      provider: "commet",
    });
    const results = await Promise.all([deliver(recovered), deliver(recovered), deliver(recovered)]);
    // The directory handles payment.recovered ("received"); either way, one delivery is new.
    expect(results.filter((r) => r.status === 200 && r.body.result !== "duplicate")).toHaveLength(1);
    expect((await stored("cus_act1")).filter((r) => r.event_id === recovered.id)).toHaveLength(1);
    // Stored as sent, but for the bearer link, which the console never keeps.
    expect(JSON.parse(rows[1]!.payload)).toEqual({ ...failed.data, recoveryUrl: "[redacted]" });
    expect(Number(rows[1]!.occurred_at)).toBe(T0 + 5 * 60_000);
  });

  it("keeps events about customers the directory does not know under the raw key; skips usage.recorded and payouts", async () => {
    await deliver(
      webhookEnvelope("subscription.cancellation_scheduled", {
        subscriptionId: "sub_x",
        customerId: "ext_unknown",
        status: "active",
        cancelReason: null,
        effectiveAt: "2026-12-31T00:00:00.000Z",
      }),
    );
    await deliver(
      webhookEnvelope("usage.recorded", {
        customerId: "ext_unknown",
        usageEventId: "evt_1",
        featureCode: "api_calls",
        value: 1,
        ts: "2026-11-21T12:00:00.000Z",
      }),
    );
    await deliver(webhookEnvelope("payout.paid", { payoutId: "po_1", amount: 100, currency: "usd" }));
    // A type this SDK does not know yet, about a customer: kept, by its prefix.
    await deliver(
      webhookEnvelope("invoice.finalized", { invoiceId: "inv_9", customerId: "ext_unknown" }, { timestamp: at(1) }),
    );
    expect((await stored("ext_unknown")).map((r) => [r.type, r.kind])).toEqual([
      ["subscription.cancellation_scheduled", "subscription"],
      ["invoice.finalized", "invoices"],
    ]);
    expect((await stored()).some((r) => r.type === "usage.recorded" || r.type.startsWith("payout."))).toBe(false);
  });

  it("interleaves webhooks and staff actions newest first, names the staff member who caused an event, filters by kind", async () => {
    await deliver(webhookEnvelope("customer.created", customerData("cus_tl", { externalId: "ext_tl" })));
    clockNow = T0 + 10 * 60_000;
    await audit().record(
      {
        actor: { id: "s1", email: "support@demo.local" },
        role: "support",
        action: "subscriptions.cancel",
        customerId: "cus_tl",
        params: { reason: "Too expensive", apiKey: "ck_live_secret_value" },
        idempotencyKey: "k-cancel",
      },
      { status: "succeeded" },
    );
    await deliver(
      webhookEnvelope(
        "subscription.cancellation_scheduled",
        {
          subscriptionId: "sub_tl",
          customerId: "ext_tl",
          status: "active",
          cancelReason: "Too expensive",
          effectiveAt: "2026-12-31T00:00:00.000Z",
        },
        { timestamp: at(10.05) },
      ),
    );
    clockNow = T0 + 20 * 60_000;
    await audit().record(
      {
        actor: { id: "s2", email: "ops@demo.local" },
        role: "ops",
        action: "seats.change",
        customerId: "cus_tl",
        params: { request: { call: "seats.set", params: { customerId: "cus_tl", featureCode: "seats", count: 5 } } },
        idempotencyKey: "k-seats",
      },
      { status: "failed", errorCode: "seats_exceeded" },
    );
    await deliver(
      webhookEnvelope(
        "payment.refunded",
        {
          paymentTransactionId: "txn_1",
          provider: "commet",
          paymentLinkId: null,
          invoiceId: "inv_tl",
          invoiceNumber: "INV-0042",
          customerId: "ext_tl",
          subscriptionId: "sub_tl",
          refundAmount: 4900,
          currency: "usd",
        },
        { timestamp: at(30) },
      ),
    );
    // A security event naming the customer is an admin's to read.
    await audit().record(
      {
        actor: { id: null, email: "someone@example.org" },
        role: null,
        action: "sign_in.failed",
        customerId: "cus_tl",
        params: {},
        idempotencyKey: "k-sec",
      },
      { status: "failed", errorCode: "bad_password" },
    );

    const page = await timeline({ customerRef: "ext_tl" });
    expect(page.entries.map((e) => [e.source, e.type])).toEqual([
      ["commet", "payment.refunded"],
      ["staff", "seats.change"],
      ["commet", "subscription.cancellation_scheduled"],
      ["staff", "subscriptions.cancel"],
      ["commet", "customer.created"],
    ]);
    const [refund, seats, scheduled, cancel] = page.entries;
    expect(refund!.sentence).toBe("$49.00 refunded (invoice INV-0042)");
    expect(seats!.sentence).toBe("Seats changed by ops@demo.local (set seats 5) — failed: seats_exceeded");
    expect(scheduled!.sentence).toBe(
      "Cancellation scheduled for 31 Dec 2026 by support@demo.local — reason: Too expensive",
    );
    expect(cancel).toMatchObject({ kind: "staff", actor: "support@demo.local", status: "succeeded" });
    // Redacted as the audit trail stores it.
    expect(JSON.stringify(cancel!.payload)).not.toContain("ck_live_secret_value");
    expect(refund!.payload).toMatchObject({ refundAmount: 4900, invoiceNumber: "INV-0042" });

    const admin = await timeline({ customerRef: "cus_tl", role: "admin" });
    expect(admin.entries.map((e) => e.type)).toContain("sign_in.failed");
    expect(page.entries.map((e) => e.type)).not.toContain("sign_in.failed");

    const payments = await timeline({ customerRef: "cus_tl", kind: "payments" });
    expect(payments.entries.map((e) => e.type)).toEqual(["payment.refunded"]);
    const staff = await timeline({ customerRef: "cus_tl", kind: "staff" });
    expect(staff.entries.map((e) => e.type)).toEqual(["seats.change", "subscriptions.cancel"]);
    const subscription = await timeline({ customerRef: "cus_tl", kind: "subscription" });
    // Filtered to webhooks, the cause is still named.
    expect(subscription.entries[0]!.sentence).toContain("by support@demo.local");
  });

  it("pages through both sources by keyset without losing or repeating an entry", async () => {
    await deliver(webhookEnvelope("customer.created", customerData("cus_pg")));
    for (let i = 0; i < 30; i++) {
      await deliver(
        webhookEnvelope(
          "invoice.created",
          { invoiceId: `inv_pg${i}`, invoiceNumber: `PG-${i}`, customerId: "cus_pg", total: 100 * i, currency: "usd" },
          // Some at the same millisecond as a staff action, to exercise the tie-break.
          { timestamp: at(100 + i) },
        ),
      );
      clockNow = T0 + (100 + i) * 60_000;
      await audit().record(
        {
          actor: { id: "s1", email: "support@demo.local" },
          role: "support",
          action: "invoices.send",
          customerId: "cus_pg",
          params: {},
          idempotencyKey: `k-pg-${i}`,
        },
        { status: "succeeded" },
      );
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await timeline({ customerRef: "cus_pg", ...(cursor && { cursor }) });
      seen.push(...page.entries.map((e) => e.id));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(61);
    expect(new Set(seen).size).toBe(61);
    await expect(timeline({ customerRef: "cus_pg", cursor: "bm90LWEtY3Vyc29y" })).rejects.toBeInstanceOf(
      InvalidActivityCursorError,
    );
  });

  it("prunes only events older than the retention", async () => {
    await deliver(webhookEnvelope("credits.low", { customerId: "cus_old", remainingCredits: 3 }, { timestamp: at(0) }));
    await deliver(
      webhookEnvelope(
        "credits.depleted",
        { customerId: "cus_old", remainingCredits: 0 },
        { timestamp: at(60 * 24 * 5) },
      ),
    );
    const deleted = await pruneAccountEvents(ctx.database, {
      retentionDays: 3,
      clock: () => T0 + 6 * 86_400_000,
      batchSize: 1,
    });
    expect(deleted).toBeGreaterThanOrEqual(1);
    expect((await stored("cus_old")).map((r) => r.type)).toEqual(["credits.depleted"]);
  });
});
