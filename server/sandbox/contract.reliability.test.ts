/**
 * Contract: authentication, validation errors, Idempotency-Key semantics and fault injection,
 * observed through the real @commet/node 7.10.0 — its retries included (the SDK waits 1 s, 2 s, 4 s
 * between attempts and keeps the Idempotency-Key; a 429 is retried only with Retry-After).
 */
import { CommetAPIError, CommetValidationError } from "@commet/node";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  Customer,
  envelope,
  ErrorEnvelope,
  expectShape,
  FeatureLookup,
  pageEnvelope,
} from "../testing/contract-schemas.ts";
import {
  clearFaults,
  expectApiError,
  expectValidationError,
  randomSuffix,
  setFaults,
  subscribedCustomer,
  useContractSandbox,
} from "../testing/sandbox.ts";
import { clearExchanges, exchanges, type Exchange } from "../testing/sdk-wire.ts";

const t = useContractSandbox({ beforeAll, afterAll }, { seed: { customers: 5 } });

beforeEach(() => clearExchanges());
afterEach(async () => {
  await clearFaults(t.sandbox);
});

async function customerCount(): Promise<number> {
  return (await t.sandbox.health()).customers;
}

function calls(method: string, pathPrefix: string): Exchange[] {
  return exchanges().filter((e) => e.method === method && e.path.startsWith(pathPrefix));
}

describe("authentication and validation", () => {
  it("a wrong key is 401 unauthorized (not retried)", async () => {
    const wrong = t.sandbox.client({ apiKey: "ck_not_the_sandbox_key" });
    const err = await expectApiError(wrong.customers.list(), { status: 401, code: "unauthorized" });
    expect(err.type).toBe("authentication_error");
    expect(calls("GET", "/api/v1/customers")).toHaveLength(1);
  });

  it("the admin endpoints need the sandbox key too (health does not)", async () => {
    const res = await fetch(new URL("/__sandbox/faults", t.sandbox.url), { headers: { "x-api-key": "ck_wrong" } });
    expect(res.status).toBe(401);
    expect((await fetch(new URL("/__sandbox/health", t.sandbox.url))).status).toBe(200);
  });

  it("invalid input is validation_error with details [{field, message}] → CommetValidationError", async () => {
    let caught: unknown;
    try {
      await t.commet.customers.create({ email: "not-an-email" });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(CommetValidationError);
    const v = caught as CommetValidationError;
    expect(Object.keys(v.validationErrors)).toContain("email");
    expect(v.validationErrors.email?.[0]).toEqual(expect.any(String));

    const raw = await fetch(new URL("/api/v1/seats", t.sandbox.url), {
      method: "POST",
      headers: { "x-api-key": t.sandbox.apiKey, "content-type": "application/json" },
      body: JSON.stringify({ customerId: "cus_x", featureCode: "seats", count: -2 }),
    });
    expect(raw.status).toBe(400);
    expect(raw.headers.get("x-request-id")).toBeTruthy();
    const body = expectShape(ErrorEnvelope, await raw.json());
    expect(body.error).toMatchObject({ type: "validation_error", code: "validation_error" });
    expect(body.error.details).toEqual(expect.arrayContaining([{ field: "count", message: expect.any(String) }]));
  });
});

describe("raw HTTP errors the SDK never provokes", () => {
  async function raw(method: string, pathname: string, body?: string) {
    const res = await fetch(new URL(pathname, t.sandbox.url), {
      method,
      headers: { "x-api-key": t.sandbox.apiKey, "content-type": "application/json" },
      body,
    });
    expect(res.headers.get("x-request-id")).toBeTruthy();
    return { status: res.status, body: expectShape(ErrorEnvelope, await res.json()) };
  }

  it("a malformed JSON body is 400 invalid_json (type validation_error)", async () => {
    const res = await raw("POST", "/api/v1/customers", "{not json");
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ type: "validation_error", code: "invalid_json" });
  });

  it("an unknown route is 404 not_found", async () => {
    const res = await raw("GET", "/api/v1/no-such-resource");
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ type: "not_found_error", code: "not_found" });
  });
});

describe("paging limits", () => {
  it("limit outside 1..100 is a validation_error on limit", async () => {
    await expectValidationError(t.commet.customers.list({ limit: 0 }), "limit");
    await expectValidationError(t.commet.customers.list({ limit: 101 }), "limit");
    await expectValidationError(t.commet.customers.list({ cursor: "not-a-cursor" }), "cursor");
    const max = expectShape(pageEnvelope(Customer), await t.commet.customers.list({ limit: 100 }));
    expect(max.data.length).toBeGreaterThan(0);
  });
});

describe("Idempotency-Key", () => {
  it("same key + same body replays the stored response and applies nothing twice", async () => {
    const tag = randomSuffix();
    const key = `idem_${tag}`;
    const params = { email: `idem+${tag}@example.test`, externalId: `ext_idem_${tag}` };
    const before = await customerCount();
    const first = expectShape(envelope(Customer), await t.commet.customers.create(params, { idempotencyKey: key }));
    const second = expectShape(envelope(Customer), await t.commet.customers.create(params, { idempotencyKey: key }));
    expect(second).toEqual(first);
    expect(await customerCount()).toBe(before + 1);
    const sent = calls("POST", "/api/v1/customers");
    expect(sent.map((e) => e.idempotencyKey)).toEqual([key, key]);
    expect(sent.map((e) => e.status)).toEqual([sent[0]!.status, sent[0]!.status]);
  });

  it("a replayed seat change returns the stored SeatEvent and is applied once", async () => {
    const { customer } = await subscribedCustomer(t.commet, t.catalog.metered.plan);
    const key = `seat_${randomSuffix()}`;
    const p = { customerId: customer.id, featureCode: t.catalog.metered.seats, count: 2 };
    const a = await t.commet.seats.add(p, { idempotencyKey: key });
    const b = await t.commet.seats.add(p, { idempotencyKey: key });
    expect(b).toEqual(a);
    const balance = await t.commet.seats.getBalance({ customerId: customer.id, featureCode: t.catalog.metered.seats });
    expect(balance.data?.current).toBe(a.data?.newBalance);
  });

  it("PUT: a replayed usage.set returns the stored adjustment and does not apply again", async () => {
    const { customer } = await subscribedCustomer(t.commet, t.catalog.metered.plan);
    const feature = t.catalog.metered.usage;
    await t.commet.usage.track({ customerId: customer.id, feature, value: 10 });
    const key = `set_${randomSuffix()}`;
    const params = { customerId: customer.id, feature, value: 4 };
    const a = await t.commet.usage.set(params, { idempotencyKey: key });
    await t.commet.usage.track({ customerId: customer.id, feature, value: 1 });
    const b = await t.commet.usage.set(params, { idempotencyKey: key });
    expect(b).toEqual(a);
    expect(a.data).toMatchObject({ previousValue: 10, value: 4 });
    const usage = expectShape(
      envelope(FeatureLookup),
      await t.commet.featureAccess.get({ customerId: customer.id, code: feature }),
    ).data;
    expect(usage.current).toBe(5);
    expect(calls("PUT", "/api/v1/usage").map((e) => e.idempotencyKey)).toEqual([key, key]);
  });

  it("same key + different body is 409 idempotency_key_mismatch", async () => {
    const tag = randomSuffix();
    const key = `mismatch_${tag}`;
    await t.commet.customers.create({ email: `m1+${tag}@example.test` }, { idempotencyKey: key });
    const before = await customerCount();
    const err = await expectApiError(
      t.commet.customers.create({ email: `m2+${tag}@example.test` }, { idempotencyKey: key }),
      {
        status: 409,
        code: "idempotency_key_mismatch",
      },
    );
    expect(err.type).toBe("conflict_error");
    expect(await customerCount()).toBe(before);
  });

  it("same key while the first request is in flight is 409 idempotency_in_progress", async () => {
    const tag = randomSuffix();
    const key = `inflight_${tag}`;
    const params = { email: `inflight+${tag}@example.test` };
    await setFaults(t.sandbox, [{ route: "POST /api/v1/customers", latencyMs: 3000, times: 1 }]);
    const before = await customerCount();
    const first = t.commet.customers.create(params, { idempotencyKey: key });
    // Let the first request reach the sandbox and claim the key (it then sleeps 3 s in flight; the
    // margin covers a loaded CI machine).
    await new Promise((r) => setTimeout(r, 1000));
    await expectApiError(t.commet.customers.create(params, { idempotencyKey: key }), {
      status: 409,
      code: "idempotency_in_progress",
    });
    const created = expectShape(envelope(Customer), await first).data;
    expect(created.email).toBe(params.email);
    expect(await customerCount()).toBe(before + 1);
    // Once finished, the same key replays the first response.
    const replay = expectShape(
      envelope(Customer),
      await t.commet.customers.create(params, { idempotencyKey: key }),
    ).data;
    expect(replay).toEqual(created);
  });
});

describe("fault injection observed through the SDK", () => {
  it("latency delays the response; an SDK timeout below it aborts the call", async () => {
    await setFaults(t.sandbox, [{ route: "GET /api/v1/features", latencyMs: 400 }]);
    const t0 = Date.now();
    await t.commet.features.list();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(380);
    const impatient = t.sandbox.client({ timeout: 100, retries: 0 });
    await expect(impatient.features.list()).rejects.toMatchObject({ name: "TimeoutError" });
  });

  it("503 once then success: the SDK retries with the same Idempotency-Key and the write happens once", async () => {
    const tag = randomSuffix();
    await setFaults(t.sandbox, [{ route: "POST /api/v1/customers", errorStatus: 503, times: 1 }]);
    const before = await customerCount();
    const res = expectShape(
      envelope(Customer),
      await t.commet.customers.create({ email: `retry+${tag}@example.test`, externalId: `ext_retry_${tag}` }),
    );
    const sent = calls("POST", "/api/v1/customers");
    expect(sent.map((e) => e.status)).toEqual([503, sent[1]!.status]);
    expect(sent[1]!.status).toBeLessThan(300);
    expect(sent[0]!.idempotencyKey).toBeTruthy();
    expect(sent[1]!.idempotencyKey).toBe(sent[0]!.idempotencyKey);
    expect(await customerCount()).toBe(before + 1);
    const found = expectShape(
      pageEnvelope(Customer),
      await t.commet.customers.list({ externalId: `ext_retry_${tag}` }),
    );
    expect(found.data.map((c) => c.id)).toEqual([res.data.id]);
  });

  it("500 error rate 1: the SDK gives up after its retries with internal_error", async () => {
    await setFaults(t.sandbox, [{ route: "GET /api/v1/plans", errorRate: 1, errorStatus: 500 }]);
    const once = t.sandbox.client({ retries: 1 });
    const err = await expectApiError(once.plans.list(), { status: 500, code: "internal_error" });
    expect(err).toBeInstanceOf(CommetAPIError);
    expect(calls("GET", "/api/v1/plans").map((e) => e.status)).toEqual([500, 500]);
  });

  it("a 50% error rate fails some and passes some requests", async () => {
    await setFaults(t.sandbox, [{ route: "GET /api/v1/features", errorRate: 0.5, errorStatus: 503 }]);
    const noRetry = t.sandbox.client({ retries: 0 });
    const results = await Promise.allSettled(Array.from({ length: 60 }, () => noRetry.features.list()));
    const failed = results.filter((r) => r.status === "rejected").length;
    expect(failed).toBeGreaterThan(10);
    expect(failed).toBeLessThan(50);
    for (const r of results) {
      if (r.status === "rejected") expect(r.reason).toMatchObject({ statusCode: 503 });
    }
  });

  it("429 with Retry-After: surfaced as rate_limited without retries, retried after the wait with them", async () => {
    await setFaults(t.sandbox, [{ route: "GET /api/v1/features", rateLimit: { retryAfterSeconds: 1 }, times: 1 }]);
    const noRetry = t.sandbox.client({ retries: 0 });
    const err = await expectApiError(noRetry.features.list(), { status: 429, code: "rate_limited" });
    expect(err.type).toBe("rate_limit_error");
    expect(calls("GET", "/api/v1/features")[0]?.headers["retry-after"]).toBe("1");

    clearExchanges();
    await setFaults(t.sandbox, [{ route: "GET /api/v1/features", rateLimit: { retryAfterSeconds: 1 }, times: 1 }]);
    const t0 = Date.now();
    const ok = await t.commet.features.list();
    expect(ok.success).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(calls("GET", "/api/v1/features").map((e) => e.status)).toEqual([429, 200]);
  });

  it("apply-then-drop: the SDK sees a network error, retries with the same key, gets the replay; usage counted once", async () => {
    const { customer } = await subscribedCustomer(t.commet, t.catalog.metered.plan);
    const feature = t.catalog.metered.usage;
    await setFaults(t.sandbox, [{ route: "POST /api/v1/usage/events", applyThenDrop: true, times: 1 }]);
    const eventKey = `drop_${randomSuffix()}`;
    const res = await t.commet.usage.track({ customerId: customer.id, feature, value: 6, idempotencyKey: eventKey });
    expect(res.success).toBe(true);
    const sent = calls("POST", "/api/v1/usage/events");
    expect(sent).toHaveLength(2);
    expect(sent[0]!.status).toBeNull();
    expect(sent[0]!.error).toBeTruthy();
    expect(sent[1]!.status).toBeLessThan(300);
    expect(sent[1]!.idempotencyKey).toBe(sent[0]!.idempotencyKey);
    const usage = expectShape(
      envelope(FeatureLookup),
      await t.commet.featureAccess.get({ customerId: customer.id, code: feature }),
    ).data;
    expect(usage.current).toBe(6);
  });

  it("fault rules can be read back and cleared", async () => {
    await setFaults(t.sandbox, [{ route: "GET /api/v1/plans", errorRate: 1, errorStatus: 500 }]);
    const got = await t.sandbox.admin("GET", "/__sandbox/faults");
    expect(got.status).toBe(200);
    expect(JSON.stringify(got.body)).toContain("/api/v1/plans");
    await clearFaults(t.sandbox);
    const ok = await t.sandbox.client({ retries: 0 }).plans.list();
    expect(ok.success).toBe(true);
  });
});

describe("every response", () => {
  it("carries a unique x-request-id, errors and faults included", async () => {
    await t.commet.customers.list({ limit: 1 });
    await expectApiError(t.commet.customers.get({ id: "cus_missing" }), { status: 404, code: "customer_not_found" });
    await setFaults(t.sandbox, [{ route: "GET /api/v1/plans", errorStatus: 503, times: 1 }]);
    await t.sandbox
      .client({ retries: 0 })
      .plans.list()
      .catch(() => undefined);
    const seen = exchanges().filter((e) => e.status !== null);
    expect(seen.map((e) => e.status)).toEqual([200, 404, 503]);
    expect(seen.filter((e) => !e.headers["x-request-id"])).toEqual([]);
    expect(new Set(seen.map((e) => e.headers["x-request-id"])).size).toBe(seen.length);
  });
});
