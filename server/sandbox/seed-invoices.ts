/**
 * Seeded invoices beyond base, seats and overage: the latest invoice of usr_000008 (Business) carries a promo-code
 * discount, a service credit and a memo, so every line field of Commet's Invoice has a realistic example.
 */

import { line } from "./ledger.ts";
import type { Db } from "./store.ts";

export const DISCOUNTED_INVOICE_CUSTOMER = "usr_000008";

export function decorateSeededInvoices(db: Db): void {
  // Two plain lookups: seeding runs before the indexes exist, and a join could not use them anyway.
  const customer = db.prepare("SELECT id FROM customers WHERE external_id = ?").get(DISCOUNTED_INVOICE_CUSTOMER) as
    { id: string } | undefined;
  if (!customer) return;
  const row = db
    .prepare("SELECT id, subtotal, line_items FROM invoices WHERE customer_id = ? ORDER BY seq DESC LIMIT 1")
    .get(customer.id) as { id: string; subtotal: number; line_items: string } | undefined;
  if (!row) return;
  const lines = JSON.parse(row.line_items) as Array<ReturnType<typeof line>>;
  const base = lines.find((l) => l.lineType === "plan_base")?.amount ?? row.subtotal;
  const discount = Math.round(base * 0.1);
  const credit = 2500;
  lines.push(
    line(
      "promo_code_discount",
      null,
      "Promo code LOYAL10: 10% off the plan",
      1,
      -discount,
      -discount,
      null,
      null,
      null,
      "standard",
      { type: "percentage", value: 10, name: "LOYAL10" },
    ),
    line(
      "credit",
      null,
      "Service credit: API incident in the prior period",
      1,
      -credit,
      -credit,
      null,
      null,
      null,
      "standard",
    ),
  );
  const total = row.subtotal - discount - credit;
  db.prepare("UPDATE invoices SET line_items = ?, discount_amount = ?, total = ?, memo = ? WHERE id = ?").run(
    JSON.stringify(lines),
    discount,
    total,
    "Loyalty discount LOYAL10 applied for the annual review; the service credit settles support ticket 4821.",
    row.id,
  );
  db.prepare("UPDATE transactions SET gross_amount = ?, subtotal = ? WHERE invoice_id = ?").run(total, total, row.id);
}
