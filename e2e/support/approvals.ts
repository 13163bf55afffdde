import type { Browser } from "@playwright/test";
import type { Role } from "../../app/contracts/permissions.ts";
import { expect } from "./fixtures.ts";
import { E2E_ACCOUNTS, postSignIn } from "./staff-accounts.ts";

/**
 * A second person approves the pending request about `customerId` in their own browser: the inbox, the
 * request beside its fresh preview, "Approve and apply" — as the four-eyes policy asks of held writes.
 */
export async function approveInAnotherBrowser(browser: Browser, baseURL: string, role: Role, customerId: string) {
  const context = await browser.newContext({ baseURL });
  try {
    await postSignIn(context.request, baseURL, E2E_ACCOUNTS[role]);
    const page = await context.newPage();
    await page.goto("/approvals");
    const row = page.getByTestId("approvals-to-decide").locator("tr", { hasText: customerId });
    await row.locator("td").first().getByRole("link").click();
    await expect(page.getByTestId("fresh-preview")).toBeVisible();
    await page.getByRole("button", { name: "Approve and apply" }).click();
    await expect(page.getByTestId("decision-result")).toContainText("Approved and applied in Commet");
  } finally {
    await context.close();
  }
}
