import { expect, test, type APIResponse } from "@playwright/test";
import { can, type Role } from "../app/contracts/permissions.ts";
import { ROUTE_ACCESS, type RouteAccessRow } from "../server/testing/route-access.ts";
import { apiContextAs, E2E_ROLES } from "./support/staff-accounts.ts";

/**
 * The whole role matrix against the running production console: every row of
 * server/testing/route-access.ts, as every role and signed out → allowed, 403, or a redirect to /login.
 * Then CSRF: every POST row from a foreign Origin (or with no Origin at all) → 403.
 */
const baseURL = () => process.env.E2E_BASE_URL!;
const label = (row: RouteAccessRow) => `${row.method} ${row.path}${row.intent ? ` (intent ${row.intent})` : ""}`;
// Signing out ends the context's session: send those rows last.
const ordered = [...ROUTE_ACCESS].sort((a, b) => Number(a.route === "logout") - Number(b.route === "logout"));

async function send(
  context: Awaited<ReturnType<typeof apiContextAs>>,
  row: RouteAccessRow,
  origin: string | null,
): Promise<APIResponse> {
  if (row.method === "GET") return context.get(row.path, { maxRedirects: 0 });
  const form: Record<string, string> = { ...(row.intent ? { intent: row.intent } : {}), ...row.body };
  return context.post(row.path, { form, maxRedirects: 0, headers: origin ? { Origin: origin } : {} });
}

function expectation(row: RouteAccessRow, role: Role | null): "allowed" | "forbidden" | "login" {
  if (row.access === "public") return "allowed";
  if (!role) return "login";
  if (row.access === "signed-in") return "allowed";
  return can(role, row.access) ? "allowed" : "forbidden";
}

for (const role of [null, ...E2E_ROLES] as Array<Role | null>) {
  test(`role matrix: ${role ?? "signed out"}`, async () => {
    const context = await apiContextAs(baseURL(), role);
    const failures: string[] = [];
    try {
      for (const row of ordered) {
        const response = await send(context, row, new URL(baseURL()).origin);
        const status = response.status();
        const location = response.headers()["location"] ?? "";
        const toLogin = status >= 300 && status < 400 && location.startsWith("/login");
        const expected = expectation(row, role);
        const ok =
          expected === "forbidden"
            ? status === 403
            : expected === "login"
              ? toLogin && location.startsWith("/login?redirectTo=")
              : status !== 403 && status < 500 && (row.access === "public" || !toLogin);
        if (!ok)
          failures.push(
            `${label(row)} as ${role ?? "signed out"}: expected ${expected}, got ${status}${location ? ` → ${location}` : ""}`,
          );
      }
    } finally {
      await context.dispose();
    }
    expect(failures).toEqual([]);
  });
}

test("CSRF: every action refuses a cross-site POST (foreign Origin, or no Origin/Referer), signed in as admin", async () => {
  const context = await apiContextAs(baseURL(), "admin");
  const failures: string[] = [];
  try {
    const posts = ordered.filter((row) => row.method === "POST" && !row.crossSiteExempt);
    expect(posts.length).toBeGreaterThan(3);
    for (const row of posts) {
      for (const origin of ["https://evil.example", null]) {
        const response = await send(context, row, origin);
        if (response.status() !== 403)
          failures.push(`${label(row)} from ${origin ?? "no origin"}: ${response.status()}`);
      }
    }
    // The session survived all of that (a refused logout did not sign us out) and still works.
    const home = await context.get("/audit", { maxRedirects: 0 });
    expect(home.status()).toBe(200);
  } finally {
    await context.dispose();
  }
  expect(failures).toEqual([]);
});
