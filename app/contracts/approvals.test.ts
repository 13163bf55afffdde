import { describe, expect, it } from "vitest";
import { DEFAULT_APPROVAL_POLICY, approvalRuleSchema, previewDifferences, rolesLabel } from "./approvals.ts";

const preview = (seats: string, blocked: string | null = null) => ({
  summary: "Editor seats",
  facts: [
    { label: "Seats now", value: seats },
    { label: "After the change", value: "200" },
  ],
  blocked,
});

describe("approval contracts", () => {
  it("names the facts that changed, and a change in whether it can be approved", () => {
    expect(previewDifferences(preview("20"), preview("20"))).toEqual([]);
    expect(previewDifferences(preview("20"), preview("22"))).toEqual(["Seats now"]);
    expect(previewDifferences(preview("20"), preview("20", "refunded already"))).toEqual(["Can be approved"]);
    const fewer = { ...preview("20"), facts: [{ label: "Seats now", value: "20" }] };
    expect(previewDifferences(preview("20"), fewer)).toEqual(["After the change"]);
  });

  it("the defaults are valid rules, and every rule has an approver", () => {
    for (const rule of Object.values(DEFAULT_APPROVAL_POLICY.rules)) {
      expect(approvalRuleSchema.parse(rule)).toEqual(rule);
    }
    expect(approvalRuleSchema.safeParse({ enabled: true, threshold: null, second: null, approvers: [] }).success).toBe(
      false,
    );
  });

  it("says who may approve in words", () => {
    expect(rolesLabel(["ops", "admin"])).toBe("ops or admin");
    expect(rolesLabel(["support", "ops", "admin"])).toBe("support, ops or admin");
    expect(rolesLabel(["admin"])).toBe("admin");
  });
});
