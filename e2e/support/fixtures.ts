import AxeBuilder from "@axe-core/playwright";
import { test as base, expect, type Page, type TestInfo } from "@playwright/test";
import fs from "node:fs";
import path from "node:path";
import type { Role } from "../../app/contracts/permissions.ts";
import { signInPageAs } from "./staff-accounts.ts";

export const ARTIFACTS_DIR = path.resolve(import.meta.dirname, "../artifacts");

/** Fails on serious or critical WCAG 2.x A/AA violations of the page as it is now. */
export async function expectAccessible(page: Page, testInfo: TestInfo, label: string) {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const blocking = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  if (results.violations.length > 0) {
    await testInfo.attach(`axe-${label}.json`, {
      body: JSON.stringify(results.violations, null, 2),
      contentType: "application/json",
    });
  }
  expect(
    blocking.map((v) => `${v.impact}: ${v.id} — ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`),
    `accessibility violations on ${label}`,
  ).toEqual([]);
}

/** Full-page screenshot kept under e2e/artifacts/ and attached to the report. */
export async function keepScreenshot(page: Page, testInfo: TestInfo, label: string) {
  const slug = `${testInfo.titlePath.slice(1).join("-")}-${label}`
    .replace(/[^A-Za-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .toLowerCase();
  fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const file = path.join(ARTIFACTS_DIR, `${slug}.png`);
  await page.screenshot({ path: file, fullPage: true });
  await testInfo.attach(label, { path: file, contentType: "image/png" });
}

type Fixtures = {
  /** Records the page as visited: screenshot kept, accessibility checked. Call once the page shows what the step expects. */
  checkPage: (label: string) => Promise<void>;
  /** Signs the page's browser context in as the harness account of `role` (support/staff-accounts.ts). */
  signInAs: (role: Role) => Promise<void>;
};

export const test = base.extend<Fixtures>({
  signInAs: async ({ page, baseURL }, use) => {
    await use((role) => signInPageAs(page, baseURL!, role));
  },
  checkPage: async ({ page }, use, testInfo) => {
    let checked = 0;
    // Uncaught exceptions in the browser (a hydration mismatch, a crashing component) fail the journey.
    const pageErrors: string[] = [];
    page.on("pageerror", (error) => pageErrors.push(error.message));
    page.on("console", (message) => {
      // React reports hydration mismatches on the console; failed loads are expected on 404/502 pages.
      if (message.type() === "error" && !message.text().startsWith("Failed to load resource"))
        pageErrors.push(message.text());
    });
    await use(async (label) => {
      checked += 1;
      await page.waitForLoadState("networkidle");
      await keepScreenshot(page, testInfo, label);
      await expectAccessible(page, testInfo, label);
      expect(pageErrors, `uncaught errors in the browser on ${label}`).toEqual([]);
    });
    // Every journey that otherwise passed must have checked at least one page it visited.
    if (testInfo.status === testInfo.expectedStatus) {
      expect(checked, "the journey called checkPage() on no page").toBeGreaterThan(0);
    }
  },
});

export { expect };
