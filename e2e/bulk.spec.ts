import { randomUUID } from "node:crypto";
import type { Browser, Page } from "@playwright/test";
import { expect, test } from "./support/fixtures.ts";
import {
  downloadCsv,
  indexedCustomersWith,
  seatsCsv,
  uploadBulkFile,
  USAGE_HEADER,
  usageCsv,
  type UsageLine,
} from "./support/bulk-files.ts";
import { freshProCustomer, sandboxSdk, seatCount, usageTotal } from "./support/ops-sdk.ts";
import { E2E_ACCOUNTS, postSignIn } from "./support/staff-accounts.ts";

/**
 * Bulk changes from one file: ops uploads 500 usage rows of which 3 are invalid, sees them by line, fixes the
 * file, reads the dry run, applies (one approval request for the whole batch, approved by an admin), downloads
 * the result — and Commet, read through the SDK, holds every row exactly once. A smaller seat file likewise.
 */
const commet = sandboxSdk();
const FEATURE = "api_calls";

/** A second person approves the batch's one request in their own browser (the default policy holds every batch). */
async function approveBatch(browser: Browser, baseURL: string, requestId: string) {
  const context = await browser.newContext({ baseURL });
  try {
    await postSignIn(context.request, baseURL, E2E_ACCOUNTS.admin);
    const page = await context.newPage();
    await page.goto(`/approvals/${requestId}`);
    await page.getByRole("button", { name: "Approve and apply" }).click();
    await expect(page.getByTestId("decision-result")).toBeVisible({ timeout: 30_000 });
  } finally {
    await context.close();
  }
}

/** Applies the batch on the page: the apply button, then the approval when the policy asks for one. */
async function applyBatch(page: Page, browser: Browser, baseURL: string, rows: number) {
  await page.getByRole("button", { name: `Apply ${rows.toLocaleString("en-US")} rows to Commet` }).click();
  const approval = page.getByTestId("bulk-next-approval");
  const progress = page.getByTestId("bulk-progress");
  await expect(approval.or(progress)).toBeVisible();
  if (await approval.isVisible()) {
    const href = await approval.getByRole("link", { name: "open the request" }).getAttribute("href");
    await approveBatch(browser, baseURL, href!.split("/").pop()!);
  }
  // The page polls its progress and shows the outcome without a reload.
  await expect(progress).toHaveAttribute("data-status", "completed", { timeout: 120_000 });
  await expect(progress).toHaveAttribute("data-done", String(rows));
}

test("ops applies 500 usage rows from a spreadsheet file: 3 invalid rows fixed, dry run, applied exactly once", async ({
  page,
  browser,
  baseURL,
  signInAs,
  checkPage,
}) => {
  test.setTimeout(240_000);
  const tag = randomUUID().slice(0, 8);
  const fresh = [];
  for (let i = 0; i < 8; i++) fresh.push(await freshProCustomer(commet, `bulk${i}`));
  // Each of the 10 customers gets 50 rows of 1…50 units: 1,275 units.
  const byEmail = await indexedCustomersWith(commet, FEATURE, 2, 1_275);
  expect(byEmail, "indexed customers with room for the rows by email").toHaveLength(2);
  const externalIds = new Map<string, string>();
  for (const c of fresh) {
    const found = (await commet.customers.get({ id: c.id })).data;
    externalIds.set(c.id, found!.externalId!);
  }
  // Taken after every subscription started (the sandbox runs on this clock): inside each fresh customer's
  // current period, and in the past by the time the file is validated.
  const eventTime = new Date().toISOString();

  // 500 rows over 10 customers: fresh ones by Commet id or external id, indexed ones by email; some with keys.
  const lines: UsageLine[] = [];
  const expected = new Map<string, number>();
  for (let i = 0; i < 500; i++) {
    const target = i % 10 < 8 ? { id: fresh[i % 10]!.id, email: null } : byEmail[(i % 10) - 8];
    const customerId = target?.id ?? fresh[i % 8]!.id;
    const ref = target?.email ? target.email : i % 2 ? customerId : externalIds.get(customerId)!;
    // Distinct per customer (1…50): no two rows of a customer record the same usage.
    const quantity = Math.floor(i / 10) + 1;
    lines.push({
      customer: ref,
      feature: FEATURE,
      quantity: String(quantity),
      // Fresh customers' periods began minutes ago; the indexed ones' events take the time of apply.
      event_time: target?.email ? "" : eventTime,
      reason: `Backfill; integration outage "INC-${tag}", row ${i + 1}`,
      key: i % 5 === 0 ? `bulk-e2e-${tag}-${i}` : "",
    });
    expected.set(customerId, (expected.get(customerId) ?? 0) + quantity);
  }
  const before = new Map<string, number>();
  for (const id of expected.keys()) {
    before.set(id, byEmail.find((c) => c.id === id)?.before ?? (await usageTotal(commet, id, FEATURE)));
  }

  // Three rows broken the ways a spreadsheet breaks them; the file's line of row i is i + 2.
  const broken = lines.map((l) => ({ ...l }));
  broken[99] = { ...broken[99]!, customer: `nobody-${tag}@example.test` };
  broken[199] = { ...broken[199]!, event_time: "2020-01-01T00:00:00Z" };
  broken[299] = { ...broken[299]!, feature: "api_callz" };
  const brokenLines = [101, 201, 301];

  await signInAs("ops");
  await page.goto("/bulk");
  await expect(page.getByRole("link", { name: "Bulk changes" })).toBeVisible();
  await checkPage("bulk upload");
  const template = await downloadCsv(page, "bulk-template-usage");
  expect(Object.keys(template[0]!)).toEqual([...USAGE_HEADER]);
  await uploadBulkFile(page, "usage", `usage-${tag}.csv`, usageCsv(broken, { spreadsheet: true }));

  // Nothing can be applied while rows are invalid; each is shown with its line.
  await expect(page.getByTestId("bulk-totals")).toHaveAttribute("data-invalid", "3");
  await expect(page.getByTestId("bulk-totals")).toHaveAttribute("data-valid", "497");
  await expect(page.getByTestId("bulk-next-invalid")).toBeVisible();
  await expect(page.getByRole("button", { name: /^Apply / })).toHaveCount(0);
  await page.getByRole("link", { name: "Invalid", exact: true }).click();
  const invalidRows = page.getByTestId("bulk-rows").locator("tbody tr");
  await expect(invalidRows).toHaveCount(3);
  expect(await invalidRows.evaluateAll((rows) => rows.map((r) => Number(r.getAttribute("data-line"))))).toEqual(
    brokenLines,
  );
  await expect(invalidRows.nth(0)).toContainText("Unknown customer");
  await expect(invalidRows.nth(1)).toContainText("before the current billing period");
  await expect(invalidRows.nth(2)).toContainText("api_callz");
  await checkPage("bulk invalid rows");
  const errors = await downloadCsv(page, "bulk-errors-csv");
  expect(errors.map((e) => Number(e.line))).toEqual(brokenLines);

  // The fixed file is a new batch: every row valid, the dry run shows each effect and the totals.
  await uploadBulkFile(page, "usage", `usage-${tag}-fixed.csv`, usageCsv(lines, { spreadsheet: true }));
  await expect(page.getByTestId("bulk-totals")).toHaveAttribute("data-invalid", "0");
  await expect(page.getByTestId("bulk-totals")).toHaveAttribute("data-valid", "500");
  await expect(page.getByTestId("bulk-next-ready")).toContainText("nothing has been written yet");
  const total = [...expected.values()].reduce((a, b) => a + b, 0);
  await expect(page.getByTestId("bulk-totals").locator(`[data-feature="${FEATURE}"]`)).toContainText(
    total.toLocaleString("en-US"),
  );
  await expect(page.getByTestId("bulk-rows").locator('tbody tr[data-line="2"]')).toContainText("+ 1");
  await checkPage("bulk dry run");
  const batchUrl = page.url();
  // Nothing was written by uploading or by the dry run.
  for (const c of fresh) expect(await usageTotal(commet, c.id, FEATURE)).toBe(0);

  await applyBatch(page, browser, baseURL!, 500);
  await checkPage("bulk applied");

  // The result: every row applied, each with its own Commet id.
  const result = await downloadCsv(page, "bulk-result-csv");
  expect(result).toHaveLength(500);
  expect(result.filter((r) => r.outcome !== "applied").slice(0, 5), "rows not applied").toEqual([]);
  expect(new Set(result.map((r) => r.commet_id)).size).toBe(500);

  // Commet holds each row once: every customer's usage grew by exactly its rows' quantities.
  for (const [id, sum] of expected) {
    expect(await usageTotal(commet, id, FEATURE), `usage of ${id}`).toBe(before.get(id)! + sum);
  }

  // The same file again opens the same batch: nothing new, nothing sent twice.
  await uploadBulkFile(page, "usage", `usage-${tag}-again.csv`, usageCsv(lines, { spreadsheet: true }));
  await expect(page.getByTestId("bulk-notice")).toContainText("uploaded before");
  expect(page.url().split("?")[0]).toBe(batchUrl.split("?")[0]);
  for (const [id, sum] of expected) expect(await usageTotal(commet, id, FEATURE)).toBe(before.get(id)! + sum);
});

test("ops sets, adds and removes seats for several customers from one file", async ({
  page,
  browser,
  baseURL,
  signInAs,
  checkPage,
}) => {
  test.setTimeout(120_000);
  const a = await freshProCustomer(commet, "bulk-seats-a", { editor: 5 });
  const b = await freshProCustomer(commet, "bulk-seats-b", { editor: 2, viewer: 4 });
  const rows = [
    [a.id, "editor", "set", "8", "Renewal: 8 editor seats"],
    [b.id, "editor", "add", "3", "Sales order SO-1182"],
    [b.id, "viewer", "remove", "1", "Customer request"],
  ] as const;

  await signInAs("ops");
  // A file whose header is not the template's is refused as a whole: nothing stored, nothing sent.
  await uploadBulkFile(page, "seats", "wrong.csv", "customer,seats,op\nx,1,add\n");
  await expect(page.getByTestId("bulk-file-errors")).toContainText("nothing was stored or sent");
  await expect(page.getByTestId("bulk-batches").locator("tr", { hasText: "wrong.csv" })).toHaveCount(0);
  await checkPage("bulk file refused");

  await uploadBulkFile(page, "seats", "seats.csv", seatsCsv([...rows, [b.id, "owner", "add", "1", "Wrong type"]]));
  await expect(page.getByTestId("bulk-totals")).toHaveAttribute("data-invalid", "1");
  await expect(page.getByTestId("bulk-rows").locator('tbody tr[data-line="5"]')).toContainText("not a seat type");

  // Excluding the invalid row is an explicit, confirmed step; then the dry run of the three others applies.
  const exclude = page.getByTestId("bulk-exclude_invalid");
  await expect(exclude.getByRole("button")).toBeDisabled();
  await exclude.getByRole("checkbox").check();
  await exclude.getByRole("button").click();
  await expect(page.getByTestId("bulk-next-ready")).toBeVisible();
  const dryRun = page.getByTestId("bulk-rows");
  await expect(dryRun.locator('tbody tr[data-line="2"]')).toContainText("5 → 8");
  await expect(dryRun.locator('tbody tr[data-line="3"]')).toContainText("2 → 5");
  await expect(dryRun.locator('tbody tr[data-line="4"]')).toContainText("4 → 3");
  await checkPage("bulk seats dry run");

  await applyBatch(page, browser, baseURL!, 3);
  expect(await seatCount(commet, a.id, "editor")).toBe(8);
  expect(await seatCount(commet, b.id, "editor")).toBe(5);
  expect(await seatCount(commet, b.id, "viewer")).toBe(3);
  const result = await downloadCsv(page, "bulk-result-csv");
  expect(result.filter((r) => r.outcome === "applied")).toHaveLength(3);
  await checkPage("bulk seats applied");

  // Each row is on its customer's activity as a staff action.
  await page.goto(`/customers/${a.id}?activity=staff`);
  await expect(page.locator('[data-panel="activity"] li[data-type="seats.change"]').first()).toContainText(
    "Seats changed by",
  );
  await checkPage("bulk seats on the customer's activity");
});
