import path from "node:path";
import { E2E_SANDBOX_KEY } from "./global-setup.ts";
import { startConsole, type RunningConsole } from "./support/console-server.ts";
import { expect, test } from "./support/fixtures.ts";
import { freshProCustomer, sandboxSdk, seatCount } from "./support/ops-sdk.ts";
import { E2E_ACCOUNTS, postSignIn, seedStaffAccounts } from "./support/staff-accounts.ts";

/**
 * Writes that resolve themselves (docs/decisions/0016-writes-resolve-themselves.md): a seat change whose
 * answer is lost after Commet applied it shows "awaiting confirmation" on the customer page, then the
 * console's background resolver re-sends it with its key and the notice turns to "confirmed" — applied once.
 * Runs its own console (the harness console has the resolver off so the audit journeys settle by hand).
 */
const commet = sandboxSdk();

async function setFaults(rules: unknown[]) {
  const response = await fetch(new URL("/__sandbox/faults", process.env.E2E_SANDBOX_URL), {
    method: rules.length ? "PUT" : "DELETE",
    headers: { "x-api-key": E2E_SANDBOX_KEY, "content-type": "application/json" },
    body: rules.length ? JSON.stringify(rules) : undefined,
  });
  expect(response.ok).toBe(true);
}

test("a seat change with an unknown outcome shows “awaiting confirmation”, then settles by itself, applied once", async ({
  page,
  checkPage,
}, testInfo) => {
  test.setTimeout(150_000);
  const dataDir = path.join(testInfo.outputDir, "data");
  await seedStaffAccounts(dataDir);
  let consoleServer: RunningConsole | undefined;
  try {
    consoleServer = await startConsole({
      COMMET_API_KEY: E2E_SANDBOX_KEY,
      COMMET_API_URL: process.env.E2E_SANDBOX_URL!,
      DATA_DIR: dataDir,
      WRITE_RESOLVER_INTERVAL_SECONDS: "2",
    });
    const url = consoleServer.url;
    const customer = await freshProCustomer(commet, "resolver", { editor: 10 });
    await postSignIn(page.request, url, E2E_ACCOUNTS.ops);

    await page.goto(`${url}/customers/${customer.id}`);
    const form = page.getByRole("form", { name: "Change seats" });
    await expect(form.getByRole("button", { name: "Preview change" })).toBeEnabled({ timeout: 30_000 });
    await expect(page.getByTestId("awaiting-confirmation")).toHaveCount(0);

    // The first request is applied but its answer lost; the next six fail with 500 (errorRate 0.86 over 7
    // requests fails all but the first): the SDK's 3 retries end in "outcome unknown", and the resolver's
    // re-send meets 500s for 1 + 2 + 4 s before Commet replays the stored answer — the notice shows meanwhile.
    await setFaults([
      { route: "POST /api/v1/seats", applyThenDrop: true, times: 1 },
      { route: "POST /api/v1/seats", errorRate: 0.86, errorStatus: 500, times: 7 },
    ]);
    await form.getByLabel("Seat type").selectOption("editor");
    await form.getByLabel("Add").check();
    await form.getByLabel("Seats", { exact: true }).fill("2");
    await form.getByLabel("Reason").selectOption("customer_request");
    await form.getByLabel(/^Details/).fill("ticket-resolver");
    await form.getByRole("button", { name: "Preview change" }).click();
    const dialog = page.getByRole("dialog", { name: "Confirm seat change" });
    await dialog.getByRole("button", { name: "Apply change" }).click();

    const notice = page.getByTestId("awaiting-confirmation");
    await expect(notice).toBeVisible({ timeout: 60_000 });
    await expect(notice).toContainText("awaiting confirmation");
    await expect(notice).toContainText("seat change by you");
    await checkPage("awaiting confirmation");

    await expect(page.getByTestId("nav-unsettled")).toHaveText("My unsettled1");
    const settled = page.getByTestId("awaiting-confirmation-settled");
    await expect(settled).toBeVisible({ timeout: 45_000 });
    expect(await seatCount(commet, customer.id, "editor")).toBe(12);
    await checkPage("confirmed");
    // On request the page catches up: the navigation count is gone.
    await settled.getByRole("button", { name: "Refresh this page's data" }).click();
    await expect(page.getByTestId("nav-unsettled")).toHaveText("My unsettled");

    await page.goto(`${url}/writes/mine`);
    await expect(page.getByTestId("unsettled-writes-empty")).toBeVisible();
    await checkPage("my unsettled writes, empty");
  } finally {
    await setFaults([]);
    await consoleServer?.stop();
  }
});
