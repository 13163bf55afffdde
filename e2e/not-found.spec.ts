import { expect, test } from "./support/fixtures.ts";

test("an unknown URL answers 404 with the not-found page inside the console", async ({ page, checkPage, signInAs }) => {
  await signInAs("support");
  const response = await page.goto("/no/such/page");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { level: 1, name: "Page not found" })).toBeVisible();
  await expect(page.getByTestId("mode-banner")).toHaveText("SANDBOX");
  await checkPage("not-found");

  await page.getByRole("link", { name: "Go to the overview" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Overview" })).toBeVisible();
  await checkPage("overview-after-404");
});
