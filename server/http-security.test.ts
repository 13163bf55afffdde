import http from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cspNonce, noStore, refuseCrossSiteForms, refuseUnknownHost, securityHeaders } from "./http-security.ts";

const ORIGINS = ["http://localhost:3000", "http://127.0.0.1:3000"];
let server: http.Server;
let port = 0;

function send(options: { method?: string; host?: string; origin?: string; path?: string }) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const headers: Record<string, string> = { host: options.host ?? "localhost:3000" };
    if (options.origin) headers.origin = options.origin;
    const req = http.request(
      { host: "127.0.0.1", port, method: options.method ?? "GET", path: options.path ?? "/", headers },
      (res) => {
        let body = "";
        res.on("data", (chunk: Buffer) => (body += chunk.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

beforeAll(async () => {
  const app = express();
  app.use(refuseUnknownHost(ORIGINS));
  app.use(cspNonce(), securityHeaders("production"));
  app.use(refuseCrossSiteForms(ORIGINS));
  app.use(noStore());
  app.get("/own-cache", (_req, res) => {
    res.append("Cache-Control", "no-store, private").type("text/plain").send("own");
  });
  app.all("*", (_req, res) => {
    res.type("text/plain").send(String(res.locals.cspNonce));
  });
  server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => server.close());

describe("HTTP hardening", () => {
  it("refuses requests for a host the console does not serve (DNS rebinding)", async () => {
    expect((await send({ host: "evil.example" })).status).toBe(421);
    expect((await send({ host: "evil.example", method: "POST", origin: "http://evil.example" })).status).toBe(421);
    expect((await send({ host: "127.0.0.1:3000" })).status).toBe(200);
    expect((await send({ host: "LOCALHOST:3000" })).status).toBe(200);
  });

  it("refuses cross-site posts by the configured origins, whatever the Host says", async () => {
    expect((await send({ method: "POST", origin: "http://evil.example" })).status).toBe(403);
    expect((await send({ method: "POST", origin: "http://localhost:3001" })).status).toBe(403);
    expect((await send({ method: "POST", origin: "http://localhost:3000" })).status).toBe(200);
    expect((await send({ method: "POST", host: "127.0.0.1:3000", origin: "http://localhost:3000" })).status).toBe(200);
  });

  it("lets the identity provider's cross-site GET redirect reach the OIDC callback", async () => {
    const callback = { path: "/auth/oidc/callback?code=c&state=s", origin: "https://idp.example.com" };
    expect((await send(callback)).status).toBe(200);
    expect((await send({ ...callback, method: "POST" })).status).toBe(403); // form_post is not accepted
  });

  it("sends a nonce CSP that forbids framing, plus nosniff, a referrer policy and no-store", async () => {
    const { headers, body: nonce } = await send({});
    const csp = String(headers["content-security-policy"]);
    expect(nonce).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(csp).toContain(`script-src 'self' 'nonce-${nonce}'`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(headers["x-frame-options"]).toBe("DENY");
    expect(headers["x-content-type-options"]).toBe("nosniff");
    expect(headers["referrer-policy"]).toBe("same-origin");
    expect(headers["cache-control"]).toBe("no-store");
    const again = await send({});
    expect(again.body).not.toBe(nonce);
    // A response that sets its own Cache-Control carries it once.
    expect((await send({ path: "/own-cache" })).headers["cache-control"]).toBe("no-store, private");
  });
});
