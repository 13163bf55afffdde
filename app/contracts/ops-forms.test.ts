import { describe, expect, it } from "vitest";
import {
  allowsDecimals,
  isLargeSeatChange,
  newIdempotencyKey,
  parseEventTime,
  parseForm,
  seatChangeFormSchema,
  seatChangeSchemaFor,
  seatTarget,
  usageRecordFormSchema,
  usageRecordSchemaFor,
  usageSetSchemaFor,
} from "./ops-forms.ts";

const usageContext = {
  features: [
    { code: "api_calls", name: "API calls", unitName: "call", allowsDecimals: false },
    { code: "storage", name: "Storage", unitName: "GB", allowsDecimals: true },
  ],
  periodStart: new Date("2026-11-01T00:00:00Z"),
  now: new Date("2026-11-21T12:00:00Z"),
};

function usageForm(overrides: Record<string, string> = {}) {
  const form = new FormData();
  const values = {
    customerId: "cus_1",
    featureCode: "api_calls",
    quantity: "5",
    eventTime: "",
    reasonCode: "missed_events",
    reasonText: "",
    idempotencyKey: "ticket-4812",
    ...overrides,
  };
  for (const [k, v] of Object.entries(values)) form.set(k, v);
  return form;
}

describe("ops forms", () => {
  it("parses FormData into typed values (numbers, trimmed text, empty event time = now)", () => {
    const parsed = parseForm(usageRecordFormSchema, usageForm({ quantity: " 1,000 ", reasonText: "  outage  " }));
    expect(parsed).toEqual({
      ok: true,
      data: {
        customerId: "cus_1",
        featureCode: "api_calls",
        quantity: 1000,
        eventTime: undefined,
        reasonCode: "missed_events",
        reasonText: "outage",
        idempotencyKey: "ticket-4812",
      },
    });
  });

  it("accepts decimals only for measured units", () => {
    expect(allowsDecimals("GB")).toBe(true);
    expect(allowsDecimals("hours")).toBe(true);
    expect(allowsDecimals("call")).toBe(false);
    expect(allowsDecimals(null)).toBe(false);
    const schema = usageRecordSchemaFor(usageContext);
    expect(parseForm(schema, usageForm({ featureCode: "storage", quantity: "2.5" })).ok).toBe(true);
    expect(parseForm(schema, usageForm({ quantity: "2.5" }))).toEqual({
      ok: false,
      fieldErrors: { quantity: ["API calls is counted in whole calls"] },
    });
  });

  it("checks the event time against the period and the clock, with one field error each", () => {
    const schema = usageRecordSchemaFor(usageContext);
    expect(parseForm(schema, usageForm({ eventTime: "2026-11-21T11:59" })).ok).toBe(true); // datetime-local, read as UTC
    expect(parseForm(schema, usageForm({ eventTime: "2026-11-21T12:00:30Z" })).ok).toBe(true); // within the clock tolerance
    expect(parseForm(schema, usageForm({ eventTime: "2026-11-21T13:00:00+00:00" }))).toEqual({
      ok: false,
      fieldErrors: { eventTime: ["The event time cannot be in the future"] },
    });
    expect(parseForm(schema, usageForm({ eventTime: "2026-10-31T23:59:59Z" }))).toEqual({
      ok: false,
      fieldErrors: {
        eventTime: [
          "The event time is before the current billing period, which started 2026-11-01 00:00 UTC; usage of closed periods cannot be recorded",
        ],
      },
    });
    expect(parseEventTime("2026-02-30T10:00")).toBeNull();
    expect(parseEventTime("21/11/2026")).toBeNull();
  });

  it("collects several field errors at once", () => {
    const parsed = parseForm(
      usageRecordFormSchema,
      usageForm({ quantity: "-1", reasonCode: "nope", idempotencyKey: "" }),
    );
    expect(parsed.ok).toBe(false);
    if (!parsed.ok)
      expect(Object.keys(parsed.fieldErrors).sort()).toEqual(["idempotencyKey", "quantity", "reasonCode"]);
  });

  it("seat forms: target, bounds, large-change rule, seat types of the plan", () => {
    expect([seatTarget("set", 5, 8), seatTarget("add", 5, 3), seatTarget("remove", 5, 2)]).toEqual([8, 8, 3]);
    expect(isLargeSeatChange(10, 15)).toBe(true);
    expect(isLargeSeatChange(10, 14)).toBe(false);
    expect(isLargeSeatChange(100, 121)).toBe(true);
    const form = {
      customerId: "cus_1",
      seatType: "editor",
      op: "add",
      quantity: "2",
      seenCount: "5",
      reasonCode: "customer_request",
      idempotencyKey: newIdempotencyKey("seats"),
    };
    expect(parseForm(seatChangeFormSchema, form).ok).toBe(true);
    expect(parseForm(seatChangeSchemaFor({ seatTypes: [{ code: "viewer", name: "Viewer seats" }] }), form)).toEqual({
      ok: false,
      fieldErrors: { seatType: ["'editor' is not a seat type of the customer's plan"] },
    });
    expect(parseForm(seatChangeFormSchema, { ...form, seenCount: "-1" }).ok).toBe(false);
  });

  it("usage corrections accept 0 and refuse a non-usage feature", () => {
    const schema = usageSetSchemaFor(usageContext);
    const form = {
      customerId: "cus_1",
      featureCode: "api_calls",
      value: "0",
      reasonCode: "billing_correction",
      idempotencyKey: "k1",
    };
    expect(parseForm(schema, form).ok).toBe(true);
    expect(parseForm(schema, { ...form, featureCode: "editor" })).toEqual({
      ok: false,
      fieldErrors: { featureCode: ["'editor' is not a usage feature of the customer's plan"] },
    });
  });

  it("every numeric field reads numbers as the console shows them, nothing looser", () => {
    const seat = {
      customerId: "cus_1",
      seatType: "editor",
      op: "add",
      quantity: "2",
      seenCount: "16",
      reasonCode: "customer_request",
      idempotencyKey: "k1",
    };
    const set = {
      customerId: "cus_1",
      featureCode: "storage",
      value: "0",
      reasonCode: "migration",
      idempotencyKey: "k2",
    };
    const fields = [
      (text: string) => parseForm(seatChangeFormSchema, { ...seat, quantity: text }),
      (text: string) => parseForm(seatChangeFormSchema, { ...seat, op: "set", quantity: "1", seenCount: text }),
      (text: string) => parseForm(usageRecordFormSchema, usageForm({ quantity: text })),
      (text: string) => parseForm(usageSetSchemaFor(usageContext), { ...set, value: text }),
    ];
    for (const parse of fields) {
      for (const text of ["0x2", "0b1", "1e1", ".5e1", "1_0", "1,00", "Infinity", "+1"]) {
        const parsed = parse(text);
        expect(parsed.ok, `${text} refused`).toBe(false);
        expect(
          Object.values(parsed.ok ? {} : parsed.fieldErrors)
            .flat()
            .join(),
        ).toMatch(/must be a number/);
      }
      expect(parse(" 1,000 ").ok, "1,000 accepted").toBe(true);
      expect(parse("-1").ok, "-1 refused").toBe(false);
    }
    // 16 → 18 for "0x2" was the seat preview's reading; now it is refused, and "2" is 2.
    const added = parseForm(seatChangeFormSchema, seat);
    expect(added.ok && [added.data.quantity, added.data.seenCount]).toEqual([2, 16]);
    expect(parseForm(seatChangeFormSchema, { ...seat, quantity: " 1,000 " })).toMatchObject({
      ok: true,
      data: { quantity: 1000 },
    });
    expect(parseForm(seatChangeFormSchema, { ...seat, quantity: "-1" })).toMatchObject({
      ok: false,
      fieldErrors: { quantity: ["Quantity cannot be negative"] },
    });
  });

  it("decimals only where the unit allows them", () => {
    const record = usageRecordSchemaFor(usageContext);
    expect(parseForm(record, usageForm({ featureCode: "storage", quantity: "1,000.5" }))).toMatchObject({
      ok: true,
      data: { quantity: 1000.5 },
    });
    expect(parseForm(record, usageForm({ quantity: "1.5" })).ok).toBe(false);
    const set = { customerId: "cus_1", value: "2.5", reasonCode: "migration", idempotencyKey: "k2" };
    expect(parseForm(usageSetSchemaFor(usageContext), { ...set, featureCode: "storage" }).ok).toBe(true);
    expect(parseForm(usageSetSchemaFor(usageContext), { ...set, featureCode: "api_calls" }).ok).toBe(false);
    const seats = { ...set, seatType: "editor", op: "set", quantity: "2.5", seenCount: "1" };
    expect(parseForm(seatChangeFormSchema, seats)).toMatchObject({
      ok: false,
      fieldErrors: { quantity: ["Quantity must be a whole number"] },
    });
  });

  it("generates distinct, valid idempotency keys", () => {
    const a = newIdempotencyKey("usage");
    expect(a).toMatch(/^usage-[0-9a-f-]{36}$/);
    expect(newIdempotencyKey("usage")).not.toBe(a);
  });
});
