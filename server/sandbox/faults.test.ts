import { describe, expect, it } from "vitest";
import { Faults, faultRulesSchema } from "./faults.ts";

describe("Faults", () => {
  it("times: 1 applies to the next matching request only", () => {
    const f = new Faults();
    f.set([{ route: "POST /api/v1/usage/events", errorStatus: 503, times: 1 }]);
    expect(f.decide("GET", "/api/v1/customers")).toBeNull();
    expect(f.decide("POST", "/api/v1/usage/events")?.error).toBe(503);
    expect(f.decide("POST", "/api/v1/usage/events")).toBeNull();
    expect(f.list()).toEqual([]);
  });

  it("errorRate is deterministic: 0.5 fails exactly every second matching request", () => {
    const f = new Faults();
    f.set([{ route: "/api/v1/*", errorRate: 0.5 }]);
    const outcomes = Array.from({ length: 6 }, () => f.decide("GET", "/api/v1/plans")?.error ?? null);
    expect(outcomes).toEqual([null, 500, null, 500, null, 500]);
  });

  it("globs match method and path; latencies add up and the first error/rate limit wins", () => {
    const f = new Faults();
    f.set([
      { route: "* /api/v1/seats*", latencyMs: 10 },
      { route: "DELETE /api/v1/seats", latencyMs: 5, rateLimit: { retryAfterSeconds: 2 } },
      { route: "DELETE /api/v1/*", errorStatus: 500 },
    ]);
    expect(f.decide("DELETE", "/api/v1/seats")).toEqual({
      latencyMs: 15,
      rateLimit: { retryAfterSeconds: 2 },
      applyThenDrop: false,
    });
    expect(f.decide("PUT", "/api/v1/seats/bulk")).toEqual({ latencyMs: 10, applyThenDrop: false });
    expect(f.decide("DELETE", "/api/v1/usage/quota")?.error).toBe(500);
  });

  it("applyThenDrop is reported, and the schema rejects unknown keys and statuses", () => {
    const f = new Faults();
    f.set([{ applyThenDrop: true, times: 2 }]);
    expect(f.decide("POST", "/api/v1/customers")?.applyThenDrop).toBe(true);
    expect(f.list()).toEqual([{ applyThenDrop: true, times: 2, remaining: 1 }]);
    expect(faultRulesSchema.safeParse([{ errorStatus: 502 }]).success).toBe(false);
    expect(faultRulesSchema.safeParse([{ latency: 5 }]).success).toBe(false);
  });

  it("webhook rules drop outgoing deliveries by event type (glob), consume times, and never touch API requests", () => {
    const f = new Faults();
    f.set([
      { webhook: "usage.recorded", drop: true, times: 2 },
      { webhook: "subscription.*", drop: true },
    ]);
    expect(f.decide("POST", "/api/v1/usage/events")).toBeNull();
    expect(f.dropDelivery("customer.created")).toBe(false);
    expect(f.dropDelivery("usage.recorded")).toBe(true);
    expect(f.list()[0]).toEqual({ webhook: "usage.recorded", drop: true, times: 2, remaining: 1 });
    expect(f.dropDelivery("usage.recorded")).toBe(true);
    expect(f.dropDelivery("usage.recorded")).toBe(false);
    expect(f.dropDelivery("subscription.canceled")).toBe(true);
    expect(f.dropDelivery("subscription.created")).toBe(true);
    expect(f.list()).toEqual([{ webhook: "subscription.*", drop: true, remaining: null }]);
  });

  it("the schema keeps webhook rules and request rules apart", () => {
    expect(faultRulesSchema.safeParse([{ webhook: "usage.recorded", drop: true, times: 2 }]).success).toBe(true);
    expect(faultRulesSchema.safeParse([{ webhook: "usage.recorded" }]).success).toBe(false); // drop: true is required
    expect(faultRulesSchema.safeParse([{ drop: true }]).success).toBe(false); // drop needs webhook
    expect(faultRulesSchema.safeParse([{ webhook: "*", drop: true, route: "/api/v1/*" }]).success).toBe(false);
    expect(faultRulesSchema.safeParse([{ webhook: "*", drop: true, errorStatus: 500 }]).success).toBe(false);
    expect(faultRulesSchema.safeParse([{ webhook: "*", drop: false }]).success).toBe(false);
  });
});
