/**
 * The SDK on the lean path (lean-fetch.ts) against the SDK on Node's fetch, through the same routing: the same
 * answers, the same errors (Commet's error bodies, invalid JSON, a timeout, a refused connection, a 429 retried
 * after Retry-After), the same requests on the wire.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Commet } from "@commet/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { leanCommetFetch } from "./lean-fetch.ts";
import { installCommetRouting } from "./routing.ts";

type Seen = { method: string; url: string; headers: http.IncomingHttpHeaders; body: string };

const customer = { id: "cus_1", email: "ada@example.test", fullName: "Ada", metadata: { __proto__x: 1 } };
let limited = 0;

function answer(req: http.IncomingMessage, body: string, res: http.ServerResponse) {
  const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify(value));
  };
  const path = req.url ?? "";
  if (path === "/api/v1/customers/cus_1") return json(200, { success: true, data: customer });
  if (path === "/api/v1/customers/cus_missing")
    return json(404, {
      success: false,
      error: { type: "invalid_request_error", code: "not_found", message: "No customer cus_missing" },
    });
  if (path === "/api/v1/customers/cus_invalid")
    return json(422, {
      success: false,
      error: { code: "validation_error", message: "Invalid", details: [{ field: "email", message: "bad email" }] },
    });
  if (path === "/api/v1/customers/cus_garbled") {
    res.writeHead(502, { "content-type": "text/html" });
    return res.end("<html>bad gateway</html>");
  }
  if (path === "/api/v1/customers/cus_slow") {
    setTimeout(() => json(200, { success: true, data: customer }), 400);
    return;
  }
  if (path === "/api/v1/customers/cus_limited") {
    // Rate limited once per call pair, then answered: the SDK waits Retry-After and retries.
    if (limited++ % 2 === 0)
      return json(429, { success: false, error: { code: "rate_limited" } }, { "retry-after": "1" });
    return json(200, { success: true, data: customer });
  }
  if (req.method === "POST") return json(201, { success: true, data: { echoed: JSON.parse(body) as unknown } });
  return json(500, { success: false, error: { code: "internal_error", message: `unexpected ${path}` } });
}

describe("the SDK on the lean path answers as on Node's fetch", () => {
  const seen: Seen[] = [];
  let server: http.Server;
  let origin: string;
  let uninstall: (() => void) | undefined;
  const nodeFetch = globalThis.fetch;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
        answer(req, body, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(() => {
    uninstall?.();
    uninstall = undefined;
    expect(globalThis.fetch).toBe(nodeFetch);
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** Runs `call` with the routing installed, once lean and once with the SDK on Node's own fetch. */
  async function both<T>(target: string, call: (commet: Commet) => Promise<T>) {
    const outcome = async () => {
      try {
        return { value: await call(new Commet({ apiKey: "ck_test_lean", retries: 0 })) };
      } catch (error) {
        const e = error as Error & { code?: unknown; statusCode?: unknown; details?: unknown; cause?: unknown };
        return {
          error: {
            class: e.constructor.name,
            name: e.name,
            message: e.message,
            code: e.code,
            status: e.statusCode,
            details: e.details,
            causeCode: (e.cause as { code?: unknown } | undefined)?.code,
            // What server/commet/errors.ts tells a timeout by.
            domException: error instanceof DOMException,
          },
        };
      }
    };
    uninstall = installCommetRouting(target);
    expect(globalThis.fetch).not.toBe(nodeFetch);
    const lean = await outcome();
    const leanSeen = seen.splice(0);
    globalThis.fetch = nodeFetch;
    const node = await outcome();
    const nodeSeen = seen.splice(0);
    return { lean, node, leanSeen, nodeSeen };
  }

  it("a read: the same data, the same request line and SDK headers", async () => {
    const r = await both(origin, (c) => c.customers.get({ id: "cus_1" }));
    expect(r.lean).toEqual(r.node);
    expect(r.lean).toEqual({ value: expect.objectContaining({ data: customer }) });
    expect(r.leanSeen.map((s) => [s.method, s.url])).toEqual(r.nodeSeen.map((s) => [s.method, s.url]));
    for (const name of ["x-api-key", "commet-version", "content-type", "user-agent"])
      expect(r.leanSeen[0]!.headers[name], name).toBe(r.nodeSeen[0]!.headers[name]);
  });

  it("a write: the same JSON body and idempotency key", async () => {
    const r = await both(origin, (c) =>
      c.usage.track(
        { customerId: "cus_1", feature: "api_calls", value: 3, timestamp: "2026-12-01T10:00:00.000Z" },
        { idempotencyKey: "usage-key-1" },
      ),
    );
    expect(r.lean).toEqual(r.node);
    expect(r.lean).toMatchObject({ value: { data: { echoed: { value: 3 } } } });
    expect(r.leanSeen[0]!.body).toBe(r.nodeSeen[0]!.body);
    expect(r.leanSeen[0]!.headers["idempotency-key"]).toBe("usage-key-1");
    expect(r.leanSeen[0]!.headers["content-length"]).toBe(r.nodeSeen[0]!.headers["content-length"]);
  });

  it("Commet's errors: not found, validation, a body that is not JSON", async () => {
    for (const id of ["cus_missing", "cus_invalid", "cus_garbled"]) {
      const r = await both(origin, (c) => c.customers.get({ id }));
      expect(r.lean, id).toEqual(r.node);
      expect(r.lean.error, id).toBeDefined();
    }
  });

  it("a 429 waits Retry-After and retries, as on fetch", async () => {
    const r = await both(origin, () => new Commet({ apiKey: "ck_test_lean" }).customers.get({ id: "cus_limited" }));
    expect(r.lean).toEqual(r.node);
    expect(r.leanSeen).toHaveLength(2);
  });

  it("a timeout rejects with the signal's TimeoutError; a refused connection is TypeError('fetch failed')", async () => {
    const slow = await both(origin, (c) => c.customers.get({ id: "cus_slow" }, { timeout: 100 }));
    expect(slow.lean).toEqual(slow.node);
    expect(slow.lean.error).toMatchObject({ name: "TimeoutError", domException: true });

    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const refused = await both(`http://127.0.0.1:${port}`, (c) => c.customers.get({ id: "cus_1" }));
    expect(refused.lean).toEqual(refused.node);
    expect(refused.lean.error).toMatchObject({
      class: "TypeError",
      message: "fetch failed",
      causeCode: "ECONNREFUSED",
    });
  });

  it("anything but the SDK's own calls goes to Node's fetch untouched", async () => {
    const calls: unknown[][] = [];
    const base = (async (...args: unknown[]) => {
      calls.push(args);
      return new Response("{}");
    }) as typeof fetch;
    const lean = leanCommetFetch(base, "https://commet.co");
    const sdkHeaders = { "commet-version": "2025-01-01", "x-api-key": "k" };
    await lean("https://example.com/x", { headers: sdkHeaders });
    await lean(new URL("https://commet.co/api/v1/plans"), { headers: sdkHeaders });
    await lean("https://commet.co/api/v1/plans", { headers: new Headers(sdkHeaders) });
    await lean("https://commet.co/api/v1/plans", { headers: { "x-api-key": "k" } });
    await lean("https://commet.co/api/v1/plans", { headers: sdkHeaders, redirect: "manual" });
    await lean("https://commet.co/api/v1/plans", { method: "POST", headers: sdkHeaders, body: new Uint8Array(1) });
    await lean("https://commet.co.example.com/api", { headers: sdkHeaders });
    expect(calls).toHaveLength(7);
  });
});
