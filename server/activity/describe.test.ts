// The sentences of the timeline for the events issue-12's money flows send, and for staff actions.
import { describe, expect, it } from "vitest";
import { describeAction, describeEvent } from "./describe.ts";
import { customerKeyOf, kindOfEvent } from "./catalogue.ts";

describe("describeEvent", () => {
  it("says what each money event means, with amounts in the event's currency", () => {
    expect(
      describeEvent("payment.failed", {
        invoiceNumber: "INV-0043",
        failureCode: "card_declined",
        failureMessage: "Your card was declined.",
      }),
    ).toBe("Payment failed — Your card was declined (invoice INV-0043)");
    expect(describeEvent("payment.failed", { amount: 4900, currency: "usd", failureCode: "card_declined" })).toBe(
      "Payment of $49.00 failed — card declined",
    );
    expect(describeEvent("payment.received", { invoiceNumber: "INV-1", grossAmount: 9900, currency: "usd" })).toBe(
      "Payment of $99.00 received (invoice INV-1)",
    );
    expect(describeEvent("payment.recovered", { invoiceNumber: "INV-2", invoiceTotal: 2900 })).toBe(
      "Payment of $29.00 recovered (invoice INV-2)",
    );
    expect(describeEvent("payment.retry_failed", { invoiceNumber: "INV-3", reason: "dunning_exhausted" })).toBe(
      "Payment retries exhausted — dunning exhausted (invoice INV-3)",
    );
    expect(describeEvent("payment.refunded", { refundAmount: 9900, currency: "usd" }, "finance@demo.local")).toBe(
      "$99.00 refunded by finance@demo.local",
    );
    expect(
      describeEvent("invoice.created", {
        invoiceNumber: "INV-9",
        total: 41200,
        currency: "usd",
        dueDate: "2026-12-15T00:00:00.000Z",
      }),
    ).toBe("Invoice INV-9 created for $412.00, due 15 Dec 2026");
  });

  it("says what each subscription event means, and who in the console caused it", () => {
    expect(
      describeEvent(
        "subscription.cancellation_scheduled",
        { effectiveAt: "2026-12-31T00:00:00.000Z", cancelReason: null },
        "support@demo.local",
      ),
    ).toBe("Cancellation scheduled for 31 Dec 2026 by support@demo.local");
    expect(describeEvent("subscription.cancellation_revoked", {})).toBe(
      "Scheduled cancellation revoked — the subscription continues",
    );
    expect(
      describeEvent("subscription.canceled", { endDate: "2026-12-01T00:00:00.000Z", cancelReason: "refund" }),
    ).toBe("Subscription canceled, ended 1 Dec 2026 — reason: refund");
    expect(
      describeEvent("subscription.plan_changed", {
        previousPlan: { id: "p1", name: "Starter" },
        currentPlan: { id: "p2", name: "Pro" },
        totalCharged: 2000,
      }),
    ).toBe("Plan changed from Starter to Pro — $20.00 charged");
    expect(
      describeEvent("subscription.plan_change_scheduled", {
        scheduledPlan: { id: "p3", name: "Pro" },
        effectiveAt: "2027-01-01T00:00:00.000Z",
      }),
    ).toBe("Plan change to Pro scheduled for 1 Jan 2027");
  });

  it("still reads as a sentence for an unknown type or a payload that breaks its documentation", () => {
    expect(describeEvent("refund.created", {})).toBe("Commet sent refund.created");
    expect(describeEvent("payment.refunded", { refundAmount: "lots" })).toBe("A payment refunded");
  });
});

describe("describeAction", () => {
  it("names the action, the staff member, the figures and an outcome other than success", () => {
    expect(
      describeAction({
        action: "subscriptions.cancel",
        actorEmail: "support@demo.local",
        status: "pending",
        errorCode: null,
        params: { form: { reason: "Too expensive" } },
      }),
    ).toBe("Cancellation requested by support@demo.local (reason: Too expensive) — outcome unknown");
    expect(
      describeAction({
        action: "subscriptions.reactivate",
        actorEmail: "ops@demo.local",
        status: "succeeded",
        errorCode: null,
        params: {},
      }),
    ).toBe("Subscriptions: reactivate by ops@demo.local");
  });
});

describe("catalogue", () => {
  it("files every event about a customer under a kind, and finds the customer where Commet puts it", () => {
    expect(kindOfEvent("payment.retry_failed")).toBe("payments");
    expect(kindOfEvent("subscription.plan_change_scheduled")).toBe("subscription");
    expect(kindOfEvent("invoice.created")).toBe("invoices");
    expect(kindOfEvent("usage.recorded")).toBeNull();
    expect(kindOfEvent("payout.paid")).toBeNull();
    expect(kindOfEvent("something.new")).toBe("customer");
    expect(customerKeyOf("customer.created", { id: "cus_1", externalId: "ext" })).toBe("cus_1");
    expect(customerKeyOf("payment.refunded", { customerId: null })).toBeNull();
    expect(customerKeyOf("payment.failed", { customerId: "ext_1" })).toBe("ext_1");
  });
});
