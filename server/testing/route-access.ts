/**
 * Who may reach each loader and action of `app/routes/*` — the one declarative table the access
 * tests walk:
 *   - server/auth/route-access.test.ts (vitest) fails when a route file exports a `loader` or an
 *     `action` that has no row here, when a row names a route file that does not exist, and when a
 *     protected route's file never calls `requireStaff`;
 *   - e2e/role-matrix.spec.ts (Playwright, against the running production console) sends every row
 *     as every role and signed out, and asserts allowed / 403 / redirect to /login; and sends every
 *     POST row from a foreign Origin and asserts 403 (CSRF).
 *
 * Adding a route: add its rows (one per method, and one per `intent` for actions with several).
 * `access`: a Permission from app/contracts/permissions.ts, "signed-in" (any role), or "public" (no session).
 * `body`: a form the test may POST as any role — choose one that cannot change anything (missing or
 * invalid fields → 400, unknown ids → 404), since allowed roles really run the action.
 */
import type { Permission } from "../../app/contracts/permissions.ts";

export type RouteAccessLevel = Permission | "signed-in" | "public";

export interface RouteAccessRow {
  /**
   * The route module's file name under app/routes without extension, e.g. "admin.staff" — or, for an answer
   * Express gives ahead of Remix (`express` set), a name for the row.
   */
  route: string;
  /** Answered in Express ahead of Remix by this handler (no route module); the same access rules apply. */
  express?: string;
  method: "GET" | "POST";
  /** A concrete URL to send the request to (fill route params with ids that need not exist). */
  path: string;
  /** The action's `intent` field, when the action has several. */
  intent?: string;
  access: RouteAccessLevel;
  /** Form fields sent with a POST (besides `intent`). */
  body?: Record<string, string>;
  /**
   * Cross-site POSTs are refused (403) unless this says why the route is exempt — e.g. a webhook
   * authenticated by its signature, which carries no browser Origin.
   */
  crossSiteExempt?: string;
}

/** A well-formed batch id no batch has. */
const NO_BATCH = "bulk_00000000000000000000000000000000";

export const ROUTE_ACCESS: readonly RouteAccessRow[] = [
  // Shell and catch-all
  { route: "_index", method: "GET", path: "/", access: "customers:read" },
  { route: "$", method: "GET", path: "/no/such/page", access: "signed-in" },

  // Sign-in and sign-out
  { route: "login", method: "GET", path: "/login", access: "public" },
  // Wrong credentials: counts one failure for this address only (the matrix uses a made-up email).
  { route: "login", method: "POST", path: "/login", access: "public", body: { email: "", password: "" } },
  { route: "logout", method: "GET", path: "/logout", access: "public" },
  // The role walk sends this row last for each role: it ends that session.
  { route: "logout", method: "POST", path: "/logout", access: "public" },
  // OpenID Connect sign-in (GET only: the start is a link, the callback the provider's redirect). Without OIDC
  // configured both answer 404; with it, a callback without its flow cookie is refused (400) and audited.
  { route: "auth.oidc.start", method: "GET", path: "/auth/oidc/start", access: "public" },
  { route: "auth.oidc.callback", method: "GET", path: "/auth/oidc/callback?code=x&state=y", access: "public" },

  // Customers
  { route: "customers._index", method: "GET", path: "/customers", access: "customers:read" },
  { route: "subscriptions._index", method: "GET", path: "/subscriptions", access: "customers:read" },
  { route: "customers.$customerId", method: "GET", path: "/customers/no-such-customer", access: "customers:read" },
  {
    route: "customers.by-external.$externalId",
    method: "GET",
    path: "/customers/by-external/no-such-customer",
    access: "customers:read",
  },
  {
    route: "customers.$customerId_.invoices.$invoiceId",
    method: "GET",
    path: "/customers/no-such-customer/invoices/inv_none",
    access: "customers:read",
  },
  // Unknown customer: 404 from Commet, nothing audited, no redirect.
  {
    route: "customers.$customerId_.invoices.$invoiceId_.pdf",
    method: "GET",
    path: "/customers/no-such-customer/invoices/inv_none/pdf",
    access: "customers:read",
  },
  // Missing idempotency key: 400 before anything is read or sent.
  {
    route: "customers.$customerId_.invoices.$invoiceId_.send",
    method: "POST",
    path: "/customers/no-such-customer/invoices/inv_none/send",
    access: "invoices:send",
    body: { idempotencyKey: "" },
  },
  // Account activity (the customer page's panel): read-only, from the console's database.
  {
    route: "customers.$customerId_.activity",
    method: "GET",
    path: "/customers/no-such-customer/activity?kind=payments",
    access: "customers:read",
  },
  // Unknown customer: Commet answers 404 (audited as a failed portal.issue); no link is issued.
  {
    route: "customers.$customerId_.portal",
    method: "POST",
    path: "/customers/no-such-customer/portal",
    access: "portal:issue",
  },
  {
    route: "search",
    express: "server/directory/search-endpoint.ts",
    method: "GET",
    path: "/search?q=nobody",
    access: "customers:read",
  },
  // POST /webhooks/commet is not a Remix route: Express answers it ahead of Remix (server/app-server.ts
  // commetWebhooks), authenticated by the X-Commet-Signature HMAC, not by a session.

  // Usage timeline: explorer, its CSV, a customer's Usage panel data
  { route: "usage._index", method: "GET", path: "/usage", access: "usage:explore" },
  // Reconciliation sweep: reads Commet and stores each check; changes nothing in Commet. One run at a
  // time, spaced: an allowed role gets 202 (started) or 429 (running / too soon), and polls the GET.
  { route: "usage.reconcile", method: "GET", path: "/usage/reconcile", access: "usage:explore" },
  { route: "usage.reconcile", method: "POST", path: "/usage/reconcile", access: "usage:explore" },
  { route: "usage.export[.csv]", method: "GET", path: "/usage/export.csv?range=7d", access: "export:csv" },
  // Closed-period reconciliation: reads Commet's invoices and the timeline, writes nothing but the export's audit row.
  {
    route: "usage.reconciliation",
    method: "GET",
    path: "/usage/reconciliation?from=2020-01-01&to=2020-01-31",
    access: "usage:explore",
  },
  {
    route: "usage.reconciliation.export[.csv]",
    method: "GET",
    path: "/usage/reconciliation/export.csv?from=2020-01-01&to=2020-01-31",
    access: "export:csv",
  },
  { route: "usage.top[.csv]", method: "GET", path: "/usage/top.csv?range=7d", access: "export:csv" },
  // Period-over-period comparison CSV and the billing-period views (read-only; exports audited).
  { route: "usage.compare[.csv]", method: "GET", path: "/usage/compare.csv?range=7d", access: "export:csv" },
  { route: "usage.periods", method: "GET", path: "/usage/periods", access: "usage:explore" },
  {
    route: "usage.periods.export[.csv]",
    method: "GET",
    path: "/usage/periods/export.csv?mode=current",
    access: "export:csv",
  },
  // Revenue overview and its CSV (read-only; the export is audited); a bad window is 400 for allowed roles.
  { route: "revenue._index", method: "GET", path: "/revenue", access: "revenue:read" },
  { route: "revenue.export[.csv]", method: "GET", path: "/revenue/export.csv?months=3", access: "export:csv" },
  { route: "invoices._index", method: "GET", path: "/invoices", access: "customers:read" },
  // A customer with no invoices: an empty CSV (the export is audited).
  {
    route: "invoices.export[.csv]",
    method: "GET",
    path: "/invoices/export.csv?customer=no-such-customer",
    access: "export:csv",
  },
  {
    route: "usage.customer.$customerId",
    method: "GET",
    path: "/usage/customer/no-such-customer?range=7d",
    access: "customers:read",
  },
  // Check one customer against Commet now (the GET above is read-only); stores the console's check only.
  {
    route: "usage.customer.$customerId",
    method: "POST",
    path: "/usage/customer/no-such-customer",
    access: "customers:read",
  },

  // Payments: the org-wide queue and its CSV (read-only; the export is audited), and the payment
  // writes — the bodies carry no key or reason, so an allowed role gets 400 and nothing reaches Commet.
  { route: "payments._index", method: "GET", path: "/payments", access: "customers:read" },
  { route: "payments.export[.csv]", method: "GET", path: "/payments/export.csv?status=failed", access: "export:csv" },
  {
    route: "customers.$customerId_.payment-retry",
    method: "POST",
    path: "/customers/no-such-customer/payment-retry",
    access: "payments:retry",
    body: { transactionId: "txn_none" },
  },
  {
    route: "customers.$customerId_.refund",
    method: "POST",
    path: "/customers/no-such-customer/refund",
    access: "payments:refund",
    body: { transactionId: "txn_none" },
  },
  {
    route: "customers.$customerId_.recovery",
    method: "POST",
    path: "/customers/no-such-customer/recovery",
    access: "recovery:issue",
    body: { subscriptionId: "sub_none" },
  },

  // Ops writes on the customer page: action-only resource routes. The bodies carry no
  // reason or key, so an allowed role gets 400 field errors and nothing reaches Commet.
  {
    route: "customers.$customerId_.seats",
    method: "POST",
    path: "/customers/no-such-customer/seats",
    intent: "preview",
    access: "seats:write",
    body: { seatType: "editor", op: "add" },
  },
  {
    route: "customers.$customerId_.seats",
    method: "POST",
    path: "/customers/no-such-customer/seats",
    intent: "apply",
    access: "seats:write",
    body: { seatType: "editor", op: "add" },
  },
  {
    route: "customers.$customerId_.usage",
    method: "POST",
    path: "/customers/no-such-customer/usage",
    intent: "record",
    access: "usage:write",
    body: { featureCode: "api_calls" },
  },
  {
    route: "customers.$customerId_.usage",
    method: "POST",
    path: "/customers/no-such-customer/usage",
    intent: "set",
    access: "usage:write",
    body: { featureCode: "api_calls" },
  },

  // Subscription actions: one intent each, each with its own permission (checked by server/subscriptions).
  // The bodies carry no subscription, reason or key: an allowed role gets 400 and nothing reaches Commet.
  {
    route: "customers.$customerId_.subscription",
    method: "POST",
    path: "/customers/no-such-customer/subscription",
    intent: "cancel",
    access: "subscriptions:cancel",
    body: { planId: "pln_none" },
  },
  {
    route: "customers.$customerId_.subscription",
    method: "POST",
    path: "/customers/no-such-customer/subscription",
    intent: "uncancel",
    access: "subscriptions:cancel",
    body: { planId: "pln_none" },
  },
  {
    route: "customers.$customerId_.subscription",
    method: "POST",
    path: "/customers/no-such-customer/subscription",
    intent: "cancel-now",
    access: "subscriptions:cancel-now",
    body: { planId: "pln_none" },
  },
  {
    route: "customers.$customerId_.subscription",
    method: "POST",
    path: "/customers/no-such-customer/subscription",
    intent: "preview-plan",
    access: "subscriptions:change-plan",
    body: { planId: "pln_none" },
  },
  {
    route: "customers.$customerId_.subscription",
    method: "POST",
    path: "/customers/no-such-customer/subscription",
    intent: "change-plan",
    access: "subscriptions:change-plan",
    body: { planId: "pln_none" },
  },

  // Audit trail
  { route: "audit._index", method: "GET", path: "/audit", access: "audit:read" },
  { route: "audit.export[.csv]", method: "GET", path: "/audit/export.csv", access: "export:csv" },
  // Check again / retry of a pending row: "audit:read" to reach it, then the permission of the row's
  // own action (seats:write, usage:write) to retry it — the e2e audit journey covers that second step.
  {
    route: "audit._index",
    method: "POST",
    path: "/audit",
    intent: "check",
    access: "audit:read",
    body: { auditId: "no-such-entry" },
  },
  {
    route: "audit._index",
    method: "POST",
    path: "/audit",
    intent: "retry",
    access: "audit:read",
    body: { auditId: "no-such-entry" },
  },

  // Writes awaiting Commet's confirmation (server/writes resolver)
  { route: "writes.mine", method: "GET", path: "/writes/mine", access: "audit:read" },
  // Settling by hand: "audit:read" to reach it, then the permission of the write's own action (resolver tests).
  {
    route: "writes.mine",
    method: "POST",
    path: "/writes/mine",
    intent: "settle",
    access: "audit:read",
    body: { auditId: "no-such-entry", outcome: "applied", note: "role matrix" },
  },
  {
    route: "writes.unsettled",
    method: "GET",
    path: "/writes/unsettled?customer=no-such-customer",
    access: "customers:read",
  },

  // Staff admin
  { route: "admin.staff", method: "GET", path: "/admin/staff", access: "staff:manage" },
  {
    route: "admin.staff",
    method: "POST",
    path: "/admin/staff",
    intent: "create",
    access: "staff:manage",
    body: { email: "not-an-email" },
  },
  {
    route: "admin.staff",
    method: "POST",
    path: "/admin/staff",
    intent: "change-role",
    access: "staff:manage",
    body: { staffId: "no-such-staff", role: "nobody" },
  },
  {
    route: "admin.staff",
    method: "POST",
    path: "/admin/staff",
    intent: "deactivate",
    access: "staff:manage",
    body: { staffId: "no-such-staff" },
  },
  {
    route: "admin.staff",
    method: "POST",
    path: "/admin/staff",
    intent: "reactivate",
    access: "staff:manage",
    body: { staffId: "no-such-staff" },
  },
  {
    route: "admin.staff",
    method: "POST",
    path: "/admin/staff",
    intent: "reset-password",
    access: "staff:manage",
    body: { staffId: "no-such-staff" },
  },
  // Four-eyes approvals: the inbox and a request (every role; deciding is checked against the policy's
  // roles and the requester on the server), the policy (admins). Unknown request ids → 404; bad forms → 400.
  { route: "approvals._index", method: "GET", path: "/approvals", access: "approvals:review" },
  {
    route: "approvals.$requestId",
    method: "GET",
    path: "/approvals/00000000-0000-4000-8000-000000000000",
    access: "approvals:review",
  },
  {
    route: "approvals.$requestId",
    method: "POST",
    path: "/approvals/00000000-0000-4000-8000-000000000000",
    intent: "approve",
    access: "approvals:review",
    body: { fingerprint: "0".repeat(64) },
  },
  {
    route: "approvals.$requestId",
    method: "POST",
    path: "/approvals/00000000-0000-4000-8000-000000000000",
    intent: "reject",
    access: "approvals:review",
    body: { comment: "" },
  },
  {
    route: "approvals.$requestId",
    method: "POST",
    path: "/approvals/00000000-0000-4000-8000-000000000000",
    intent: "execute",
    access: "approvals:review",
  },
  { route: "admin.approvals", method: "GET", path: "/admin/approvals", access: "approvals:policy" },
  {
    route: "admin.approvals",
    method: "POST",
    path: "/admin/approvals",
    intent: "save-rule",
    access: "approvals:policy",
    body: { rule: "no-such-rule" },
  },
  {
    route: "admin.approvals",
    method: "POST",
    path: "/admin/approvals",
    intent: "save-expiry",
    access: "approvals:policy",
    body: { expiresAfterHours: "0" },
  },
  // Bulk changes from a CSV file: every page and action needs bulk:apply. The upload without a file is a 400,
  // the unknown batch a 404 for every intent — nothing is stored or sent.
  { route: "bulk._index", method: "GET", path: "/bulk", access: "bulk:apply" },
  { route: "bulk._index", method: "POST", path: "/bulk", access: "bulk:apply", body: { kind: "usage" } },
  { route: "bulk.templates.$kind", method: "GET", path: "/bulk/templates/seats", access: "bulk:apply" },
  { route: "bulk.$batchId", method: "GET", path: `/bulk/${NO_BATCH}`, access: "bulk:apply" },
  ...(["exclude_invalid", "revalidate", "apply", "pause", "resume", "cancel"] as const).map(
    (intent): RouteAccessRow => ({
      route: "bulk.$batchId",
      method: "POST",
      path: `/bulk/${NO_BATCH}`,
      intent,
      access: "bulk:apply",
    }),
  ),
  { route: "bulk.$batchId_.progress", method: "GET", path: `/bulk/${NO_BATCH}/progress`, access: "bulk:apply" },
  { route: "bulk.$batchId_.$file", method: "GET", path: `/bulk/${NO_BATCH}/result.csv`, access: "bulk:apply" },
];
