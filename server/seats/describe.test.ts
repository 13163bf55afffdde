import { describe, expect, it } from "vitest";
import type { PlanFeatureView } from "../../app/contracts/plans.ts";
import { describeSeatChange, type SeatPreviewInput } from "./describe.ts";

const editor: PlanFeatureView = {
  code: "editor",
  name: "Editor seats",
  type: "seats",
  unitName: "seat",
  enabled: true,
  included: 3,
  unlimited: false,
  overageUnitPrice: 250_000, // $25.00 per extra seat (rate scale 10000 = $1)
};

// A 30-day period with 14 days left.
const period = { start: "2026-11-07T00:00:00.000Z", end: "2026-12-07T00:00:00.000Z" };
const now = new Date("2026-11-23T00:00:00.000Z");

function input(overrides: Partial<SeatPreviewInput> = {}): SeatPreviewInput {
  return {
    customer: { id: "cus_1", email: "owner@acme.test" },
    seatType: "editor",
    op: "set",
    quantity: 8,
    seenCount: 5,
    plan: { name: "Pro", features: [editor], livemode: false },
    subscription: { currentPeriod: period },
    now,
    ...overrides,
  };
}

describe("describeSeatChange", () => {
  it("states the effect and the prorated charge of added extra seats", () => {
    const p = describeSeatChange(input());
    // 3 more extra seats × $25 × 14/30 = $35.00
    expect(p.effect).toBe("Editor seats 5 → 8; prorated charge for the 14 days left ≈ $35.00");
    expect(p).toMatchObject({ from: 5, to: 8, delta: 3, direction: "increase", valid: true });
    expect(p.charge).toMatchObject({
      amount: 350_000,
      extraSeats: 3,
      daysLeft: 14,
      daysInPeriod: 30,
      formatted: "$35.00",
    });
  });

  it("charges only the seats above the included count", () => {
    const p = describeSeatChange(input({ op: "add", quantity: 2, seenCount: 2 })); // 2 → 4, included 3: one extra
    expect(p.charge?.extraSeats).toBe(1);
    expect(p.effect).toBe("Editor seats 2 → 4; prorated charge for the 14 days left ≈ $11.67");
    expect(describeSeatChange(input({ op: "add", quantity: 1, seenCount: 1 })).effect).toBe(
      "Editor seats 1 → 2; within the 3 included seats, no extra charge",
    );
  });

  it("removals take effect at the period end with no refund", () => {
    const p = describeSeatChange(input({ op: "remove", quantity: 2, seenCount: 8 }));
    expect(p.effect).toBe(
      "Editor seats 8 → 6; the removal takes effect at the end of the period (2026-12-07 00:00 UTC), no refund",
    );
    expect(p).toMatchObject({ direction: "decrease", charge: null, effectiveAt: period.end });
  });

  it("needs the customer's email for changes of ±50 % or more than 20 seats", () => {
    expect(describeSeatChange(input({ op: "add", quantity: 2, seenCount: 10 })).needsEmailConfirmation).toBe(false); // +20 %
    expect(describeSeatChange(input({ op: "add", quantity: 5, seenCount: 10 })).needsEmailConfirmation).toBe(true); // +50 %
    expect(describeSeatChange(input({ op: "remove", quantity: 5, seenCount: 10 })).needsEmailConfirmation).toBe(true); // −50 %
    expect(describeSeatChange(input({ op: "add", quantity: 21, seenCount: 100 })).needsEmailConfirmation).toBe(true); // > 20
    expect(describeSeatChange(input({ op: "add", quantity: 20, seenCount: 100 })).needsEmailConfirmation).toBe(false);
    expect(describeSeatChange(input({ op: "set", quantity: 4, seenCount: 0 })).needsEmailConfirmation).toBe(false);
  });

  it("flags LIVE mode for the banner", () => {
    expect(describeSeatChange(input()).livemode).toBe(false);
    expect(describeSeatChange(input({ plan: { name: "Pro", features: [editor], livemode: true } })).livemode).toBe(
      true,
    );
  });

  it("refuses impossible changes and unknown seat types", () => {
    expect(describeSeatChange(input({ op: "remove", quantity: 6, seenCount: 5 }))).toMatchObject({
      valid: false,
      problem: "below_zero",
    });
    expect(describeSeatChange(input({ op: "set", quantity: 5, seenCount: 5 }))).toMatchObject({
      valid: false,
      problem: "no_change",
    });
    expect(describeSeatChange(input({ op: "set", quantity: 5, seenCount: 5 })).effect).toBe(
      "Editor seats are already 5 — nothing to change",
    );
    expect(describeSeatChange(input({ seatType: "viewer" }))).toMatchObject({
      valid: false,
      problem: "not_a_seat_type",
    });
  });

  it("says so when the plan has no extra-seat price or there is no period", () => {
    const free = { ...editor, overageUnitPrice: null };
    expect(describeSeatChange(input({ plan: { name: "Free", features: [free], livemode: false } })).effect).toBe(
      "Editor seats 5 → 8; plan Free has no price for extra seats, no charge",
    );
    expect(describeSeatChange(input({ subscription: { currentPeriod: null } })).effect).toBe(
      "Editor seats 5 → 8; 3 extra seats at $25.00 each (no current period to prorate)",
    );
  });
});
