import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Page } from "@playwright/test";
import { E2E_SANDBOX_KEY } from "./global-setup.ts";
import { startConsole, type RunningConsole } from "./support/console-server.ts";
import { expect, test } from "./support/fixtures.ts";
import { freshProCustomer, sandboxSdk, seatCount } from "./support/ops-sdk.ts";
import { seedStaffAccounts, signInPageAs } from "./support/staff-accounts.ts";

/**
 * Account activity: the harness console receives no webhooks, so this journey runs its own console on the
 * harness sandbox with a webhook endpoint registered through the SDK (as an operator registers one with
 * Commet) — Commet's events reach POST /webhooks/commet signed, for real. A staff action and the webhook
 * it causes appear interleaved on the customer page; the kind filter narrows the list.
 */
test.describe.configure({ timeout: 180_000 });

const commet = sandboxSdk();
let running: RunningConsole;
let tmp: string;
let endpointId: string | undefined;

test.beforeAll(async () => {
  test.setTimeout(150_000);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "commet-e2e-activity-"));
  await seedStaffAccounts(tmp);
  // Every event about a customer but usage.recorded (the usage timeline's, and it would replay the seeded history).
  const events = [
    "customer.created",
    "customer.updated",
    "subscription.created",
    "subscription.activated",
    "subscription.canceled",
    "subscription.updated",
    "subscription.cancellation_scheduled",
    "subscription.cancellation_revoked",
    "subscription.plan_changed",
    "subscription.plan_change_scheduled",
    "seats.updated",
    "invoice.created",
    "payment.received",
    "payment.failed",
  ];
  const endpoint = (
    await commet.webhooks.create({ url: "http://127.0.0.1:9/webhooks/commet", events, description: "e2e activity" })
  ).data;
  if (!endpoint?.secretKey) throw new Error("the sandbox returned no webhook secret");
  endpointId = endpoint.id;
  running = await startConsole({
    COMMET_API_KEY: E2E_SANDBOX_KEY,
    COMMET_API_URL: process.env.E2E_SANDBOX_URL!,
    COMMET_WEBHOOK_SECRET: endpoint.secretKey,
    DATA_DIR: tmp,
  });
  await commet.webhooks.update({ id: endpoint.id, url: `${running.url}/webhooks/commet` });
});

test.afterAll(async () => {
  if (endpointId) await commet.webhooks.delete({ id: endpointId }).catch(() => undefined);
  await running?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const activity = (page: Page) => page.locator('[data-panel="activity"]');
const rows = (page: Page) => activity(page).getByTestId("activity-list").locator("li");

test("a staff action and the Commet webhook it causes appear interleaved; the kind filter narrows the list", async ({
  page,
  checkPage,
}) => {
  const customer = await freshProCustomer(commet, "activity", { editor: 10 });
  await signInPageAs(page, running.url, "ops");

  // Commet's events about the new customer arrive as webhooks.
  await expect(async () => {
    await page.goto(`${running.url}/customers/${customer.id}`);
    await expect(rows(page).filter({ hasText: "Subscription activated" })).toHaveCount(1, { timeout: 2_000 });
  }).toPass({ timeout: 30_000, intervals: [1_000] });
  await expect(rows(page).filter({ hasText: "Customer created" })).toHaveCount(1);

  // A staff action: ops adds 3 editor seats.
  const form = page.getByRole("form", { name: "Change seats" });
  await expect(form.getByRole("button", { name: "Preview change" })).toBeEnabled({ timeout: 30_000 });
  await form.getByLabel("Seat type").selectOption("editor");
  await form.getByLabel("Add").check();
  await form.getByLabel("Seats", { exact: true }).fill("3");
  await form.getByLabel("Reason").selectOption("customer_request");
  await form.getByLabel(/^Details/).fill("ticket-7001");
  await form.getByRole("button", { name: "Preview change" }).click();
  const dialog = page.getByRole("dialog", { name: "Confirm seat change" });
  await dialog.getByRole("button", { name: "Apply change" }).click();
  await expect(page.getByTestId("toast")).toHaveAttribute("data-tone", "success");
  expect(await seatCount(commet, customer.id, "editor")).toBe(13);

  // Its webhook (seats.updated) lands after it, named for the staff member who caused it; both in one list.
  await expect(async () => {
    await page.reload();
    await expect(rows(page).first()).toContainText("Seats of editor changed from 10 to 13 by ops@", { timeout: 2_000 });
  }).toPass({ timeout: 30_000, intervals: [1_000] });
  const types = await rows(page).evaluateAll((items) => items.map((li) => li.getAttribute("data-type")));
  const staffAt = types.indexOf("seats.change");
  expect(staffAt, `the timeline: ${types.join(", ")}`).toBe(1);
  expect(types[0]).toBe("seats.updated");
  expect(types.slice(staffAt + 1)).toContain("subscription.activated");
  await expect(rows(page).nth(1)).toContainText("Seats changed by ops@");
  await expect(rows(page).nth(1)).toContainText("add editor 3");

  // The payload on expand.
  await rows(page).first().getByText("Webhook").click();
  await expect(rows(page).first().locator("pre")).toContainText('"currentSeats": 13');
  await checkPage("activity interleaved");

  // Filter by kind: the URL carries it; only that kind is listed.
  await activity(page).getByRole("link", { name: "Staff actions" }).click();
  await expect(page).toHaveURL(/[?&]activity=staff/);
  await expect(rows(page)).toHaveCount(1);
  await expect(rows(page).first()).toHaveAttribute("data-source", "staff");
  await activity(page).getByRole("link", { name: "Usage & seats" }).click();
  await expect(page).toHaveURL(/[?&]activity=usage/);
  await expect(rows(page)).toHaveCount(1);
  await expect(rows(page).first()).toHaveAttribute("data-type", "seats.updated");
  await activity(page).getByRole("link", { name: "Invoices" }).click();
  await expect(page).toHaveURL(/[?&]activity=invoices/);
  await expect(rows(page)).toHaveCount(1);
  await expect(rows(page).first()).toContainText(/Invoice INV-\S+ created for \$99\.00/);
  await checkPage("activity filtered");

  // A filtered URL opened directly renders that filter on the server.
  await page.goto(`${running.url}/customers/${customer.id}?activity=subscription`);
  await expect(activity(page).getByRole("link", { name: "Subscription" })).toHaveAttribute("aria-current", "page");
  const subscriptionTypes = await rows(page).evaluateAll((items) => items.map((li) => li.getAttribute("data-type")));
  expect(subscriptionTypes.length).toBeGreaterThan(0);
  expect(subscriptionTypes.every((t) => t?.startsWith("subscription."))).toBe(true);
  await checkPage("activity subscription filter");

  // Bad input to the panel's data route: a clear 400, nothing read.
  const bad = await page.request.get(`${running.url}/customers/${customer.id}/activity?kind=refunds`);
  expect(bad.status()).toBe(400);
  expect(((await bad.json()) as { message: string }).message).toContain("kind must be one of");
  const forged = await page.request.get(`${running.url}/customers/${customer.id}/activity?cursor=bm9wZQ`);
  expect(forged.status()).toBe(400);
});

test("a customer Commet has sent nothing about shows the empty state", async ({ page, checkPage }) => {
  await signInPageAs(page, running.url, "support");
  await page.goto(`${running.url}/customers/usr_000009`);
  await expect(activity(page).getByTestId("activity-empty")).toContainText("No activity for this customer yet");
  await activity(page).getByRole("link", { name: "Payments" }).click();
  await expect(activity(page).getByTestId("activity-empty")).toContainText("No payments activity for this customer.");
  await checkPage("activity empty");
});

test("older activity loads a page at a time, without repeating an entry", async ({ page, checkPage }) => {
  const customer = await freshProCustomer(commet, "activity-long");
  // 30 real changes in Commet: 30 customer.updated webhooks, more than one page (25).
  for (let i = 1; i <= 30; i++) await commet.customers.update({ id: customer.id, fullName: `E2E long ${i}` });
  await signInPageAs(page, running.url, "support");
  await expect(async () => {
    await page.goto(`${running.url}/customers/${customer.id}?activity=customer`);
    await expect(rows(page).first()).toContainText("Customer details updated", { timeout: 2_000 });
    await expect(rows(page)).toHaveCount(25, { timeout: 2_000 });
  }).toPass({ timeout: 30_000, intervals: [1_000] });
  await expect(activity(page).getByRole("button", { name: "Show older activity" })).toBeEnabled();
  await activity(page).getByRole("button", { name: "Show older activity" }).click();
  // 30 updates and the creation, each once.
  await expect(rows(page)).toHaveCount(31);
  await expect(activity(page).getByRole("button", { name: "Show older activity" })).toHaveCount(0);
  const ids = await rows(page).evaluateAll((items) => items.map((li) => li.textContent));
  expect(ids.at(-1)).toContain("Customer created");
  await checkPage("activity older pages");
});

test("a cancellation scheduled and revoked in Commet reads as such, newest first", async ({ page, checkPage }) => {
  const customer = await freshProCustomer(commet, "activity-cancel");
  const subscription = (await commet.subscriptions.getActive({ customerId: customer.id })).data;
  if (!subscription?.currentPeriod) throw new Error("no active subscription with a period");
  await commet.subscriptions.cancel({ id: subscription.id, reason: "Too expensive" });
  await commet.subscriptions.uncancel({ id: subscription.id });
  const end = new Date(subscription.currentPeriod.end);
  const day = `${end.getUTCDate()} ${end.toLocaleString("en-US", { month: "short", timeZone: "UTC" })} ${end.getUTCFullYear()}`;
  await signInPageAs(page, running.url, "support");
  await expect(async () => {
    await page.goto(`${running.url}/customers/${customer.id}?activity=subscription`);
    await expect(rows(page).filter({ hasText: "Scheduled cancellation revoked" })).toHaveCount(1, { timeout: 2_000 });
  }).toPass({ timeout: 30_000, intervals: [1_000] });
  const types = await rows(page).evaluateAll((items) => items.map((li) => li.getAttribute("data-type")));
  expect(types.indexOf("subscription.cancellation_revoked")).toBeLessThan(
    types.indexOf("subscription.cancellation_scheduled"),
  );
  await expect(rows(page).filter({ hasText: "Cancellation scheduled" })).toContainText(
    `Cancellation scheduled for ${day} — reason: Too expensive`,
  );
  await checkPage("activity cancellation");
});
