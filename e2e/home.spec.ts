import { E2E_SANDBOX_KEY } from "./global-setup.ts";
import { expect, test } from "./support/fixtures.ts";

/** What the sandbox itself says, read over HTTP (never by importing it) to check the console shows live data. */
async function sandboxGet<T>(path: string): Promise<T> {
  const response = await fetch(new URL(`/api/v1${path}`, process.env.E2E_SANDBOX_URL), {
    headers: { "x-api-key": E2E_SANDBOX_KEY },
  });
  expect(response.ok).toBe(true);
  return ((await response.json()) as { data: T }).data;
}

// Every role may read customers; the support account is the least privileged one.
test.beforeEach(async ({ signInAs }) => {
  await signInAs("support");
});

test("home shows the SANDBOX banner, the plans with their features, and the first customers", async ({
  page,
  checkPage,
}) => {
  const plans =
    await sandboxGet<Array<{ name: string; code: string; features?: Array<{ name: string }> }>>(
      "/plans?includePrivate=true",
    );
  const customers = await sandboxGet<Array<{ email: string }>>("/customers?limit=10");
  expect(plans.length).toBeGreaterThan(0);

  const response = await page.goto("/");
  expect(response?.status()).toBe(200);
  await expect(page.getByTestId("mode-banner")).toHaveText("SANDBOX");
  await expect(page.getByRole("heading", { level: 1, name: "Overview" })).toBeVisible();

  const cards = page.getByTestId("plan-card");
  await expect(cards).toHaveCount(plans.length);
  for (const plan of plans) {
    const card = page.getByRole("article", { name: plan.name });
    await expect(card.getByText(plan.code, { exact: true })).toBeVisible();
    for (const feature of plan.features ?? []) {
      await expect(card.getByRole("rowheader", { name: feature.name })).toBeVisible();
    }
  }
  // Seat features show the price of an extra seat.
  await expect(page.getByText(/\$\d+\.\d{2} \/ extra seat/).first()).toBeVisible();

  const rows = page.getByTestId("customers-table").locator("tbody tr");
  await expect(rows).toHaveCount(customers.length);
  for (const [index, customer] of customers.entries()) {
    await expect(rows.nth(index)).toContainText(customer.email);
  }
  await checkPage("home");
});

// The customers table (index-backed: sort, filters, paging) is covered by e2e/customers.spec.ts.
