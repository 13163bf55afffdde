import http from "node:http";
import type { AddressInfo } from "node:net";
import { Commet } from "@commet/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { installCommetRouting, rewrittenOrigin } from "./routing.ts";

type Seen = { method: string; url: string; host: string; apiKey: string | undefined };

async function recordingServer(name: string) {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    seen.push({
      method: req.method ?? "",
      url: req.url ?? "",
      host: req.headers.host ?? "",
      apiKey: req.headers["x-api-key"] as string | undefined,
    });
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ success: true, data: [], server: name }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    seen,
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("rewrittenOrigin", () => {
  const target = "http://127.0.0.1:4010";
  it("rewrites exactly https://commet.co", () => {
    expect(rewrittenOrigin("https://commet.co", target)).toBe(target);
    expect(rewrittenOrigin("https://commet.co:443", target)).toBe(target);
    expect(rewrittenOrigin(new URL("https://commet.co/api/v1/plans"), target)).toBe(target);
  });
  it("leaves every other origin alone", () => {
    for (const origin of [
      "http://commet.co",
      "https://api.commet.co",
      "https://commet.co.example.com",
      "https://commet.co:8443",
      "https://registry.npmjs.org",
      "http://127.0.0.1:4010",
      "not a url",
      undefined,
    ]) {
      expect(rewrittenOrigin(origin, target), String(origin)).toBeNull();
    }
  });
});

describe("installCommetRouting with Node's built-in fetch", () => {
  let sandbox: Awaited<ReturnType<typeof recordingServer>>;
  let other: Awaited<ReturnType<typeof recordingServer>>;
  let uninstall: (() => void) | undefined;

  beforeAll(async () => {
    sandbox = await recordingServer("sandbox");
    other = await recordingServer("other");
    uninstall = installCommetRouting(sandbox.origin);
  });
  afterEach(() => {
    sandbox.seen.length = 0;
    other.seen.length = 0;
  });
  afterAll(async () => {
    uninstall?.();
    await Promise.all([sandbox.close(), other.close()]);
  });

  it("sends https://commet.co requests to the target, keeping path and query", async () => {
    const res = await fetch("https://commet.co/api/v1/customers?limit=2&cursor=abc");
    expect(await res.json()).toMatchObject({ server: "sandbox" });
    expect(sandbox.seen).toEqual([
      expect.objectContaining({
        method: "GET",
        url: "/api/v1/customers?limit=2&cursor=abc",
        host: new URL(sandbox.origin).host,
      }),
    ]);
    expect(other.seen).toEqual([]);
  });

  it("passes a request to another origin through untouched", async () => {
    const res = await fetch(`${other.origin}/api/v1/customers?x=1`, { method: "POST", body: "{}" });
    expect(await res.json()).toMatchObject({ server: "other" });
    expect(other.seen).toEqual([expect.objectContaining({ method: "POST", url: "/api/v1/customers?x=1" })]);
    expect(sandbox.seen).toEqual([]);
  });

  it("routes the SDK (whose base URL is fixed to commet.co) to the target", async () => {
    const commet = new Commet({ apiKey: "ck_routing_test", retries: 0, telemetry: false });
    const response = await commet.plans.list();
    expect(response.success).toBe(true);
    expect(sandbox.seen).toEqual([
      expect.objectContaining({ method: "GET", url: "/api/v1/plans", apiKey: "ck_routing_test" }),
    ]);
  });

  it("re-installing moves the target instead of stacking rewrites", async () => {
    installCommetRouting(other.origin);
    try {
      await (await fetch("https://commet.co/api/v1/plans")).json();
      expect(other.seen).toHaveLength(1);
      expect(sandbox.seen).toHaveLength(0);
    } finally {
      installCommetRouting(sandbox.origin);
    }
  });
});
