import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Webhooks } from "@commet/node";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Deliverer } from "./delivery.ts";
import { Sandbox } from "./model.ts";
import { registerEnvEndpoint } from "./routes/webhooks.ts";
import { type Db, openStore } from "./store.ts";

interface Hit {
  body: string;
  signature: string | undefined;
  eventId: string | undefined;
}

describe("webhook delivery", () => {
  let dir: string;
  let db: Db;
  let server: Server;
  let hits: Hit[];
  let answers: number[];
  let url: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "sbx-hooks-"));
    db = openStore(dir);
    hits = [];
    answers = [];
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString("utf8")));
      req.on("end", () => {
        hits.push({
          body,
          signature: req.headers["x-commet-signature"] as string,
          eventId: req.headers["x-commet-event-id"] as string,
        });
        res.statusCode = answers.shift() ?? 200;
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  });
  afterEach(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function until(cond: () => boolean, ms = 5000): Promise<void> {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) throw new Error("timed out");
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  it("signs the raw body (SDK-verifiable) and retries a non-2xx with the same event id and body", async () => {
    const sb = new Sandbox(db, () => "http://sandbox.test");
    const secret = registerEnvEndpoint(sb, url, "whsec_unit_test_secret");
    const deliverer = new Deliverer(db, { retryBaseMs: 20, maxDelayMs: 100, maxAttempts: 8, timeoutMs: 2000 });
    sb.onEventsQueued = () => deliverer.kick();
    answers.push(500, 503);
    sb.emit("customer.updated", { id: "cus_1", email: "a@example.test" });
    await until(() => hits.length === 3);
    await deliverer.close();

    const verifier = new Webhooks();
    for (const hit of hits) {
      expect(verifier.verify({ payload: hit.body, signature: hit.signature ?? null, secret })).toBe(true);
    }
    expect(new Set(hits.map((h) => h.body)).size).toBe(1);
    const payload = JSON.parse(hits[0]!.body) as Record<string, unknown>;
    expect(payload).toMatchObject({
      event: "customer.updated",
      mode: "sandbox",
      apiVersion: "2026-07-11",
      data: { id: "cus_1" },
    });
    expect(hits.every((h) => h.eventId === payload.id)).toBe(true);
    const row = db.prepare("SELECT status, attempts, last_status FROM webhook_deliveries").get();
    expect(row).toEqual({ status: "delivered", attempts: 3, last_status: 200 });
  });

  it("gives up after maxAttempts and marks the delivery failed", async () => {
    const sb = new Sandbox(db, () => "http://sandbox.test");
    registerEnvEndpoint(sb, url, "whsec_x");
    const deliverer = new Deliverer(db, { retryBaseMs: 10, maxDelayMs: 20, maxAttempts: 3, timeoutMs: 2000 });
    sb.onEventsQueued = () => deliverer.kick();
    answers.push(500, 500, 500, 500);
    sb.emit("seats.updated", { customerId: "c" });
    await until(
      () => (db.prepare("SELECT status FROM webhook_deliveries").get() as { status: string }).status === "failed",
    );
    await deliverer.close();
    expect(hits).toHaveLength(3);
  });
});
