import { randomUUID } from "node:crypto";
import { expect, test, type APIRequestContext } from "@playwright/test";
import { ROUTE_ACCESS, type RouteAccessRow } from "../server/testing/route-access.ts";
import { freshProCustomer, sandboxSdk, seatCount, usageTotal } from "./support/ops-sdk.ts";
import { apiContextAs } from "./support/staff-accounts.ts";

/**
 * Actions posted directly (curl, a script) answer as they answer the console's own forms: the same status
 * for a document POST and Remix's `.data` request, 415 for a body that is not a form, 400 for a malformed
 * one, never a 500; and numbers are read as the console shows them.
 */
const commet = sandboxSdk();
const baseURL = () => process.env.E2E_BASE_URL!;
const origin = () => new URL(baseURL()).origin;
const POST_ROWS = ROUTE_ACCESS.filter((row) => row.method === "POST");
// Actions that need no fields (signing out, issuing a portal link, reconciling): a multipart body they
// never read is not parsed.
const READS_NO_BODY = new Set([
  "logout",
  "customers.$customerId_.portal",
  "usage.reconcile",
  "usage.customer.$customerId",
]);

/** Remix's data request for an action: `<path>.data`, with `?index` for an index route. */
function dataPath(row: Pick<RouteAccessRow, "path" | "route">): string {
  const url = new URL(row.path, "http://x");
  if (row.route.endsWith("._index")) url.searchParams.set("index", "");
  return `${url.pathname}.data${url.search.replace("index=", "index")}`;
}

const form = (row: RouteAccessRow) => ({ ...(row.intent ? { intent: row.intent } : {}), ...row.body });

let admin: APIRequestContext;
test.beforeAll(async () => {
  admin = await apiContextAs(baseURL(), "admin");
});
test.afterAll(async () => {
  await admin.dispose();
});

test("every action answers a direct POST with the status of Remix's data request", async () => {
  const differences: string[] = [];
  // Public actions (signing in) are sent signed out: a signed-in document POST to /login also runs its loader,
  // which sends staff already signed in away (302).
  const signedOut = await apiContextAs(baseURL(), null);
  // Signing out answers a redirect (302 to a document, 202 to a data request) and ends the session; the
  // reconciliation sweep runs one at a time: a second POST is answered 429 while the first runs.
  for (const row of POST_ROWS.filter((r) => r.route !== "logout" && r.route !== "usage.reconcile")) {
    const context = row.access === "public" ? signedOut : admin;
    const direct = await context.post(row.path, { form: form(row), headers: { Origin: origin() }, maxRedirects: 0 });
    const data = await context.post(dataPath(row), { form: form(row), headers: { Origin: origin() }, maxRedirects: 0 });
    const label = `${row.path}${row.intent ? ` (${row.intent})` : ""}`;
    expect(direct.status(), `${label}: ${await direct.text()}`).toBeLessThan(500);
    if (direct.status() !== data.status())
      differences.push(`${label}: direct ${direct.status()}, .data ${data.status()}`);
  }
  await signedOut.dispose();
  expect(differences).toEqual([]);
});

test("a body that is not a form is refused with 415 (a malformed one with 400), never a 500", async () => {
  const refused: string[] = [];
  const bodies: Array<[string, Parameters<APIRequestContext["post"]>[1]]> = [
    ["JSON", { data: { intent: "record", quantity: 5 } }],
    ["text", { data: "intent=record", headers: { "Content-Type": "text/plain" } }],
    ["no content type", {}],
  ];
  for (const row of POST_ROWS) {
    for (const [name, options] of bodies) {
      const response = await admin.post(row.path, {
        ...options,
        headers: { ...options?.headers, Origin: origin() },
        maxRedirects: 0,
      });
      if (response.status() !== 415) refused.push(`${row.path} ${name}: ${response.status()}`);
      else expect(await response.text()).toContain("application/x-www-form-urlencoded or multipart/form-data");
    }
    if (READS_NO_BODY.has(row.route)) continue;
    const malformed = await admin.post(row.path, {
      data: "--x\r\nbroken",
      headers: { "Content-Type": "multipart/form-data; boundary=x", Origin: origin() },
      maxRedirects: 0,
    });
    if (malformed.status() !== 400) refused.push(`${row.path} malformed multipart: ${malformed.status()}`);
  }
  expect(refused).toEqual([]);
});

test("ops writes keep their status and no-store posted directly; numbers are read as the console shows them", async () => {
  const customer = await freshProCustomer(commet, "security", { editor: 16 });
  const ops = await apiContextAs(baseURL(), "ops");
  try {
    const before = await usageTotal(commet, customer.id, "api_calls");
    for (const quantity of ["0x2", "0b1", "1e1", ".5e1", "1_0", "1,00", "-1", "2.5"]) {
      const usage = {
        intent: "record",
        featureCode: "api_calls",
        quantity,
        eventTime: "",
        reasonCode: "missed_events",
        reasonText: "",
        idempotencyKey: `usage-${randomUUID()}`,
      };
      for (const path of [`/customers/${customer.id}/usage`, `/customers/${customer.id}/usage.data`]) {
        const response = await ops.post(path, { form: usage, headers: { Origin: origin() }, maxRedirects: 0 });
        expect(response.status(), `${path} quantity ${quantity}`).toBe(400);
        expect(response.headers()["cache-control"]).toContain("no-store");
      }
    }
    const invalid = await ops.post(`/customers/${customer.id}/usage`, {
      form: { intent: "record", featureCode: "api_calls", quantity: "0x2", reasonCode: "missed_events" },
      headers: { Origin: origin() },
    });
    expect(await invalid.json()).toMatchObject({
      kind: "field_errors",
      fieldErrors: { quantity: [expect.stringMatching(/must be a number/)] },
    });
    expect(await usageTotal(commet, customer.id, "api_calls")).toBe(before);

    const seats = { intent: "preview", seatType: "editor", op: "add", seenCount: "16", reasonCode: "customer_request" };
    const hex = await ops.post(`/customers/${customer.id}/seats`, {
      form: { ...seats, quantity: "0x2", idempotencyKey: `seats-${randomUUID()}` },
      headers: { Origin: origin() },
    });
    expect(hex.status()).toBe(400);
    const two = await ops.post(`/customers/${customer.id}/seats`, {
      form: { ...seats, quantity: "2", idempotencyKey: `seats-${randomUUID()}` },
      headers: { Origin: origin() },
    });
    expect(two.status()).toBe(200);
    expect(await two.json()).toMatchObject({ kind: "preview", preview: { from: 16, to: 18 } });

    const recorded = await ops.post(`/customers/${customer.id}/usage`, {
      form: {
        intent: "record",
        featureCode: "api_calls",
        quantity: " 1,000 ",
        eventTime: "",
        reasonCode: "missed_events",
        reasonText: "",
        idempotencyKey: `usage-${randomUUID()}`,
      },
      headers: { Origin: origin() },
    });
    expect(recorded.status(), await recorded.text()).toBe(200);
    expect(await usageTotal(commet, customer.id, "api_calls")).toBe(before + 1000);
    expect(await seatCount(commet, customer.id, "editor")).toBe(16);
  } finally {
    await ops.dispose();
  }
});

test("a portal link: 404 for an unknown customer, never cached, posted directly or not", async () => {
  const customer = await freshProCustomer(commet, "portal-status");
  const support = await apiContextAs(baseURL(), "support");
  try {
    for (const suffix of ["", ".data"]) {
      const unknown = await support.post(`/customers/cus_no_such_customer/portal${suffix}`, {
        form: {},
        headers: { Origin: origin() },
      });
      expect(unknown.status(), `unknown customer${suffix}`).toBe(404);
      expect(unknown.headers()["cache-control"]).toContain("no-store");
    }
    const unknown = await support.post("/customers/cus_no_such_customer/portal", {
      form: {},
      headers: { Origin: origin() },
    });
    expect(await unknown.json()).toMatchObject({ ok: false, problem: { kind: "not_found" } });
    const issued = await support.post(`/customers/${customer.id}/portal`, { form: {}, headers: { Origin: origin() } });
    expect(issued.status()).toBe(200);
    expect(issued.headers()["cache-control"]).toContain("no-store");
    expect(await issued.json()).toMatchObject({ ok: true, portalUrl: expect.stringMatching(/^https?:\/\//) });
  } finally {
    await support.dispose();
  }
});

test("page actions answer a document POST with their own status", async () => {
  const post = (path: string, body: Record<string, string>, context = admin) =>
    context.post(path, { form: body, headers: { Origin: origin() }, maxRedirects: 0 });
  expect((await post("/admin/staff", { intent: "create", email: "not-an-email" })).status()).toBe(400);
  expect((await post("/admin/staff", { intent: "deactivate", staffId: "no-such-staff" })).status()).toBe(404);
  expect((await post("/audit?index", { intent: "nope" })).status()).toBe(400);
  expect((await post("/audit?index", { intent: "check", auditId: "no-such-entry" })).status()).toBe(404);
  // /usage has no action (reconciliation is POST /usage/reconcile): a POST is not allowed.
  expect((await post("/usage?index", { intent: "nope" })).status()).toBe(405);
  const signedOut = await apiContextAs(baseURL(), null);
  try {
    const wrong = await post(
      "/login",
      { email: `nobody-${randomUUID()}@e2e.test`, password: "not-the-password" },
      signedOut,
    );
    expect(wrong.status()).toBe(401);
  } finally {
    await signedOut.dispose();
  }
});
