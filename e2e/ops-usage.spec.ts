import type { Page } from "@playwright/test";
import { expect, test } from "./support/fixtures.ts";
import { freshProCustomer, sandboxSdk, usageTotal } from "./support/ops-sdk.ts";

/**
 * Manual usage: an ops user records usage (a double click records one event; the same key
 * again answers "already recorded … by …"), sets the period total, gets field messages for bad input;
 * support sees no forms and a forged POST is refused. Every outcome is checked in Commet (SDK).
 */
const commet = sandboxSdk();
const FEATURE = "api_calls";

async function openUsageForm(page: Page, customerId: string, which: "record" | "set") {
  await page.goto(`/customers/${customerId}`);
  const form = page.getByTestId(`usage-${which}`);
  await expect(form).toBeVisible();
  await expect(form.getByLabel("Idempotency key")).not.toHaveValue("");
  await expect(
    form.getByRole("button", { name: which === "record" ? "Record usage" : "Set period total" }),
  ).toBeEnabled({ timeout: 30_000 }); // hydrated
  return form;
}

test("ops records usage: a double click records exactly one event; the same key again is 'already recorded'", async ({
  page,
  signInAs,
  checkPage,
}) => {
  const customer = await freshProCustomer(commet, "usage");
  const before = await usageTotal(commet, customer.id, FEATURE);
  await signInAs("ops");
  const form = await openUsageForm(page, customer.id, "record");
  await checkPage("usage form");

  const keyField = form.getByLabel("Idempotency key");
  const key = await keyField.inputValue();
  expect(key).toMatch(/^usage-/);
  await form.getByLabel("Feature").selectOption(FEATURE);
  await form.getByLabel(/^Quantity/).fill("7");
  await form.getByLabel("Reason").selectOption("missed_events");
  await form.getByLabel(/^Details/).fill("ticket-4812: integration was down");
  const posts: string[] = [];
  page.on("request", (r) => r.method() === "POST" && r.url().includes("/usage") && posts.push(r.url()));
  await form.getByRole("button", { name: "Record usage" }).dblclick();

  await expect(page.getByTestId("toast")).toHaveAttribute("data-tone", "success");
  await expect(form.getByTestId("usage-record-outcome")).toContainText("event");
  await checkPage("usage toast");
  expect(await usageTotal(commet, customer.id, FEATURE)).toBe(before + 7);
  expect(posts, "the double click posted once").toHaveLength(1);
  // A new entry gets a new key.
  await expect(keyField).not.toHaveValue(key);

  // The same key submitted again (back and resubmit, a second tab): answered, not recorded again.
  await keyField.fill(key);
  await form.getByLabel(/^Quantity/).fill("7");
  await form.getByLabel(/^Details/).fill("ticket-4812: integration was down");
  await form.getByRole("button", { name: "Record usage" }).click();
  const outcome = form.getByTestId("usage-record-outcome");
  await expect(outcome).toContainText(/already recorded at .+ by ops@e2e\.test/i);
  await expect(outcome).not.toContainText("different values");
  await expect(outcome).toContainText(/evt|event/i);
  expect(await usageTotal(commet, customer.id, FEATURE)).toBe(before + 7);
  await checkPage("usage already recorded");

  // A ticket-derived key works as well.
  await keyField.fill(`ticket-${customer.id.slice(-6)}`);
  await form.getByLabel(/^Quantity/).fill("3");
  await form.getByRole("button", { name: "Record usage" }).click();
  await expect(page.getByTestId("toast")).toHaveAttribute("data-tone", "success");
  expect(await usageTotal(commet, customer.id, FEATURE)).toBe(before + 10);
});

test("ops sets the exact period usage for a correction", async ({ page, signInAs, checkPage }) => {
  const customer = await freshProCustomer(commet, "usage-set");
  await signInAs("ops");
  const form = await openUsageForm(page, customer.id, "set");
  await form.getByLabel("Feature").selectOption(FEATURE);
  await form.getByLabel(/^Period total/).fill("1234");
  await form.getByLabel("Reason").selectOption("billing_correction");
  await form.getByRole("button", { name: "Set period total" }).click();
  await expect(page.getByTestId("toast")).toHaveAttribute("data-tone", "success");
  expect(await usageTotal(commet, customer.id, FEATURE)).toBe(1234);
  // The correction joins the customer's usage timeline as an annotated manual entry of its own kind.
  const annotations = page.locator('[data-panel="usage-timeline"]').getByTestId("usage-annotations");
  await expect(async () => {
    await page.reload();
    await expect(annotations.locator('li[data-kind="set"]')).toContainText("Correction: period total set to 1,234", {
      timeout: 5_000,
    });
  }).toPass({ timeout: 30_000 });
  await checkPage("usage set");
});

test("bad usage input gets field messages and nothing reaches Commet", async ({ page, signInAs, checkPage }) => {
  const customer = await freshProCustomer(commet, "usage-bad");
  const before = await usageTotal(commet, customer.id, FEATURE);
  await signInAs("ops");
  const form = await openUsageForm(page, customer.id, "record");
  await form.getByLabel(/^Quantity/).fill("-2");
  await form.getByLabel("Idempotency key").fill("not a key!");
  await form.getByRole("button", { name: "Record usage" }).click();
  await expect(form.getByText("Quantity must be greater than 0")).toBeVisible();
  await expect(form.getByText("Choose a reason", { exact: true })).toBeVisible();
  await expect(form.getByText(/Use letters, digits/)).toBeVisible();

  // Context checks: the event time is in the current period, not the future, and whole units.
  await form.getByLabel(/^Quantity/).fill("1.5");
  await form.getByLabel("Reason").selectOption("offline_usage");
  await form.getByLabel("Idempotency key").fill(`bad-${customer.id.slice(-6)}`);
  await form.getByLabel("Event time (UTC)").fill("2020-01-01T10:00");
  await form.getByRole("button", { name: "Record usage" }).click();
  await expect(form.getByText(/before the current billing period, which started/)).toBeVisible();
  await expect(form.getByText(/counted in whole/)).toBeVisible();
  await checkPage("usage field errors");

  await form.getByLabel("Event time (UTC)").fill("2099-01-01T10:00");
  await form.getByLabel(/^Quantity/).fill("1");
  await form.getByRole("button", { name: "Record usage" }).click();
  await expect(form.getByText("The event time cannot be in the future")).toBeVisible();
  expect(await usageTotal(commet, customer.id, FEATURE)).toBe(before);
});

test("support sees no usage forms and a forged usage POST is refused", async ({
  page,
  baseURL,
  signInAs,
  checkPage,
}) => {
  const customer = await freshProCustomer(commet, "usage-support");
  const before = await usageTotal(commet, customer.id, FEATURE);
  await signInAs("support");
  await page.goto(`/customers/${customer.id}`);
  await expect(page.getByTestId("customer-title")).toContainText("E2E usage-support");
  await expect(page.locator('[data-panel="features"] table')).toBeVisible();
  await expect(page.getByTestId("usage-forms")).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Record usage" })).toHaveCount(0);
  await checkPage("support usage");

  const forged = { featureCode: FEATURE, quantity: "5", reasonCode: "missed_events", idempotencyKey: "forged-usage-1" };
  for (const [intent, extra] of [
    ["record", {}],
    ["set", { value: "99" }],
  ] as const) {
    const response = await page.request.post(`/customers/${customer.id}/usage`, {
      form: { ...forged, ...extra, intent },
      headers: { Origin: new URL(baseURL!).origin },
      maxRedirects: 0,
    });
    expect(response.status(), `support POST intent=${intent}`).toBe(403);
  }
  expect(await usageTotal(commet, customer.id, FEATURE)).toBe(before);
});
