import type { Page } from "@playwright/test";
import { expect, test } from "./support/fixtures.ts";
import { freshProCustomer, sandboxSdk } from "./support/ops-sdk.ts";

/**
 * Subscription actions on the customer page, against the seeded sandbox's fixed customers:
 * ops upgrades Starter → Pro after Commet's quote (usr_000013), ops downgrades Business → Pro and
 * sees it scheduled (usr_000014), support schedules a cancellation and reverts it (usr_000015), ops
 * cancels a fresh customer now after typing the confirmation.
 * Every effect is checked in Commet through the SDK.
 */
const commet = sandboxSdk();
const active = async (customerId: string) => (await commet.subscriptions.getActive({ customerId })).data;

async function openActions(page: Page, customerId: string) {
  await page.goto(`/customers/${customerId}`);
  const panel = page.locator('[data-panel="subscription-actions"]');
  await expect(panel.getByTestId("subscription-state")).toBeVisible({ timeout: 30_000 });
  return panel;
}

async function choosePlan(page: Page, panel: ReturnType<Page["locator"]>, planName: string) {
  const form = panel.getByRole("form", { name: "Change plan" });
  await expect(form.getByRole("button", { name: "Preview change" })).toBeEnabled(); // hydrated
  const option = form.getByLabel("New plan").locator("option", { hasText: planName });
  await form.getByLabel("New plan").selectOption((await option.getAttribute("value"))!);
  await form.getByLabel("Reason").selectOption("customer_request");
  await form.getByLabel(/^Details/).fill("ticket 5121");
  await form.getByRole("button", { name: "Preview change" }).click();
}

test("ops upgrades a plan after the preview", async ({ page, signInAs, checkPage }) => {
  expect((await active("usr_000013"))?.plan.name).toBe("Starter");
  await signInAs("ops");
  const panel = await openActions(page, "usr_000013");
  await expect(page.getByTestId("plan-name")).toHaveText("Starter");
  await checkPage("subscription actions (ops)");

  await choosePlan(page, panel, "Pro");
  const dialog = page.getByRole("dialog", { name: "Confirm plan change" });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByTestId("plan-arrow")).toHaveText("Starter → Pro");
  // Commet's quote: credit for the unused Starter days, the Pro charge, the total, the effective date.
  await expect(dialog.getByTestId("plan-credit")).toHaveText(/^−\$\d[\d,]*\.\d\d$/);
  await expect(dialog.getByTestId("plan-charge")).toHaveText(/^\$\d[\d,]*\.\d\d$/);
  await expect(dialog.getByTestId("plan-total")).toHaveText(/^\$\d[\d,]*\.\d\d$/);
  await expect(dialog.getByTestId("plan-effective")).toContainText("(now)");
  await expect(dialog.getByTestId("plan-effect")).toContainText("Starter → Pro now:");
  await checkPage("plan change quote");
  expect((await active("usr_000013"))?.plan.name).toBe("Starter"); // the quote wrote nothing

  await dialog.getByRole("button", { name: "Change to Pro now" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId("toast")).toHaveAttribute("data-tone", "success");
  await expect(page.getByTestId("toast")).toContainText("Plan changed: Starter → Pro");
  await expect(page.getByTestId("plan-name")).toHaveText("Pro"); // the page refreshed without a reload
  expect((await active("usr_000013"))?.plan.name).toBe("Pro");
  await checkPage("plan changed");
});

test("ops downgrades a plan: it shows as scheduled for the period end", async ({ page, signInAs, checkPage }) => {
  const before = await active("usr_000014");
  expect(before?.plan.name).toBe("Business");
  await signInAs("ops");
  const panel = await openActions(page, "usr_000014");
  await choosePlan(page, panel, "Pro");
  const dialog = page.getByRole("dialog", { name: "Confirm scheduled plan change" });
  await expect(dialog.getByTestId("plan-effective")).toContainText("end of the period, no charge now");
  await expect(dialog.getByTestId("plan-effect")).toContainText("nothing is charged or refunded now");
  await checkPage("downgrade confirmation");
  await dialog.getByRole("button", { name: "Schedule plan change" }).click();
  await expect(page.getByTestId("toast")).toContainText("Plan change scheduled: Business → Pro on");
  await expect(panel.getByTestId("scheduled-plan-change")).toContainText("Business → Pro on");
  await expect(page.getByTestId("plan-name")).toHaveText("Business");
  const after = await active("usr_000014");
  expect(after?.plan.name).toBe("Business");
  expect(after?.scheduledPlanChange).toMatchObject({ newPlanName: "Pro", scheduledFor: before?.currentPeriod?.end });
  await checkPage("downgrade scheduled");
});

test("support schedules a cancellation and reverts it", async ({ page, baseURL, signInAs, checkPage }) => {
  const before = await active("usr_000015");
  expect(before).toMatchObject({ status: "active", cancelAtPeriodEnd: false });
  await signInAs("support");
  const panel = await openActions(page, "usr_000015");
  // Support may cancel at the period end and revert, not cancel now or change plans.
  await expect(panel.getByRole("form", { name: "Change plan" })).toHaveCount(0);
  await expect(panel.getByRole("form", { name: "Cancel now" })).toHaveCount(0);

  const cancel = panel.getByRole("form", { name: "Cancel at the end of the period" });
  await expect(cancel.getByRole("button", { name: "Schedule cancellation…" })).toBeEnabled();
  await cancel.getByRole("button", { name: "Schedule cancellation…" }).click();
  await expect(cancel.getByText("Choose a reason", { exact: true })).toBeVisible(); // checked before any dialog
  await expect(page.getByRole("dialog")).toBeHidden();
  await cancel.getByLabel("Reason").selectOption("too_expensive");
  await cancel.getByLabel(/^Details/).fill("ticket 5120");
  await cancel.getByRole("button", { name: "Schedule cancellation…" }).click();
  const dialog = page.getByRole("dialog", { name: "Confirm cancellation" });
  await expect(dialog.getByTestId("cancel-effect")).toContainText("stays active until");
  await checkPage("cancellation confirmation");
  await dialog.getByRole("button", { name: "Schedule cancellation" }).click();
  await expect(page.getByTestId("toast")).toContainText("Cancellation scheduled: Pro stays active until");
  await expect(panel.getByTestId("scheduled-cancellation")).toContainText("Cancellation scheduled: ends on");
  const scheduled = await active("usr_000015");
  expect(scheduled).toMatchObject({ status: "active", cancelAtPeriodEnd: true });
  expect(scheduled?.cancellation?.effectiveAt).toBe(before?.currentPeriod?.end);
  await checkPage("cancellation scheduled");

  // A forged immediate cancellation by support is refused by the server.
  const forged = await page.request.post("/customers/usr_000015/subscription", {
    form: {
      intent: "cancel-now",
      subscriptionId: before!.id,
      reasonCode: "too_expensive",
      idempotencyKey: "forged-cancel-now-1",
      confirmText: "CANCEL",
    },
    headers: { Origin: new URL(baseURL!).origin },
    maxRedirects: 0,
  });
  expect(forged.status()).toBe(403);

  const revert = panel.getByRole("form", { name: "Revert the cancellation" });
  await revert.getByLabel("Reason").selectOption("customer_changed_mind");
  await revert.getByRole("button", { name: "Revert cancellation…" }).click();
  const confirmRevert = page.getByRole("dialog", { name: "Confirm revert" });
  await confirmRevert.getByRole("button", { name: "Revert cancellation" }).click();
  await expect(page.getByTestId("toast")).toContainText("Cancellation reverted: Pro continues");
  await expect(panel.getByTestId("scheduled-cancellation")).toHaveCount(0);
  await expect(panel.getByRole("form", { name: "Cancel at the end of the period" })).toBeVisible();
  const reverted = await active("usr_000015");
  expect(reverted).toMatchObject({ status: "active", cancelAtPeriodEnd: false, cancellation: null });
  await checkPage("cancellation reverted");
});

test("ops cancels a subscription now after typing the confirmation", async ({ page, signInAs, checkPage }) => {
  const customer = await freshProCustomer(commet, "cancel-now");
  await signInAs("ops");
  const panel = await openActions(page, customer.id);
  const form = panel.getByRole("form", { name: "Cancel now" });
  await expect(form.getByRole("button", { name: "Cancel now…" })).toBeEnabled();
  await form.getByLabel("Reason").selectOption("business_closed");
  await form.getByRole("button", { name: "Cancel now…" }).click();
  const dialog = page.getByRole("dialog", { name: "Confirm immediate cancellation" });
  await expect(dialog.getByTestId("cancel-now-effect")).toContainText("Pro ends now and access is revoked");
  const typed = dialog.getByLabel(/Type the customer.s email/);
  await typed.fill("not-the-customer@example.test");
  await dialog.getByRole("button", { name: "Cancel subscription now" }).click();
  await expect(dialog.getByText("That is neither the customer's email nor CANCEL")).toBeVisible();
  await checkPage("cancel now refused confirmation");
  expect((await active(customer.id))?.status).toBe("active");
  await typed.fill(customer.email);
  await dialog.getByRole("button", { name: "Cancel subscription now" }).click();
  await expect(page.getByTestId("toast")).toContainText("Subscription canceled now: Pro ended");
  await expect(panel.getByText("No active subscription: nothing to cancel or change.")).toBeVisible();
  expect(await active(customer.id)).toBeNull();
  await checkPage("canceled now");
});
