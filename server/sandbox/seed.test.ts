import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXHAUSTED_CREDITS_CUSTOMER_INDEX, seedDemo } from "./seed.ts";
import { type Db, openStore } from "./store.ts";

const DAY = 86_400_000;
const ANCHOR = Date.UTC(2026, 10, 21);

function seeded(customers: number): { db: Db; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), "sbx-seed-"));
  const db = openStore(dir);
  seedDemo(db, { customers, anchorMs: ANCHOR });
  return { db, dir };
}

describe("seedDemo", () => {
  let a: { db: Db; dir: string };
  let b: { db: Db; dir: string };
  beforeAll(() => {
    a = seeded(300);
    b = seeded(300);
  });
  afterAll(() => {
    for (const s of [a, b]) {
      s.db.close();
      rmSync(s.dir, { recursive: true, force: true });
    }
  });

  it("is deterministic: the same count and anchor give identical rows, ids included", () => {
    for (const table of [
      "customers",
      "subscriptions",
      "usage_events",
      "invoices",
      "seat_balances",
      "transactions",
      "card_behaviours",
    ]) {
      const rowsA = a.db.prepare(`SELECT * FROM ${table} ORDER BY 1, 2`).all();
      const rowsB = b.db.prepare(`SELECT * FROM ${table} ORDER BY 1, 2`).all();
      expect(rowsA.length).toBeGreaterThan(0);
      expect(rowsB).toEqual(rowsA);
    }
  });

  it("has the demo catalog and every subscription status", () => {
    const plans = (a.db.prepare("SELECT code FROM plans ORDER BY sort_order").all() as Array<{ code: string }>).map(
      (p) => p.code,
    );
    expect(plans).toEqual(["free", "starter", "pro", "business", "ai_credits"]);
    const types = a.db.prepare("SELECT code, type FROM features ORDER BY code").all();
    expect(types).toEqual([
      { code: "api_calls", type: "usage" },
      { code: "editor", type: "seats" },
      { code: "projects", type: "quota" },
      { code: "sso", type: "boolean" },
      { code: "viewer", type: "seats" },
    ]);
    const statuses = (
      a.db.prepare("SELECT DISTINCT status FROM subscriptions ORDER BY status").all() as Array<{ status: string }>
    ).map((s) => s.status);
    expect(statuses).toEqual(["active", "canceled", "past_due", "pending_payment", "trialing"]);
    const emails = a.db.prepare("SELECT COUNT(DISTINCT email) AS n, COUNT(*) AS total FROM customers").get() as {
      n: number;
      total: number;
    };
    expect(emails.n).toBe(emails.total);
  });

  it("keeps 90 days of individual usage events with ids and timestamps, and period totals that add up", () => {
    const range = a.db
      .prepare("SELECT MIN(ts) AS lo, MAX(ts) AS hi, COUNT(DISTINCT id) AS ids, COUNT(*) AS n FROM usage_events")
      .get() as {
      lo: string;
      hi: string;
      ids: number;
      n: number;
    };
    expect(range.ids).toBe(range.n);
    expect(Date.parse(range.lo)).toBeGreaterThanOrEqual(ANCHOR - 90 * DAY);
    expect(Date.parse(range.hi)).toBeLessThan(ANCHOR);
    expect(ANCHOR - Date.parse(range.lo)).toBeGreaterThan(85 * DAY);
    const mismatches = a.db
      .prepare(
        `SELECT t.subscription_id, t.total, (SELECT COALESCE(SUM(e.value), 0) FROM usage_events e
           WHERE e.subscription_id = t.subscription_id AND e.ts >= t.period_start) AS summed
         FROM usage_totals t WHERE t.total != summed`,
      )
      .all();
    expect(mismatches).toEqual([]);
  });

  it("has paid invoices for past periods whose line items add up, and one exhausted credits customer", () => {
    const invoices = a.db
      .prepare("SELECT subtotal, discount_amount, total, line_items, period_end FROM invoices")
      .all() as Array<{
      subtotal: number;
      discount_amount: number;
      total: number;
      line_items: string;
      period_end: string;
    }>;
    expect(invoices.length).toBeGreaterThan(50);
    for (const inv of invoices) {
      // Charges add up to the subtotal; discount and credit lines (negative) take the total below it.
      const lines = JSON.parse(inv.line_items) as Array<{ amount: number }>;
      expect(lines.filter((l) => l.amount >= 0).reduce((s, l) => s + l.amount, 0)).toBe(inv.subtotal);
      expect(lines.reduce((s, l) => s + l.amount, 0)).toBe(inv.total);
      expect(Date.parse(inv.period_end)).toBeLessThanOrEqual(ANCHOR);
    }
    const exhausted = a.db
      .prepare(
        "SELECT s.credits_remaining FROM subscriptions s JOIN customers c ON c.id = s.customer_id WHERE c.external_id = ?",
      )
      .get(`usr_${String(EXHAUSTED_CREDITS_CUSTOMER_INDEX + 1).padStart(6, "0")}`) as { credits_remaining: number };
    expect(exhausted.credits_remaining).toBe(0);
  });

  it("has a charge per invoice: failed renewals of past_due customers, refunds that ended subscriptions, disputes", () => {
    const perInvoice = a.db
      .prepare(
        `SELECT i.status AS invoice, t.status AS txn, t.failure_code, s.status AS sub, s.cancel_reason
         FROM invoices i JOIN transactions t ON t.invoice_id = i.id JOIN subscriptions s ON s.id = i.subscription_id`,
      )
      .all() as Array<{
      invoice: string;
      txn: string;
      failure_code: string | null;
      sub: string;
      cancel_reason: string;
    }>;
    const { n: invoices } = a.db.prepare("SELECT COUNT(*) AS n FROM invoices").get() as { n: number };
    expect(perInvoice).toHaveLength(invoices);
    for (const row of perInvoice) {
      if (row.invoice === "outstanding") {
        expect(row).toMatchObject({ txn: "failed", sub: "past_due" });
        expect(["card_declined", "insufficient_funds"]).toContain(row.failure_code);
      } else {
        expect(["succeeded", "refunded", "disputed"]).toContain(row.txn);
      }
      if (row.txn === "refunded") expect(row).toMatchObject({ sub: "canceled", cancel_reason: "refund" });
    }
    const counts = Object.fromEntries(
      (
        a.db.prepare("SELECT status, COUNT(*) AS n FROM transactions GROUP BY status").all() as Array<{
          status: string;
          n: number;
        }>
      ).map((r) => [r.status, r.n]),
    );
    expect(counts.refunded).toBeGreaterThan(0);
    expect(counts.disputed).toBeGreaterThan(0);
    // Every past_due customer's card declines (always, or on the first attempt) — that is why it is past_due.
    const pastDue = a.db
      .prepare(
        `SELECT COALESCE(b.behaviour, 'succeeds') AS behaviour FROM subscriptions s
         LEFT JOIN card_behaviours b ON b.customer_id = s.customer_id WHERE s.status = 'past_due'`,
      )
      .all() as Array<{ behaviour: string }>;
    expect(pastDue.length).toBeGreaterThan(3);
    for (const p of pastDue) expect(["declines", "succeeds_on_retry"]).toContain(p.behaviour);
  });

  it("seeds the fixed payment customers usr_000010…16 as the shared brief describes", () => {
    const fixed = (n: number) => {
      const externalId = `usr_${String(n).padStart(6, "0")}`;
      const subs = a.db
        .prepare(
          `SELECT s.status, p.code AS plan, s.cancel_reason FROM subscriptions s JOIN customers c ON c.id = s.customer_id
           JOIN plans p ON p.id = s.plan_id WHERE c.external_id = ? ORDER BY s.seq`,
        )
        .all(externalId) as Array<{ status: string; plan: string; cancel_reason: string | null }>;
      const txns = (
        a.db
          .prepare(
            "SELECT t.status FROM transactions t JOIN customers c ON c.id = t.customer_id WHERE c.external_id = ? ORDER BY t.seq",
          )
          .all(externalId) as Array<{ status: string }>
      ).map((t) => t.status);
      const card =
        (
          a.db
            .prepare(
              "SELECT b.behaviour FROM card_behaviours b JOIN customers c ON c.id = b.customer_id WHERE c.external_id = ?",
            )
            .get(externalId) as { behaviour: string } | undefined
        )?.behaviour ?? "succeeds";
      return { subs, txns, card };
    };
    expect(fixed(3)).toMatchObject({ subs: [{ status: "past_due", plan: "starter" }], card: "succeeds_on_retry" });
    expect(fixed(3).txns.at(-1)).toBe("failed");
    const u10 = fixed(10);
    expect(u10.subs).toMatchObject([{ status: "active", plan: "pro" }]);
    expect(u10.txns.length).toBeGreaterThanOrEqual(3);
    expect(new Set(u10.txns)).toEqual(new Set(["succeeded"]));
    expect(fixed(11)).toMatchObject({ subs: [{ status: "past_due", plan: "pro" }], card: "declines" });
    expect(fixed(12)).toMatchObject({ subs: [{ status: "past_due", plan: "business" }], card: "succeeds_on_retry" });
    for (const n of [11, 12]) expect(fixed(n).txns.filter((t) => t === "failed")).toHaveLength(1);
    expect(fixed(13).subs).toMatchObject([{ status: "active", plan: "starter" }]);
    expect(fixed(14).subs).toMatchObject([{ status: "active", plan: "business" }]);
    expect(fixed(15).subs).toMatchObject([{ status: "active", plan: "pro" }]);
    const u16 = fixed(16);
    expect(u16.subs).toMatchObject([
      { status: "active", plan: "pro" },
      { status: "canceled", plan: "pro", cancel_reason: "refund" },
    ]);
    expect(u16.txns.filter((t) => t === "refunded")).toHaveLength(1);
    expect(u16.txns.filter((t) => t === "disputed")).toHaveLength(1);
    for (const n of [10, 13, 14, 15, 16]) expect(fixed(n).card).toBe("succeeds");
  });
});
