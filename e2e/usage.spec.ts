import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Page } from "@playwright/test";
import { BUILD_DIR } from "../server/project-root.ts";
import { expect, test } from "./support/fixtures.ts";
import { startConsole, type RunningConsole } from "./support/console-server.ts";
import { E2E_ACCOUNTS, seedStaffAccounts } from "./support/staff-accounts.ts";

/**
 * Usage timeline journeys. The harness console's sandbox sends no webhooks, so these run
 * against their own console in embedded-sandbox mode (COMMET_API_KEY unset): it starts the sandbox
 * with its webhooks pointed at the console, and the demo organization's usage history reaches the
 * timeline the real way — signed usage.recorded deliveries to POST /webhooks/commet.
 */
test.describe.configure({ timeout: 360_000 });

let running: RunningConsole;
let base: string;
let tmp: string;

test.beforeAll(async () => {
  test.setTimeout(180_000);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "commet-e2e-usage-"));
  await seedStaffAccounts(tmp);
  const env: Record<string, string> = {
    DATA_DIR: tmp,
    COMMET_API_KEY: "",
    COMMET_API_URL: "",
    COMMET_WEBHOOK_SECRET: "",
  };
  running = await startConsole(env, 150_000);
  base = running.url;
});

test.afterAll(async () => {
  await running?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

async function signIn(page: Page, role: keyof typeof E2E_ACCOUNTS) {
  const response = await page.request.post(`${base}/login`, {
    form: { email: E2E_ACCOUNTS[role].email, password: E2E_ACCOUNTS[role].password, redirectTo: "/" },
    headers: { Origin: base },
    maxRedirects: 0,
  });
  expect(response.status(), `sign-in as ${role}`).toBe(302);
}

/**
 * The seeded history replays oldest first (chunks of 500) and takes minutes; live events jump the queue.
 * Waits until it covers at least `days` + 2 UTC days and returns a custom range of `days` days ending two
 * days before the latest — complete by then, so the page and the CSV read the same rows.
 */
async function settledRange(page: Page, days = 2): Promise<{ from: string; to: string }> {
  let range: { from: string; to: string } | null = null;
  await expect(async () => {
    await page.goto(`${base}/usage?range=90d`);
    const status = page.getByTestId("ingest-status");
    const first = (await status.getAttribute("data-first-day", { timeout: 2_000 })) ?? "";
    const last = (await status.getAttribute("data-last-day", { timeout: 2_000 })) ?? "";
    const dayMs = 86_400_000;
    const covered = first && last ? (Date.parse(last) - Date.parse(first)) / dayMs : -1;
    expect(covered, `history so far: ${first} to ${last}`).toBeGreaterThanOrEqual(days + 2);
    // The last days but one are complete (replay chunks of 500 in flight).
    const to = new Date(Date.parse(last) - 2 * dayMs);
    range = {
      from: new Date(to.getTime() - (days - 1) * dayMs).toISOString().slice(0, 10),
      to: to.toISOString().slice(0, 10),
    };
  }).toPass({ timeout: 240_000, intervals: [3_000] });
  // History can outrun the directory sync: events stored before their subscription was indexed get their
  // plan from the console's plan assigner a few seconds later. Wait until every row of the range has one.
  await expect(async () => {
    const csv = await page.request.get(`${base}/usage/export.csv?range=custom&from=${range!.from}&to=${range!.to}`);
    expect(csv.status()).toBe(200);
    const rows = parseCsv(await csv.text()).slice(1);
    expect(rows.length).toBeGreaterThan(0);
    expect(
      rows.filter((r) => !r[CSV.planId]),
      "rows still waiting for their plan",
    ).toEqual([]);
  }).toPass({ timeout: 120_000, intervals: [2_000] });
  return range!;
}

/** Column positions of the usage CSV (ids and names). */
const CSV_HEADER = [
  "date (UTC)",
  "customer_id",
  "customer_external_id",
  "customer_name",
  "plan_id",
  "plan_name",
  "feature_code",
  "feature_name",
  "unit",
  "total",
  "currency",
  "estimated_amount",
  "events",
];
const CSV = Object.fromEntries(
  [
    "date",
    "customerId",
    "externalId",
    "customerName",
    "planId",
    "planName",
    "featureCode",
    "featureName",
    "unit",
    "total",
    "currency",
    "estimatedAmount",
    "events",
  ].map((k, i) => [k, i]),
) as Record<
  | "date"
  | "customerId"
  | "externalId"
  | "customerName"
  | "planId"
  | "planName"
  | "featureCode"
  | "featureName"
  | "unit"
  | "total"
  | "currency"
  | "estimatedAmount"
  | "events",
  number
>;

/** "1.30" USD → "$1.30", as the page's money formatter writes it; "—" without an estimate. */
const money = (decimal: string | undefined, currency: string | undefined) =>
  decimal && currency ? Number(decimal).toLocaleString("en-US", { style: "currency", currency }) : "—";

/** RFC 4180 rows (names may hold commas and quotes). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(cell);
      cell = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
    } else cell += c;
  }
  if (cell || row.length) rows.push([...row, cell]);
  return rows;
}

// Playwright reads the fixtures a test wants from its first parameter, which must be a destructuring pattern.
// eslint-disable-next-line no-empty-pattern
test("the client entry and root chunks carry no recharts (charts load with their routes)", async ({}, testInfo) => {
  const assets = path.join(BUILD_DIR, "client/assets");
  const manifestFile = fs.readdirSync(assets).find((f) => /^manifest-.*\.js$/.test(f));
  expect(manifestFile, "the production build's manifest").toBeTruthy();
  const manifest = JSON.parse(
    fs
      .readFileSync(path.join(assets, manifestFile!), "utf8")
      .replace(/^window\.__remixManifest=/, "")
      .replace(/;\s*$/, ""),
  );
  const shellFiles: string[] = [
    manifest.entry.module,
    ...manifest.entry.imports,
    manifest.routes.root.module,
    ...manifest.routes.root.imports,
  ];
  const withCharts = shellFiles.filter((f) =>
    fs.readFileSync(path.join(BUILD_DIR, "client", f), "utf8").includes("recharts-wrapper"),
  );
  expect(withCharts).toEqual([]);
  const usageRoute = manifest.routes["routes/usage._index"];
  const routeFiles: string[] = [usageRoute.module, ...usageRoute.imports];
  expect(
    routeFiles.some((f) => fs.readFileSync(path.join(BUILD_DIR, "client", f), "utf8").includes("recharts-wrapper")),
  ).toBe(true);
  testInfo.annotations.push({ type: "chunks", description: `shell: ${shellFiles.length} files without recharts` });
});

test("finance filters the explorer by plan and the CSV holds exactly the rows shown", async ({ page, checkPage }) => {
  await signIn(page, "finance");
  const { from, to } = await settledRange(page);
  await expect(page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Usage" })).toBeVisible();
  await page.goto(`${base}/usage?range=custom&from=${from}&to=${to}`);

  // A plan that has usage in the range: the plan of the first detail row that has one. The cell shows
  // the plan's name and carries its id (the CSV's plan_id) as data-value.
  const planCells = page.getByTestId("usage-rows").locator("tbody tr td:nth-child(3)");
  const plans = await planCells.evaluateAll((tds) => tds.map((td) => td.getAttribute("data-value") ?? ""));
  const plan = plans.find((p) => p.startsWith("plan_"));
  expect(plan, "a detail row with a plan").toBeTruthy();
  const planName = (await planCells.nth(plans.indexOf(plan!)).textContent())!.trim();
  expect(planName, "the plan shown by name").not.toMatch(/^plan_/);
  // The plan filter is a multi-select: open it and tick the plan.
  await page.getByTestId("filter-plan").locator("summary").click();
  await page.getByRole("group", { name: "Plan" }).getByRole("checkbox", { name: planName, exact: true }).check();
  // Close the open filter (its panel may cover the wrapped Apply button).
  await page.getByTestId("filter-plan").locator("summary").click();
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(new RegExp(`plan=${plan}`));
  await expect(page.getByTestId("usage-chart").locator(".recharts-wrapper > svg")).toBeVisible();
  // The URL changes when the navigation commits; the tables re-render just after (a transition): poll.
  await expect
    .poll(async () => {
      const cells = await planCells.evaluateAll((tds) => tds.map((td) => td.getAttribute("data-value")));
      return cells.length > 0 && cells.every((c) => c === plan);
    })
    .toBe(true);

  const shown = await page
    .getByTestId("usage-rows")
    .locator("tbody tr")
    .evaluateAll((rows) =>
      rows.map((tr) =>
        Array.from(tr.querySelectorAll("td")).map((td) => td.getAttribute("data-value") ?? td.textContent!.trim()),
      ),
    );
  expect(shown.length).toBeGreaterThan(0);
  for (const row of shown) expect(row[2]).toBe(plan);
  const totals = await page
    .getByTestId("usage-totals")
    .locator("tbody tr")
    .evaluateAll((rows) =>
      rows.map((tr) => [tr.getAttribute("data-feature")!, Number(tr.getAttribute("data-total"))] as const),
    );
  expect(totals.length).toBeGreaterThan(0);
  await checkPage("usage explorer filtered by plan");

  const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("usage-export").click()]);
  expect(download.suggestedFilename()).toMatch(/^usage_\d{4}-\d{2}-\d{2}_\d{4}-\d{2}-\d{2}_UTC\.csv$/);
  const csv = parseCsv(fs.readFileSync((await download.path())!, "utf8"));
  expect(csv[0]).toEqual(CSV_HEADER);
  const rows = csv.slice(1);
  // Every row is of the chosen plan (by id and by the name shown), the first rows are the table's rows, and the
  // totals per feature are the chart's.
  for (const row of rows) expect([row[CSV.planId], row[CSV.planName]]).toEqual([plan, planName]);
  expect(
    rows
      .slice(0, shown.length)
      .map((r) => [
        r[CSV.date],
        r[CSV.customerId],
        r[CSV.planId],
        r[CSV.featureCode],
        r[CSV.unit] || "—",
        Number(r[CSV.total]).toLocaleString("en-US", { maximumFractionDigits: 4 }),
        money(r[CSV.estimatedAmount], r[CSV.currency]),
        r[CSV.events],
      ]),
  ).toEqual(shown);
  // Names beside the ids: the customer cells show the CSV's customer_name and its external id.
  const named = await page
    .getByTestId("usage-rows")
    .locator("tbody tr td:nth-child(2) .customer-cell")
    .evaluateAll((cells) =>
      cells.map((c) => [c.querySelector("a")!.textContent!.trim(), c.querySelector("code")?.textContent ?? ""]),
    );
  expect(
    rows
      .slice(0, shown.length)
      .map((r) =>
        r[CSV.customerName] ? [r[CSV.customerName], r[CSV.externalId] || r[CSV.customerId]] : [r[CSV.customerId], ""],
      ),
  ).toEqual(named);
  expect(rows.filter((r) => r[CSV.featureCode] === "api_calls").every((r) => r[CSV.featureName] === "API calls")).toBe(
    true,
  );
  // The top-customers table exports as CSV: its rows are the CSV's first rows (ids and names).
  await expect(page.getByTestId("top-customers")).toBeVisible();
  const topShown = await page
    .getByTestId("top-customers")
    .locator("tbody tr .customer-cell")
    .evaluateAll((cells) =>
      cells.map((c) => [c.getAttribute("data-value"), c.querySelector("a")!.textContent!.trim()]),
    );
  const topHref = (await page.getByTestId("top-customers-export").getAttribute("href"))!;
  expect(topHref).toContain(`plan=${plan}`);
  const topCsv = parseCsv(await (await page.request.get(`${base}${topHref}`)).text());
  expect(topCsv[0]).toEqual([
    "rank",
    "customer_id",
    "customer_external_id",
    "customer_name",
    "plan_ids",
    "plan_names",
    "usage",
    "overage",
    "by_feature",
    "currency",
    "estimated_amount",
    "estimated_amount_by_feature",
  ]);
  expect(topCsv.slice(1, 1 + topShown.length).map((r) => [r[1], r[3] || r[1]])).toEqual(topShown);
  // Amounts beside the units: the table's estimates are the CSV's (cents), labelled "Estimate".
  await expect(page.getByTestId("top-customers").getByRole("columnheader", { name: "Estimate" })).toBeVisible();
  const topAmounts = await page
    .getByTestId("top-customers")
    .locator("tbody tr")
    .evaluateAll((trs) =>
      trs.map((tr) => tr.querySelector("[data-testid=top-estimate]")?.getAttribute("data-amount") ?? ""),
    );
  expect(
    topAmounts.some((a) => a !== ""),
    "an estimate in the table",
  ).toBe(true);
  expect(
    topCsv.slice(1, 1 + topShown.length).map((r) => (r[10] ? String(Math.round(Number(r[10]) * 100)) : "")),
  ).toEqual(topAmounts);
  const csvTotals = new Map<string, number>();
  for (const row of rows)
    csvTotals.set(row[CSV.featureCode]!, (csvTotals.get(row[CSV.featureCode]!) ?? 0) + Number(row[CSV.total]));
  expect([...csvTotals.entries()].sort()).toEqual([...totals].sort());
});

test("finance compares the range with the previous one: chart, totals with Δ, and a CSV of the same totals", async ({
  page,
  checkPage,
}) => {
  await signIn(page, "finance");
  const { from, to } = await settledRange(page, 3);
  await page.goto(`${base}/usage?range=custom&from=${from}&to=${to}`);
  await page.getByLabel("Compare with").selectOption("previous");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/compare=previous/);
  const table = page.getByTestId("usage-compare");
  await expect(table).toBeVisible();
  await expect(page.getByTestId("usage-chart").locator(".recharts-wrapper > svg")).toBeVisible();
  // The legend names the previous range beside each feature.
  await expect(page.getByTestId("usage-chart")).toContainText("previous (");
  const shown = await table
    .locator("tbody tr")
    .evaluateAll((trs) =>
      trs.map((tr) => [
        tr.getAttribute("data-feature")!,
        Number(tr.getAttribute("data-current")),
        Number(tr.getAttribute("data-previous")),
      ]),
    );
  expect(shown.length).toBeGreaterThan(0);
  await checkPage("usage explorer compared with the previous range");
  const href = (await page.getByTestId("usage-compare-export").getAttribute("href"))!;
  const csv = parseCsv(await (await page.request.get(`${base}${href}`)).text());
  const cols = csv[0]!;
  const col = (r: string[], name: string) => r[cols.indexOf(name)]!;
  const totals = csv
    .slice(1)
    .filter((r) => col(r, "row") === "total")
    .map((r) => [col(r, "feature_code"), Number(col(r, "current")), Number(col(r, "previous"))]);
  expect(totals).toEqual(shown);
  for (const r of csv.slice(1).filter((r) => col(r, "row") === "total"))
    expect(Number(col(r, "delta"))).toBe(Number(col(r, "current")) - Number(col(r, "previous")));
});

test("finance reviews every customer's current and last closed billing period, sorted, and the CSV adds up", async ({
  page,
  checkPage,
}) => {
  await signIn(page, "finance");
  await settledRange(page);
  await page.goto(`${base}/usage`);
  await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Billing periods" }).click();
  await expect(page.getByRole("heading", { name: /Billing periods/, level: 1 })).toBeVisible();
  const totals = page.getByTestId("periods-totals");
  const customers = Number(await totals.getAttribute("data-customers"));
  expect(customers).toBeGreaterThan(0);
  const amount = Number(await totals.getAttribute("data-amount"));
  await expect(page.getByTestId("periods-table")).toBeVisible();
  await checkPage("billing periods, current");

  // Sorting by customer is in the URL (TanStack table header link).
  await page.getByRole("link", { name: /Customer: sort ascending/ }).click();
  await expect(page).toHaveURL(/sort=customer/);
  // The table re-renders just after the URL commits (a transition): poll.
  await expect
    .poll(async () => {
      const names = await page
        .getByTestId("periods-table")
        .locator("tbody tr td:first-child a")
        .evaluateAll((as) => as.map((a) => a.textContent!.trim().toLowerCase()));
      return names.length > 1 && names.join("|") === [...names].sort((a, b) => a.localeCompare(b)).join("|");
    })
    .toBe(true);

  // The CSV (every page) adds up to the page's totals.
  const href = (await page.getByTestId("periods-export").getAttribute("href"))!;
  const csv = parseCsv(await (await page.request.get(`${base}${href}`)).text());
  const cols = csv[0]!;
  const col = (r: string[], name: string) => r[cols.indexOf(name)]!;
  const rows = csv.slice(1);
  expect(new Set(rows.map((r) => col(r, "customer_id"))).size).toBe(customers);
  expect(rows.reduce((n, r) => n + Math.round(Number(col(r, "estimated_amount")) * 100), 0)).toBe(amount);
  expect(rows.every((r) => col(r, "customer_id").startsWith("cus_") && col(r, "plan_name"))).toBe(true);

  // The last closed period shows Commet's invoiced overage beside the estimate.
  await page.getByRole("link", { name: "Last closed period" }).click();
  await expect(page).toHaveURL(/mode=closed/);
  await expect(page.getByTestId("periods-page-invoiced")).toBeVisible();
  await expect(page.getByTestId("periods-table").getByTestId("period-invoiced").first()).toBeVisible();
  await checkPage("billing periods, last closed");
});

test("a range without usage shows the empty state", async ({ page, checkPage }) => {
  await signIn(page, "finance");
  await page.goto(`${base}/usage?range=custom&from=2020-01-01&to=2020-01-31`);
  await expect(page.getByTestId("usage-range-empty")).toHaveText("No usage recorded in this range.");
  await checkPage("usage explorer empty range");
});

test("the customer's Usage tab shows a manual entry recorded earlier as an annotation", async ({ page, checkPage }) => {
  await signIn(page, "finance");
  const { from, to } = await settledRange(page);
  await page.goto(`${base}/usage?range=custom&from=${from}&to=${to}`);
  const customer = (await page
    .getByTestId("top-customers")
    .locator("tbody tr")
    .first()
    .locator("[data-customer-ref]")
    .getAttribute("data-customer-ref"))!;
  await page.request.post(`${base}/logout`, { form: {}, headers: { Origin: base }, maxRedirects: 0 });

  // Ops records a manual entry through the console's own ops form (POST /customers/:id/usage), from the console's origin.
  await signIn(page, "ops");
  const quantity = 4242;
  const response = await page.request.post(`${base}/customers/${encodeURIComponent(customer)}/usage`, {
    form: {
      intent: "record",
      featureCode: "api_calls",
      quantity: String(quantity),
      eventTime: "",
      reasonCode: "missed_events",
      reasonText: "",
      idempotencyKey: `usage-${randomUUID()}`,
    },
    headers: { Origin: base },
    maxRedirects: 0,
  });
  expect(response.status(), await response.text()).toBe(200);

  const panel = page.locator('[data-panel="usage-timeline"]');
  await expect(async () => {
    await page.goto(`${base}/customers/${encodeURIComponent(customer)}`);
    await expect(panel.getByTestId("customer-usage-chart-api_calls").locator(".recharts-wrapper > svg")).toBeVisible({
      timeout: 10_000,
    });
  }).toPass({ timeout: 60_000 });
  await expect(panel.getByTestId("usage-annotations")).toContainText(
    `Manual entry +${quantity.toLocaleString("en-US")}`,
  );
  await expect(panel.getByTestId("customer-usage-chart-api_calls").locator(".recharts-wrapper > svg")).toContainText(
    `Manual +${quantity.toLocaleString("en-US")}`,
  );
  await expect(panel.getByTestId("drift-badge")).toBeVisible();
  await checkPage("customer usage tab with manual entry");
});

test("webhooks dropped on purpose show as drift: on the customer's Usage tab and in finance's drifted list", async ({
  page,
  checkPage,
}) => {
  await signIn(page, "finance");
  await page.goto(`${base}/usage`);
  // The embedded sandbox: its URL from the console's start-up line, its key from the console's data directory.
  await expect(page.locator(".topbar__target")).toContainText("embedded sandbox");
  const sandboxUrl = /Commet: embedded sandbox at (\S+)\)/.exec(running.readyLine)![1]!;
  const { apiKey } = JSON.parse(fs.readFileSync(path.join(tmp, "sandbox-credentials.json"), "utf8")) as {
    apiKey: string;
  };
  const sandbox = async <T>(method: string, route: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${sandboxUrl}${route}`, {
      method,
      headers: { "x-api-key": apiKey, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    expect(res.ok, `${method} ${route}: ${text}`).toBe(true);
    return (text ? JSON.parse(text) : null) as T;
  };
  // Replayed history is matched by webhook fault rules as it is sent: let it finish so the rule meets our event.
  await expect
    .poll(
      async () => {
        const h = await sandbox<{ historyEvents: number; historyDelivered: number }>("GET", "/__sandbox/health");
        return h.historyEvents > 0 && h.historyDelivered === h.historyEvents;
      },
      { timeout: 240_000, intervals: [2_000] },
    )
    .toBe(true);

  const tag = randomUUID().slice(0, 8);
  const customer = (
    await sandbox<{ data: { id: string } }>("POST", "/api/v1/customers", {
      email: `drift+${tag}@example.test`,
      externalId: `e2e_drift_${tag}`,
      fullName: `E2E drift ${tag}`,
    })
  ).data;
  await sandbox("POST", "/api/v1/subscriptions", { customerId: customer.id, planCode: "pro", skipTrial: true });
  await sandbox("PUT", "/__sandbox/faults", [{ webhook: "usage.recorded", drop: true, times: 1 }]);
  await sandbox("POST", "/api/v1/usage/events", { customerId: customer.id, feature: "api_calls", value: 40 }); // its webhook is dropped
  await sandbox("POST", "/api/v1/usage/events", { customerId: customer.id, feature: "api_calls", value: 2 });

  // Opening the Usage tab checks nothing (its GET is read-only); "Check against Commet now" (a POST)
  // reconciles: the timeline has 2 calls, Commet 42.
  const panel = page.locator('[data-panel="usage-timeline"]');
  await expect(async () => {
    await page.goto(`${base}/customers/${customer.id}`);
    await expect(panel.getByTestId("drift-badge")).toHaveAttribute("data-status", "unchecked", { timeout: 10_000 });
  }).toPass({ timeout: 60_000 });
  await expect(async () => {
    await panel.getByRole("button", { name: "Check against Commet now" }).click();
    await expect(panel.getByTestId("drift-badge")).toHaveAttribute("data-status", "drifted", { timeout: 10_000 });
  }).toPass({ timeout: 60_000 });
  await expect(panel.getByTestId("drift-badge")).toHaveText("Drift: api_calls +40");
  await checkPage("customer usage tab drifted");

  // Finance re-checks everyone against Commet: the customer is listed with its difference.
  await page.goto(`${base}/usage`);
  // The run is throttled and polled: progress first ("Checked n of m customers"), then the summary.
  await page.getByRole("button", { name: "Check all against Commet now" }).click();
  await expect(page.getByRole("status").filter({ hasText: /^Checked \d+ customers/ })).toBeVisible({ timeout: 60_000 });
  await expect(page.getByRole("button", { name: "Check all against Commet now" })).toBeEnabled();
  const row = page
    .getByTestId("drift-list")
    .getByRole("row")
    .filter({ hasText: `e2e_drift_${tag}` });
  await expect(row).toContainText("Drift: api_calls +40");
  // Named, with its id still shown.
  await expect(row).toContainText(`E2E drift ${tag}`);
  await checkPage("usage explorer drifted customers");
});
