import { describe, expect, it } from "vitest";
import { formatMinor, formatMinorUnit, formatRate, formatRateCents, minorDigits } from "./money";

describe("money", () => {
  it("formats minor units per currency", () => {
    expect(formatMinor(12345, "USD")).toBe("$123.45");
    expect(formatMinor(-500, "usd")).toBe("-$5.00");
    expect(formatMinor(500, "JPY")).toBe("¥500");
    expect(formatMinor(990, "EUR")).toBe("€9.90");
    expect(minorDigits("CLP")).toBe(0);
  });
  it("formats rate-scale prices with up to 4 decimals", () => {
    expect(formatRate(15, "USD")).toBe("$0.0015");
    expect(formatRate(290_000, "USD")).toBe("$29.00");
    expect(formatRate(12_345)).toBe("$1.2345");
  });
  it("rounds rate-scale amounts to be charged to the minor unit", () => {
    expect(formatRateCents(350_000)).toBe("$35.00");
    expect(formatRateCents(123_456)).toBe("$12.35");
    expect(formatRateCents(1_234_567, "JPY")).toBe("¥123");
  });
  it("falls back for codes that are not ISO 4217", () => {
    expect(formatMinor(1234, "CREDITS")).toBe("12.34 CREDITS");
  });
  it("formats per-unit prices in minor units, fractions of a cent included", () => {
    expect(formatMinorUnit(1200, "usd")).toBe("$12.00");
    expect(formatMinorUnit(0.1, "USD")).toBe("$0.001");
    expect(formatMinorUnit(-2990, "USD")).toBe("-$29.90");
  });
});
