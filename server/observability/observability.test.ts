// Logs carry the request id through async work, the access line and the HTTP metrics name routes, not URLs.
import http from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { register } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { metricValue } from "../testing/metrics.ts";
import {
  configureLogging,
  labelRoute,
  logger,
  remixRouteLabeler,
  requestIdFrom,
  requestObservability,
  type RouteManifest,
} from "./index.ts";

type Line = Record<string, unknown>;
const lines: Line[] = [];

/** The routes of a Remix build, as `build.routes` lists them (a subset of the console's). */
const manifest: RouteManifest = {
  root: { id: "root", path: "" },
  "routes/_index": { id: "routes/_index", parentId: "root", index: true },
  "routes/customers._index": { id: "routes/customers._index", parentId: "root", path: "customers", index: true },
  "routes/customers.$customerId": {
    id: "routes/customers.$customerId",
    parentId: "root",
    path: "customers/:customerId",
  },
  "routes/$": { id: "routes/$", parentId: "root", path: "*" },
};

describe("request observability", () => {
  let server: http.Server;
  let base: string;

  beforeAll(async () => {
    configureLogging({
      level: "info",
      pretty: false,
      destination: { write: (s: string) => void lines.push(JSON.parse(s)) },
    });
    const app = express();
    app.use(requestObservability({ remixRoute: remixRouteLabeler(manifest), debugRoutes: ["/webhooks/commet"] }));
    app.post("/webhooks/commet", (_req, res) => void res.json({ ok: true }));
    app.get("/healthz", (_req, res) => void res.json({ ok: true }));
    app.use("/assets", labelRoute("static"), (_req, res) => void res.send("asset"));
    // Stands in for Remix: domain code that logs after awaiting, without being handed any id.
    app.all("*", (req, res) => {
      setTimeout(() => {
        void Promise.resolve().then(() => {
          logger("domain").info({ customer: req.path.split("/")[2] }, "read the customer");
          res.status(req.path.startsWith("/customers/") ? 200 : 404).send("page");
        });
      }, 5);
    });
    server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    configureLogging({ level: "warn", pretty: false });
    await new Promise((resolve) => server.close(resolve));
  });

  it("keeps a safe x-request-id, echoes it, and stamps every line logged while handling the request", async () => {
    lines.length = 0;
    const [a, b] = await Promise.all([
      fetch(`${base}/customers/cus_1?email=grace@example.org`, { headers: { "x-request-id": "lb-abc-123" } }),
      fetch(`${base}/customers/cus_2`, { headers: { "x-request-id": "lb-def-456" } }),
    ]);
    expect(a.headers.get("x-request-id")).toBe("lb-abc-123");
    expect(b.headers.get("x-request-id")).toBe("lb-def-456");
    const domain = lines.filter((l) => l.component === "domain");
    expect(domain.map((l) => [l.customer, l.requestId]).sort()).toEqual([
      ["cus_1", "lb-abc-123"],
      ["cus_2", "lb-def-456"],
    ]);
    const access = lines.find((l) => l.component === "http" && l.requestId === "lb-abc-123");
    expect(access).toMatchObject({
      msg: "request",
      method: "GET",
      path: "/customers/cus_1",
      route: "routes/customers.$customerId",
      status: 200,
    });
    expect(typeof access?.durationMs).toBe("number");
    // The query (here an email) never reaches the log.
    expect(JSON.stringify(lines)).not.toContain("grace@example.org");
  });

  it("counts webhook deliveries but logs their access line at debug only", async () => {
    const before = await metricValue("console_http_requests_total", { route: "/webhooks/commet" });
    lines.length = 0;
    await fetch(`${base}/webhooks/commet`, { method: "POST", headers: { "x-request-id": "delivery-1" } });
    expect(await metricValue("console_http_requests_total", { route: "/webhooks/commet" })).toBe(before + 1);
    expect(lines.filter((l) => l.requestId === "delivery-1")).toEqual([]);
  });

  it("replaces an unsafe or missing request id with a fresh one", async () => {
    const injected = await fetch(`${base}/healthz`, { headers: { "x-request-id": 'x" {"level":60}' } });
    expect(injected.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const none = await fetch(`${base}/healthz`);
    expect(none.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(none.headers.get("x-request-id")).not.toBe(injected.headers.get("x-request-id"));
    expect(requestIdFrom("a".repeat(129))).not.toBe("a".repeat(129));
    expect(requestIdFrom(["trace-1", "trace-2"])).toBe("trace-1");
  });

  it("counts requests per route pattern and status class (Express route, static label, Remix route id)", async () => {
    const labels = (route: string, status_class: string) => ({ method: "GET", route, status_class });
    const before = {
      page: await metricValue("console_http_requests_total", labels("routes/customers.$customerId", "2xx")),
      missing: await metricValue("console_http_requests_total", labels("routes/$", "4xx")),
      health: await metricValue("console_http_requests_total", labels("/healthz", "2xx")),
      asset: await metricValue("console_http_requests_total", labels("static", "2xx")),
    };
    await Promise.all(["/customers/a", "/customers/b", "/customers/c"].map((p) => fetch(base + p)));
    await fetch(`${base}/no/such/page`);
    await fetch(`${base}/healthz`);
    await fetch(`${base}/assets/app-123.js`);
    expect(await metricValue("console_http_requests_total", labels("routes/customers.$customerId", "2xx"))).toBe(
      before.page + 3,
    );
    expect(await metricValue("console_http_requests_total", labels("routes/$", "4xx"))).toBe(before.missing + 1);
    expect(await metricValue("console_http_requests_total", labels("/healthz", "2xx"))).toBe(before.health + 1);
    expect(await metricValue("console_http_requests_total", labels("static", "2xx"))).toBe(before.asset + 1);
    expect(
      await metricValue("console_http_request_duration_seconds", { route: "routes/customers.$customerId" }),
    ).toBeGreaterThanOrEqual(3);
    // No raw URL ever became a label value.
    const text = await register.metrics();
    expect(text).not.toMatch(/route="\/customers\/[abc]"/);
  });
});

describe("remixRouteLabeler", () => {
  const label = remixRouteLabeler(manifest);
  it("names the deepest route that answers a path, its single-fetch data URL included", () => {
    expect(label("/")).toBe("routes/_index");
    expect(label("/_root.data")).toBe("routes/_index");
    expect(label("/customers")).toBe("routes/customers._index");
    expect(label("/customers/cus_42")).toBe("routes/customers.$customerId");
    expect(label("/customers/cus_42.data")).toBe("routes/customers.$customerId");
    expect(label("/anything/else")).toBe("routes/$");
    expect(label("/__manifest")).toBe("remix:manifest");
  });

  it("gives a path the same label when asked again, and still labels new paths once many were seen", () => {
    expect(label("/customers/cus_42")).toBe("routes/customers.$customerId");
    for (let i = 0; i < 1_500; i++) expect(label(`/customers/cus_${i}`)).toBe("routes/customers.$customerId");
    expect(label("/customers")).toBe("routes/customers._index");
    expect(label("/anything/else")).toBe("routes/$");
  });
});
