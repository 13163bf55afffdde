import { describe, expect, it } from "vitest";
import { DEFAULT_PAGE_SIZE, IN_FLIGHT_GRACE_MS, auditOutcome, parseAuditSearch } from "./filters.ts";

describe("parseAuditSearch", () => {
  it("reads every filter from the URL; date range is inclusive UTC days", () => {
    const { filters, paging } = parseAuditSearch(
      "actor=ops%40demo.local&action=seats.update&customer=cus_1&status=pending&from=2026-11-01&to=2026-11-21&page=3&pageSize=25",
    );
    expect(filters).toEqual({
      actor: "ops@demo.local",
      action: "seats.update",
      customerId: "cus_1",
      status: "pending",
      from: Date.UTC(2026, 10, 1),
      to: Date.UTC(2026, 10, 22),
    });
    expect(paging).toEqual({ pageSize: 25, page: 3 });
  });

  it("falls back to defaults on bad values instead of failing", () => {
    const { filters, paging } = parseAuditSearch("status=bogus&from=not-a-date&page=-2&pageSize=100000&actor=");
    expect(filters).toEqual({});
    expect(paging).toEqual({ pageSize: DEFAULT_PAGE_SIZE, page: 1 });
  });

  it("uses keyset paging when a cursor is present, and accepts ISO instants", () => {
    const { filters, paging } = parseAuditSearch(new URLSearchParams({ cursor: "abc", to: "2026-11-21T10:00:00Z" }));
    expect(paging).toEqual({ pageSize: DEFAULT_PAGE_SIZE, cursor: "abc" });
    expect(filters.to).toBe(Date.parse("2026-11-21T10:00:00Z"));
  });
});

describe("auditOutcome", () => {
  it("a pending write is in flight for a minute, then its outcome is unknown; final rows keep their status", () => {
    const createdAt = 1_000_000;
    expect(auditOutcome({ status: "pending", createdAt }, createdAt + 5_000)).toBe("in_flight");
    expect(auditOutcome({ status: "pending", createdAt }, createdAt + IN_FLIGHT_GRACE_MS)).toBe("unknown");
    expect(auditOutcome({ status: "succeeded", createdAt }, createdAt)).toBe("succeeded");
    expect(auditOutcome({ status: "failed", createdAt }, createdAt + 10 * IN_FLIGHT_GRACE_MS)).toBe("failed");
  });
});
