/**
 * Period-over-period comparison: the explorer's previous series for the same filters, and the comparison CSV whose
 * total rows are the page's totals (current, previous, Δ, Δ%), per grain. Hand-made usage in two Octobers' weeks.
 */
import { beforeAll, expect, it } from "vitest";
import { parseUsageSearch } from "../../../app/contracts/usage-search.ts";
import { createAuditLog } from "../../audit/index.ts";
import { describeEachEngine } from "../../testing/db.ts";
import { deliverUsage, usageEnvelope } from "../../testing/timeline.ts";
import { COMPARE_CSV_COLUMNS } from "./compare.ts";
import { exportComparisonCsv, loadUsageExplorer } from "./pages.ts";

const finance = { id: "stf_fin", email: "finance@demo.local", role: "finance" };
const plans = async () => [];

describeEachEngine("explorer comparison with the previous range", (ctx) => {
  beforeAll(async () => {
    const usage: Array<[string, string, string, number]> = [
      ["usr_1", "api_calls", "2026-11-03T10:00:00Z", 150], // current range Nov 1–30
      ["usr_2", "api_calls", "2026-11-20T10:00:00Z", 50],
      ["usr_1", "storage", "2026-11-04T10:00:00Z", 7],
      ["usr_1", "api_calls", "2026-10-05T10:00:00Z", 100], // day grain's previous range Oct 2–31
      ["usr_1", "api_calls", "2026-10-01T10:00:00Z", 40], // only in the month grain's previous range Oct 1–31
    ];
    for (const [customerId, featureCode, ts, value] of usage) {
      const res = await deliverUsage(
        ctx.database,
        usageEnvelope({ usageEventId: `ue_${customerId}_${featureCode}_${ts}`, customerId, featureCode, value, ts }),
      );
      expect(res.status).toBe(200);
    }
  });

  const search = (q: string) =>
    parseUsageSearch(new URLSearchParams(`range=custom&from=2026-11-01&to=2026-11-30&${q}`));

  it("the page carries the previous range's series only when asked", async () => {
    const plain = await loadUsageExplorer(search(""), { database: ctx.database, plans });
    expect(plain.result!.previous).toBeNull();
    const day = await loadUsageExplorer(search("compare=previous"), { database: ctx.database, plans });
    expect(day.result!.previous).toMatchObject({ from: "2026-10-02", to: "2026-10-31", total: 100 });
    const month = await loadUsageExplorer(search("compare=previous&grain=month"), { database: ctx.database, plans });
    expect(month.result!.previous).toMatchObject({ from: "2026-10-01", to: "2026-10-31", total: 140 });
    await Promise.all([plain, day, month].map((p) => p.result!.top));
  });

  it("the CSV's total rows are current, previous, Δ and Δ% per feature; buckets follow the grain; audited", async () => {
    const exported = await exportComparisonCsv(finance, search("compare=previous&grain=month"), {
      database: ctx.database,
      plans,
    });
    if (exported.error !== null) throw new Error(exported.error);
    let text = "";
    for await (const chunk of exported.csv) text += String(chunk);
    const [head, ...lines] = text.trim().split("\n");
    expect(head).toBe(COMPARE_CSV_COLUMNS.map((c) => c.header).join(","));
    const cells = lines.map((l) => Object.fromEntries(l.split(",").map((v, i) => [COMPARE_CSV_COLUMNS[i]!.key, v])));
    expect(cells.filter((c) => c.row === "bucket")).toEqual([
      expect.objectContaining({
        bucket: "2026-11-01",
        previous_bucket: "2026-10-01",
        feature_code: "api_calls",
        current: "200",
        previous: "140",
        delta: "60",
      }),
      expect.objectContaining({
        bucket: "2026-11-01",
        feature_code: "storage",
        current: "7",
        previous: "0",
        delta_pct: "",
      }),
    ]);
    expect(cells.filter((c) => c.row === "total")).toEqual([
      expect.objectContaining({
        bucket: "2026-11-01..2026-11-30",
        previous_bucket: "2026-10-01..2026-10-31",
        feature_code: "api_calls",
        current: "200",
        previous: "140",
        delta: "60",
        delta_pct: "42.9",
      }),
      expect.objectContaining({ feature_code: "storage", current: "7", previous: "0", delta: "7" }),
    ]);
    const audit = await createAuditLog(ctx.db).list({ action: "usage.compare_export" }, { pageSize: 5, page: 1 });
    expect(audit.rows[0]).toMatchObject({
      status: "succeeded",
      params: { previous: { from: "2026-10-01", to: "2026-10-31" } },
    });
  });
});
