import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Sandbox } from "./model.ts";
import { PaymentSettler, attemptFailure, cardBehaviour, settleRetry, startRetry } from "./payments.ts";
import { seedDemo } from "./seed.ts";
import { waitFor } from "../testing/sandbox.ts";
import { type Db, INDEXES, openStore } from "./store.ts";

describe("card behaviours", () => {
  it("decide each attempt on an invoice", () => {
    expect([1, 2, 3].map((n) => attemptFailure("succeeds", n))).toEqual([null, null, null]);
    expect([1, 2, 3].map((n) => attemptFailure("declines", n)?.code)).toEqual([
      "card_declined",
      "card_declined",
      "card_declined",
    ]);
    expect([1, 2, 3].map((n) => attemptFailure("succeeds_on_retry", n)?.code ?? null)).toEqual([
      "insufficient_funds",
      null,
      null,
    ]);
  });
});

describe("PaymentSettler", () => {
  let db: Db | null = null;
  let dir = "";
  afterEach(() => {
    db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("settles a retry left pending by a previous run when it starts", async () => {
    dir = mkdtempSync(join(tmpdir(), "sbx-pay-"));
    db = openStore(dir);
    seedDemo(db, { customers: 16 });
    db.exec(INDEXES);
    const sb = new Sandbox(db, () => "http://sandbox.test");
    const customer = sb.customer("usr_000012");
    expect(cardBehaviour(sb, customer.id)).toBe("succeeds_on_retry");
    const failed = db
      .prepare("SELECT id FROM transactions WHERE customer_id = ? AND status = 'failed'")
      .get(customer.id) as {
      id: string;
    };
    // No settler registered: the retry stays pending, as if the sandbox stopped before its outcome.
    const retry = sb.tx(() => startRetry(sb, failed.id));
    expect(
      (db.prepare("SELECT status FROM transactions WHERE id = ?").get(retry.id) as { status: string }).status,
    ).toBe("pending");
    const settler = new PaymentSettler(sb, 0);
    try {
      const status = (id: string) =>
        (db!.prepare("SELECT status FROM transactions WHERE id = ?").get(id) as { status: string }).status;
      await waitFor(() => status(retry.id) !== "pending", { what: "the pending retry settled" });
      expect(status(retry.id)).toBe("succeeded");
      expect(status(failed.id)).toBe("failed");
      expect(sb.liveSubscription(customer.id)?.status).toBe("active");
    } finally {
      settler.close();
    }
  });

  it("a retry whose subscription ended meanwhile fails without collecting anything", async () => {
    dir = mkdtempSync(join(tmpdir(), "sbx-pay-"));
    db = openStore(dir);
    seedDemo(db, { customers: 16 });
    db.exec(INDEXES);
    const sb = new Sandbox(db, () => "http://sandbox.test");
    const customer = sb.customer("usr_000012");
    const failed = db
      .prepare("SELECT id, invoice_id FROM transactions WHERE customer_id = ? AND status = 'failed'")
      .get(customer.id) as { id: string; invoice_id: string };
    const retry = sb.tx(() => startRetry(sb, failed.id));
    db.prepare("UPDATE subscriptions SET status = 'canceled' WHERE customer_id = ?").run(customer.id);
    sb.tx(() => settleRetry(sb, retry.id));
    const row = db.prepare("SELECT status, failure_code FROM transactions WHERE id = ?").get(retry.id);
    expect(row).toEqual({ status: "failed", failure_code: "subscription_not_past_due" });
    const invoice = db.prepare("SELECT status FROM invoices WHERE id = ?").get(failed.invoice_id);
    expect(invoice).toEqual({ status: "outstanding" });
  });
});
