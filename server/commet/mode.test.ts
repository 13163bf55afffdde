import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectCommet } from "./client.ts";
import { getOrgMode } from "./mode.ts";
import { getShellInfo } from "./shell.ts";

/** A local stand-in for Commet whose answers depend on the API key, to exercise the livemode probe. */
const orgs: Record<string, Record<string, unknown[]>> = {
  ck_live_org: { "/api/v1/customers": [{ id: "cus_1", livemode: true }] },
  ck_plans_only: { "/api/v1/customers": [], "/api/v1/plans": [{ id: "plan_1", livemode: false }] },
  ck_empty_org: { "/api/v1/customers": [], "/api/v1/plans": [], "/api/v1/features": [] },
};
const calls: string[] = [];
let server: http.Server;
let origin: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const key = String(req.headers["x-api-key"]);
    const path = (req.url ?? "").split("?")[0] ?? "";
    calls.push(`${key} ${path}`);
    const org = orgs[key];
    res.setHeader("content-type", "application/json");
    if (!org) {
      res.statusCode = 401;
      res.end(
        JSON.stringify({
          success: false,
          error: { type: "authentication_error", code: "unauthorized", message: "bad key" },
        }),
      );
      return;
    }
    res.end(JSON.stringify({ success: true, data: org[path] ?? [] }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("getOrgMode", () => {
  it("reads livemode from the first customer and caches it per key", async () => {
    connectCommet({ apiKey: "ck_live_org", apiUrl: origin, embeddedSandbox: false });
    calls.length = 0;
    expect(await getOrgMode()).toEqual({ livemode: true });
    expect(await getOrgMode()).toEqual({ livemode: true });
    expect(calls).toEqual(["ck_live_org /api/v1/customers"]);
  });

  it("falls back to plans when there are no customers", async () => {
    connectCommet({ apiKey: "ck_plans_only", apiUrl: origin, embeddedSandbox: false });
    expect(await getOrgMode()).toEqual({ livemode: false });
  });

  it("is unknown (null) for an organization with nothing to list", async () => {
    connectCommet({ apiKey: "ck_empty_org", apiUrl: origin, embeddedSandbox: false });
    expect(await getOrgMode()).toBeNull();
  });
});

describe("getShellInfo (what the browser learns about the connection)", () => {
  it("carries the banner mode and the target, never the key", async () => {
    connectCommet({ apiKey: "ck_live_org", apiUrl: origin, embeddedSandbox: false });
    const shell = await getShellInfo();
    expect(shell).toEqual({ livemode: true, commetTarget: origin });
    expect(JSON.stringify(shell)).not.toContain("ck_");
  });

  it("shows an unknown mode instead of failing when Commet rejects the key", async () => {
    connectCommet({ apiKey: "ck_unknown_key", apiUrl: origin, embeddedSandbox: true });
    expect(await getShellInfo()).toEqual({ livemode: null, commetTarget: "embedded sandbox" });
  });
});
