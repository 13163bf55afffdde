import { describe, expect, it } from "vitest";
import { formatAgo, formatCount, formatDate, formatQuantity, formatUtc, unitLabel } from "./format";

describe("time", () => {
  const at = Date.parse("2026-11-21T22:40:05.123Z");

  it("formatUtc shows minutes (or seconds) in UTC, whatever the input type", () => {
    expect(formatUtc(at)).toBe("2026-11-21 22:40 UTC");
    expect(formatUtc(new Date(at))).toBe("2026-11-21 22:40 UTC");
    expect(formatUtc("2026-11-21T22:40:05.123Z")).toBe("2026-11-21 22:40 UTC");
    expect(formatUtc(at, { seconds: true })).toBe("2026-11-21 22:40:05 UTC");
    expect(formatUtc("not a date")).toBe("not a date");
  });

  it("formatDate shows the UTC day", () => {
    expect(formatDate(Date.parse("2026-11-21T23:59:59Z"))).toBe("2026-11-21");
    expect(formatDate("2026-11-22T00:00:00Z")).toBe("2026-11-22");
  });

  it("formatAgo renders from the clock it is given, so two renders with one clock agree", () => {
    const now = at + 90 * 60_000;
    expect(formatAgo(null, now)).toBe("never");
    expect(formatAgo(now - 20_000, now)).toBe("just now");
    expect(formatAgo(now - 5 * 60_000, now)).toBe("5 min ago");
    expect(formatAgo(at, now)).toBe("2 h ago");
    // The same instant, rendered once on the server and once in the browser a minute later, from the server's clock.
    expect(formatAgo(now - 59 * 60_000, now)).toBe(formatAgo(now - 59 * 60_000, now));
  });
});

describe("quantities", () => {
  it("pluralizes unit names the one way", () => {
    expect(unitLabel(1, "seat")).toBe("seat");
    expect(unitLabel(3, "seat")).toBe("seats");
    expect(unitLabel(3, "calls")).toBe("calls");
    expect(formatQuantity(1000, "call")).toBe("1,000 calls");
  });
});

describe("formatCount", () => {
  it("prints every number as the en-US formatter does (small whole numbers take a shortcut)", () => {
    const intl = new Intl.NumberFormat("en-US", { maximumFractionDigits: 4 });
    for (const n of [0, -0, 1, 7, 42, 999, 1000, 12345, -1, -999, 0.5, 2.25, 1.23456, 1e21, NaN, Infinity]) {
      expect(formatCount(n)).toBe(intl.format(n));
    }
  });
});
