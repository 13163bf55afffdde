import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Webhooks } from "@commet/node";
import { afterEach, describe, expect, it } from "vitest";
import { UsageRecordedData, expectShape } from "../testing/contract-schemas.ts";
import { Deliverer } from "./delivery.ts";
import { HistoryReplay } from "./history.ts";
import { Sandbox } from "./model.ts";
import { registerEnvEndpoint } from "./routes/webhooks.ts";
import { seedDemo } from "./seed.ts";
import { INDEXES, openStore } from "./store.ts";
import {
  type ReceivedHook,
  type TestSandbox,
  type WebhookReceiver,
  startTestSandbox,
  startWebhookReceiver,
  waitFor,
} from "../testing/sandbox.ts";

const SECRET = "whsec_history_test_secret";
const verifier = new Webhooks();

/** The seeded usage events of a sandbox's store as usage.recorded data, oldest first (read-only, beside the running server). */
function seededHistory(dataDir: string): Array<Record<string, unknown>> {
  const db = new Database(join(dataDir, "sandbox.sqlite"), { readonly: true });
  try {
    const rows = db
      .prepare(
        `SELECT u.id, u.subscription_id, u.feature_code, u.value, u.ts, c.id AS cid, c.external_id
         FROM usage_events u JOIN customers c ON c.id = u.customer_id
         WHERE u.kind = 'track' AND u.seq <= (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'seed_usage_last_seq')
         ORDER BY u.ts, u.seq`,
      )
      .all() as Array<{
      id: string;
      subscription_id: string;
      feature_code: string;
      value: number;
      ts: string;
      cid: string;
      external_id: string | null;
    }>;
    return rows.map((r) => ({
      subscriptionId: r.subscription_id,
      customerId: r.external_id ?? r.cid,
      usageEventId: r.id,
      featureCode: r.feature_code,
      value: r.value,
      ts: r.ts,
    }));
  } finally {
    db.close();
  }
}

const usageHooks = (r: WebhookReceiver): ReceivedHook[] => r.hooks.filter((h) => h.json.event === "usage.recorded");
const historyIds = (r: WebhookReceiver, ids: Set<string>) =>
  usageHooks(r).filter((h) => ids.has(String(h.json.data?.usageEventId)));

async function allDelivered(sandbox: TestSandbox, expected: number): Promise<void> {
  await waitFor(
    async () => {
      const h = await sandbox.health();
      return h.historyEvents === expected && h.historyDelivered === expected;
    },
    { timeoutMs: 20_000, what: "the seeded history to be delivered" },
  );
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe("seeded usage history replayed as usage.recorded", () => {
  it("SANDBOX_WEBHOOK_URL gets one signed usage.recorded per seeded event, oldest first, live-shaped, retried with the same id, once", async () => {
    const receiver = await startWebhookReceiver({ failFirst: 1 });
    cleanups.push(() => receiver.close());
    const sandbox = await startTestSandbox({
      seed: { customers: 8 },
      webhookUrl: receiver.url,
      webhookSecret: SECRET,
      delivery: { retryBaseMs: 50, concurrency: 1 },
    });
    cleanups.push(() => sandbox.dispose());
    const expected = seededHistory(sandbox.dataDir);
    expect(expected.length).toBeGreaterThan(100);
    await allDelivered(sandbox, expected.length);

    const hooks = usageHooks(receiver);
    // Oldest first: the first attempts (answered 500 by this receiver) arrive in (ts, seq) order, data exactly as the store.
    expect(hooks.filter((h) => h.answered === 500).map((h) => h.json.data)).toEqual(expected);
    expect(hooks.filter((h) => h.answered === 200)).toHaveLength(expected.length);
    const byEventId = new Map<string, ReceivedHook[]>();
    for (const h of hooks) {
      expect(
        verifier.verify({ payload: h.rawBody, signature: h.headers["x-commet-signature"] ?? null, secret: SECRET }),
      ).toBe(true);
      expect(h.headers["x-commet-event-id"]).toBe(h.json.id);
      byEventId.set(String(h.json.id), [...(byEventId.get(String(h.json.id)) ?? []), h]);
    }
    // One event per seeded row; its retry carries the same event id and the same signed body.
    expect(byEventId.size).toBe(expected.length);
    for (const attempts of byEventId.values()) {
      expect(attempts.map((a) => a.answered)).toEqual([500, 200]);
      expect(attempts[1]!.rawBody).toBe(attempts[0]!.rawBody);
    }
    expect(hooks[0]!.json).toMatchObject({ event: "usage.recorded", mode: "sandbox", apiVersion: "2026-07-11" });

    // A live track's usage.recorded has the very same data shape (same keys, same order).
    const tracked = await sandbox.client().usage.track({ customerId: "usr_000001", feature: "api_calls", value: 3 });
    const live = await waitFor(
      () => usageHooks(receiver).find((h) => h.answered === 200 && h.json.data?.usageEventId === tracked.data!.id),
      { what: "the live usage.recorded" },
    );
    expectShape(UsageRecordedData, live.json.data);
    expectShape(UsageRecordedData, hooks[0]!.json.data);
    expect(Object.keys(live.json.data!)).toEqual(Object.keys(hooks[0]!.json.data!));
    expect(live.json.data).toMatchObject({ customerId: "usr_000001", featureCode: "api_calls", value: 3 });

    // Once per endpoint: a restart on the same data dir does not replay it again.
    const before = usageHooks(receiver).length;
    await sandbox.restart();
    await new Promise((r) => setTimeout(r, 600));
    expect(usageHooks(receiver).length).toBe(before);
    expect(await sandbox.health()).toMatchObject({
      historyEvents: expected.length,
      historyDelivered: expected.length,
      historyFailed: 0,
    });
  });

  it("an endpoint created through POST /api/v1/webhooks gets it once; endpoints without usage.recorded do not; a reset replays", async () => {
    const [subscribed, other, envReceiver] = await Promise.all([
      startWebhookReceiver(),
      startWebhookReceiver(),
      startWebhookReceiver(),
    ]);
    cleanups.push(() => Promise.all([subscribed.close(), other.close(), envReceiver.close()]).then(() => {}));
    const sandbox = await startTestSandbox({
      seed: { customers: 6 },
      webhookUrl: envReceiver.url,
      webhookSecret: SECRET,
    });
    cleanups.push(() => sandbox.dispose());
    const expected = seededHistory(sandbox.dataDir);
    const ids = new Set(expected.map((e) => String(e.usageEventId)));
    await allDelivered(sandbox, expected.length);

    const commet = sandbox.client();
    const created = await commet.webhooks.create({
      url: subscribed.url,
      events: ["usage.recorded", "customer.created"],
    });
    await commet.webhooks.create({ url: other.url, events: ["customer.created"] });
    await allDelivered(sandbox, 2 * expected.length);
    const got = historyIds(subscribed, ids);
    expect(got).toHaveLength(expected.length);
    expect(new Set(got.map((h) => h.json.data?.usageEventId)).size).toBe(expected.length);
    for (const h of got) {
      expect(
        verifier.verify({
          payload: h.rawBody,
          signature: h.headers["x-commet-signature"] ?? null,
          secret: created.data!.secretKey,
        }),
      ).toBe(true);
    }
    // An update of the same endpoint does not start it over.
    await commet.webhooks.update({ id: created.data!.id, description: "renamed" });
    await new Promise((r) => setTimeout(r, 300));
    expect(historyIds(subscribed, ids)).toHaveLength(expected.length);
    expect(other.hooks.filter((h) => h.json.event === "usage.recorded")).toEqual([]);

    // Reset: the store is reseeded, the SANDBOX_WEBHOOK_URL endpoint is registered again and gets the new history.
    const envBefore = historyIds(envReceiver, ids).length;
    expect(envBefore).toBe(expected.length);
    const reset = await sandbox.admin("POST", "/__sandbox/reset", { customers: 4 });
    expect(reset.status).toBe(200);
    const reseeded = seededHistory(sandbox.dataDir);
    await allDelivered(sandbox, reseeded.length);
    const afterReset = usageHooks(envReceiver)
      .slice(-reseeded.length)
      .map((h) => h.json.data);
    expect(new Set(afterReset.map((d) => d?.usageEventId))).toEqual(new Set(reseeded.map((d) => d.usageEventId)));
  });

  it("live events are not queued behind the history backlog", async () => {
    // A slow receiver (5 ms per answer, 2 deliveries in flight): ~1,900 history events take seconds.
    const hooks: Array<{ event: string; usageEventId: unknown; at: number }> = [];
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString("utf8")));
      req.on("end", () => {
        const json = JSON.parse(body) as { event: string; data: { usageEventId?: unknown } };
        hooks.push({ event: json.event, usageEventId: json.data.usageEventId, at: Date.now() });
        setTimeout(() => res.writeHead(200).end(), 5);
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    cleanups.push(
      () =>
        new Promise<void>((r) => {
          server.closeAllConnections();
          server.close(() => r());
        }),
    );
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
    const sandbox = await startTestSandbox({
      seed: { customers: 40 },
      webhookUrl: url,
      webhookSecret: SECRET,
      delivery: { concurrency: 2 },
    });
    cleanups.push(() => sandbox.dispose());
    const total = (await sandbox.health()).historyEvents;
    expect(total).toBeGreaterThan(1000);
    await waitFor(() => hooks.length > 50, { what: "the history to start" });

    const started = Date.now();
    const tracked = await sandbox.client().usage.track({ customerId: "usr_000001", feature: "api_calls", value: 1 });
    const live = await waitFor(() => hooks.find((h) => h.usageEventId === tracked.data!.id), {
      what: "the live event",
    });
    const history = hooks.filter(
      (h) => h.event === "usage.recorded" && h.usageEventId !== tracked.data!.id && h.at <= live.at,
    );
    expect(history.length).toBeLessThan(total / 2);
    expect(live.at - started).toBeLessThan(2500); // generous: the box may be busy; the point is not waiting for the backlog
  });
});

describe("history feeding (in-process)", () => {
  let dir: string;
  let server: Server;
  afterEach(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it("an endpoint answering non-2xx gets at most one chunk; once it recovers the rest follows, counted in progress", async () => {
    dir = mkdtempSync(join(tmpdir(), "sbx-history-"));
    const db = openStore(dir);
    seedDemo(db, { customers: 12 });
    db.exec(INDEXES);
    let status = 503;
    const seen = new Set<string>();
    let delivered = 0;
    server = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        seen.add(String(req.headers["x-commet-event-id"]));
        if (status === 200) delivered++;
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const sb = new Sandbox(db, () => "http://sandbox.test");
    const chunk = 40;
    const history = new HistoryReplay(sb, chunk);
    const deliverer = new Deliverer(
      db,
      { retryBaseMs: 30, maxDelayMs: 60, maxAttempts: 100, concurrency: 8 },
      {
        refill: () => history.refill(),
      },
    );
    sb.onEventsQueued = () => deliverer.kick();
    sb.onEndpointsChanged = () => {
      if (history.register() > 0) deliverer.kick();
    };
    registerEnvEndpoint(sb, `http://127.0.0.1:${(server.address() as AddressInfo).port}/h`, SECRET);
    const total = history.progress().historyEvents;
    expect(total).toBeGreaterThan(4 * chunk);

    await waitFor(() => seen.size >= chunk, { what: "the first chunk to be tried" });
    await new Promise((r) => setTimeout(r, 400)); // several retry rounds at 30–60 ms
    expect(seen.size).toBe(chunk);
    expect(history.progress()).toEqual({ historyEvents: total, historyDelivered: 0, historyFailed: 0 });

    status = 200;
    await waitFor(() => history.progress().historyDelivered === total, {
      what: "the whole history",
      timeoutMs: 15_000,
    });
    expect(seen.size).toBe(total);
    expect(delivered).toBe(total);
    // Registering again (a restart, an endpoint update) queues nothing more.
    expect(history.register()).toBe(0);
    expect(history.refill()).toBe(0);
    await deliverer.close();
    db.close();
  });
});
