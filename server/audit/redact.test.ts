import { describe, expect, it } from "vitest";
import { REDACTED, redact, redactParams, redactText } from "./redact.ts";

describe("redact", () => {
  it("drops the values of secret-named keys, at any depth", () => {
    const out = redactParams({
      customerId: "cus_1",
      seats: 4,
      portalUrl: "https://commet.co/portal/abc",
      url: "x",
      password: "hunter2",
      newPassword: "hunter3",
      apiKey: "ck_live_123456",
      api_key: "nope",
      clientSecret: "s",
      accessToken: "t",
      nested: { webhook: { signingSecret: "whsec_abc", label: "ok" }, list: [{ token: "t", n: 1 }] },
    });
    expect(out).toEqual({
      customerId: "cus_1",
      seats: 4,
      portalUrl: REDACTED,
      url: REDACTED,
      password: REDACTED,
      newPassword: REDACTED,
      apiKey: REDACTED,
      api_key: REDACTED,
      clientSecret: REDACTED,
      accessToken: REDACTED,
      nested: { webhook: { signingSecret: REDACTED, label: "ok" }, list: [{ token: REDACTED, n: 1 }] },
    });
  });

  it("scrubs key-like and URL-like values under innocent keys", () => {
    const out = redactParams({
      note: "used ck_live_AbC123xyz for this",
      link2: "see https://commet.co/portal/session?token=sekret now",
      header: "Bearer abc.def.ghi",
      whsec: "whsec_deadbeef99",
      plain: "seat change for Acme",
    }) as Record<string, string>;
    expect(JSON.stringify(out)).not.toMatch(/ck_live|sekret|commet\.co|abc\.def|deadbeef/);
    expect(out.note).toBe(`used ${REDACTED} for this`);
    expect(out.plain).toBe("seat change for Acme");
    // "link2" is a secret-named key (link) anyway
    expect(out.link2).toBe(REDACTED);
    expect(redactText("see https://commet.co/portal/session?token=sekret now")).toBe(`see ${REDACTED} now`);
  });

  it("keeps ordinary ids and keys that merely contain 'key'", () => {
    expect(redactParams({ idempotencyKey: "k-1", featureKey: "api_calls", customerId: "cus_9" })).toEqual({
      idempotencyKey: "k-1",
      featureKey: "api_calls",
      customerId: "cus_9",
    });
  });

  it("makes values JSON-safe and bounds depth", () => {
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 20; i++) deep = { d: deep };
    const out = redact({ when: new Date(0), big: 10n, fn: () => 1, u: undefined, deep });
    expect(JSON.stringify(out)).toContain('"when":"1970-01-01T00:00:00.000Z"');
    expect(out).toMatchObject({ big: "10" });
    expect(out).not.toHaveProperty("fn");
    expect(JSON.stringify(out)).toContain(REDACTED);
    expect(redactParams(undefined)).toEqual({});
  });
});
