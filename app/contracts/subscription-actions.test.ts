import { describe, expect, it } from "vitest";
import { parseForm } from "./ops-forms.ts";
import { cancelNowFormSchema, changePlanFormSchema, commetReason, confirmsCancelNow } from "./subscription-actions.ts";

describe("subscription action forms", () => {
  it("an immediate cancellation is confirmed by the customer's email (any case, spaces) or CANCEL", () => {
    expect(confirmsCancelNow(" Owner@Acme.test ", "owner@acme.test")).toBe(true);
    expect(confirmsCancelNow("CANCEL", "owner@acme.test")).toBe(true);
    expect(confirmsCancelNow("CANCEL", null)).toBe(true);
    expect(confirmsCancelNow("cancel", "owner@acme.test")).toBe(false);
    expect(confirmsCancelNow("someone@else.test", "owner@acme.test")).toBe(false);
    expect(confirmsCancelNow(undefined, "owner@acme.test")).toBe(false);
    expect(confirmsCancelNow("", "")).toBe(false);
  });

  it("sends Commet the reason code, with the details when given", () => {
    expect(commetReason("too_expensive", "")).toBe("too_expensive");
    expect(commetReason("other", "moving in-house")).toBe("other: moving in-house");
  });

  it("refuses the current plan as the new plan, and a blank confirmation is no confirmation", () => {
    const base = {
      customerId: "cus_1",
      subscriptionId: "sub_1",
      currentPlanId: "pln_pro",
      reasonCode: "customer_request",
      idempotencyKey: "plan-1",
    };
    const same = parseForm(changePlanFormSchema, { ...base, planId: "pln_pro" });
    expect(same.ok ? null : same.fieldErrors.planId).toEqual(["This is the current plan: choose another one"]);
    expect(parseForm(changePlanFormSchema, { ...base, planId: "pln_business" }).ok).toBe(true);
    const blank = parseForm(cancelNowFormSchema, { ...base, reasonCode: "not_using", confirmText: "   " });
    expect(blank.ok && blank.data.confirmText).toBe(undefined);
  });
});
