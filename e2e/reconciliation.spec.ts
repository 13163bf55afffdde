import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "./support/fixtures.ts";
import { startConsole, type RunningConsole } from "./support/console-server.ts";
import { E2E_ACCOUNTS, seedStaffAccounts } from "./support/staff-accounts.ts";

/**
 * Finance opens the closed-period reconciliation report and exports it: the CSV has the rows the page counts.
 * Own console in embedded-sandbox mode (as usage.spec.ts): the demo organization's closed periods are invoiced by
 * the sandbox and its usage history reaches the timeline through signed webhooks.
 */
test.describe.configure({ timeout: 420_000 });

let running: RunningConsole;
let base: string;
let tmp: string;

test.beforeAll(async () => {
  test.setTimeout(180_000);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "commet-e2e-recon-"));
  await seedStaffAccounts(tmp);
  running = await startConsole(
    { DATA_DIR: tmp, COMMET_API_KEY: "", COMMET_API_URL: "", COMMET_WEBHOOK_SECRET: "" },
    150_000,
  );
  base = running.url;
});

test.afterAll(async () => {
  await running?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test("finance opens the reconciliation report and its CSV holds the rows the page counts", async ({ page }) => {
  const login = await page.request.post(`${base}/login`, {
    form: { email: E2E_ACCOUNTS.finance.email, password: E2E_ACCOUNTS.finance.password, redirectTo: "/" },
    headers: { Origin: base },
    maxRedirects: 0,
  });
  expect(login.status()).toBe(302);

  await page.goto(`${base}/`);
  await page.getByRole("link", { name: "Reconciliation" }).click();
  await expect(page.getByRole("heading", { name: /Usage reconciliation/ })).toBeVisible();
  await expect(page.getByTestId("recon-summary")).toBeVisible();

  // The seeded history replays oldest first (minutes): wait until the timeline reaches yesterday, then page and CSV
  // read the same timeline.
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  await expect(async () => {
    await page.goto(`${base}/usage?range=90d`);
    const last = (await page.getByTestId("ingest-status").getAttribute("data-last-day", { timeout: 2_000 })) ?? "";
    expect(last >= yesterday, `history up to ${last}`).toBe(true);
  }).toPass({ timeout: 240_000, intervals: [3_000] });
  await expect(async () => {
    await page.goto(`${base}/usage/reconciliation?show=all`);
    const summary = page.getByTestId("recon-summary");
    const compared = Number(await summary.getAttribute("data-compared"));
    const invoices = Number(await summary.getAttribute("data-invoices"));
    expect(invoices).toBeGreaterThan(0);
    const shown = await page.getByTestId("recon-table").locator("tbody tr").count();
    expect(shown).toBe(compared);
    const download = page.waitForEvent("download");
    await page.getByTestId("recon-export").click();
    const file = await (await download).path();
    const lines = fs.readFileSync(file!, "utf8").trim().split(/\r?\n/);
    expect(lines[0]).toContain("customer_external_id,customer_name");
    expect(lines.length - 1).toBe(compared);
    const flagged = Number(await summary.getAttribute("data-flagged"));
    expect(lines.slice(1).filter((l) => !l.endsWith(",match")).length).toBe(flagged);
  }).toPass({ timeout: 120_000, intervals: [3_000] });
  await page.goto(`${base}/usage/reconciliation`);
  await page.screenshot({ path: path.join(os.tmpdir(), "recon-page.png") });
});
