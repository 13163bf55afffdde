// The projected next invoice read through the real SDK from the sandbox (seeded plans: Pro $99, 100,000 API calls
// then $0.001, 10 editors then $10), compared with hand-computed amounts.
import type { Commet } from "@commet/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clearFaults, setFaults, startTestSandbox, type TestSandbox } from "../testing/sandbox.ts";
import { toPanel } from "../customer-view/index.ts";
import type { InvoiceEstimate, ProjectedInvoicePanel } from "../../app/contracts/estimate.ts";
import { loadProjectedInvoice } from "./projected.ts";

let sandbox: TestSandbox;
let commet: Commet;

beforeAll(async () => {
  sandbox = await startTestSandbox({ seed: { customers: 16 } });
  commet = sandbox.client({ retries: 0 });
});
afterAll(async () => {
  await sandbox?.dispose();
});

function estimateOf(panel: ProjectedInvoicePanel): InvoiceEstimate {
  if (panel.kind !== "estimate") throw new Error(`no estimate: ${panel.reason}`);
  return panel.estimate;
}

async function active(customerId: string) {
  const sub = (await commet.subscriptions.getActive({ customerId })).data;
  if (!sub?.currentPeriod) throw new Error(`${customerId} has no current period`);
  return { ...sub, currentPeriod: sub.currentPeriod };
}

describe("loadProjectedInvoice against the sandbox", () => {
  it("Pro with 105,000 calls and 12 editors: $99 + 2 × $10 + 5,000 × $0.001 at the period end", async () => {
    const sub = await active("usr_000001");
    const used = sub.features?.find((f) => f.code === "api_calls")?.usage?.current ?? 0;
    await commet.usage.track({ customerId: "usr_000001", feature: "api_calls", value: 105_000 - used });
    await commet.seats.set({ customerId: "usr_000001", featureCode: "editor", count: 12 });

    // At the period end the projection is what was used: so far = projected.
    const atEnd = estimateOf(
      await loadProjectedInvoice("usr_000001", { commet, now: Date.parse(sub.currentPeriod.end) }),
    );
    expect(atEnd.period).toMatchObject({ start: sub.currentPeriod.start, end: sub.currentPeriod.end });
    expect(atEnd.currency).toBe("USD");
    const byKind = Object.fromEntries(atEnd.lines.map((l) => [l.featureCode ?? l.kind, l]));
    expect(byKind.base).toMatchObject({ soFar: 9_900, label: "Pro plan (monthly)" });
    expect(byKind.editor).toMatchObject({ kind: "seats", quantity: 2, soFar: 2_000 });
    expect(byKind.api_calls).toMatchObject({ kind: "overage", quantity: 5_000, soFar: 500, projected: 500 });
    expect(atEnd.totalSoFar).toBe(12_400);
    expect(atEnd.totalProjected).toBe(12_400);

    // Halfway through the period: 105,000 × 2 = 210,000 projected → 110,000 over × $0.001 = $110.
    const start = Date.parse(sub.currentPeriod.start);
    const half = start + (Date.parse(sub.currentPeriod.end) - start) / 2;
    const midway = estimateOf(await loadProjectedInvoice("usr_000001", { commet, now: half }));
    expect(midway.lines.find((l) => l.kind === "overage")).toMatchObject({
      projectedQuantity: 110_000,
      projected: 11_000,
    });
    expect(midway.totalProjected).toBe(9_900 + 2_000 + 11_000);
  });

  it("a downgrade scheduled for the period end prices the next base and seats on the new plan", async () => {
    const sub = await active("usr_000014"); // Business
    const pro = (await commet.plans.list({ includePrivate: "true" })).data!.find((p) => p.code === "pro")!;
    await commet.subscriptions.changePlan({ id: sub.id, newPlanId: pro.id });
    const e = estimateOf(await loadProjectedInvoice("usr_000014", { commet, now: Date.parse(sub.currentPeriod.end) }));
    expect(e.planName).toBe("Business");
    expect(e.nextPlanName).toBe("Pro");
    expect(e.lines.find((l) => l.kind === "base")).toMatchObject({ label: "Pro plan (monthly)", soFar: 9_900 });
  });

  it("a trial projects no overage; no subscription and a cancellation at period end project no invoice", async () => {
    const trial = estimateOf(await loadProjectedInvoice("usr_000002", { commet }));
    expect(trial.lines.some((l) => l.kind === "overage")).toBe(false);
    expect(trial.assumptions.join(" ")).toContain("Trial");

    expect(await loadProjectedInvoice("usr_000009", { commet })).toMatchObject({ kind: "none" });

    const ending = await active("usr_000015");
    await commet.subscriptions.cancel({ id: ending.id });
    const none = await loadProjectedInvoice("usr_000015", { commet });
    expect(none).toMatchObject({ kind: "none" });
    expect(none.kind === "none" && none.reason).toContain("ends at the period end");
  });

  it("a failing plan read becomes the panel's retryable error, not a wrong estimate", async () => {
    await setFaults(sandbox, [{ route: "GET /api/v1/plans/*", errorStatus: 503 }]);
    try {
      const panel = await toPanel(loadProjectedInvoice("usr_000008", { commet }), "projected-invoice");
      expect(panel.ok).toBe(false);
      if (!panel.ok) expect(panel.problem).toMatchObject({ kind: "unavailable", retryable: true });
    } finally {
      await clearFaults(sandbox);
    }
  });
});
