import type { Page } from "@playwright/test";
import { expect, expectAccessible, keepScreenshot, test } from "./support/fixtures.ts";
import { freshProCustomer, sandboxSdk, seatCount } from "./support/ops-sdk.ts";
import { E2E_ACCOUNTS, postSignIn } from "./support/staff-accounts.ts";

/**
 * Four-eyes approvals: ops asks for 20 → 200 seats — held, nothing reaches Commet; the requester sees the
 * request but cannot approve it (no controls; a forged POST gets 403); an admin opens it beside a fresh
 * preview, the world changes meanwhile (409 with the new preview, acknowledged), and Commet applies it
 * once. Counts are read from Commet through the SDK. A fresh customer: no other journey uses it.
 */
const commet = sandboxSdk();

async function requestSeats(page: Page, customer: { id: string; email: string }, to: number) {
  await page.goto(`/customers/${customer.id}`);
  const form = page.getByRole("form", { name: "Change seats" });
  await expect(form.getByRole("button", { name: "Preview change" })).toBeEnabled({ timeout: 30_000 }); // hydrated
  await form.getByLabel("Seat type").selectOption("editor");
  await form.getByLabel("Set exact").check();
  await form.getByLabel("New seat count").fill(String(to));
  await form.getByLabel("Reason").selectOption("sales_agreement");
  await form.getByLabel(/^Details/).fill("contract 2026-114");
  await form.getByRole("button", { name: "Preview change" }).click();
  const dialog = page.getByRole("dialog", { name: "Confirm seat change" });
  await expect(dialog.getByTestId("seat-effect")).toContainText(`20 → ${to}`);
  await dialog.getByLabel(/type the customer.s email/).fill(customer.email);
  await dialog.getByRole("button", { name: "Apply change" }).click();
  await expect(dialog).toBeHidden();
}

test("ops asks for 20 → 200 seats; an admin approves after the fresh preview; Commet applies it once", async ({
  page,
  browser,
  baseURL,
  signInAs,
  checkPage,
}, testInfo) => {
  const customer = await freshProCustomer(commet, "approvals", { editor: 20 });
  await signInAs("ops");
  await requestSeats(page, customer, 200);
  await expect(page.getByTestId("toast")).toContainText("Sent for approval: ops or admin (someone other than you)");
  await expect(page.getByTestId("toast")).toHaveAttribute("data-tone", "info");
  expect(await seatCount(commet, customer.id, "editor")).toBe(20); // held: nothing sent
  await checkPage("sent for approval");

  // The requester sees their request, without the controls to decide it.
  await page.goto("/approvals");
  const mine = page.getByTestId("approvals-mine").locator("tr", { hasText: customer.id });
  await expect(mine).toContainText("Editor seats 20 → 200");
  await expect(page.getByTestId("approvals-to-decide").locator("tr", { hasText: customer.id })).toHaveCount(0);
  await mine.getByRole("link", { name: /Editor seats 20 → 200/ }).click();
  await expect(page.getByTestId("cannot-decide")).toContainText("You asked for this change");
  await expect(page.getByRole("button", { name: "Approve and apply" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Reject" })).toHaveCount(0);
  await checkPage("own request");
  const requestUrl = page.url();

  // A forged approval by the requester is refused on the server.
  const admin = await browser.newContext({ baseURL });
  try {
    await postSignIn(admin.request, baseURL!, E2E_ACCOUNTS.admin);
    const second = await admin.newPage();
    await second.goto("/approvals");
    await expect(second.getByTestId("approvals-count")).toBeVisible();
    const row = second.getByTestId("approvals-to-decide").locator("tr", { hasText: customer.id });
    await expect(row).toContainText("Editor seats 20 → 200");
    await expect(row).toContainText(E2E_ACCOUNTS.ops.email);
    await keepScreenshot(second, testInfo, "inbox");
    await expectAccessible(second, testInfo, "inbox");

    await row.getByRole("link", { name: /Editor seats 20 → 200/ }).click();
    await expect(second).toHaveURL(requestUrl);
    const fresh = second.getByTestId("fresh-preview");
    await expect(fresh.locator('tr[data-label="Seats now"] td')).toHaveText("20");
    await expect(fresh.locator('tr[data-label="After the change"] td')).toHaveText("200");
    await keepScreenshot(second, testInfo, "approval view");
    await expectAccessible(second, testInfo, "approval view");

    const fingerprint = await second.locator('input[name="fingerprint"]').inputValue();
    const forged = await page.request.post(requestUrl, {
      form: { intent: "approve", fingerprint },
      headers: { Origin: new URL(baseURL!).origin },
    });
    expect(forged.status()).toBe(403);
    expect(await seatCount(commet, customer.id, "editor")).toBe(20);

    // Someone else changes the seats while the admin looks: the approval meets the new world (409).
    await commet.seats.set({ customerId: customer.id, featureCode: "editor", count: 22 });
    await second.getByRole("button", { name: "Approve and apply" }).click();
    await expect(second.getByTestId("decision-result")).toContainText(
      "The world changed since you opened this request",
    );
    await expect(second.getByTestId("approval-differences")).toContainText("Seats now");
    await expect(fresh.locator('tr[data-label="Seats now"] td')).toContainText("22");
    expect(await seatCount(commet, customer.id, "editor")).toBe(22);
    await keepScreenshot(second, testInfo, "approval view changed");
    await expectAccessible(second, testInfo, "approval view changed");

    // Acknowledged: approved and applied, once.
    await second.getByLabel(/I have seen what changed/).check();
    await second.getByRole("button", { name: "Approve and apply" }).click();
    await expect(second.getByTestId("decision-result")).toContainText("Approved and applied in Commet");
    await expect(second.getByTestId("approval-status")).toHaveText("Approved");
    expect(await seatCount(commet, customer.id, "editor")).toBe(200);
    const again = await second.request.post(requestUrl, {
      form: { intent: "approve", fingerprint: "0".repeat(64) },
      headers: { Origin: new URL(baseURL!).origin },
    });
    expect(again.status()).toBe(409);
    expect(await seatCount(commet, customer.id, "editor")).toBe(200);

    // The requester's view: approved, applied; the customer's activity names both people.
    await page.goto(requestUrl);
    await expect(page.getByTestId("approval-outcome")).toContainText(`Approved by ${E2E_ACCOUNTS.admin.email}`);
    await expect(page.getByTestId("approval-outcome")).toContainText("Commet applied it");
    await page.goto(`/customers/${customer.id}?activity=staff`);
    const activity = page.locator('[data-panel="activity"]').getByTestId("activity-list");
    await expect(activity).toContainText(`Approved by ${E2E_ACCOUNTS.admin.email}`);
    await expect(activity).toContainText(`Sent for approval by ${E2E_ACCOUNTS.ops.email}`);
    await expect(activity).toContainText(`approved by ${E2E_ACCOUNTS.admin.email}`);
    await checkPage("activity with approval");
  } finally {
    await admin.close();
  }
});

test("an admin edits the approval policy; the change is in the audit trail", async ({ page, signInAs, checkPage }) => {
  await signInAs("admin");
  await page.goto("/admin/approvals");
  const rule = page.getByRole("form", { name: "Plan downgrades" });
  await expect(rule.getByLabel(/Plan downgrades/)).not.toBeChecked();
  await checkPage("approval policy");
  await rule.getByLabel("finance", { exact: true }).check();
  await rule.getByLabel("ops", { exact: true }).uncheck();
  await rule.getByLabel("admin", { exact: true }).uncheck();
  await rule.getByLabel("finance", { exact: true }).uncheck();
  await rule.getByRole("button", { name: "Save" }).click();
  await expect(rule.locator(".field-error")).toContainText("Choose at least one role");
  await rule.getByLabel("admin", { exact: true }).check();
  await rule.getByRole("button", { name: "Save" }).click();
  await expect(page.getByTestId("policy-result")).toContainText("Plan downgrades: saved");
  await expect(rule).toContainText(`Changed by ${E2E_ACCOUNTS.admin.email}`);
  await page.goto("/audit?action=approvals.policy_change");
  await expect(page.getByRole("table").first()).toContainText("approvals.policy_change");
  await checkPage("policy change audited");
});
