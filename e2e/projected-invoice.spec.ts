import { expect, test } from "./support/fixtures.ts";
import { sandboxSdk } from "./support/ops-sdk.ts";

/**
 * The projected next invoice on the customer page: finance sees the estimate of a Business customer's renewal
 * (base price from the plan Commet returns, the period from the subscription, the assumptions), and a customer
 * without a subscription says there is nothing to project. Read only: usr_000008 and usr_000009.
 */
const commet = sandboxSdk();

test("finance reads the projected next invoice of a customer", async ({ page, signInAs, checkPage }) => {
  const sub = (await commet.subscriptions.getActive({ customerId: "usr_000008" })).data!;
  expect(sub.currentPeriod, "usr_000008 is seeded with an active Business subscription").toBeTruthy();

  await signInAs("finance");
  await page.goto("/customers/usr_000008");
  const panel = page.locator('[data-panel="projected-invoice"]');
  await expect(panel.getByRole("heading", { name: "Projected next invoice" })).toBeVisible();
  await expect(panel.getByText("Estimate", { exact: true })).toBeVisible();
  const base = panel.locator('tr[data-line="base"]');
  await expect(base).toContainText("Business plan (monthly)");
  await expect(base).toContainText("$299.00");
  await expect(panel.locator(`time[datetime="${sub.currentPeriod!.end}"]`).first()).toBeVisible();
  // Business includes 1,000,000 API calls at $0.0005 beyond: the usage line shows this period's count from Commet.
  const used = sub.features!.find((f) => f.code === "api_calls")!.usage!.current;
  const usage = panel.locator('tr[data-line="overage"]');
  await expect(usage).toContainText("API calls beyond the included 1,000,000 calls");
  await expect(usage).toContainText(`${used.toLocaleString("en-US")} `);
  await expect(usage).toContainText("$0.0005");
  await expect(panel.getByText("Assumptions")).toBeVisible();
  await expect(panel.getByText(/Tax, credits on account and add-ons are not included/)).toBeVisible();
  const money = (text: string) => Number(text.replace(/[^0-9.]/g, ""));
  const soFar = money(await panel.getByTestId("estimate-so-far").innerText());
  const projected = money(await panel.getByTestId("estimate-projected").innerText());
  expect(soFar).toBeGreaterThanOrEqual(299);
  expect(projected).toBeGreaterThanOrEqual(soFar);
  await panel.scrollIntoViewIfNeeded();
  await panel.screenshot({ path: test.info().outputPath("projected-invoice.png") });
  await checkPage("projected next invoice (finance)");

  await page.goto("/customers/usr_000009");
  await expect(page.locator('[data-panel="projected-invoice"]').getByTestId("projected-none")).toContainText(
    "No active subscription",
  );
});
