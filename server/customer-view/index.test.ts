import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Commet } from "@commet/node";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { setFaults, clearFaults, startTestSandbox, type TestSandbox } from "../testing/sandbox.ts";
import type { CustomerPanels, PanelResult } from "../../app/contracts/customer-view.ts";
import { loadCustomerView, settleWithin } from "./index.ts";

// The staff-actions panel reads the real audit trail: a throwaway SQLite database for this file.
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "customer-view-test-"));
process.env.DATA_DIR = dataDir;
delete process.env.DATABASE_URL;

let sandbox: TestSandbox;
let commet: Commet;

beforeAll(async () => {
  sandbox = await startTestSandbox({ seed: { customers: 12 } });
  // No SDK retries: a failing call fails at once (production keeps the SDK's 3 retries).
  commet = sandbox.client({ retries: 0 });
});
afterAll(async () => {
  await sandbox?.dispose();
  const { closeDb } = await import("../db/index.ts");
  await closeDb();
  fs.rmSync(dataDir, { recursive: true, force: true });
});
beforeEach(async () => {
  await clearFaults(sandbox);
});

async function settleAll(panels: CustomerPanels) {
  const entries = await Promise.all(Object.entries(panels).map(async ([name, p]) => [name, await p] as const));
  return Object.fromEntries(entries) as { [K in keyof CustomerPanels]: Awaited<CustomerPanels[K]> };
}

function data<T>(result: PanelResult<T>): T {
  if (!result.ok) throw new Error(`panel failed: ${result.problem.message}`);
  return result.data;
}

describe("loadCustomerView against the sandbox", () => {
  it("reads every panel of an active Pro customer (usr_000001) by externalId", async () => {
    const panels = await settleAll(loadCustomerView("usr_000001", { commet }));
    const profile = data(panels.profile);
    expect(profile.externalId).toBe("usr_000001");
    expect(profile.id).not.toBe("usr_000001");
    const subscription = data(panels.subscription);
    expect(subscription?.status).toBe("active");
    expect(subscription?.planName).toMatch(/pro/i);
    expect(subscription?.currentPeriod?.daysRemaining).toBeGreaterThanOrEqual(0);
    expect(data(panels.history).some((s) => s.id === subscription?.id)).toBe(true);
    const features = data(panels.features);
    expect(features.map((f) => f.code)).toEqual(expect.arrayContaining(["api_calls", "editor", "projects"]));
    const seats = data(panels.seats);
    expect(seats.map((s) => s.featureCode)).toEqual(expect.arrayContaining(["editor"]));
    expect(data(panels.quota).map((q) => q.featureCode)).toContain("projects");
    const { invoices } = data(panels.invoices);
    expect(invoices.length).toBeGreaterThan(0);
    for (const invoice of invoices) expect(Number.isInteger(invoice.total)).toBe(true);
    expect(data(panels.staffActions)).toEqual([]);
  });

  it("a customer without an active subscription has empty features and quota panels, not errors", async () => {
    const created = await commet.customers.create({ email: `no-subscription-${Date.now()}@example.test` });
    const panels = await settleAll(loadCustomerView(created.data!.id, { commet }));
    expect(data(panels.subscription)).toBeNull();
    expect(data(panels.features)).toEqual([]);
    expect(data(panels.quota)).toEqual([]);
  });

  it("degrades only the panel whose Commet call fails (503 on seats), with a retryable problem", async () => {
    await setFaults(sandbox, [{ route: "GET /api/v1/seats/balances*", errorStatus: 503 }]);
    const panels = await settleAll(loadCustomerView("usr_000001", { commet }));
    expect(panels.seats.ok).toBe(false);
    if (!panels.seats.ok) {
      expect(panels.seats.problem.kind).toBe("unavailable");
      expect(panels.seats.problem.retryable).toBe(true);
    }
    for (const name of [
      "profile",
      "subscription",
      "history",
      "features",
      "quota",
      "invoices",
      "staffActions",
    ] as const) {
      expect(panels[name].ok, name).toBe(true);
    }
  });

  it("a failing profile call degrades the profile panel only; the rest still load", async () => {
    await setFaults(sandbox, [{ route: "GET /api/v1/customers/*", errorStatus: 500 }]);
    const panels = await settleAll(loadCustomerView("usr_000002", { commet }));
    expect(panels.profile.ok).toBe(false);
    expect(data(panels.subscription)?.status).toBe("trialing");
    expect(panels.invoices.ok).toBe(true);
  });

  it("a slow call delays only its panel: the others settle first (streamed)", async () => {
    await setFaults(sandbox, [{ route: "GET /api/v1/invoices*", latencyMs: 700 }]);
    const settled: string[] = [];
    const panels = loadCustomerView("usr_000001", { commet });
    await Promise.all(Object.entries(panels).map(([name, p]) => p.then(() => settled.push(name))));
    expect(settled.at(-1)).toBe("invoices");
    await expect(panels.invoices).resolves.toMatchObject({ ok: true });
  });

  it("a panel whose call outlives the deadline shows 'Commet is slow' (the stream can close)", async () => {
    await setFaults(sandbox, [{ route: "GET /api/v1/usage/quota/all*", latencyMs: 1_500 }]);
    const started = performance.now();
    // The slow call itself still finishes after its panel gave up: wait for it, so it does not outlive the file.
    let quotaSettled!: () => void;
    const quotaCall = new Promise<void>((resolve) => (quotaSettled = resolve));
    const onCall = (name: string) => name === "quota.getAll" && quotaSettled();
    const panels = await settleAll(loadCustomerView("usr_000001", { commet, deadlineMs: 400, onCall }));
    expect(performance.now() - started).toBeLessThan(1_400);
    expect(panels.quota).toMatchObject({ ok: false, problem: { kind: "unavailable", retryable: true } });
    expect(panels.features.ok).toBe(true);
    await quotaCall;
  });

  it("runs the calls side by side: wall time close to the slowest call", async () => {
    await setFaults(sandbox, [{ route: "GET /api/v1/*", latencyMs: 150 }]);
    const calls: number[] = [];
    const started = performance.now();
    await settleAll(loadCustomerView("usr_000001", { commet, onCall: (_name, ms) => calls.push(ms) }));
    const wall = performance.now() - started;
    expect(calls).toHaveLength(7);
    // One after the other the wall time would be the sum of the calls; side by side it is about the
    // slowest one. Half the sum separates the two with a wide margin on a loaded machine.
    expect(wall).toBeLessThan(calls.reduce((a, b) => a + b, 0) / 2);
  });

  it("an unknown customer: the profile panel is not_found, settled quickly", async () => {
    const panels = loadCustomerView("usr_does_not_exist", { commet });
    const profile = await settleWithin(panels.profile, 5_000);
    expect(profile).toMatchObject({ ok: false, problem: { kind: "not_found" } });
    await settleAll(panels);
  });

  it("customer without a subscription: subscription null, no seats, panels still ok", async () => {
    const panels = await settleAll(loadCustomerView("usr_000009", { commet }));
    expect(data(panels.subscription)).toBeNull();
    expect(data(panels.seats)).toEqual([]);
  });

  it("lists this customer's recent staff actions from the audit trail", async () => {
    const { recordAudit } = await import("../audit/index.ts");
    const profile = data(await loadCustomerView("usr_000003", { commet }).profile);
    await recordAudit(
      {
        actor: { id: "staff_1", email: "agent@example.com" },
        role: "support",
        action: "portal.issue",
        customerId: profile.id,
        params: {},
        idempotencyKey: `test-${Date.now()}`,
      },
      { status: "succeeded" },
    );
    // Every panel settles before the file ends (a call still in flight would meet a closed sandbox).
    const actions = data((await settleAll(loadCustomerView("usr_000003", { commet }))).staffActions);
    expect(actions).toHaveLength(1);
    expect(actions[0]).toMatchObject({ actorEmail: "agent@example.com", action: "portal.issue", status: "succeeded" });
  });
});
