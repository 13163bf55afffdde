// The sandbox's payment routes: refund and retry a transaction, recovery links, and the recovery page they open.

import type { ServerResponse } from "node:http";
import type { RouteDef } from "../api.ts";
import type { Sandbox } from "../model.ts";
import { createRecoveryLink, payRecoveryLink, recoveryState, refundTransaction, startRetry } from "../payments.ts";
import { esc, page } from "./portal.ts";

export const paymentRoutes: RouteDef[] = [
  [
    "POST",
    "/api/v1/transactions/:id/refund",
    ({ sb, params }) => {
      const t = sb.tx(() => refundTransaction(sb, params.id!));
      return { data: { id: t.id, status: "refunded", object: "transaction", livemode: false } };
    },
  ],
  [
    "POST",
    "/api/v1/transactions/:id/retry",
    ({ sb, params }) => {
      const retry = sb.tx(() => startRetry(sb, params.id!));
      return { status: 202, data: { id: retry.id, status: "processing", object: "transaction", livemode: false } };
    },
  ],
  [
    "POST",
    "/api/v1/subscriptions/:id/recovery-link",
    ({ sb, params }) => {
      const link = sb.tx(() => createRecoveryLink(sb, params.id!));
      return { status: 201, data: { url: link.url, token: link.token, object: "subscription", livemode: false } };
    },
  ],
];

const money = (cents: number, currency: string) => `${(cents / 100).toFixed(2)} ${currency}`;

/** GET /recover/<token> shows the outstanding invoice; POST pays it with the sandbox test card (single use). */
export function renderRecovery(sb: Sandbox, res: ServerResponse, token: string, method: string): void {
  const state = method === "POST" ? sb.tx(() => payRecoveryLink(sb, token)) : recoveryState(sb, token);
  switch (state.kind) {
    case "not_found":
      return page(res, 404, "Link not found", "<h1>This link is not valid</h1>");
    case "used":
    case "expired":
      return page(
        res,
        410,
        "Link expired",
        `<h1>This link can no longer be used</h1>
<p>Recovery links work once and for seven days. Ask for a new link if a payment is still due.</p>`,
      );
    case "settled":
      return page(
        res,
        200,
        "Nothing to pay",
        `<h1>Nothing to pay</h1><p>The subscription is ${esc(state.sub?.status ?? "not past due")}.</p>`,
      );
    case "busy":
      return page(
        res,
        409,
        "Payment in progress",
        "<h1>A payment is already being processed</h1><p>Reload this page in a moment.</p>",
      );
    case "payable":
      break;
  }
  const plan = sb.catalog.plansById.get(state.sub.plan_id);
  if (method === "POST") {
    return page(
      res,
      200,
      "Payment confirmed",
      `<h1>Payment confirmed</h1><p>Invoice ${esc(state.invoice.invoice_number)} is paid and ${esc(plan?.name ?? "your plan")} is active again.</p>`,
    );
  }
  page(
    res,
    200,
    `Pay invoice ${state.invoice.invoice_number}`,
    `<h1>Your payment is overdue</h1>
<p class="note">${esc(state.customer.full_name ?? "")} &lt;${esc(state.customer.email)}&gt; · sandbox</p>
<dl>
<dt>Plan</dt><dd>${esc(plan?.name ?? "—")}</dd>
<dt>Invoice</dt><dd>${esc(state.invoice.invoice_number)}</dd>
<dt>Amount due</dt><dd>${esc(money(state.invoice.total, state.invoice.currency))}</dd>
</dl>
<p>Sandbox: the test card always succeeds and becomes the saved card.</p>
<form method="post"><button type="submit">Pay with test card</button></form>`,
  );
}
