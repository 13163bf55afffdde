/**
 * Payments against the local Commet sandbox through the real SDK, on both database engines: the
 * Payments panel of the seeded customers, failure reasons from payment webhooks, refusals that send
 * nothing, and retry / refund / recovery link written exactly once.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createAuditLog } from "../audit/index.ts";
import type { RecoveryActionResult } from "../../app/contracts/payments.ts";
import { describeEachEngine } from "../testing/db.ts";
import { useContractSandbox } from "../testing/sandbox.ts";
import { ADMIN, OPS, SUPPORT, auditRows, clearExchanges, exchanges, newKey } from "../testing/usage.ts";
import { createWriteEngine, type Staff } from "../writes/index.ts";
import { matchFailures } from "./failures.ts";
import type { KnownCustomer } from "../customer-view/index.ts";
import { readPages, type PaymentsCommet } from "./read.ts";
import {
  failureReasonsIn,
  issueRecoveryLink,
  loadPaymentsPanel,
  recordPaymentFailure,
  refundPayment,
  retryPayment,
  type PaymentWriteResult,
} from "./index.ts";

const FINANCE: Staff = { actor: { id: "staff-finance", email: "finance@example.test" }, role: "finance" };

type AnyResult = PaymentWriteResult | RecoveryActionResult;

function expectKind<K extends AnyResult["kind"]>(result: AnyResult, kind: K): Extract<AnyResult, { kind: K }> {
  if (result.kind !== kind) throw new Error(`expected ${kind}, got ${JSON.stringify(result)}`);
  return result as Extract<AnyResult, { kind: K }>;
}

const writes = () => exchanges().filter((e) => e.method !== "GET");

describeEachEngine("payments", (ctx) => {
  const t = useContractSandbox({ beforeAll, afterAll }, { seed: { customers: 16 } });
  const engine = () =>
    createWriteEngine({ commet: t.sandbox.client(), audit: createAuditLog(ctx.db), commetUrl: t.sandbox.url });
  const panel = (ref: string) => loadPaymentsPanel(ref, { commet: t.commet, failures: failureReasonsIn(ctx.db) });
  beforeEach(() => clearExchanges());

  it("reads a past-due customer's payments: the failed renewal retryable, settled charges refundable, newest first", async () => {
    const p = await panel("usr_000003");
    expect(p.pastDue).toMatchObject({ planName: "Starter" });
    const failed = p.transactions.find((x) => x.status === "failed");
    expect(failed).toMatchObject({
      retryable: true,
      refundable: false,
      subscriptionInvoice: true,
      invoiceStatus: "outstanding",
    });
    expect(failed?.invoiceNumber).toMatch(/^INV-/);
    const settled = p.transactions.filter((x) => x.status === "succeeded");
    expect(settled.length).toBeGreaterThan(0);
    expect(settled.every((x) => x.refundable && !x.retryable && x.amount !== null)).toBe(true);
    const dates = p.transactions.map((x) => x.createdAt);
    expect(dates).toEqual([...dates].sort().reverse());
    // Reading writes nothing.
    expect(writes()).toEqual([]);
  });

  it("with the directory's id and email, reads charges and invoices beside the profile read, and the same panel", async () => {
    const customer = (await t.commet.customers.list({ externalId: "usr_000003", limit: 1 })).data![0]!;
    const plain = await panel("usr_000003");
    // The profile read answers only when released: what the panel reads before that, it read beside it.
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    const held: PaymentsCommet = {
      customers: {
        get: (async (...args: Parameters<typeof t.commet.customers.get>) => {
          await released;
          return t.commet.customers.get(...args);
        }) as typeof t.commet.customers.get,
        list: t.commet.customers.list.bind(t.commet.customers),
      } as PaymentsCommet["customers"],
      transactions: t.commet.transactions,
      invoices: t.commet.invoices,
      subscriptions: t.commet.subscriptions,
    };
    const read = (known: KnownCustomer) =>
      loadPaymentsPanel("usr_000003", { commet: held, failures: failureReasonsIn(ctx.db), known });
    const charges = () => exchanges().filter((e) => e.path.startsWith("/api/v1/transactions"));

    clearExchanges();
    const agreeing = read({ id: customer.id, email: customer.email });
    await vi.waitFor(() => expect(charges().length).toBeGreaterThan(0));
    expect(exchanges().some((e) => e.path.startsWith("/api/v1/invoices"))).toBe(true);
    release();
    expect(await agreeing).toEqual(plain);
    expect(charges().map((e) => new URL(e.path, "http://x").searchParams.get("customerEmail"))).toEqual([
      customer.email,
    ]);

    // A stale hint (the email changed since the index saw it): the early reads are dropped, the right ones made.
    clearExchanges();
    expect(await read({ id: customer.id, email: "renamed@example.test" })).toEqual(plain);
    expect(charges().map((e) => new URL(e.path, "http://x").searchParams.get("customerEmail"))).toEqual([
      "renamed@example.test",
      customer.email,
    ]);
  });

  it("a customer without charges has an empty list and no past-due subscription", async () => {
    const p = await panel("usr_000009");
    expect(p).toMatchObject({ transactions: [], pastDue: null, truncated: false });
  });

  it("shows the reason the payment.failed webhook that followed a failed charge gave", async () => {
    const before = await panel("usr_000003");
    const failed = before.transactions.find((x) => x.status === "failed")!;
    expect(failed.failureReason).toBeNull();
    const at = Date.parse(failed.createdAt);
    const declined = {
      invoiceId: failed.invoiceId!,
      failureCode: "card_declined",
      failureMessage: "Your card was declined.",
    };
    await recordPaymentFailure(ctx.db, "whev_1", "payment.failed", declined, at + 60_000);
    // A redelivery of the same event changes nothing; an event from before the charge is not its reason.
    await recordPaymentFailure(
      ctx.db,
      "whev_1",
      "payment.failed",
      { ...declined, failureCode: "changed" },
      at + 60_000,
    );
    await recordPaymentFailure(
      ctx.db,
      "whev_0",
      "payment.failed",
      { invoiceId: failed.invoiceId!, failureCode: "old" },
      at - 86_400_000,
    );
    const after = await panel("usr_000003");
    expect(after.transactions.find((x) => x.id === failed.id)?.failureReason).toBe(
      "Your card was declined. (card_declined)",
    );
    expect(after.transactions.filter((x) => x.status !== "failed").every((x) => x.failureReason === null)).toBe(true);
  });

  it("refuses bad input, the wrong role and ineligible charges without sending anything to Commet", async () => {
    const p = await panel("usr_000003");
    const failed = p.transactions.find((x) => x.status === "failed")!;
    const settled = p.transactions.find((x) => x.status === "succeeded")!;
    const other = (await panel("usr_000001")).transactions.find((x) => x.status === "succeeded")!;
    const e = engine();
    const retry = (staff: Staff, form: Record<string, unknown>) =>
      retryPayment(
        {
          ...staff,
          form: { customerId: "usr_000003", reasonCode: "customer_request", idempotencyKey: newKey("retry"), ...form },
        },
        e,
      );
    const refund = (staff: Staff, form: Record<string, unknown>) =>
      refundPayment(
        {
          ...staff,
          form: { customerId: "usr_000003", reasonCode: "duplicate", idempotencyKey: newKey("refund"), ...form },
        },
        e,
      );

    expect(expectKind(await retry(OPS, { transactionId: "" }), "field_errors").fieldErrors.transactionId).toBeTruthy();
    expect(
      expectKind(await refund(FINANCE, { transactionId: settled.id }), "field_errors").fieldErrors.seenAmount,
    ).toBeTruthy();
    expect(
      expectKind(
        await refund(FINANCE, { transactionId: settled.id, seenAmount: "1", reasonCode: "other" }),
        "field_errors",
      ).fieldErrors.reasonText,
    ).toBeTruthy();
    expectKind(await retry(SUPPORT, { transactionId: failed.id }), "forbidden");
    expectKind(await refund(OPS, { transactionId: settled.id, seenAmount: String(settled.amount) }), "forbidden");
    expect(
      expectKind(
        await issueRecoveryLink(
          {
            ...FINANCE,
            form: {
              customerId: "usr_000003",
              subscriptionId: p.pastDue!.subscriptionId,
              idempotencyKey: newKey("recovery"),
            },
          },
          e,
        ),
        "forbidden",
      ),
    ).toBeTruthy();

    expect(expectKind(await retry(OPS, { transactionId: settled.id }), "refused")).toMatchObject({ status: 409 });
    expect(
      expectKind(await refund(FINANCE, { transactionId: failed.id, seenAmount: String(failed.amount) }), "refused"),
    ).toMatchObject({
      status: 409,
    });
    expect(
      expectKind(
        await refund(FINANCE, { transactionId: settled.id, seenAmount: String(settled.amount! + 1) }),
        "refused",
      ).message,
    ).toMatch(/is now \$/);
    expect(
      expectKind(await refund(FINANCE, { transactionId: other.id, seenAmount: String(other.amount) }), "refused"),
    ).toMatchObject({
      status: 404,
    });
    expect(expectKind(await retry(OPS, { transactionId: "txn_does_not_exist" }), "refused")).toMatchObject({
      status: 404,
    });
    const active = (await t.commet.subscriptions.getActive({ customerId: "usr_000001" })).data!;
    expect(
      expectKind(
        await issueRecoveryLink(
          {
            ...SUPPORT,
            form: { customerId: "usr_000001", subscriptionId: active.id, idempotencyKey: newKey("recovery") },
          },
          e,
        ),
        "refused",
      ),
    ).toMatchObject({ status: 409 });

    expect(writes()).toEqual([]);
    expect(await auditRows(ctx.db, "usr_000003")).toEqual([]);
  });

  it("retries a failed renewal once: Commet answers processing, the same key answers from the audit trail, the outcome follows", async () => {
    const e = engine();
    const p = await panel("usr_000012");
    const failed = p.transactions.find((x) => x.retryable)!;
    const form = {
      customerId: "usr_000012",
      transactionId: failed.id,
      reasonCode: "customer_updated_card",
      idempotencyKey: newKey("retry"),
    };
    const done = await retryPayment({ ...OPS, form }, e);
    if (done.kind !== "ok") throw new Error(JSON.stringify(done));
    expect(done.data).toMatchObject({ status: "processing" });
    expectKind(await retryPayment({ ...OPS, form }, e), "already_recorded");
    expect(writes().filter((x) => x.path.endsWith(`/transactions/${failed.id}/retry`))).toHaveLength(1);

    // Card succeeds on retry: the subscription recovers (asynchronously, as Commet documents).
    const sub = p.pastDue!.subscriptionId;
    let status = "past_due";
    for (let i = 0; i < 100 && status !== "active"; i++) {
      await new Promise((r) => setTimeout(r, 50));
      status = (await t.commet.subscriptions.get({ id: sub })).data!.status;
    }
    expect(status).toBe("active");
    const after = await panel("usr_000012");
    expect(after.pastDue).toBeNull();
    expect(after.transactions.some((x) => x.retryable)).toBe(false);
  });

  it("refunds a charge once, in full; the subscription its invoice paid ends; a second refund is refused", async () => {
    const e = engine();
    const ref = ctx.engine === "sqlite" ? "usr_000010" : "usr_000015";
    const charge = (await panel(ref)).transactions.find((x) => x.refundable && x.subscriptionInvoice)!;
    const form = {
      customerId: ref,
      transactionId: charge.id,
      seenAmount: String(charge.amount),
      reasonCode: "requested_by_customer",
      reasonText: "ticket 77",
      idempotencyKey: newKey("refund"),
    };
    expect(charge.endsSubscription).toBe(true);
    expectKind(await refundPayment({ ...FINANCE, form }, e), "ok");
    expectKind(await refundPayment({ ...FINANCE, form }, e), "already_recorded");
    expect(writes().filter((x) => x.path.endsWith(`/transactions/${charge.id}/refund`))).toHaveLength(1);
    expect((await t.commet.transactions.get({ id: charge.id })).data?.status).toBe("refunded");
    const subs = (await t.commet.subscriptions.list({ customerId: ref })).data ?? [];
    expect(subs.some((s) => s.status === "canceled")).toBe(true);
    // The customer's other charges paid the subscription that has now ended: refunding them ends nothing.
    const rest = (await panel(ref)).transactions.filter((x) => x.refundable && x.subscriptionInvoice);
    expect(rest.length).toBeGreaterThan(0);
    expect(rest.every((x) => !x.endsSubscription)).toBe(true);
    expect(
      expectKind(await refundPayment({ ...FINANCE, form: { ...form, idempotencyKey: newKey("refund") } }, e), "refused")
        .message,
    ).toMatch(/refunded already/);
    const [row] = (await auditRows(ctx.db, ref)).filter((r) => r.action === "payments.refund");
    expect(row).toMatchObject({
      status: "succeeded",
      params: { amount: charge.amount, reasonCode: "requested_by_customer" },
    });
  });

  it("issues a recovery link once for a past-due subscription: answered to the caller, never stored", async () => {
    const e = engine();
    const p = await panel("usr_000011");
    const form = {
      customerId: "usr_000011",
      subscriptionId: p.pastDue!.subscriptionId,
      idempotencyKey: newKey("recovery"),
    };
    const issued = await issueRecoveryLink({ ...SUPPORT, form }, e);
    if (issued.kind !== "ok") throw new Error(JSON.stringify(issued));
    expect(issued.recoveryUrl).toMatch(/^https?:\/\//);
    expect(issued.customerMessage).toContain(issued.recoveryUrl);
    expect(issued.customerMessage).toContain("Pro");
    const again = await issueRecoveryLink({ ...SUPPORT, form }, e);
    expect(again.kind).toBe("already_recorded");
    expect(JSON.stringify(again)).not.toContain(issued.recoveryUrl);
    expect(writes().filter((x) => x.path.endsWith("/recovery-link"))).toHaveLength(1);

    const rows = (await auditRows(ctx.db, "usr_000011")).filter((r) => r.action === "recovery.issue");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: "succeeded", actor: { email: SUPPORT.actor.email } });
    const token = issued.recoveryUrl.split("/").pop()!;
    expect(JSON.stringify(rows[0])).not.toContain(token);
    expect(JSON.stringify(rows[0])).not.toContain(issued.recoveryUrl);
  });

  it("admin may do all three", async () => {
    const e = engine();
    const p = await panel("usr_000003");
    const settled = p.transactions.find((x) => x.refundable)!;
    const form = {
      customerId: "usr_000003",
      transactionId: settled.id,
      seenAmount: String(settled.amount! + 1),
      reasonCode: "duplicate",
      idempotencyKey: newKey("refund"),
    };
    // Admitted (not forbidden), then refused on the stale amount: nothing sent.
    expectKind(await refundPayment({ ...ADMIN, form }, e), "refused");
    expect(writes()).toEqual([]);
  });
});

describe("matching failure events to failed charges", () => {
  it("gives each failed attempt the event that followed it, before the invoice's next attempt", () => {
    const events = new Map([
      ["inv_1", [{ at: Date.parse("2026-11-28T00:10:00Z"), reason: "The retry failed (card_declined)" }]],
    ]);
    const reasons = matchFailures(
      [
        { id: "txn_original", invoiceId: "inv_1", createdAt: "2026-11-01T00:00:00Z" },
        { id: "txn_retry", invoiceId: "inv_1", createdAt: "2026-11-28T00:09:59Z" },
        { id: "txn_other", invoiceId: "inv_2", createdAt: "2026-11-28T00:00:00Z" },
      ],
      events,
    );
    expect(Object.fromEntries(reasons)).toEqual({ txn_retry: "The retry failed (card_declined)" });
  });
});

describe("bounded reading of Commet's cursor-paged lists", () => {
  const pager = (total: number, size: number) => async (cursor: string | undefined) => {
    const start = cursor ? Number(cursor) : 0;
    const data = Array.from({ length: Math.min(size, total - start) }, (_, i) => start + i);
    const more = start + size < total;
    return more ? { data, hasMore: true, nextCursor: String(start + size) } : { data, hasMore: false };
  };

  it("reads at most the given pages and says whether the list ended within them", async () => {
    expect(await readPages(pager(250, 100), 3)).toEqual({ items: [...Array(250).keys()], complete: true });
    const cut = await readPages(pager(450, 100), 3);
    expect(cut.items).toHaveLength(300);
    expect(cut.complete).toBe(false);
    expect(await readPages(pager(0, 100), 3)).toEqual({ items: [], complete: true });
  });
});
