import { readFile } from "node:fs/promises";
import { expect, test } from "./support/fixtures.ts";

/**
 * Finance opens the revenue overview (MRR/ARR by plan, movements, collections from the seeded sandbox),
 * exports its CSV, and the CSV's totals match the page; the export is audited. Support has no such page.
 */

/** The CSV's rows as objects by header (the export's cells are ids, names without commas, and numbers). */
function rowsOf(text: string): Array<Record<string, string>> {
  const [header, ...lines] = text.trim().split("\n");
  const cols = header!.split(",");
  return lines.map((l) => Object.fromEntries(l.split(",").map((v, i) => [cols[i]!, v])));
}
const cents = (decimal: string) => Math.round(Number(decimal) * 100);

test("finance opens the revenue overview, exports CSV, and its totals match the page", async ({
  page,
  signInAs,
  checkPage,
}) => {
  await signInAs("finance");
  await page.goto("/");
  await page.getByRole("link", { name: "Revenue", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Revenue", level: 1 })).toBeVisible();
  // The seeded sandbox has active paid subscriptions and paid charges.
  const mrrTotal = page.getByTestId("mrr-total");
  const mrr = Number(await mrrTotal.getAttribute("data-amount"));
  expect(mrr).toBeGreaterThan(0);
  await expect(page.getByTestId("mrr-table")).toContainText("Pro");
  await expect(page.getByTestId("mrr-chart").locator("svg").first()).toBeVisible();
  const collected = Number(await page.getByTestId("collected-total").getAttribute("data-amount"));
  expect(collected).toBeGreaterThan(0);
  await expect(page.getByTestId("collections-chart").locator("svg").first()).toBeVisible();
  // The seeded subscriptions started within the window: new MRR shows up in the movements.
  await expect(page.getByTestId("movements-chart").locator("svg").first()).toBeVisible();
  await expect(page.getByTestId("revenue-overage-assumption")).toContainText("Expected overage is an estimate");
  const overage = Number(await page.getByTestId("mrr-overage-total").getAttribute("data-minor"));
  expect(overage).toBeGreaterThanOrEqual(0);
  await expect(page.getByTestId("mrr-table").getByRole("columnheader", { name: /Expected overage/ })).toBeVisible();
  await checkPage("revenue overview (finance)");

  const download = page.waitForEvent("download");
  await page.getByTestId("revenue-export").click();
  const file = await (await download).path();
  const rows = rowsOf(await readFile(file, "utf8"));
  const byPlan = rows.filter((r) => r.section === "mrr_by_plan");
  expect(byPlan.length).toBeGreaterThan(0);
  expect(byPlan.reduce((n, r) => n + cents(r.mrr!), 0)).toBe(mrr);
  expect(cents(rows.find((r) => r.section === "mrr_total")!.mrr!)).toBe(mrr);
  // Expected overage is its own column, part of MRR: per plan and in total as on the page.
  expect(byPlan.reduce((n, r) => n + cents(r.overage_mrr!), 0)).toBe(overage);
  expect(cents(rows.find((r) => r.section === "mrr_total")!.overage_mrr!)).toBe(overage);
  for (const r of byPlan) expect(cents(r.mrr!)).toBe(cents(r.base_mrr!) + cents(r.seats_mrr!) + cents(r.overage_mrr!));
  const arr = Number(await page.getByTestId("arr-total").getAttribute("data-amount"));
  expect(cents(rows.find((r) => r.section === "mrr_total")!.arr!)).toBe(arr);
  const currency = (await page.getByTestId("collected-total").getAttribute("data-currency"))!;
  const months = rows.filter((r) => r.section === "collections" && r.currency === currency);
  expect(months).toHaveLength(6);
  expect(months.reduce((n, r) => n + cents(r.collected!), 0)).toBe(collected);
  const refunded = Number(await page.getByTestId("refunded-total").getAttribute("data-amount"));
  expect(months.reduce((n, r) => n + cents(r.refunded!), 0)).toBe(refunded);

  const movements = rows.filter((r) => r.section === "movements");
  expect(movements).toHaveLength(6);
  expect(movements.some((r) => Number(r.new_count) > 0)).toBe(true);

  // The export is in the audit trail.
  await page.goto("/audit");
  await expect(page.getByText("revenue.export").first()).toBeVisible();

  // A window the page does not offer is refused with a message.
  const bad = await page.goto("/revenue?months=7");
  expect(bad?.status()).toBe(400);
  await expect(page.getByTestId("revenue-error")).toContainText("3, 6 or 12");
  await checkPage("revenue overview, bad window");
});

test("support has no revenue overview", async ({ page, signInAs }) => {
  await signInAs("support");
  await page.goto("/");
  await expect(page.getByRole("link", { name: "Revenue", exact: true })).toHaveCount(0);
  const response = await page.goto("/revenue");
  expect(response?.status()).toBe(403);
});
