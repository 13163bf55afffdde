import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningSandbox, startSandbox } from "./server.ts";

/** Raw-HTTP checks of flows the SDK contract tests do not walk: checkout, trial end, period-end cancel, reset. */

const KEY = "ck_unit_billing";
let sandbox: RunningSandbox;
let dir: string;

async function api<T = Record<string, unknown>>(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: T }> {
  const res = await fetch(`${sandbox.url}${path}`, {
    method,
    headers: { "x-api-key": KEY, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as T };
}

type Data<T> = { success: boolean; data: T };
type Sub = {
  id: string;
  status: string;
  checkoutUrl: string | null;
  currentPeriod: { start: string; end: string } | null;
};

async function newCustomer(tag: string): Promise<string> {
  const r = await api<Data<{ id: string }>>("POST", "/api/v1/customers", { email: `${tag}@example.test` });
  return r.json.data.id;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "sbx-billing-"));
  sandbox = await startSandbox({ port: 0, dataDir: dir, apiKey: KEY, seed: { customers: 5 }, quiet: true });
});
afterAll(async () => {
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("sandbox billing flows", () => {
  it("successUrl gives a pending_payment subscription whose checkout page pays and activates it", async () => {
    const customerId = await newCustomer("checkout");
    const created = await api<Data<Sub>>("POST", "/api/v1/subscriptions", {
      customerId,
      planCode: "pro",
      skipTrial: true,
      successUrl: "https://app.example/ok",
    });
    expect(created.json.data.status).toBe("pending_payment");
    const url = created.json.data.checkoutUrl!;
    expect(url.startsWith(`${sandbox.url}/checkout/`)).toBe(true);
    const page = await fetch(url);
    expect(await page.text()).toContain("Pay with test card");
    const paid = await fetch(url, { method: "POST" });
    expect(await paid.text()).toContain("Payment confirmed");
    const sub = await api<Data<Sub>>("GET", `/api/v1/subscriptions/${created.json.data.id}`);
    expect(sub.json.data.status).toBe("active");
    const invoices = await api<Data<Array<{ subscriptionId: string }>>>(
      "GET",
      `/api/v1/invoices?customerId=${customerId}`,
    );
    expect(invoices.json.data.map((i) => i.subscriptionId)).toEqual([created.json.data.id]);
  });

  it("a trial converts to active at its end; a period-end cancellation takes effect at the next billing run", async () => {
    const trialCustomer = await newCustomer("trial");
    const trial = (
      await api<Data<Sub>>("POST", "/api/v1/subscriptions", { customerId: trialCustomer, planCode: "starter" })
    ).json.data;
    expect(trial.status).toBe("trialing");
    const cancelCustomer = await newCustomer("cancel");
    const toCancel = (
      await api<Data<Sub>>("POST", "/api/v1/subscriptions", { customerId: cancelCustomer, planCode: "business" })
    ).json.data;
    expect(toCancel.status).toBe("active");
    const scheduled = await api<Data<{ status: string; scheduledCancellationDate: string }>>(
      "POST",
      `/api/v1/subscriptions/${toCancel.id}/cancel`,
      { reason: "unit test" },
    );
    expect(scheduled.json.data).toMatchObject({
      status: "active",
      scheduledCancellationDate: toCancel.currentPeriod!.end,
    });

    const clock = (await api<Data<{ now: string }>>("GET", "/api/v1/test-clock")).json.data;
    const target = Math.max(Date.parse(trial.currentPeriod!.end), Date.parse(toCancel.currentPeriod!.end)) + 3_600_000;
    const days = Math.ceil((target - Date.parse(clock.now)) / 86_400_000);
    expect((await api("POST", "/api/v1/test-clock", { advanceDays: days })).status).toBe(200);
    const run = await api<Data<{ failed: number; enqueued: number }>>("POST", "/api/v1/test-clock/process-billing");
    expect(run.json.data.failed).toBe(0);

    const converted = (await api<Data<Sub>>("GET", `/api/v1/subscriptions/${trial.id}`)).json.data;
    expect(converted.status).toBe("active");
    expect(converted.currentPeriod!.start).toBe(trial.currentPeriod!.end);
    const canceled = (await api<Data<Sub>>("GET", `/api/v1/subscriptions/${toCancel.id}`)).json.data;
    expect(canceled.status).toBe("canceled");
  });

  it("reset needs the key and reseeds the asked number of customers", async () => {
    const denied = await fetch(`${sandbox.url}/__sandbox/reset`, { method: "POST" });
    expect(denied.status).toBe(401);
    const reset = await api<Data<{ customers: number }>>("POST", "/__sandbox/reset", { customers: 12 });
    expect(reset.json.data.customers).toBe(12);
    const health = (await (await fetch(`${sandbox.url}/__sandbox/health`)).json()) as { customers: number };
    expect(health.customers).toBe(12);
    const clock = (await api<Data<{ isActive: boolean }>>("GET", "/api/v1/test-clock")).json.data;
    expect(clock.isActive).toBe(false);
  });
});
