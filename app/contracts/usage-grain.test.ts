import { describe, expect, it } from "vitest";
import { bucketSeries, bucketStart } from "./usage-grain.ts";

const day = (date: string, a: number, b = 0) => ({ date, totals: { a, b }, total: a + b });

describe("usage grains", () => {
  it("weeks start on Monday (UTC), months on the 1st, across a year end", () => {
    expect(bucketStart("2026-12-31", "week")).toBe("2026-12-28"); // a Thursday
    expect(bucketStart("2027-01-03", "week")).toBe("2026-12-28"); // the Sunday of that week
    expect(bucketStart("2027-01-04", "week")).toBe("2027-01-04"); // a Monday
    expect(bucketStart("2026-02-28", "month")).toBe("2026-02-01");
    expect(bucketStart("2026-02-28", "day")).toBe("2026-02-28");
  });

  it("sums days per week and month; partial buckets are labelled by the range's first day in them", () => {
    const days = [
      day("2026-11-28", 1), // Saturday
      day("2026-11-29", 2, 1), // Sunday
      day("2026-11-30", 4), // Monday
      day("2026-12-01", 8, 2),
    ];
    expect(bucketSeries(days, "week")).toEqual([
      { date: "2026-11-28", totals: { a: 3, b: 1 }, total: 4 },
      { date: "2026-11-30", totals: { a: 12, b: 2 }, total: 14 },
    ]);
    expect(bucketSeries(days, "month")).toEqual([
      { date: "2026-11-28", totals: { a: 7, b: 1 }, total: 8 },
      { date: "2026-12-01", totals: { a: 8, b: 2 }, total: 10 },
    ]);
    expect(bucketSeries(days, "day")).toEqual(days);
  });
});
