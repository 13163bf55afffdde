// The sandbox's customer portal: issuing single-use portal links, and the portal and checkout pages they open.

import { randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";
import { z } from "zod";
import { type RouteDef, parse } from "../api.ts";
import { errors } from "../errors.ts";
import type { CustomerRow, Sandbox, SubscriptionRow } from "../model.ts";
import { activateSubscription } from "./subscriptions.ts";

export const PORTAL_TTL_MS = 2 * 60 * 60 * 1000;

const requestSchema = z
  .object({ email: z.email().optional(), customerId: z.string().min(1).optional(), returnUrl: z.url().optional() })
  .refine((v) => Boolean(v.email) !== Boolean(v.customerId), {
    message: "Provide exactly one of email or customerId",
    path: ["customerId"],
  });

export const portalRoutes: RouteDef[] = [
  [
    "POST",
    "/api/v1/portal/request-access",
    ({ sb, body }) => {
      const input = parse(requestSchema, body);
      let customer: CustomerRow | undefined;
      if (input.customerId) customer = sb.customer(input.customerId);
      else {
        customer = sb.q("SELECT * FROM customers WHERE email = ? ORDER BY seq LIMIT 1").get(input.email) as
          CustomerRow | undefined;
        if (!customer) throw errors.customerNotFound(input.email!);
      }
      const token = randomBytes(24).toString("base64url");
      const now = sb.clock.nowMs();
      sb.q(
        "INSERT INTO portal_sessions (token, customer_id, return_url, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
      ).run(
        token,
        customer.id,
        input.returnUrl ?? null,
        new Date(now).toISOString(),
        new Date(now + PORTAL_TTL_MS).toISOString(),
      );
      return {
        status: 201,
        data: { portalUrl: `${sb.origin()}/portal/${token}`, object: "portal_session", livemode: false },
      };
    },
  ],
];

export const esc = (s: unknown) =>
  String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

export function page(res: ServerResponse, status: number, title: string, body: string): void {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:44rem;padding:0 1rem;color:#1a1a1a}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #ccc}
.note{color:#444}button{font:inherit;padding:.5rem 1rem}</style></head>
<body><main>${body}</main></body></html>`;
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "content-length": String(Buffer.byteLength(html)),
    "cache-control": "no-store",
  });
  res.end(html);
}

function expired(res: ServerResponse): void {
  page(
    res,
    410,
    "Link expired",
    `<h1>This link has expired</h1>
<p>Portal links work once and for two hours. Ask for a new link to see your plan and usage.</p>`,
  );
}

/** GET /portal/<token>: a single-use page with the customer's plan and current usage. */
export function renderPortal(sb: Sandbox, res: ServerResponse, token: string): void {
  const session = sb.q("SELECT * FROM portal_sessions WHERE token = ?").get(token) as
    | { token: string; customer_id: string; return_url: string | null; expires_at: string; used_at: string | null }
    | undefined;
  if (!session) return page(res, 404, "Link not found", "<h1>This link is not valid</h1>");
  if (session.used_at || Date.parse(session.expires_at) <= sb.clock.nowMs()) return expired(res);
  sb.q("UPDATE portal_sessions SET used_at = ? WHERE token = ?").run(sb.clock.iso(), token);
  const customer = sb.customer(session.customer_id);
  const sub = sb.liveSubscription(customer.id);
  const plan = sub ? sb.catalog.plansById.get(sub.plan_id) : undefined;
  let planHtml = `<p>No active subscription.</p>`;
  if (sub && plan) {
    const rows = [...(sb.catalog.planFeatures.get(plan.id)?.values() ?? [])]
      .filter((pf) => pf.enabled)
      .map((pf) => {
        const f = sb.catalog.featuresByCode.get(pf.feature_code)!;
        let used = "—";
        let limit = pf.unlimited ? "Unlimited" : pf.included === null ? "—" : String(pf.included);
        if (f.type === "usage") used = String(sb.usageTotal(sub, f.code));
        if (f.type === "usage" && plan.consumption_model === "credits")
          limit = `${sub.credits_remaining ?? 0} credits left`;
        if (f.type === "seats") used = String(sb.seatCount(customer.id, f.code));
        if (f.type === "quota") used = String(sb.quotaCount(customer.id, f.code));
        if (f.type === "boolean") used = "Included";
        return `<tr><th scope="row">${esc(f.name)} <code>${esc(f.code)}</code></th><td>${esc(used)}</td><td>${esc(limit)}</td></tr>`;
      })
      .join("\n");
    planHtml = `<dl>
<dt>Plan</dt><dd>${esc(plan.name)}</dd>
<dt>Status</dt><dd>${esc(sub.status)}</dd>
<dt>Current period</dt><dd>${esc(sub.period_start?.slice(0, 10) ?? "—")} to ${esc(sub.period_end?.slice(0, 10) ?? "—")}</dd>
</dl>
<table><caption>Usage this period</caption>
<thead><tr><th scope="col">Feature</th><th scope="col">Used</th><th scope="col">Included</th></tr></thead>
<tbody>${rows}</tbody></table>`;
  }
  const back = session.return_url ? `<p><a href="${esc(session.return_url)}">Return to the application</a></p>` : "";
  page(
    res,
    200,
    `Billing portal — ${customer.full_name ?? customer.email}`,
    `<h1>Billing portal</h1>
<p class="note">${esc(customer.full_name ?? "")} &lt;${esc(customer.email)}&gt; · sandbox</p>
<section aria-labelledby="plan-h"><h2 id="plan-h">Your plan</h2>${planHtml}</section>${back}`,
  );
}

/** GET /checkout/<sub>: the hosted checkout of a pending_payment subscription; POST pays with the sandbox test card. */
export function renderCheckout(sb: Sandbox, res: ServerResponse, subId: string, method: string): void {
  const s = sb.q("SELECT * FROM subscriptions WHERE id = ?").get(subId) as SubscriptionRow | undefined;
  if (!s) return page(res, 404, "Checkout not found", "<h1>This checkout does not exist</h1>");
  const plan = sb.catalog.plansById.get(s.plan_id)!;
  if (s.status !== "pending_payment") {
    return page(res, 200, "Checkout complete", `<h1>Nothing to pay</h1><p>The subscription is ${esc(s.status)}.</p>`);
  }
  if (method === "POST") {
    sb.tx(() => activateSubscription(sb, s));
    return page(res, 200, "Payment confirmed", `<h1>Payment confirmed</h1><p>${esc(plan.name)} is now active.</p>`);
  }
  page(
    res,
    200,
    `Checkout — ${plan.name}`,
    `<h1>Subscribe to ${esc(plan.name)}</h1>
<p>${esc((plan.price / 10000).toFixed(2))} USD per ${esc(s.billing_interval.replace("ly", ""))}. Sandbox: the test card always succeeds.</p>
<form method="post"><button type="submit">Pay with test card</button></form>`,
  );
}
