import type { Commet, Subscription } from "@commet/node";
import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import { closeDatabaseGracefully, describeEachEngine } from "../testing/db.ts";
import { startTestSandbox, type TestSandbox } from "../testing/sandbox.ts";
import { clearExchanges, exchanges } from "../testing/sdk-wire.ts";
import { listIndexedCustomers, subscriptionStatusCounts } from "./list.ts";
import { tables } from "./schema.ts";
import { searchCustomers } from "./search.ts";
import { startPeriodicResync } from "./resync.ts";
import type { SyncCommet } from "./sync-pages.ts";
import { getSyncStatus } from "./sync-state.ts";
import { runSync, type SyncOutcome } from "./sync.ts";
import { webhookTables } from "../webhooks/schema.ts";

const SEED = 40;
let sandbox: TestSandbox;
let commet: Commet;
const lines: string[] = [];
const log = (line: string) => lines.push(line);
/** Recorded instead of slept: the waits the sync asked for. */
let slept: number[] = [];
const fastSleep = async (ms: number) => {
  slept.push(ms);
};

beforeAll(async () => {
  sandbox = await startTestSandbox({ seed: { customers: SEED } });
  commet = sandbox.client();
});
afterAll(async () => {
  await sandbox?.dispose();
});
beforeEach(async () => {
  lines.length = 0;
  slept = [];
  clearExchanges();
  await sandbox.admin("DELETE", "/__sandbox/faults");
});

/** Everything Commet has, read straight through the SDK (the truth the index must match). */
async function commetTruth() {
  const customers = [];
  for (let cursor: string | undefined; ;) {
    const page = await commet.customers.list({ limit: 100, ...(cursor ? { cursor } : {}) });
    customers.push(...(page.data ?? []));
    if (!page.hasMore || !page.nextCursor) break;
    cursor = page.nextCursor;
  }
  const subscriptions: Subscription[] = [];
  for (let cursor: string | undefined; ;) {
    const page = await commet.subscriptions.list({ limit: 100, ...(cursor ? { cursor } : {}) } as never);
    subscriptions.push(...(page.data ?? []));
    if (!page.hasMore || !page.nextCursor) break;
    cursor = page.nextCursor;
  }
  return { customers, subscriptions };
}

function customerListCursors(): Array<string | null> {
  return exchanges()
    .filter((e) => e.method === "GET" && e.path.startsWith("/api/v1/customers?"))
    .map((e) => new URL(e.path, "http://x").searchParams.get("cursor"));
}

describeEachEngine("directory sync", (ctx) => {
  closeDatabaseGracefully(ctx);

  // One database per engine for the suite (cheaper than fresh ones); each test starts from an empty index.
  beforeEach(async () => {
    const db = tables(ctx.database);
    for (const table of [
      "directory_sync_state",
      "directory_invoices",
      "directory_subscriptions",
      "directory_customers",
    ] as const) {
      await db.deleteFrom(table).execute();
    }
    await webhookTables(ctx.database).deleteFrom("webhook_events").execute();
  });

  it("indexes every customer and subscription, with plan, status and seat totals", async () => {
    expect(await getSyncStatus(ctx.database)).toMatchObject({ status: "never", indexedCustomers: 0 });
    const result = await runSync(ctx.database, commet, { log, sleep: fastSleep, pageSize: 25 });
    expect(result.outcome).toBe("completed");
    const truth = await commetTruth();
    expect(truth.customers).toHaveLength(SEED);

    const status = await getSyncStatus(ctx.database);
    expect(status).toMatchObject({
      status: "idle",
      phase: "done",
      customersSynced: SEED,
      subscriptionsSynced: truth.subscriptions.length,
      indexedCustomers: SEED,
      lastError: null,
    });
    expect(status.lastCompletedAt).not.toBeNull();
    expect(lines.some((l) => l.startsWith("completed:"))).toBe(true);

    const page = await listIndexedCustomers(ctx.database, { limit: 200 });
    expect(page.total).toBe(SEED);
    const byId = new Map(page.rows.map((r) => [r.id, r]));
    for (const c of truth.customers) {
      expect(byId.get(c.id)).toMatchObject({ email: c.email, fullName: c.fullName, externalId: c.externalId });
    }
    // Status / plan: a live subscription is what the directory shows for its customer.
    for (const s of truth.subscriptions.filter((x) => x.status === "active" || x.status === "trialing")) {
      const row = [...byId.values()].find((r) => r.id === s.customerId || r.externalId === s.customerId);
      expect(row, `customer of ${s.id}`).toBeDefined();
      expect(row).toMatchObject({
        subscriptionId: s.id,
        subscriptionStatus: s.status,
        planId: s.plan.id,
        planName: s.plan.name,
      });
      const full = await commet.subscriptions.get({ id: s.id });
      const seats = (full.data?.features ?? []).filter((f) => f.type === "seats");
      expect(row!.seatsTotal).toBe(seats.reduce((n, f) => n + (f.usage?.current ?? 0), 0));
    }
    const counts = await subscriptionStatusCounts(ctx.database);
    expect(counts.total).toBe(truth.subscriptions.length);
    for (const st of ["active", "trialing", "past_due", "pending_payment", "canceled"] as const) {
      expect(counts.counts[st], st).toBe(truth.subscriptions.filter((s) => s.status === st).length);
    }
    // The synced customers are searchable.
    const someone = truth.customers[7]!;
    const hit = await searchCustomers(ctx.database, someone.email.slice(0, 6).toUpperCase());
    expect(hit.hits.map((h) => h.id)).toContain(someone.id);

    // Invoice numbers (invoices phase) lead to their customer.
    const invoices = (await commet.invoices.list({ limit: 5 })).data ?? [];
    expect(invoices.length).toBeGreaterThan(0);
    expect(status.indexedInvoices).toBeGreaterThanOrEqual(invoices.length);
    for (const inv of invoices) {
      const found = await searchCustomers(ctx.database, inv.invoiceNumber.toLowerCase());
      expect(found.exactHit, inv.invoiceNumber).toMatchObject({
        matchedOn: "invoice",
        invoiceNumber: inv.invoiceNumber,
      });
      expect([found.exactHit!.id, found.exactHit!.externalId]).toContain(inv.customerId);
    }

    // A second run starts over (periodic repair) and leaves the same index.
    clearExchanges();
    const again = await runSync(ctx.database, commet, { log, sleep: fastSleep, pageSize: 25 });
    expect(again.outcome).toBe("completed");
    expect(customerListCursors()[0]).toBeNull();
    expect((await listIndexedCustomers(ctx.database, { limit: 200 })).total).toBe(SEED);
  });

  it("runs one sync at a time: a concurrent start is refused as busy", async () => {
    const [a, b] = await Promise.all([
      runSync(ctx.database, commet, { log, sleep: fastSleep }),
      runSync(ctx.database, commet, { log, sleep: fastSleep }),
    ]);
    expect([a.outcome, b.outcome].sort()).toEqual(["busy", "completed"]);
    expect((await getSyncStatus(ctx.database)).indexedCustomers).toBe(SEED);
  });

  it("resumes from the saved cursor after an interruption", async () => {
    const controller = new AbortController();
    const first = await runSync(ctx.database, commet, {
      pageSize: 10,
      sleep: fastSleep,
      signal: controller.signal,
      log: (line) => {
        log(line);
        if (line.startsWith("customers page 2")) controller.abort();
      },
    });
    expect(first.outcome).toBe("interrupted");
    expect(first.status).toMatchObject({
      status: "interrupted",
      phase: "customers",
      customersSynced: 20,
      indexedCustomers: 20,
    });
    const cursorsRun1 = customerListCursors();
    expect(cursorsRun1).toHaveLength(2);
    const saved = await tables(ctx.database)
      .selectFrom("directory_sync_state")
      .select("cursor")
      .executeTakeFirstOrThrow();
    expect(saved.cursor).toBeTruthy();

    clearExchanges();
    const second = await runSync(ctx.database, commet, { log, sleep: fastSleep, pageSize: 10 });
    expect(second.outcome).toBe("completed");
    // It did not start over: its first request carries the cursor saved by the interrupted run.
    const cursorsRun2 = customerListCursors();
    expect(cursorsRun2[0]).toBe(saved.cursor);
    expect(cursorsRun2).toHaveLength(2);
    expect(second.status).toMatchObject({ status: "idle", customersSynced: SEED, indexedCustomers: SEED });
    expect(lines.some((l) => l.startsWith("resuming the interrupted sync at customers"))).toBe(true);
  });

  it("takes over a crashed run after its lease expires, resuming from its cursor", async () => {
    let t = Date.parse("2026-11-21T12:00:00.000Z");
    const clock = () => t;
    // The "crashed" process: its third page request never answers and the process is gone.
    let calls = 0;
    const hanging: SyncCommet = {
      subscriptions: commet.subscriptions,
      invoices: commet.invoices,
      customers: {
        list: (params) => (++calls === 3 ? new Promise<never>(() => {}) : commet.customers.list(params)),
      },
    };
    void runSync(ctx.database, hanging, { pageSize: 10, clock, log, sleep: fastSleep });
    await expect.poll(() => calls, { timeout: 10_000 }).toBe(3);
    const stuck = await getSyncStatus(ctx.database);
    expect(stuck).toMatchObject({ status: "running", customersSynced: 20 });

    // Within the lease another run must not start…
    t += 30_000;
    expect((await runSync(ctx.database, commet, { pageSize: 10, clock, log, leaseMs: 60_000 })).outcome).toBe("busy");
    // …after it, the new run resumes where the dead one stopped.
    t += 60_000;
    clearExchanges();
    const taken = await runSync(ctx.database, commet, { pageSize: 10, clock, log, leaseMs: 60_000, sleep: fastSleep });
    expect(taken.outcome).toBe("completed");
    expect(customerListCursors()).toHaveLength(2);
    expect(taken.status).toMatchObject({ customersSynced: SEED, indexedCustomers: SEED });
  });

  it("waits out a 429 the SDK gave up on, then continues with the same page", async () => {
    // 4 rate-limited answers: the SDK's first attempt and its 3 retries (each after Retry-After: 1 s).
    const set = await sandbox.admin("PUT", "/__sandbox/faults", [
      { route: "GET /api/v1/customers*", rateLimit: { retryAfterSeconds: 1 }, times: 4 },
    ]);
    expect(set.status).toBe(200);
    const result = await runSync(ctx.database, commet, {
      pageSize: 25,
      log,
      sleep: fastSleep,
      rateLimitBackoffMs: 2_000,
    });
    expect(result.outcome).toBe("completed");
    expect(result.status).toMatchObject({ rateLimited: 1, customersSynced: SEED, indexedCustomers: SEED });
    const limited = exchanges().filter((e) => e.status === 429);
    expect(limited).toHaveLength(4);
    expect(limited.every((e) => e.headers["retry-after"] === "1")).toBe(true);
    // The sync waited once (the SDK's own 3 Retry-After waits happened inside the SDK) and asked
    // for the first page again: no page skipped, none fetched twice after success.
    expect(slept).toEqual([2_000]);
    expect(
      customerListCursors()
        .slice(0, 5)
        .every((c) => c === null),
    ).toBe(true);
    expect(lines.some((l) => l.includes("rate limited by Commet (429)"))).toBe(true);
  });

  it("fails resumably when Commet keeps refusing, and records the error", async () => {
    await sandbox.admin("PUT", "/__sandbox/faults", [
      { route: "GET /api/v1/subscriptions*", rateLimit: { retryAfterSeconds: 1 } },
    ]);
    const result = await runSync(ctx.database, sandbox.client({ retries: 0 }), {
      pageSize: 50,
      log,
      sleep: fastSleep,
      maxRateLimitWaits: 2,
    });
    expect(result.outcome).toBe("failed");
    expect(result.status).toMatchObject({ status: "failed", phase: "subscriptions", rateLimited: 2 });
    expect(result.status.lastError).toMatch(/429/);
    await sandbox.admin("DELETE", "/__sandbox/faults");
    const resumed = await runSync(ctx.database, commet, { log, sleep: fastSleep });
    expect(resumed.outcome).toBe("completed");
    expect(resumed.status.customersSynced).toBe(SEED); // customers were not fetched again
  });

  it("periodic re-sync runs at once; stop() interrupts a run, which stays resumable", async () => {
    const results: SyncOutcome[] = [];
    let stopping: Promise<void> | undefined;
    const stop: () => Promise<void> = startPeriodicResync(ctx.database, commet, {
      pageSize: 5,
      intervalMs: 60_000,
      sleep: fastSleep,
      onResult: (r) => results.push(r),
      log: (line) => {
        log(line);
        if (line.startsWith("customers page 1:")) stopping = stop();
      },
    });
    await expect.poll(() => results.length, { timeout: 10_000 }).toBe(1);
    await stopping;
    expect(results[0]!.outcome).toBe("interrupted");
    expect(await getSyncStatus(ctx.database)).toMatchObject({ status: "interrupted", customersSynced: 5 });
    // Nothing runs after stop(): the timer is gone.
    await new Promise((r) => setTimeout(r, 50));
    expect(results).toHaveLength(1);

    const again = startPeriodicResync(ctx.database, commet, {
      intervalMs: 60_000,
      sleep: fastSleep,
      log,
      onResult: (r) => results.push(r),
    });
    await expect.poll(() => results.length, { timeout: 10_000 }).toBe(2);
    await again();
    expect(results[1]).toMatchObject({
      outcome: "completed",
      status: { customersSynced: SEED, indexedCustomers: SEED },
    });
  });

  it("skips malformed items instead of failing the page", async () => {
    const broken: SyncCommet = {
      subscriptions: commet.subscriptions,
      invoices: commet.invoices,
      customers: {
        list: async (params) => {
          const page = await commet.customers.list(params);
          return { ...page, data: [...(page.data ?? []), { id: "cus_broken", email: 42 } as never] };
        },
      },
    };
    const result = await runSync(ctx.database, broken, { log, sleep: fastSleep });
    expect(result).toMatchObject({ outcome: "completed", status: { indexedCustomers: SEED } });
    expect(lines.some((l) => l.startsWith("skipped customer cus_broken: email"))).toBe(true);
  });
});
