// The sandbox's billing routes: invoices, transactions and the test clock that drives recurring billing.

import { z } from "zod";
import { type RouteDef, listReply, page, pageQuery, parse } from "../api.ts";
import { errors } from "../errors.ts";
import type { Sandbox } from "../model.ts";
import { processBilling } from "../ledger.ts";
import { type InvoiceRowFull, type TransactionRow, invoiceOut, transactionOut } from "../serialize.ts";

const DAY = 86_400_000;

const invoicesQuery = z.object({
  customerId: z.string().optional(),
  status: z.enum(["draft", "outstanding", "paid", "void", "uncollectible"]).optional(),
  subscriptionId: z.string().optional(),
  ...pageQuery,
});
const transactionsQuery = z.object({
  status: z.enum(["pending", "succeeded", "failed", "refunded", "disputed"]).optional(),
  customerEmail: z.string().optional(),
  ...pageQuery,
});
const advanceSchema = z
  .object({
    advanceDays: z.number().int().min(1).max(3650).optional(),
    frozenTime: z.iso.datetime({ offset: true }).optional(),
  })
  .refine((v) => (v.advanceDays === undefined) !== (v.frozenTime === undefined), {
    message: "Provide exactly one of advanceDays or frozenTime",
    path: ["advanceDays"],
  });

function clockOut(sb: Sandbox) {
  return {
    simulatedTime: sb.clock.simulatedIso,
    isActive: sb.clock.isActive,
    now: sb.clock.iso(),
    object: "test_clock",
    livemode: false,
  };
}

export const billingRoutes: RouteDef[] = [
  [
    "GET",
    "/api/v1/invoices",
    ({ sb, query }) => {
      const q = parse(invoicesQuery, query);
      const filters: Array<[string, unknown]> = [];
      if (q.customerId) filters.push(["customer_id = ?", sb.findCustomer(q.customerId)?.id ?? q.customerId]);
      if (q.subscriptionId) filters.push(["subscription_id = ?", q.subscriptionId]);
      if (q.status) filters.push(["status = ?", q.status]);
      return listReply(page<InvoiceRowFull>(sb, "invoices", filters, q), (i) => invoiceOut(i, false));
    },
  ],
  [
    "GET",
    "/api/v1/invoices/:id",
    ({ sb, params }) => {
      const i = sb.q("SELECT * FROM invoices WHERE id = ?").get(params.id!) as InvoiceRowFull | undefined;
      if (!i) throw errors.invoiceNotFound(params.id!);
      return { data: invoiceOut(i, true) };
    },
  ],
  [
    "GET",
    "/api/v1/transactions",
    ({ sb, query }) => {
      const q = parse(transactionsQuery, query);
      const filters: Array<[string, unknown]> = [];
      if (q.status) filters.push(["status = ?", q.status]);
      if (q.customerEmail) filters.push(["customer_email = ?", q.customerEmail]);
      return listReply(page<TransactionRow>(sb, "transactions", filters, q), transactionOut);
    },
  ],
  [
    "GET",
    "/api/v1/transactions/:id",
    ({ sb, params }) => {
      const t = sb.q("SELECT * FROM transactions WHERE id = ?").get(params.id!) as TransactionRow | undefined;
      if (!t) throw errors.transactionNotFound(params.id!);
      return { data: transactionOut(t) };
    },
  ],
  ["GET", "/api/v1/test-clock", ({ sb }) => ({ data: clockOut(sb) })],
  [
    "POST",
    "/api/v1/test-clock",
    ({ sb, body }) => {
      const input = parse(advanceSchema, body);
      const target = input.frozenTime ? Date.parse(input.frozenTime) : sb.clock.nowMs() + input.advanceDays! * DAY;
      const field = input.frozenTime ? "frozenTime" : "advanceDays";
      if (!sb.clock.advanceTo(target)) {
        throw errors.validation("The test clock can only move forward.", [
          { field, message: "Must be after the current time" },
        ]);
      }
      return { data: clockOut(sb) };
    },
  ],
  ["POST", "/api/v1/test-clock/process-billing", ({ sb }) => ({ data: processBilling(sb) })],
];
