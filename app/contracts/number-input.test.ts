import { describe, expect, it } from "vitest";
import { formatCount } from "./format.ts";
import { parseNumberInput, wholeNumberParam } from "./number-input.ts";

const value = (text: string, rules = {}) => {
  const parsed = parseNumberInput(text, rules);
  return parsed.ok ? parsed.value : parsed.reason;
};

describe("parseNumberInput", () => {
  it("reads plain digits, trimmed, and the comma grouping formatCount shows", () => {
    expect(value("16")).toBe(16);
    expect(value("007")).toBe(7);
    expect(value(" 1,000 ")).toBe(1000);
    expect(value("12,345,678")).toBe(12_345_678);
    expect(value(formatCount(1_234_567))).toBe(1_234_567);
    expect(value("\t2\n")).toBe(2);
  });

  it.each([
    "0x2",
    "0b1",
    "0o7",
    "1e1",
    ".5e1",
    "1E3",
    "1_0",
    "Infinity",
    "-Infinity",
    "NaN",
    "+1",
    "1.",
    ".5",
    "1 000",
  ])("refuses %j (Number() would read it)", (text) => {
    expect(value(text, { negative: true, decimals: true })).toBe("format");
  });

  it.each(["1,00", "1,0000", ",100", "100,", "1,,000", "10,00,000", "1.000,5", "1,000.5,1"])(
    "refuses badly grouped %j",
    (text) => {
      expect(value(text, { decimals: true })).toBe("format");
    },
  );

  it("takes a minus only where negatives are allowed", () => {
    expect(value("-1")).toBe("negative");
    expect(value("-0")).toBe("negative");
    expect(value("-1", { negative: true })).toBe(-1);
    expect(value("-1,500", { negative: true })).toBe(-1500);
    expect(value("- 1", { negative: true })).toBe("format");
    expect(value("--1", { negative: true })).toBe("format");
  });

  it("takes decimals only where allowed", () => {
    expect(value("2.5")).toBe("fraction");
    expect(value("1.0")).toBe("fraction");
    expect(value("2.5", { decimals: true })).toBe(2.5);
    expect(value("1,000.25", { decimals: true })).toBe(1000.25);
    expect(value("-0.5", { decimals: true, negative: true })).toBe(-0.5);
  });

  it("calls nothing typed empty, and refuses other characters", () => {
    expect(value("")).toBe("empty");
    expect(value("   ")).toBe("empty");
    for (const text of ["12abc", "١٢", "１２", "1\u00a0000", "$5", "5%"]) expect(value(text)).toBe("format");
  });

  it("reads URL parameters the same way (undefined for a zod .catch default)", () => {
    expect(wholeNumberParam("3")).toBe(3);
    expect(wholeNumberParam(3)).toBe(3);
    expect(wholeNumberParam("0x2")).toBeUndefined();
    expect(wholeNumberParam("1e1")).toBeUndefined();
    expect(wholeNumberParam("1.5")).toBeUndefined();
    expect(wholeNumberParam(undefined)).toBeUndefined();
  });
});
