// The intake's metrics after real deliveries: processed by event and result, failures by error, and the lag
// of new events; a plan-naming event clears the cached catalog (the next read goes to Commet).
import { z } from "zod";
import { afterAll, beforeAll, expect, it } from "vitest";
import { catalogWebhooks, connectCommet } from "../commet/index.ts";
import { getCommet } from "../commet/client.ts";
import { directoryWebhooks } from "../directory/webhooks.ts";
import { closeDatabaseGracefully, describeEachEngine } from "../testing/db.ts";
import { metricValue } from "../testing/metrics.ts";
import { startTestSandbox, type TestSandbox } from "../testing/sandbox.ts";
import { customerData, offlineCommet, sign, webhookEnvelope } from "../testing/webhooks.ts";
import { webhookHandler, webhookIntake } from "./handlers.ts";
import { handleCommetWebhook } from "./intake.ts";

const SECRET = "whsec_test_metrics_secret";
const intake = webhookIntake(directoryWebhooks, catalogWebhooks);
const processed = (event: string, result: string) => metricValue("console_webhook_processed_total", { event, result });
const failed = (event: string, error: string) => metricValue("console_webhook_failed_total", { event, error });

describeEachEngine("webhook metrics", (ctx) => {
  closeDatabaseGracefully(ctx);
  let sandbox: TestSandbox;
  beforeAll(async () => {
    sandbox = await startTestSandbox({ seed: { customers: 1 } });
    connectCommet({ apiKey: sandbox.apiKey, apiUrl: sandbox.url, embeddedSandbox: false, catalogMaxAgeMs: 60_000 });
  });
  afterAll(async () => {
    await sandbox.dispose();
  });

  const deliver = (body: unknown, opts: { now?: number; signature?: string; intake?: typeof intake } = {}) => {
    const rawBody = JSON.stringify(body);
    return handleCommetWebhook(ctx.database, {
      rawBody,
      signature: opts.signature ?? sign(rawBody, SECRET),
      secret: SECRET,
      commet: offlineCommet,
      intake: opts.intake ?? intake,
      clock: opts.now === undefined ? undefined : () => opts.now!,
      onError: () => {},
    });
  };

  it("counts processed deliveries by event and result, and observes the lag of new events", async () => {
    const created = Date.parse("2026-11-21T12:00:00.000Z");
    const body = webhookEnvelope("customer.created", customerData(`cus_m_${ctx.engine}`, { email: "m@example.org" }));
    const before = {
      received: await processed("customer.created", "received"),
      duplicate: await processed("customer.created", "duplicate"),
      lag: await metricValue("console_webhook_lag_seconds", { event: "customer.created" }),
    };
    expect((await deliver(body, { now: created + 7_000 })).status).toBe(200);
    expect((await deliver(body, { now: created + 9_000 })).body.result).toBe("duplicate");
    expect(await processed("customer.created", "received")).toBe(before.received + 1);
    expect(await processed("customer.created", "duplicate")).toBe(before.duplicate + 1);
    // One lag observation (the duplicate is not new), in the 10 s bucket and not the 5 s one.
    expect(await metricValue("console_webhook_lag_seconds", { event: "customer.created" })).toBe(before.lag + 1);
    const { register } = await import("prom-client");
    const buckets = (await register.getSingleMetric("console_webhook_lag_seconds")!.get()).values.filter(
      (v) => v.labels.event === "customer.created" && "le" in v.labels,
    );
    const at = (le: number) => buckets.find((b) => b.labels.le === le)!.value;
    expect(at(10) - at(5)).toBeGreaterThanOrEqual(1);
  });

  it("counts refused and failed deliveries by error", async () => {
    const unsigned = await failed("unverified", "invalid_signature");
    await deliver(webhookEnvelope("customer.created", customerData("cus_forged")), { signature: "00" });
    expect(await failed("unverified", "invalid_signature")).toBe(unsigned + 1);

    const boom = await failed("customer.updated", "processing_failed");
    const failing = webhookIntake({
      handlers: {
        "customer.updated": webhookHandler(z.object({}).loose(), async () => {
          throw new Error("boom");
        }),
      },
    });
    await deliver(webhookEnvelope("customer.updated", customerData("cus_boom")), { intake: failing });
    expect(await failed("customer.updated", "processing_failed")).toBe(boom + 1);
  });

  it("a plan-naming event clears the cached catalog; other events leave it", async () => {
    const plans = () =>
      metricValue("console_commet_request_duration_seconds", { method: "GET", path: "/api/v1/plans" });
    await getCommet().plans.list({ includePrivate: "true" });
    const cached = await plans();
    await deliver(webhookEnvelope("customer.created", customerData(`cus_c_${ctx.engine}`, { email: "c@example.org" })));
    await getCommet().plans.list({ includePrivate: "true" });
    expect(await plans()).toBe(cached);

    await deliver(
      webhookEnvelope("subscription.plan_changed", {
        subscriptionId: "sub_1",
        customerId: "cus_1",
        previousPlan: { id: "pln_a", name: "A" },
        currentPlan: { id: "pln_b", name: "B" },
        billingInterval: "monthly",
        credit: 0,
        charge: 0,
        totalCharged: 0,
      }),
    );
    await getCommet().plans.list({ includePrivate: "true" });
    expect(await plans()).toBe(cached + 1);
  });
});
