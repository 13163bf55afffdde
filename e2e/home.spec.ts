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

/**
 * The customers the sandbox held when the harness console started, newest created first (ties by id, as the
 * console's index orders them). Customers other journeys create later are not in its index: it takes no webhooks.
 */
async function newestSandboxCustomers(limit: number): Promise<Array<{ email: string }>> {
  const all: Array<{ id: string; email: string; createdAt: string }> = [];
  let cursor: string | null = null;
  do {
    const response = await fetch(
      new URL(`/api/v1/customers?limit=100${cursor ? `&cursor=${cursor}` : ""}`, process.env.E2E_SANDBOX_URL),
      { headers: { "x-api-key": E2E_SANDBOX_KEY } },
    );
    expect(response.ok).toBe(true);
    const body = (await response.json()) as {
      data: Array<{ id: string; email: string; createdAt: string }>;
      hasMore?: boolean;
      nextCursor?: string | null;
    };
    all.push(...body.data);
    cursor = body.hasMore ? (body.nextCursor ?? null) : null;
  } while (cursor);
  const indexedBefore = Date.parse(process.env.E2E_INDEXED_BEFORE!);
  return all
    .filter((c) => Date.parse(c.createdAt) <= indexedBefore)
    .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
    .slice(0, limit);
}

// Every role may read customers; the support account is the least privileged one.
test.beforeEach(async ({ signInAs }) => {
  await signInAs("support");
});

test("home shows the SANDBOX banner, the plans with their features, and the newest customers", async ({
  page,
  checkPage,
}) => {
  const plans =
    await sandboxGet<Array<{ name: string; code: string; features?: Array<{ name: string }> }>>(
      "/plans?includePrivate=true",
    );
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

  // Newest created first (from the customer index, which webhooks keep current: poll while it catches up).
  const rows = page.getByTestId("customers-table").locator("tbody tr");
  await expect(async () => {
    await page.reload();
    const customers = await newestSandboxCustomers(10);
    await expect(rows).toHaveCount(customers.length);
    for (const [index, customer] of customers.entries()) {
      await expect(rows.nth(index)).toContainText(customer.email);
    }
  }).toPass({ timeout: 30_000 });
  await checkPage("home");
});

// The customers table (index-backed: sort, filters, paging) is covered by e2e/customers.spec.ts.
