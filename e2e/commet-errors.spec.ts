import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { startConsole, type RunningConsole } from "./support/console-server.ts";
import { expect, test } from "./support/fixtures.ts";
import { seedStaffAccounts, signInPageAs } from "./support/staff-accounts.ts";

/**
 * When Commet rejects the key or cannot be reached, the page says so plainly
 * and names the variable to check. Each case runs its own production console.
 */
async function closedPortUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

test.describe("Commet failures", () => {
  let consoleServer: RunningConsole | undefined;
  test.afterEach(async () => {
    await consoleServer?.stop();
    consoleServer = undefined;
  });

  test("a key Commet rejects → the page says to check COMMET_API_KEY", async ({ page, checkPage }, testInfo) => {
    await seedStaffAccounts(path.join(testInfo.outputDir, "data"));
    consoleServer = await startConsole({
      COMMET_API_KEY: "ck_wrong_key_for_this_sandbox",
      COMMET_API_URL: process.env.E2E_SANDBOX_URL!,
      DATA_DIR: path.join(testInfo.outputDir, "data"),
    });
    await signInPageAs(page, consoleServer.url, "support"); // signing in needs no Commet call
    const response = await page.goto(consoleServer.url);
    expect(response?.status()).toBe(502);
    await expect(page.getByRole("heading", { level: 1, name: "Commet rejected the API key" })).toBeVisible();
    await expect(page.getByTestId("error-message")).toHaveText("Commet rejected the API key — check COMMET_API_KEY");
    await expect(page.getByRole("alert").locator("code", { hasText: "COMMET_API_KEY" })).toBeVisible();
    await expect(page.getByTestId("mode-banner")).toHaveText("Mode unknown");
    await expect(page.getByRole("link", { name: "Try again" })).toHaveCount(0); // a wrong key needs a fix, not a retry
    await expect(page.locator("body")).not.toContainText("ck_wrong_key_for_this_sandbox");
    await expect(page.locator("body")).not.toContainText(/at .*\.(js|ts):\d+/); // no stack trace
    await checkPage("rejected-key");
  });

  test("Commet unreachable → the page says to check COMMET_API_URL", async ({ page, checkPage }, testInfo) => {
    const url = await closedPortUrl();
    await seedStaffAccounts(path.join(testInfo.outputDir, "data"));
    consoleServer = await startConsole({
      COMMET_API_KEY: "ck_local_sandbox",
      COMMET_API_URL: url,
      DATA_DIR: path.join(testInfo.outputDir, "data"),
    });
    await signInPageAs(page, consoleServer.url, "support");
    // The SDK retries network errors 3 times (about 7 s) before giving up.
    const response = await page.goto(consoleServer.url, { timeout: 45_000 });
    expect(response?.status()).toBe(502);
    await expect(page.getByTestId("error-message")).toHaveText(
      `Commet cannot be reached at ${url} — check COMMET_API_URL / network`,
    );
    await expect(page.getByRole("link", { name: "Try again" })).toBeVisible();
    await checkPage("unreachable");
  });
});
