// Shared reads against a real sandbox, counted at the dispatcher (the Commet metrics): one call for N
// identical concurrent reads, never an answer from before a write, the catalog cached and invalidated.
import { Commet } from "@commet/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clearFaults, setFaults, startTestSandbox, type TestSandbox } from "../testing/sandbox.ts";
import { metricValue } from "../testing/metrics.ts";
import { connectCommet, getCommet, invalidateCatalog } from "./client.ts";
import { commetPathTemplate } from "./routing.ts";
import { copyAnswer, shareReads } from "./shared-reads.ts";
import { runWithRequestContext } from "../observability/index.ts";

const calls = (method: string, path: string) =>
  metricValue("console_commet_request_duration_seconds", { method, path });

describe("shared Commet reads", () => {
  let sandbox: TestSandbox;
  let customerId: string;

  beforeAll(async () => {
    sandbox = await startTestSandbox({ seed: { customers: 5 } });
    connectCommet({ apiKey: sandbox.apiKey, apiUrl: sandbox.url, embeddedSandbox: false, catalogMaxAgeMs: 60_000 });
    customerId = (await getCommet().customers.list({ limit: 1 })).data![0]!.id;
  });
  afterAll(async () => {
    await sandbox.dispose();
  });

  it("N identical concurrent reads make one call; each caller gets its own copy", async () => {
    // Latency keeps the first call in flight while the others arrive.
    await setFaults(sandbox, [{ route: "GET /api/v1/customers/*", latencyMs: 150 }]);
    const before = await calls("GET", "/api/v1/customers/:id");
    const results = await Promise.all(Array.from({ length: 8 }, () => getCommet().customers.get({ id: customerId })));
    expect(await calls("GET", "/api/v1/customers/:id")).toBe(before + 1);
    expect(new Set(results.map((r) => r.data!.id))).toEqual(new Set([customerId]));
    results[1]!.data!.fullName = "changed by one caller";
    expect(results[2]!.data!.fullName).not.toBe("changed by one caller");
    await clearFaults(sandbox);
  });

  it("different arguments are different calls, and a settled read is never reused", async () => {
    const before = await calls("GET", "/api/v1/customers");
    await Promise.all([getCommet().customers.list({ limit: 1 }), getCommet().customers.list({ limit: 2 })]);
    await getCommet().customers.list({ limit: 1 });
    expect(await calls("GET", "/api/v1/customers")).toBe(before + 3);
  });

  it("one request's repeated reads share one answer until a write; other requests read afresh", async () => {
    const commet = getCommet();
    const before = await calls("GET", "/api/v1/customers/:id");
    const [first, second] = await runWithRequestContext({ requestId: "page-a" }, async () => {
      const a = await commet.customers.get({ id: customerId });
      const b = await commet.customers.get({ id: customerId });
      return [a, b];
    });
    expect(await calls("GET", "/api/v1/customers/:id")).toBe(before + 1);
    expect(second.data).toEqual(first.data);
    first.data!.fullName = "changed by one panel";
    expect(second.data!.fullName).not.toBe("changed by one panel");

    await runWithRequestContext({ requestId: "page-b" }, () => commet.customers.get({ id: customerId }));
    expect(await calls("GET", "/api/v1/customers/:id")).toBe(before + 2);

    const afterWrite = await runWithRequestContext({ requestId: "action" }, async () => {
      await commet.customers.get({ id: customerId });
      await commet.customers.update({ id: customerId, fullName: "Written Within The Request" });
      return commet.customers.get({ id: customerId });
    });
    expect(afterWrite.data!.fullName).toBe("Written Within The Request");
    expect(await calls("GET", "/api/v1/customers/:id")).toBe(before + 4);
  });

  it("a read that starts after a write goes to Commet and sees the write", async () => {
    await setFaults(sandbox, [{ route: "GET /api/v1/customers/*", latencyMs: 300 }]);
    const before = await calls("GET", "/api/v1/customers/:id");
    const commet = getCommet();
    const inFlight = commet.customers.get({ id: customerId });
    await commet.customers.update({ id: customerId, fullName: "Written Between Reads" });
    const after = await commet.customers.get({ id: customerId });
    await inFlight;
    expect(after.data!.fullName).toBe("Written Between Reads");
    expect(await calls("GET", "/api/v1/customers/:id")).toBe(before + 2);
    await clearFaults(sandbox);
  });

  it("caches the plan catalog; a write or a plan webhook's invalidation makes the next read fresh", async () => {
    const plansBefore = await calls("GET", "/api/v1/plans");
    const first = await getCommet().plans.list({ includePrivate: "true" });
    const second = await getCommet().plans.list({ includePrivate: "true" });
    expect(second.data).toEqual(first.data);
    expect(await calls("GET", "/api/v1/plans")).toBe(plansBefore + 1);

    const planId = first.data![0]!.id;
    await getCommet().plans.get({ id: planId });
    await getCommet().plans.get({ id: planId });
    await getCommet().features.list();
    await getCommet().features.list();
    expect(await calls("GET", "/api/v1/plans/:id")).toBeGreaterThan(0);
    const getsBefore = await calls("GET", "/api/v1/plans/:id");

    invalidateCatalog();
    await getCommet().plans.list({ includePrivate: "true" });
    expect(await calls("GET", "/api/v1/plans")).toBe(plansBefore + 2);

    await getCommet().customers.update({ id: customerId, fullName: "Any Write" });
    await getCommet().plans.get({ id: planId });
    expect(await calls("GET", "/api/v1/plans/:id")).toBe(getsBefore + 1);
  });

  it("a cached catalog answer expires after its max age, and is a copy for every caller", async () => {
    let now = 1_000_000;
    const client = new Commet({ apiKey: sandbox.apiKey, telemetry: false });
    shareReads(client, { catalogMaxAgeMs: 5_000, clock: () => now });
    const before = await calls("GET", "/api/v1/features");
    const a = await client.features.list();
    now += 4_000;
    const b = await client.features.list();
    expect(await calls("GET", "/api/v1/features")).toBe(before + 1);
    a.data![0]!.name = "mutated";
    expect(b.data![0]!.name).not.toBe("mutated");
    now += 2_000;
    await client.features.list();
    expect(await calls("GET", "/api/v1/features")).toBe(before + 2);
  });
});

describe("Commet call metrics", () => {
  it("label paths with their template, never an id", () => {
    expect(commetPathTemplate("/api/v1/customers/cus_123?x=1")).toBe("/api/v1/customers/:id");
    expect(commetPathTemplate("/api/v1/plans/pro/prices/prc_1/default")).toBe("/api/v1/plans/:id/prices/:id/default");
    expect(commetPathTemplate("/api/v1/usage/quota/all?customerId=a@b.c")).toBe("/api/v1/usage/quota/all");
    expect(commetPathTemplate("/api/v1/subscriptions/sub_1/change-plan")).toBe("/api/v1/subscriptions/:id/change-plan");
  });

  it("count HTTP errors and calls that got no answer, per operation", async () => {
    const sandbox = await startTestSandbox({ seed: { customers: 1 } });
    try {
      connectCommet({ apiKey: sandbox.apiKey, apiUrl: sandbox.url, embeddedSandbox: false });
      const client = new Commet({ apiKey: sandbox.apiKey, telemetry: false, retries: 0 });
      const notFound = await metricValue("console_commet_request_errors_total", {
        method: "GET",
        path: "/api/v1/customers/:id",
        kind: "4xx",
      });
      await expect(client.customers.get({ id: "cus_does_not_exist" })).rejects.toThrow();
      expect(
        await metricValue("console_commet_request_errors_total", {
          method: "GET",
          path: "/api/v1/customers/:id",
          kind: "4xx",
        }),
      ).toBe(notFound + 1);
    } finally {
      await sandbox.dispose();
    }
    // The sandbox is gone: connection refused.
    const network = await metricValue("console_commet_request_errors_total", { kind: "network" });
    const client = new Commet({ apiKey: "ck_test_gone", telemetry: false, retries: 0 });
    await expect(client.plans.list()).rejects.toThrow();
    expect(await metricValue("console_commet_request_errors_total", { kind: "network" })).toBe(network + 1);
  });
});

describe("copyAnswer", () => {
  it("copies parsed JSON deeply: equal, but no object or array shared with the original", () => {
    const answer = JSON.parse('{"data":[{"id":"inv_1","lines":[{"amount":5}],"note":null}],"hasMore":false,"n":3}');
    const copy = copyAnswer(answer);
    expect(copy).toEqual(answer);
    expect(copy).not.toBe(answer);
    expect(copy.data).not.toBe(answer.data);
    expect(copy.data[0].lines[0]).not.toBe(answer.data[0].lines[0]);
    copy.data[0].lines[0].amount = 6;
    expect(answer.data[0].lines[0].amount).toBe(5);
    expect(copyAnswer("text")).toBe("text");
    expect(copyAnswer(null)).toBeNull();
  });

  it('keeps a "__proto__" key of the answer as data, never as the copy\'s prototype', () => {
    const copy = copyAnswer(JSON.parse('{"__proto__":{"polluted":true},"ok":1}'));
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect((copy as { polluted?: boolean }).polluted).toBeUndefined();
    expect(Object.hasOwn(copy, "__proto__")).toBe(true);
    expect(JSON.stringify(copy)).toBe('{"__proto__":{"polluted":true},"ok":1}');
  });
});
