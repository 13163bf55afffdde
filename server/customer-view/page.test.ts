// The whole customer page (every panel and form an admin sees) against a real sandbox, its Commet calls counted at
// the dispatcher (the Commet metrics): each read is made once per page view.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestSandbox, type TestSandbox } from "../testing/sandbox.ts";
import { metricValue } from "../testing/metrics.ts";
import { connectCommet, getCommet } from "../commet/client.ts";
import { runWithRequestContext } from "../observability/index.ts";
import { INVOICES_SHOWN } from "./index.ts";
import { loadCustomerPage, streamTogether } from "./page.ts";

// The activity, audit and unsettled-writes panels read the console's database: a throwaway SQLite one.
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "customer-page-test-"));
process.env.DATA_DIR = dataDir;
delete process.env.DATABASE_URL;

const READS = [
  "/api/v1/customers/:id",
  "/api/v1/subscriptions/active",
  "/api/v1/subscriptions",
  "/api/v1/feature-access",
  "/api/v1/seats/balances",
  "/api/v1/usage/quota/all",
  "/api/v1/invoices",
  "/api/v1/transactions",
];

async function callsByPath(): Promise<Record<string, number>> {
  const entries = await Promise.all(
    READS.map(async (p) => [p, await metricValue("console_commet_request_duration_seconds", { path: p })] as const),
  );
  return Object.fromEntries(entries);
}

/** Every promise in the page's answer (panels and forms), settled. */
async function settleDeep(value: unknown): Promise<unknown> {
  if (value instanceof Promise) return settleDeep(await value);
  if (Array.isArray(value)) return Promise.all(value.map(settleDeep));
  if (value && typeof value === "object") {
    const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await settleDeep(v)] as const));
    return Object.fromEntries(entries);
  }
  return value;
}

/** A settled panel, or a form's `{ resolve }` settled. */
type Settled = Record<string, { ok?: boolean; data?: unknown; resolve?: { ok: boolean } }>;

describe("the customer page's Commet reads", () => {
  let sandbox: TestSandbox;

  beforeAll(async () => {
    sandbox = await startTestSandbox({ seed: { customers: 12 } });
    connectCommet({ apiKey: sandbox.apiKey, apiUrl: sandbox.url, embeddedSandbox: false, catalogMaxAgeMs: 60_000 });
  });
  afterAll(async () => {
    await sandbox?.dispose();
    const { closeDb } = await import("../db/index.ts");
    await closeDb();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("reads each resource once for all panels and forms, and the Invoices panel shows the first page", async () => {
    // Warm the catalog (plans, plan groups): it is cached across requests by design (0027).
    // By Commet id, as the console links to it (an externalId also works, with one more subscriptions read).
    const customerId = (await getCommet().customers.list({ externalId: "usr_000001", limit: 1 })).data![0]!.id;
    let n = 0;
    const load = () =>
      runWithRequestContext({ requestId: `page-${++n}` }, async () => {
        const { page } = await loadCustomerPage(customerId, "admin");
        return (await settleDeep(page)) as Settled;
      });
    await load();
    const before = await callsByPath();
    const page = await load();
    const after = await callsByPath();
    const made = Object.fromEntries(READS.map((p) => [p, after[p]! - before[p]!]));
    expect(made).toEqual(Object.fromEntries(READS.map((p) => [p, 1])));

    // Known to the directory index, the reads that need the id and email start beside the profile: still once each.
    const customer = (await getCommet().customers.get({ id: customerId })).data!;
    const known = { id: customer.id, email: customer.email };
    const beforeKnown = await callsByPath();
    const knownPage = (await runWithRequestContext({ requestId: "page-known" }, async () =>
      settleDeep((await loadCustomerPage(customerId, "admin", { known })).page),
    )) as Settled;
    const afterKnown = await callsByPath();
    expect(Object.fromEntries(READS.map((p) => [p, afterKnown[p]! - beforeKnown[p]!]))).toEqual(made);
    expect(knownPage.payments?.resolve).toEqual(page.payments?.resolve);
    expect(knownPage.invoices).toEqual(page.invoices);

    for (const name of ["profile", "subscription", "history", "features", "seats", "quota", "invoices"]) {
      expect(page[name]?.ok, name).toBe(true);
    }
    for (const form of ["payments", "seatForm", "usageForm", "subscriptionActions"]) {
      expect(page[form]?.resolve?.ok, form).toBe(true);
    }
    expect(page.projectedInvoice?.ok).toBe(true);

    // The Invoices panel: the newest INVOICES_SHOWN of the same list Commet gives for a page of that size.
    const direct = await getCommet().invoices.list({ customerId, limit: INVOICES_SHOWN });
    const shown = page.invoices?.data as { invoices: Array<{ id: string }>; hasMore: boolean };
    expect(shown.invoices.map((i) => i.id)).toEqual(direct.data!.map((i) => i.id));
    expect(shown.hasMore).toBe(direct.hasMore ?? false);
  });

  it("a customer Commet does not know: 404 when the index does not either; a 'not found' profile when it does", async () => {
    const ref = "cus_doesNotExist0000000";
    const load = (known: { id: string; email: string } | null) =>
      runWithRequestContext({ requestId: `missing-${known ? "known" : "unknown"}` }, () =>
        loadCustomerPage(ref, "support", { known }),
      );
    const unknown = await load(null);
    expect(unknown.notFound).toMatchObject({ kind: "not_found", title: "No such customer" });
    expect(unknown.page).toBeNull();

    // Deleted from Commet since the index saw it: the page does not wait for the profile to find out.
    const known = await load({ id: ref, email: "gone@example.test" });
    expect(known.notFound).toBeNull();
    expect(await known.page!.profile).toMatchObject({ ok: false, problem: { kind: "not_found" } });
    expect(await known.page!.payments.resolve).toMatchObject({ ok: false, problem: { kind: "not_found" } });
  });
});

describe("streamTogether", () => {
  it("holds settled promises until the others settle, then lets them go at once", async () => {
    const together = streamTogether(1_000);
    let late: (value: string) => void = () => {};
    const order: string[] = [];
    const a = together.hold(Promise.resolve("a")).then((v) => order.push(v));
    const b = together.hold(new Promise<string>((resolve) => (late = resolve))).then((v) => order.push(v));
    together.release();
    await new Promise((r) => setTimeout(r, 20));
    expect(order).toEqual([]);
    late("b");
    await Promise.all([a, b]);
    expect(order).toEqual(["a", "b"]);
  });

  it("lets a settled promise go after the hold time while another is still waiting", async () => {
    const together = streamTogether(30);
    const never = together.hold(new Promise<string>(() => {}));
    const fast = together.hold(Promise.resolve("fast"));
    together.release();
    const started = performance.now();
    expect(await fast).toBe("fast");
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
    void never;
  });
});
