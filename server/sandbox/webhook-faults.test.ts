import Database from "better-sqlite3";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type TestSandbox,
  type WebhookReceiver,
  startTestSandbox,
  startWebhookReceiver,
  waitFor,
} from "../testing/sandbox.ts";

/** Outgoing webhook fault rules through the admin endpoint, against a live sandbox and a receiver on 127.0.0.1. */
let sandbox: TestSandbox;
let receiver: WebhookReceiver;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  // No seeded customers with usage → no history replay competing for the rule's `times`.
  sandbox = await startTestSandbox({ seed: { customers: 0 }, delivery: { retryBaseMs: 50 } });
  await sandbox.client().webhooks.create({ url: receiver.url, events: ["customer.created"] });
});

afterAll(async () => {
  await sandbox?.dispose();
  await receiver?.close();
});

const createdEmails = () =>
  receiver.hooks.filter((h) => h.json.event === "customer.created").map((h) => String(h.json.data?.email));

describe("webhook fault rules", () => {
  it("{ webhook, drop: true, times: 2 } drops the next two matching deliveries — never sent, never retried", async () => {
    const put = await sandbox.admin("PUT", "/__sandbox/faults", [
      { webhook: "customer.created", drop: true, times: 2 },
    ]);
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({
      success: true,
      data: [{ webhook: "customer.created", drop: true, times: 2, remaining: 2 }],
    });

    const commet = sandbox.client();
    const emails = ["drop-1@example.test", "drop-2@example.test", "kept-3@example.test"];
    for (const email of emails) {
      await commet.customers.create({ email });
      // One at a time, so the deliveries meet the rule in this order.
      await waitFor(
        async () => {
          const h = await sandbox.admin("GET", "/__sandbox/faults");
          const rules = (h.body as { data: Array<{ remaining: number }> }).data;
          return email === emails[0] ? rules[0]?.remaining === 1 : email === emails[1] ? rules.length === 0 : true;
        },
        { what: `the delivery for ${email}` },
      );
    }
    await waitFor(() => createdEmails().includes("kept-3@example.test"), { what: "the third customer.created" });
    await new Promise((r) => setTimeout(r, 400)); // 8× the retry base: a retried drop would have arrived by now
    expect(createdEmails()).toEqual(["kept-3@example.test"]);
    expect((await sandbox.admin("GET", "/__sandbox/faults")).body).toEqual({ success: true, data: [] });
    const db = new Database(join(sandbox.dataDir, "sandbox.sqlite"), { readonly: true });
    try {
      const rows = db.prepare("SELECT status, attempts, last_status FROM webhook_deliveries ORDER BY seq").all();
      expect(rows).toEqual([
        { status: "dropped", attempts: 0, last_status: null },
        { status: "dropped", attempts: 0, last_status: null },
        { status: "delivered", attempts: 1, last_status: 200 },
      ]);
    } finally {
      db.close();
    }
  });

  it("rejects a webhook rule without drop: true, and a rule mixing webhook and route fields", async () => {
    for (const rules of [[{ webhook: "customer.created" }], [{ webhook: "*", drop: true, route: "/api/v1/*" }]]) {
      const res = await sandbox.admin("PUT", "/__sandbox/faults", rules);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ success: false, error: { type: "validation_error" } });
    }
  });
});
