import net from "node:net";
import path from "node:path";
import { E2E_SANDBOX_KEY } from "./global-setup.ts";
import { startConsole, type RunningConsole } from "./support/console-server.ts";
import { expect, test } from "./support/fixtures.ts";
import { TEST_ROLE_MAP, startTestOidcProvider, type TestOidcProvider } from "../server/testing/oidc-provider.ts";

/**
 * OpenID Connect sign-in in the browser: a second production console, with OIDC on and password sign-in off,
 * against the harness sandbox and a real identity provider (oidc-provider) started here on 127.0.0.1.
 */
const BREAK_GLASS = { email: "root@oidc.e2e.test", password: "break-glass-password-e2e" };

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test.describe("OIDC sign-in", () => {
  let provider: TestOidcProvider | undefined;
  let consoleServer: RunningConsole | undefined;
  let baseURL = "";

  test.beforeAll(async () => {
    test.setTimeout(90_000);
    const port = await freePort();
    const redirectUrl = `http://127.0.0.1:${port}/auth/oidc/callback`;
    provider = await startTestOidcProvider({ redirectUris: [redirectUrl] });
    consoleServer = await startConsole({
      COMMET_API_KEY: E2E_SANDBOX_KEY,
      COMMET_API_URL: process.env.E2E_SANDBOX_URL!,
      DATA_DIR: path.join(process.env.E2E_TMP_DIR!, "oidc-console"),
      PORT: String(port),
      CONSOLE_ADMIN_EMAIL: BREAK_GLASS.email,
      CONSOLE_ADMIN_PASSWORD: BREAK_GLASS.password,
      OIDC_ISSUER_URL: provider.issuer,
      OIDC_CLIENT_ID: provider.clientId,
      OIDC_CLIENT_SECRET: provider.clientSecret,
      OIDC_REDIRECT_URL: redirectUrl,
      OIDC_PROVIDER_NAME: "Test IdP",
      OIDC_SCOPES: "openid email profile groups",
      OIDC_ROLE_MAP: TEST_ROLE_MAP,
      CONSOLE_PASSWORD_SIGN_IN: "false",
    });
    baseURL = consoleServer.url;
  });
  test.afterAll(async () => {
    await consoleServer?.stop();
    await provider?.stop();
  });

  test("an OIDC sign-in lands with the mapped role", async ({ page, checkPage }) => {
    await page.goto(`${baseURL}/customers`);
    await expect(page).toHaveURL(/\/login\?redirectTo=%2Fcustomers$/);
    const button = page.getByRole("link", { name: "Sign in with Test IdP" });
    await expect(button).toBeVisible();
    // Password sign-in is off: no password field, only the audited break-glass way for the first-run admin.
    await expect(page.getByLabel("Password")).toHaveCount(0);
    await expect(page.getByRole("link", { name: "Break-glass sign-in" })).toBeVisible();
    await checkPage("login-with-oidc");

    await button.click();
    await expect(page).toHaveURL(new RegExp(`^${provider!.issuer}/interaction/`));
    await page.getByLabel("Username").fill("olivia");
    await page.getByRole("button", { name: "Continue" }).click();

    await expect(page).toHaveURL(`${baseURL}/customers`);
    await expect(page.locator(".role-badge")).toHaveText("ops");
    await expect(page.getByText("Olivia Ops")).toBeVisible();
    await checkPage("signed-in-as-ops");
    // The role is the mapped one: ops may not manage staff.
    const staffPage = await page.goto(`${baseURL}/admin/staff`);
    expect(staffPage?.status()).toBe(403);
  });

  test("a person without a mapped group is refused with a clear page", async ({ page, checkPage }) => {
    await page.goto(`${baseURL}/login`);
    await page.getByRole("link", { name: "Sign in with Test IdP" }).click();
    await page.getByLabel("Username").fill("nina");
    await page.getByRole("button", { name: "Continue" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "No access to the console" })).toBeVisible();
    await expect(page.getByTestId("oidc-refused")).toContainText(
      "You signed in as nina@idp.test, but none of your Test IdP groups gives access to the Commet Ops Console.",
    );
    await checkPage("refused-no-group");
    await page.goto(`${baseURL}/customers`);
    await expect(page).toHaveURL(/\/login\?redirectTo=/); // no session was started
  });

  test("a sign-in answered after another one started in the same browser is refused (state mismatch)", async ({
    page,
    context,
    checkPage,
  }) => {
    await page.goto(`${baseURL}/login`);
    await page.getByRole("link", { name: "Sign in with Test IdP" }).click();
    await expect(page.getByLabel("Username")).toBeVisible();
    // A second tab starts another sign-in: its flow cookie replaces the first one's.
    const other = await context.newPage();
    await other.goto(`${baseURL}/auth/oidc/start`);
    await expect(other.getByLabel("Username")).toBeVisible();
    await other.close();
    await page.getByLabel("Username").fill("olivia");
    await page.getByRole("button", { name: "Continue" }).click();
    await expect(page.getByTestId("oidc-refused")).toHaveAttribute("data-error", "state_mismatch");
    await expect(page.getByTestId("oidc-refused")).toContainText(
      "(state mismatch). Nothing was signed in: start again.",
    );
    await checkPage("refused-state-mismatch");
  });

  test("break-glass: the first-run admin signs in with a password and a reason", async ({ page, checkPage }) => {
    await page.goto(`${baseURL}/login`);
    await page.getByRole("link", { name: "Break-glass sign-in" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Break-glass sign-in" })).toBeVisible();
    await page.getByLabel("Email").fill(BREAK_GLASS.email);
    await page.getByLabel("Password").fill(BREAK_GLASS.password);
    await page.getByRole("button", { name: "Sign in (break-glass)" }).click();
    await expect(page.getByText(/Say why you need break-glass access/)).toBeVisible();
    await checkPage("break-glass-needs-reason");
    await page.getByLabel("Password").fill(BREAK_GLASS.password);
    await page.getByLabel("Reason for break-glass access").fill("Test IdP outage, incident E2E-1");
    await page.getByRole("button", { name: "Sign in (break-glass)" }).click();
    await expect(page.locator(".role-badge")).toHaveText("admin");
    await page.goto(`${baseURL}/audit?action=sign_in.break_glass`);
    // Flagged in the trail as break-glass, with the reason given.
    await expect(page.getByRole("row").filter({ hasText: "sign_in.break_glass" }).first()).toContainText(
      "Test IdP outage, incident E2E-1",
    );
    await checkPage("audit-break-glass");
  });
});
