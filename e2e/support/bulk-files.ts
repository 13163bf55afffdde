import type { Commet } from "@commet/node";
import type { Page } from "@playwright/test";
import { parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";
import fs from "node:fs";
import { expect } from "./fixtures.ts";
import { usageTotal } from "./ops-sdk.ts";

/**
 * Bulk-change files for the journeys, generated per run from the customers the journey made (nothing big is
 * committed): written as a spreadsheet would (byte-order mark, semicolons, CRLF, quoted cells), uploaded on /bulk.
 */
export type UsageLine = {
  customer: string;
  feature: string;
  quantity: string;
  event_time: string;
  reason: string;
  key: string;
};

export const USAGE_HEADER = ["customer", "feature", "quantity", "event_time", "reason", "key"] as const;

/** The file's text; line N of the file is row N − 1 (line 1 is the header). */
export function usageCsv(rows: readonly UsageLine[], options: { spreadsheet: boolean }): string {
  const text = stringify(
    rows.map((r) => USAGE_HEADER.map((c) => r[c])),
    {
      header: true,
      columns: [...USAGE_HEADER],
      delimiter: options.spreadsheet ? ";" : ",",
      record_delimiter: options.spreadsheet ? "windows" : "unix",
    },
  );
  return options.spreadsheet ? `\uFEFF${text}` : text;
}

export function seatsCsv(rows: ReadonlyArray<readonly [string, string, string, string, string]>): string {
  return stringify([["customer", "seat_type", "operation", "quantity", "reason"], ...rows.map((r) => [...r])]);
}

/** Chooses the file on /bulk and uploads it; resolves once the batch page (or the refusal) is shown. */
export async function uploadBulkFile(page: Page, kind: "seats" | "usage", name: string, content: string) {
  await page.goto("/bulk");
  const form = page.getByTestId("bulk-upload");
  await form.getByLabel(kind === "usage" ? "Manual usage" : "Seat changes").check();
  await form.getByLabel("CSV file").setInputFiles({ name, mimeType: "text/csv", buffer: Buffer.from(content, "utf8") });
  await form.getByRole("button", { name: "Upload and validate" }).click();
  await expect(page.getByTestId("bulk-title").or(page.getByTestId("bulk-file-errors"))).toBeVisible({
    timeout: 60_000,
  });
}

/** A downloaded CSV as records keyed by its header. */
export async function downloadCsv(page: Page, testId: string): Promise<Array<Record<string, string>>> {
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId(testId).click()]);
  const text = fs.readFileSync((await download.path())!, "utf8");
  return parse(text, { columns: true, bom: true, skip_empty_lines: true }) as Array<Record<string, string>>;
}

/**
 * Customers the console's index held at start (the harness console takes no webhooks, so customers made later
 * are found by Commet id or external id only): those with `featureCode` metered now and room for `units`
 * more, for rows by email.
 */
export async function indexedCustomersWith(commet: Commet, featureCode: string, count: number, units: number) {
  const indexedBefore = Date.parse(process.env.E2E_INDEXED_BEFORE!);
  const listed = (await commet.customers.list({ limit: 100 })).data ?? [];
  const found: Array<{ id: string; email: string; before: number }> = [];
  for (const c of listed) {
    if (found.length === count) break;
    if (Date.parse(String(c.createdAt)) > indexedBefore) continue;
    const subscription = (await commet.subscriptions.getActive({ customerId: c.id })).data;
    if (subscription?.status !== "active") continue;
    const features = (await commet.featureAccess.list({ customerId: c.id })).data ?? [];
    // Commet refuses usage beyond the included units when the plan has no overage.
    const fits = (f: (typeof features)[number]) => f.unlimited || f.overageEnabled || (f.remaining ?? 0) >= units;
    if (!features.some((f) => f.code === featureCode && f.allowed && fits(f))) continue;
    found.push({ id: c.id, email: c.email, before: await usageTotal(commet, c.id, featureCode) });
  }
  return found;
}
