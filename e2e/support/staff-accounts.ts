import { expect, request as playwrightRequest, type APIRequestContext, type Page } from "@playwright/test";
import path from "node:path";
import type { Role } from "../../app/contracts/permissions.ts";
import { createAuth, SYSTEM_ACTOR } from "../../server/auth/index.ts";
import { createDatabase, migrateToLatest } from "../../server/db/index.ts";

/**
 * One staff account per role for the journeys. The harness console runs with COMMET_API_KEY set (it
 * points at the harness's own sandbox), so it is in "live" auth mode, where the public demo accounts
 * are deactivated at start. These accounts play the demo accounts' part, with the same names and
 * roles, under a test domain; `e2e/auth.spec.ts` checks the real demo accounts on an embedded-mode
 * console.
 */
export const E2E_ACCOUNTS: Record<Role, { email: string; name: string; password: string }> = {
  admin: { email: "admin@e2e.test", name: "E2E Admin", password: "e2e-admin-password" },
  ops: { email: "ops@e2e.test", name: "E2E Ops", password: "e2e-ops-password" },
  support: { email: "support@e2e.test", name: "E2E Support", password: "e2e-support-password" },
  finance: { email: "finance@e2e.test", name: "E2E Finance", password: "e2e-finance-password" },
};
export const E2E_ROLES = Object.keys(E2E_ACCOUNTS) as Role[];

/** Creates the accounts in a console's SQLite database under `dataDir`, before that console starts. */
export async function seedStaffAccounts(dataDir: string): Promise<void> {
  const database = createDatabase(path.join(dataDir, "console.sqlite"));
  try {
    await migrateToLatest(database);
    const auth = createAuth({
      db: database.db,
      secrets: ["e2e-seed-only-secret-0123456789abcdef"],
      secureCookies: false,
    });
    for (const [role, account] of Object.entries(E2E_ACCOUNTS) as Array<[Role, (typeof E2E_ACCOUNTS)[Role]]>) {
      await auth.staff.createStaff(SYSTEM_ACTOR, { ...account, role });
    }
  } finally {
    await database.close();
  }
}

/** Signs in over HTTP (the login form's POST, from the console's origin); the session cookie lands in `request`'s jar. */
export async function postSignIn(
  request: APIRequestContext,
  baseURL: string,
  credentials: { email: string; password: string },
) {
  const response = await request.post(new URL("/login", baseURL).href, {
    form: { email: credentials.email, password: credentials.password, redirectTo: "/" },
    headers: { Origin: new URL(baseURL).origin },
    maxRedirects: 0,
  });
  expect(response.status(), `sign-in as ${credentials.email}`).toBe(302);
  return response;
}

/** The browser page signed in as `role` (cookie shared with the page's context). */
export async function signInPageAs(page: Page, baseURL: string, role: Role): Promise<void> {
  await postSignIn(page.request, baseURL, E2E_ACCOUNTS[role]);
}

/** A fresh API context signed in as `role`, or signed out (null). Dispose it after use. */
export async function apiContextAs(baseURL: string, role: Role | null): Promise<APIRequestContext> {
  const context = await playwrightRequest.newContext({ baseURL });
  if (role) await postSignIn(context, baseURL, E2E_ACCOUNTS[role]);
  return context;
}
