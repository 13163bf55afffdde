import { describe, expect, it } from "vitest";
import { assertSameOrigin, isSameOriginRequest } from "./csrf.ts";

const APP = "https://console.example.com";
const req = (method: string, headers: Record<string, string> = {}, url = `${APP}/customers/cus_1`) =>
  new Request(url, { method, headers });

describe("CSRF: same-origin check", () => {
  it("lets safe methods through", () => {
    expect(isSameOriginRequest(req("GET", { Origin: "https://evil.example" }))).toBe(true);
    expect(isSameOriginRequest(req("HEAD"))).toBe(true);
  });

  it("accepts a POST from the app's own origin (Origin, or Referer when Origin is absent)", () => {
    expect(isSameOriginRequest(req("POST", { Origin: APP }))).toBe(true);
    expect(isSameOriginRequest(req("POST", { Referer: `${APP}/customers?q=1` }))).toBe(true);
    expect(isSameOriginRequest(req("POST", { Origin: APP, "Sec-Fetch-Site": "same-origin" }))).toBe(true);
  });

  it("refuses cross-site POSTs and POSTs that say nothing about where they come from", () => {
    expect(isSameOriginRequest(req("POST", { Origin: "https://evil.example" }))).toBe(false);
    expect(isSameOriginRequest(req("POST", { Origin: "http://console.example.com" }))).toBe(false); // scheme differs
    expect(isSameOriginRequest(req("POST", { Origin: "https://console.example.com.evil.example" }))).toBe(false);
    expect(isSameOriginRequest(req("POST", { Origin: "null" }))).toBe(false);
    expect(isSameOriginRequest(req("POST", { Referer: "https://evil.example/x" }))).toBe(false);
    expect(isSameOriginRequest(req("POST", {}))).toBe(false);
    expect(isSameOriginRequest(req("DELETE", { Origin: "https://evil.example" }))).toBe(false);
    // Origin wins over a same-origin Referer
    expect(isSameOriginRequest(req("POST", { Origin: "https://evil.example", Referer: `${APP}/` }))).toBe(false);
    expect(isSameOriginRequest(req("POST", { Origin: APP, "Sec-Fetch-Site": "cross-site" }))).toBe(false);
  });

  it("accepts configured public origins (behind a proxy)", () => {
    const internal = req("POST", { Origin: APP }, "http://127.0.0.1:3000/customers");
    expect(isSameOriginRequest(internal)).toBe(false);
    expect(isSameOriginRequest(internal, [APP])).toBe(true);
  });

  it("assertSameOrigin throws a 403 Response", () => {
    let thrown: unknown;
    try {
      assertSameOrigin(req("POST", { Origin: "https://evil.example" }));
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(Response);
    expect((thrown as Response).status).toBe(403);
    expect(() => assertSameOrigin(req("POST", { Origin: APP }))).not.toThrow();
  });
});
