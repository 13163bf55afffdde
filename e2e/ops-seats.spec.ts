import type { Page } from "@playwright/test";
import { expect, test } from "./support/fixtures.ts";
import { freshProCustomer, sandboxSdk, seatCount } from "./support/ops-sdk.ts";
import { E2E_ACCOUNTS, postSignIn } from "./support/staff-accounts.ts";

/**
 * Seats: an ops user changes seats through preview → confirmation → apply; a change made in
 * another browser meanwhile is refused with the fresh count; support sees no controls and a forged
 * POST is refused. Every outcome is checked in Commet through the SDK.
 */
const commet = sandboxSdk();

async function openCustomer(page: Page, customerId: string) {
  await page.goto(`/customers/${customerId}`);
  const form = page.getByRole("form", { name: "Change seats" });
  await expect(form.getByRole("button", { name: "Preview change" })).toBeEnabled({ timeout: 30_000 }); // hydrated
  return form;
}

async function fillSeatChange(
  page: Page,
  change: { seatType: string; op: "Set exact" | "Add" | "Remove"; quantity: number },
) {
  const form = page.getByRole("form", { name: "Change seats" });
  await form.getByLabel("Seat type").selectOption(change.seatType);
  await form.getByLabel(change.op).check();
  await form
    .getByLabel(change.op === "Set exact" ? "New seat count" : "Seats", { exact: true })
    .fill(String(change.quantity));
  await form.getByLabel("Reason").selectOption("customer_request");
  await form.getByLabel(/^Details/).fill("ticket-4812");
  await form.getByRole("button", { name: "Preview change" }).click();
  const dialog = page.getByRole("dialog", { name: "Confirm seat change" });
  await expect(dialog).toBeVisible();
  return dialog;
}

test("ops sets seats after a confirmation; a change made meanwhile in another browser is refused as stale", async ({
  page,
  browser,
  baseURL,
  signInAs,
  checkPage,
}) => {
  const customer = await freshProCustomer(commet, "seats", { editor: 10 });
  await signInAs("ops");
  const form = await openCustomer(page, customer.id);
  await expect(form.getByTestId("seat-seen")).toHaveText("10");
  await checkPage("seat form");

  // Preview states the effect; nothing is written before "Apply".
  const dialog = await fillSeatChange(page, { seatType: "editor", op: "Add", quantity: 3 });
  await expect(dialog.getByTestId("seat-effect")).toContainText("10 → 13");
  await expect(dialog.getByTestId("seat-effect")).toContainText("prorated charge");
  await checkPage("seat confirmation");
  expect(await seatCount(commet, customer.id, "editor")).toBe(10);
  await dialog.getByRole("button", { name: "Apply change" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId("toast")).toBeVisible();
  await expect(page.getByTestId("toast")).toHaveAttribute("data-tone", "success");
  expect(await seatCount(commet, customer.id, "editor")).toBe(13);
  await expect(page.getByTestId("seats-editor")).toHaveText("13"); // the panel refreshed without a reload
  await expect(form.getByTestId("seat-seen")).toHaveText("13");
  await checkPage("seat toast");

  // The first staffer opens the confirmation of 13 → 15 …
  const stale = await fillSeatChange(page, { seatType: "editor", op: "Add", quantity: 2 });
  await expect(stale.getByTestId("seat-effect")).toContainText("13 → 15");

  // … while a second staffer, in another browser, sets 14.
  const other = await browser.newContext({ baseURL });
  try {
    await postSignIn(other.request, baseURL!, E2E_ACCOUNTS.ops);
    const second = await other.newPage();
    await openCustomer(second, customer.id);
    const secondDialog = await fillSeatChange(second, { seatType: "editor", op: "Set exact", quantity: 14 });
    await secondDialog.getByRole("button", { name: "Apply change" }).click();
    await expect(second.getByTestId("toast")).toHaveAttribute("data-tone", "success");
  } finally {
    await other.close();
  }
  expect(await seatCount(commet, customer.id, "editor")).toBe(14);

  // The first staffer's apply meets the fresh count: refused, nothing written, the fresh value shown.
  await stale.getByRole("button", { name: "Apply change" }).click();
  await expect(page.getByTestId("seat-stale")).toContainText("changed from 13 to 14 since you opened this page");
  await expect(form.getByTestId("seat-seen")).toHaveText("14");
  await expect(page.getByRole("dialog")).toBeHidden();
  expect(await seatCount(commet, customer.id, "editor")).toBe(14);
  await checkPage("seat stale refusal");
});

test("a large seat change needs the customer's email typed to confirm, then goes for approval", async ({
  page,
  signInAs,
  checkPage,
}) => {
  const customer = await freshProCustomer(commet, "seats-large", { editor: 4 });
  await signInAs("ops");
  await openCustomer(page, customer.id);
  const dialog = await fillSeatChange(page, { seatType: "editor", op: "Set exact", quantity: 40 });
  const email = dialog.getByLabel(/type the customer.s email/);
  await expect(email).toBeVisible();
  await email.fill("someone-else@example.test");
  await dialog.getByRole("button", { name: "Apply change" }).click();
  await expect(dialog.locator(".field-error")).toBeVisible();
  await checkPage("seat email confirmation");
  expect(await seatCount(commet, customer.id, "editor")).toBe(4);
  await email.fill(customer.email);
  await dialog.getByRole("button", { name: "Apply change" }).click();
  // Beyond ±50 % the approval policy holds it for a second person (e2e/approvals.spec.ts): nothing sent yet.
  await expect(page.getByTestId("toast")).toContainText("Sent for approval");
  await expect(page.getByTestId("toast")).toHaveAttribute("data-tone", "info");
  expect(await seatCount(commet, customer.id, "editor")).toBe(4);
});

test("bad seat input gets field messages and nothing reaches Commet", async ({ page, signInAs, checkPage }) => {
  const customer = await freshProCustomer(commet, "seats-bad", { editor: 2 });
  await signInAs("ops");
  const form = await openCustomer(page, customer.id);
  await form.getByLabel("Remove").check();
  await form.getByLabel("Seats", { exact: true }).fill("5");
  await form.getByRole("button", { name: "Preview change" }).click();
  await expect(form.getByText("Choose a reason", { exact: true })).toBeVisible();
  await expect(form.getByLabel("Reason")).toHaveAttribute("aria-invalid", "true");
  await form.getByLabel("Reason").selectOption("other");
  await form.getByRole("button", { name: "Preview change" }).click();
  await expect(form.getByText("Explain the reason")).toBeVisible();
  await form.getByLabel(/^Details/).fill("customer downsized");
  await form.getByRole("button", { name: "Preview change" }).click();
  await expect(form.getByText("Cannot remove 5 seats: only 2 left (seats cannot go below 0)")).toBeVisible();
  await expect(page.getByRole("dialog")).toBeHidden();
  await checkPage("seat field errors");
  expect(await seatCount(commet, customer.id, "editor")).toBe(2);
});

test("support sees no seat controls and a forged seat change is refused", async ({
  page,
  baseURL,
  signInAs,
  checkPage,
}) => {
  const customer = await freshProCustomer(commet, "seats-support", { editor: 3 });
  await signInAs("support");
  await page.goto(`/customers/${customer.id}`);
  await expect(page.getByTestId("seats-editor")).toHaveText("3");
  await expect(page.getByRole("form", { name: "Change seats" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Preview change" })).toHaveCount(0);
  await checkPage("support customer page");

  const forged = {
    seatType: "editor",
    op: "set",
    quantity: "9",
    seenCount: "3",
    reasonCode: "customer_request",
    idempotencyKey: "forged-seats-1",
  };
  for (const intent of ["preview", "apply"]) {
    const response = await page.request.post(`/customers/${customer.id}/seats`, {
      form: { ...forged, intent },
      headers: { Origin: new URL(baseURL!).origin },
      maxRedirects: 0,
    });
    expect(response.status(), `support POST intent=${intent}`).toBe(403);
  }
  expect(await seatCount(commet, customer.id, "editor")).toBe(3);
});
