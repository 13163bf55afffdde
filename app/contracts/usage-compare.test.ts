// The explorer's previous range per grain and the change of totals (hand-computed).
import { describe, expect, it } from "vitest";
import { compareTotals, formatDeltaPct, previousRange } from "./usage-compare.ts";

describe("previousRange", () => {
  it("day grain: the same number of days just before", () => {
    expect(previousRange("2026-11-01", "2026-11-30", "day")).toEqual({ from: "2026-10-02", to: "2026-10-31" });
    expect(previousRange("2026-03-01", "2026-03-07", "day")).toEqual({ from: "2026-02-22", to: "2026-02-28" });
  });
  it("week grain: whole weeks back, so weekdays line up", () => {
    // 30 days → 5 weeks (35 days) back.
    expect(previousRange("2026-11-01", "2026-11-30", "week")).toEqual({ from: "2026-09-27", to: "2026-10-26" });
  });
  it("month grain: the previous month(s), whole months compared with whole months", () => {
    expect(previousRange("2026-11-01", "2026-11-30", "month")).toEqual({ from: "2026-10-01", to: "2026-10-31" });
    expect(previousRange("2026-03-01", "2026-03-31", "month")).toEqual({ from: "2026-02-01", to: "2026-02-28" });
    // Sep 3 – Nov 30 spans three months: Jun 3 – Aug 31.
    expect(previousRange("2026-09-03", "2026-11-30", "month")).toEqual({ from: "2026-06-03", to: "2026-08-31" });
    // Partial months: same days of month, clamped (Mar 31 → Feb 28).
    expect(previousRange("2026-03-15", "2026-03-31", "month")).toEqual({ from: "2026-02-15", to: "2026-02-28" });
  });
});

describe("compareTotals", () => {
  it("delta and percent of the previous total; nothing before is 'new'", () => {
    expect(compareTotals({ a: 150, b: 10 }, { a: 100 }, ["a", "b", "c"])).toEqual([
      { code: "a", current: 150, previous: 100, delta: 50, deltaPct: 50 },
      { code: "b", current: 10, previous: 0, delta: 10, deltaPct: null },
      { code: "c", current: 0, previous: 0, delta: 0, deltaPct: null },
    ]);
    expect(formatDeltaPct(50, 50)).toBe("+50.0%");
    expect(formatDeltaPct(-25, -1)).toBe("−25.0%");
    expect(formatDeltaPct(null, 10)).toBe("new");
    expect(formatDeltaPct(null, 0)).toBe("0%");
  });
});
