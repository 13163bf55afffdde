import path from "node:path";
import { E2E_SANDBOX_KEY } from "./global-setup.ts";
import { startConsole, type RunningConsole } from "./support/console-server.ts";
import { expect, test } from "./support/fixtures.ts";
import { editorSeats, seedPendingSeatChange } from "./support/pending-write.ts";
import { E2E_ACCOUNTS } from "./support/staff-accounts.ts";

const harnessDataDir = () => path.join(process.env.E2E_TMP_DIR!, "console");
const sandbox = () => ({ url: process.env.E2E_SANDBOX_URL!, apiKey: E2E_SANDBOX_KEY });

test("signed out, the console asks for sign-in and comes back to the page asked for; sign-out ends the session", async ({
  page,
  checkPage,
}) => {
  const response = await page.goto("/customers?limit=10");
  expect(response?.status()).toBe(200);
  await expect(page).toHaveURL(/\/login\?redirectTo=%2Fcustomers%3Flimit%3D10$/);
  await expect(page.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
  // The harness console runs with a Commet key ("live" auth mode): no demo accounts on show.
  await expect(page.getByTestId("demo-accounts")).toHaveCount(0);
  await checkPage("sign-in");

  await page.getByLabel("Email").fill(E2E_ACCOUNTS.support.email);
  await page.getByLabel("Password").fill(E2E_ACCOUNTS.support.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/customers\?limit=10$/);
  await expect(page.getByTestId("signed-in-staff")).toContainText("E2E Support");
  await expect(page.getByTestId("signed-in-staff")).toContainText("support");
  // The nav shows what the role may use: support reads customers and the audit trail, not staff admin.
  const nav = page.getByRole("navigation", { name: "Sections" });
  await expect(nav.getByRole("link", { name: "Customers" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Audit trail" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Staff" })).toHaveCount(0);
  await checkPage("signed-in-support");

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto("/");
  await expect(page).toHaveURL(/\/login\?redirectTo=%2F$/);
  await checkPage("signed-out");
});

test("a wrong password is refused with a plain message, the email kept, and no session", async ({
  page,
  checkPage,
}) => {
  await page.goto("/login");
  await page.getByLabel("Email").fill(E2E_ACCOUNTS.finance.email);
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("login-error")).toHaveText("Email or password is incorrect.");
  await expect(page.getByLabel("Email")).toHaveValue(E2E_ACCOUNTS.finance.email);
  await expect(page.getByLabel("Password")).toHaveValue("");
  await checkPage("wrong-password");

  // Empty fields: errors next to the fields, nothing counted.
  await page.getByLabel("Email").fill("");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByText("Enter a valid email address")).toBeVisible();
  await expect(page.getByLabel("Email")).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByText("Enter your password")).toBeVisible();
  await checkPage("empty-fields");

  await page.goto("/audit");
  await expect(page).toHaveURL(/\/login\?redirectTo=%2Faudit$/);
});

test("a pending seat change shows as “outcome unknown”; support may not retry it (button hidden, forged POST refused); ops retries it with the same key, once", async ({
  page,
  checkPage,
  signInAs,
}) => {
  const pending = await seedPendingSeatChange({
    dataDir: harnessDataDir(),
    sandbox: sandbox(),
    actor: { id: null, email: E2E_ACCOUNTS.ops.email },
    add: 2,
  });
  const row = page.locator(`tr[data-audit-id="${pending.auditId}"]`);

  await signInAs("support");
  await page.goto(`/audit?action=seats.change&customer=${pending.customerId}`);
  await expect(row.getByTestId("audit-status")).toHaveText("Outcome unknown");
  await expect(row.getByRole("button", { name: "Check again" })).toBeVisible();
  await expect(row.getByRole("button", { name: "Retry with the same key" })).toHaveCount(0);
  await checkPage("audit-pending-as-support");

  await row.getByRole("button", { name: "Check again" }).click();
  await expect(page.getByTestId("audit-result")).toContainText("Still no outcome for seats.change");

  // A forged retry from support's own session (same origin, valid cookie) is refused on the server.
  const forged = await page.request.post("/audit", {
    form: { intent: "retry", auditId: pending.auditId },
    headers: { Origin: new URL(page.url()).origin },
    maxRedirects: 0,
  });
  expect(forged.status()).toBe(403);
  // Staff admin is admin-only: the page answers 403, not just a hidden link.
  const staffPage = await page.goto("/admin/staff");
  expect(staffPage?.status()).toBe(403);
  await expect(page.getByRole("heading", { level: 1, name: "Not allowed" })).toBeVisible();
  expect(await editorSeats(sandbox(), pending.customerId)).toBe(pending.before);

  await page.getByRole("button", { name: "Sign out" }).click();
  await signInAs("ops");
  await page.goto(`/audit?action=seats.change&customer=${pending.customerId}`);
  await row.getByRole("button", { name: "Retry with the same key" }).click();
  await expect(page.getByTestId("audit-result")).toContainText("Done — completed the");
  await expect(row.getByTestId("audit-status")).toHaveText("Succeeded");
  await expect(row.getByRole("button", { name: "Retry with the same key" })).toHaveCount(0);
  expect(await editorSeats(sandbox(), pending.customerId)).toBe(pending.before + pending.add);
  await checkPage("audit-resolved-as-ops");

  // Replaying the retry changes nothing: the row is final, Commet is not called again.
  const again = await page.request.post("/audit", {
    form: { intent: "retry", auditId: pending.auditId },
    headers: { Origin: new URL(page.url()).origin },
  });
  expect(again.status()).toBe(200);
  expect(await editorSeats(sandbox(), pending.customerId)).toBe(pending.before + pending.add);
});

test.describe("embedded sandbox mode (no COMMET_API_KEY)", () => {
  let consoleServer: RunningConsole | undefined;
  test.afterEach(async () => {
    await consoleServer?.stop();
    consoleServer = undefined;
  });

  test("the sign-in page lists the demo accounts, they work, and failed sign-ins are rate limited", async ({
    page,
    checkPage,
  }, testInfo) => {
    test.setTimeout(120_000);
    consoleServer = await startConsole({
      COMMET_API_KEY: "",
      COMMET_API_URL: "",
      SESSION_SECRET: "",
      DATA_DIR: path.join(testInfo.outputDir, "data"),
    });
    await page.goto(consoleServer.url);
    await expect(page).toHaveURL(/\/login\?redirectTo=%2F$/);
    const demo = page.getByTestId("demo-accounts");
    for (const role of ["admin", "ops", "support", "finance"]) {
      await expect(demo.getByRole("cell", { name: `${role}@demo.local` })).toBeVisible();
      await expect(demo.getByRole("cell", { name: `demo-${role}-password` })).toBeVisible();
    }
    await checkPage("sign-in-sandbox");

    await page.getByLabel("Email").fill("ops@demo.local");
    await page.getByLabel("Password").fill("demo-ops-password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Overview" })).toBeVisible();
    await expect(page.getByTestId("mode-banner")).toHaveText("SANDBOX");
    await expect(page.getByTestId("signed-in-staff")).toContainText("Demo Ops");
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL(/\/login$/);

    // 5 failures in 15 minutes lock the account (and this address); the 6th attempt — even with
    // the right password — gets the lock message without a password check.
    for (let attempt = 1; attempt <= 5; attempt++) {
      await page.getByLabel("Email").fill("finance@demo.local");
      await page.getByLabel("Password").fill(`wrong-${attempt}`);
      await page.getByRole("button", { name: "Sign in" }).click();
      // The answer has arrived once the refused password is cleared (the message stays from the last try).
      await expect(page.getByLabel("Password")).toHaveValue("");
      await expect(page.getByTestId("login-error")).toHaveText("Email or password is incorrect.");
    }
    await page.getByLabel("Password").fill("demo-finance-password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByTestId("login-error")).toHaveText(
      /^Too many failed sign-in attempts\. Try again in 15 minutes\.$/,
    );
    await expect(page).toHaveURL(/\/login/);
    await checkPage("rate-limited");
  });
});
