import type { Page } from "@playwright/test";
import { E2E_SANDBOX_KEY } from "./global-setup.ts";
import { expect, test } from "./support/fixtures.ts";

/**
 * The customer directory (tables from the index), the search palette, the customer page
 * (live from Commet, panel by panel) and portal links — against the production build and the
 * harness's fresh sandbox (60 customers, no webhooks: the startup sync fills the index).
 */

async function sandbox<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(new URL(path, process.env.E2E_SANDBOX_URL), {
    method,
    headers: { "x-api-key": E2E_SANDBOX_KEY, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(response.ok, `${method} ${path}`).toBe(true);
  const text = await response.text();
  return (text ? (JSON.parse(text) as { data?: T }).data : undefined) as T;
}
const api = <T>(path: string) => sandbox<T>("GET", `/api/v1${path}`);

type SandboxCustomer = { id: string; email: string; externalId: string | null; fullName: string | null };

async function customerByExternalId(externalId: string): Promise<SandboxCustomer> {
  const [customer] = await api<SandboxCustomer[]>(`/customers?externalId=${externalId}&limit=1`);
  expect(customer).toBeTruthy();
  return customer!;
}

/** The startup sync has indexed all 60 seeded customers (the banner says so once it is idle). */
async function waitForIndex(page: Page) {
  await expect(async () => {
    await page.goto("/customers");
    await expect(page.getByTestId("sync-banner")).toContainText("Index of 60 customers", { timeout: 1_000 });
  }).toPass({ timeout: 90_000 });
}

/** Presses the shortcut until the palette opens: its key listener exists only once the page has hydrated. */
async function openSearch(page: Page, key: string) {
  const box = page.getByRole("combobox", { name: /Search customers/ });
  await expect(async () => {
    await page.locator("body").press(key);
    await expect(box).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
  return box;
}

test.beforeEach(async ({ signInAs }) => {
  // Support is the least privileged role that may issue portal links.
  await signInAs("support");
});

test.afterEach(async () => {
  await sandbox("DELETE", "/__sandbox/faults");
});

test("customers table: server-side sort, status filter and paging, all in the URL", async ({ page, checkPage }) => {
  await waitForIndex(page);
  const rows = page.getByTestId("customers-table").locator("tbody tr");
  await expect(rows).toHaveCount(25);
  await expect(page.getByTestId("pager-summary")).toHaveText("1–25 of 60 customers · page 1 of 3");
  await checkPage("customers-index");

  await page.getByRole("link", { name: /^Email: sort/ }).click();
  await expect(page).toHaveURL(/sort=email/);
  // The URL changes when the navigation commits; the table re-renders just after (a transition): poll.
  const emailCells = rows.locator("td:nth-child(2)");
  await expect
    .poll(async () => {
      const emails = await emailCells.allTextContents();
      return emails.length === 25 && emails.every((e, i) => i === 0 || emails[i - 1]!.localeCompare(e) <= 0);
    })
    .toBe(true);

  await page.getByRole("link", { name: "Next page" }).click();
  await expect(page).toHaveURL(/page=2/);
  await expect(page.getByTestId("pager-summary")).toHaveText("26–50 of 60 customers · page 2 of 3");
  const page2 = page.url();
  await page.reload();
  await expect(page.getByTestId("pager-summary")).toHaveText("26–50 of 60 customers · page 2 of 3");
  expect(page.url()).toBe(page2);

  await page.locator("select[name=status]").selectOption("past_due");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/status=past_due/);
  await expect(page).not.toHaveURL(/page=2/);
  await expect
    .poll(async () => {
      const statuses = await rows
        .locator("[data-status]")
        .evaluateAll((els) => els.map((e) => e.getAttribute("data-status")));
      return statuses.length > 0 && statuses.every((st) => st === "past_due");
    })
    .toBe(true);
  await checkPage("customers-past-due");

  await page.locator("select[name=status]").selectOption("none");
  await page.locator("select[name=plan]").selectOption({ index: 1 });
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByText("No customer matches these filters.")).toBeVisible();
  await page.getByRole("link", { name: "Clear filters" }).click();
  await expect(rows).toHaveCount(25);
});

test("subscriptions: counts per status, filter by status", async ({ page, checkPage }) => {
  await waitForIndex(page);
  await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Subscriptions" }).click();
  await expect(page).toHaveURL(/\/subscriptions$/);
  const pastDue = page.getByTestId("status-count-past_due");
  const count = Number(await pastDue.locator(".count").textContent());
  expect(count).toBeGreaterThan(0);
  const truth = await api<Array<{ status: string }>>("/subscriptions?status=past_due&limit=100");
  expect(count).toBe(truth.length);
  await pastDue.click();
  await expect(page).toHaveURL(/status=past_due/);
  const rows = page.getByTestId("subscriptions-table").locator("tbody tr");
  await expect(rows).toHaveCount(Math.min(count, 25));
  await expect(pastDue).toHaveAttribute("aria-current", "page");
  await checkPage("subscriptions-past-due");
});

test("an agent finds a customer by email fragment with the shortcut, reads the page, issues a portal link", async ({
  page,
  context,
  checkPage,
}) => {
  const customer = await customerByExternalId("usr_000001");
  const [seatBalances, features] = await Promise.all([
    api<{ balances: Record<string, { current: number }> }>(`/seats/balances?customerId=${customer.id}`),
    api<Array<{ code: string; current?: number; included?: number }>>(`/feature-access?customerId=${customer.id}`),
  ]);
  await waitForIndex(page);

  // "/" from anywhere but a field opens the search; an email fragment finds the customer.
  const box = await openSearch(page, "/");
  await expect(box).toBeFocused();
  const fragment = customer.email.slice(0, Math.max(4, customer.email.indexOf("@") - 2)).toUpperCase();
  await box.fill(fragment);
  const hit = page
    .getByRole("listbox", { name: "Customers found" })
    .getByRole("option")
    .filter({ hasText: customer.email });
  await expect(hit).toBeVisible();
  await checkPage("search-palette");
  const options = await page.getByRole("listbox", { name: "Customers found" }).getByRole("option").allTextContents();
  const index = options.findIndex((text) => text.includes(customer.email));
  for (let i = 0; i <= index; i++) await box.press("ArrowDown");
  await expect(hit).toHaveAttribute("aria-selected", "true");
  await box.press("Enter");
  await expect(page).toHaveURL(new RegExp(`/customers/${customer.id}$`));

  // Plan, seats and usage, read live from Commet.
  await expect(page.getByTestId("customer-title")).toHaveText(customer.fullName ?? customer.email);
  await expect(page.getByTestId("plan-name")).toHaveText("Pro");
  for (const [code, balance] of Object.entries(seatBalances.balances)) {
    await expect(page.getByTestId(`seats-${code}`)).toHaveText(balance.current.toLocaleString("en-US"));
  }
  const apiCalls = features.find((f) => f.code === "api_calls")!;
  await expect(page.locator('[data-feature="api_calls"] [data-testid="feature-usage"]')).toHaveText(
    `${apiCalls.current!.toLocaleString("en-US")} / ${apiCalls.included!.toLocaleString("en-US")}`,
  );
  await expect(page.locator("[data-panel=invoices] tbody tr").first()).toBeVisible();
  await checkPage("customer-page");

  // Line items on expand.
  await page.locator("[data-panel=invoices] button.disclosure").first().click();
  await expect(page.locator(".invoice-lines tbody tr").first()).toBeVisible();

  // Portal link: shown once, with copy / open / message.
  await page.getByRole("button", { name: "Issue portal link" }).click();
  const result = page.getByTestId("portal-result");
  await expect(result).toBeVisible();
  const url = await result.getByLabel("Portal link").inputValue();
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/portal\//);
  await expect(result.getByLabel("Message to send")).toHaveValue(
    new RegExp(url.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")),
  );
  await expect(result).toContainText("single-use and expires after 2 hours of inactivity");
  await checkPage("portal-link");

  const popupPromise = page.waitForEvent("popup");
  await result.getByRole("link", { name: "Open" }).click();
  const portal = await popupPromise;
  await expect(portal.getByRole("heading", { name: "Billing portal" })).toBeVisible();
  await portal.close();

  const again = await context.newPage();
  const second = await again.goto(url);
  expect(second?.status()).toBe(410);
  await expect(again.getByRole("heading", { name: "This link has expired" })).toBeVisible();
  await again.close();

  // Audited (who, for whom), without the URL.
  await page.reload();
  const actions = page.locator("[data-panel=staff-actions]");
  await expect(actions).toContainText("portal.issue");
  await expect(actions).toContainText("support");
  expect(await page.content()).not.toContain(url);
});

test("one failing Commet call degrades only its panel; retry brings it back", async ({ page, checkPage }) => {
  await sandbox("PUT", "/__sandbox/faults", [
    { route: "GET /api/v1/seats/balances*", errorStatus: 503 },
    { route: "GET /api/v1/invoices*", latencyMs: 1_500 },
  ]);
  const response = await page.goto("/customers/usr_000002");
  expect(response?.status()).toBe(200);
  const seats = page.locator("[data-panel=seats]");
  await expect(seats.getByTestId("panel-error")).toBeVisible({ timeout: 15_000 });
  await expect(page.getByTestId("plan-name")).toBeVisible();
  await expect(page.locator("[data-panel=features] tbody tr").first()).toBeVisible();
  await expect(page.locator("[data-panel=invoices]")).not.toContainText("could not load");
  await checkPage("customer-failing-panel");

  await sandbox("DELETE", "/__sandbox/faults");
  await seats.getByRole("button", { name: "Retry" }).click();
  await expect(seats.getByTestId("panel-error")).toHaveCount(0);
  await expect(seats.locator("[data-seat]").first()).toBeVisible();
});

test("Ctrl-K + Enter on a single exact hit opens the customer; by-external links redirect; unknown ids are 404", async ({
  page,
  checkPage,
}) => {
  const customer = await customerByExternalId("usr_000003");
  await waitForIndex(page);
  const box = await openSearch(page, "Control+k");
  await box.fill("usr_000003");
  await expect(page.getByRole("listbox", { name: "Customers found" }).getByRole("option")).toHaveCount(1);
  await expect(page.getByRole("status").filter({ hasText: "Enter opens the exact match" })).toBeVisible();
  await box.press("Enter");
  await expect(page).toHaveURL(new RegExp(`/customers/${customer.id}$`));
  await expect(page.getByTestId("customer-title")).toHaveText(customer.fullName ?? customer.email);

  await page.goto("/customers/by-external/usr_000003");
  await expect(page).toHaveURL(/\/customers\/usr_000003$/);
  await expect(page.getByTestId("customer-title")).toHaveText(customer.fullName ?? customer.email);

  const missing = await page.goto("/customers/no-such-customer-anywhere");
  expect(missing?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "No such customer" })).toBeVisible();
  await checkPage("customer-404");
});

test("webhooks without a valid signature are refused and store nothing", async ({ request }) => {
  const body = JSON.stringify({
    id: "evt_e2e_unsigned",
    event: "customer.created",
    timestamp: new Date().toISOString(),
    data: {},
  });
  const unsigned = await request.post("/webhooks/commet", {
    data: body,
    headers: { "content-type": "application/json" },
  });
  expect(unsigned.status()).toBe(401);
  const forged = await request.post("/webhooks/commet", {
    data: body,
    headers: { "content-type": "application/json", "x-commet-signature": "00".repeat(32) },
  });
  expect(forged.status()).toBe(401);
});
