import { readFile } from "node:fs/promises";
import { expect, test } from "./support/fixtures.ts";
import { sandboxSdk } from "./support/ops-sdk.ts";

/**
 * Payments on the customer page: support sends a recovery link to a past-due customer (shown once, the
 * customer pays it, the subscription recovers); finance refunds a charge and sees the subscription end.
 * Every effect is checked in Commet through the SDK. Customers: the sandbox's fixed usr_000012 and usr_000010.
 */
const commet = sandboxSdk();

async function subscriptionsOf(externalId: string) {
  return (await commet.subscriptions.list({ customerId: externalId })).data ?? [];
}

test("support sends a recovery link to a past-due customer", async ({ page, context, signInAs, checkPage }) => {
  const [pastDue] = (await subscriptionsOf("usr_000012")).filter((s) => s.status === "past_due");
  expect(pastDue, "usr_000012 is seeded past due").toBeTruthy();

  await signInAs("support");
  await page.goto("/customers/usr_000012");
  const panel = page.locator('[data-panel="payments"]');
  await expect(panel.getByTestId("past-due")).toContainText("past due");
  const failed = panel.locator('tr[data-status="failed"]');
  await expect(failed.first()).toContainText("Failed");
  // Support may not retry or refund: no such controls.
  await expect(panel.getByRole("button", { name: /Retry charge|Refund/ })).toHaveCount(0);
  await checkPage("payments panel (support, past due)");

  const send = panel.getByRole("button", { name: "Send a recovery link" });
  await expect(send).toBeEnabled({ timeout: 30_000 }); // hydrated
  await send.click();
  const result = panel.getByTestId("recovery-result");
  await expect(result).toBeVisible();
  const url = await result.getByLabel("Recovery link").inputValue();
  expect(url).toMatch(/^https?:\/\/.+\/recover\//);
  await expect(result.getByLabel("Message to send")).toHaveValue(
    new RegExp(url.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")),
  );
  await expect(result.getByLabel("Message to send")).toHaveValue(/Business/);
  await checkPage("recovery link shown once");

  // Shown once: a reload does not bring the link back.
  await page.reload();
  await expect(panel.getByTestId("past-due")).toBeVisible();
  await expect(panel.getByTestId("recovery-result")).toHaveCount(0);
  expect(await page.content()).not.toContain(url);

  // The customer follows the link and pays: Commet recovers the subscription, once.
  const customerPage = await context.newPage();
  await customerPage.goto(url);
  await expect(customerPage.getByRole("heading", { name: "Your payment is overdue" })).toBeVisible();
  await customerPage.getByRole("button", { name: "Pay with test card" }).click();
  await expect(customerPage.getByRole("heading", { name: "Payment confirmed" })).toBeVisible();
  await customerPage.close();
  expect((await commet.subscriptions.get({ id: pastDue!.id })).data?.status).toBe("active");

  await page.reload();
  await expect(panel.getByTestId("payments-table")).toBeVisible();
  await expect(panel.getByTestId("past-due")).toHaveCount(0);
  await checkPage("payments panel after recovery");
});

test("finance refunds a payment and sees the subscription end", async ({ page, signInAs, checkPage }) => {
  const [active] = (await subscriptionsOf("usr_000010")).filter((s) => s.status === "active");
  expect(active, "usr_000010 is seeded active").toBeTruthy();

  await signInAs("finance");
  await page.goto("/customers/usr_000010");
  const panel = page.locator('[data-panel="payments"]');
  const row = panel.locator('tr[data-status="succeeded"]').first();
  const transactionId = await row.getAttribute("data-transaction");
  expect(transactionId).toBeTruthy();
  const amount = (await row.locator("td.num").innerText()).trim();
  // Finance refunds; retrying and recovery links are not finance's.
  await expect(panel.getByRole("button", { name: "Send a recovery link" })).toHaveCount(0);
  const refund = row.getByRole("button", { name: "Refund…" });
  await expect(refund).toBeEnabled({ timeout: 30_000 });
  await checkPage("payments panel (finance)");

  await refund.click();
  const dialog = page.getByRole("dialog", { name: "Refund this payment" });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByTestId("refund-effect")).toContainText(`Refund ${amount} in full`);
  await expect(dialog.getByTestId("refund-effect")).toContainText("ends the subscription");
  await checkPage("refund confirmation");
  expect((await commet.transactions.get({ id: transactionId! })).data?.status).toBe("succeeded");

  // Without a reason nothing is sent.
  await dialog.getByRole("button", { name: `Refund ${amount}` }).click();
  await expect(dialog.locator(".field-error")).toContainText("Choose a reason");
  expect((await commet.transactions.get({ id: transactionId! })).data?.status).toBe("succeeded");

  await dialog.getByLabel("Reason").selectOption("requested_by_customer");
  await dialog.getByLabel(/^Details/).fill("ticket-9001");
  await dialog.getByRole("button", { name: `Refund ${amount}` }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId("toast").first()).toHaveAttribute("data-tone", "success");

  // Commet: the charge refunded, the subscription ended with reason refund.
  expect((await commet.transactions.get({ id: transactionId! })).data?.status).toBe("refunded");
  expect((await commet.subscriptions.get({ id: active!.id })).data?.status).toBe("canceled");

  // The page shows both after its refresh: the row refunded, no active subscription.
  await expect(panel.locator(`tr[data-transaction="${transactionId}"]`)).toHaveAttribute("data-status", "refunded");
  await expect(page.locator('[data-panel="subscription"]')).toContainText("No active subscription");
  await checkPage("after the refund");
});

test("the payments queue: at-risk charges first, filters in the URL, an audited CSV", async ({
  page,
  signInAs,
  checkPage,
}) => {
  await signInAs("finance");
  await page.goto("/");
  await page.getByRole("navigation").getByRole("link", { name: "Payments" }).click();
  await expect(page).toHaveURL(/\/payments$/);
  const table = page.getByTestId("payments-queue");
  await expect(table).toBeVisible();
  // The first rows are failed charges of past-due customers, and the amount at risk is theirs.
  const first = table.locator("tbody tr").first();
  await expect(first).toContainText("Failed");
  await expect(first).toContainText("Past due");
  await expect(page.getByTestId("amount-at-risk")).toHaveText(/^\$[1-9][\d,]*\.\d{2}/);
  await expect(page.getByTestId("payments-coverage")).toContainText("What this covers");
  await checkPage("payments queue");

  await page.getByLabel("Payment status").selectOption("refunded");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/status=refunded/);
  const rows = table.locator("tbody tr");
  await expect(rows.first()).toContainText("Refunded");
  expect(await rows.filter({ hasNotText: "Refunded" }).count()).toBe(0);
  await checkPage("payments queue, refunded");

  const download = page.waitForEvent("download");
  await page.getByTestId("payments-export").click();
  const csv = await (await download).path();
  const lines = (await readFile(csv, "utf8")).trim().split("\n");
  expect(lines[0]).toMatch(/^transaction_id,created_at,status,/);
  expect(lines.slice(1).every((l) => l.split(",")[2] === "refunded")).toBe(true);

  // The export is in the audit trail.
  await page.goto("/audit");
  await expect(page.getByText("payments.export").first()).toBeVisible();

  // A backwards date range is refused with a message, not an empty table.
  await page.goto("/payments?from=2026-03-02&to=2026-03-01");
  await expect(page.getByTestId("payments-range-error")).toContainText("is after");
  await checkPage("payments queue, bad range");
});
