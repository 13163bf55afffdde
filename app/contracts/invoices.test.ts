import { describe, expect, it } from "vitest";
import {
  displayStatus,
  invoiceQueueFilterString,
  invoiceSendFormSchema,
  parseInvoiceQueue,
  usagePeriodDays,
  usageTabHref,
} from "./invoices.ts";

describe("invoice contracts", () => {
  it("overdue is an outstanding invoice past its due date; other statuses are shown as they are", () => {
    const due = "2026-11-20T00:00:00.000Z";
    const at = (iso: string) => Date.parse(iso);
    expect(displayStatus({ status: "outstanding", dueDate: due }, at("2026-11-19T23:59:59Z"))).toBe("outstanding");
    expect(displayStatus({ status: "outstanding", dueDate: due }, at("2026-11-20T00:00:01Z"))).toBe("overdue");
    expect(displayStatus({ status: "paid", dueDate: due }, at("2027-01-01T00:00:00Z"))).toBe("paid");
  });

  it("the usage tab covers the period's UTC days, the exclusive end excluded", () => {
    expect(usagePeriodDays({ periodStart: "2026-10-12T00:00:00Z", periodEnd: "2026-11-12T00:00:00Z" })).toEqual({
      from: "2026-10-12",
      to: "2026-11-11",
    });
    expect(usagePeriodDays({ periodStart: "2026-10-12T07:09:00Z", periodEnd: "2026-11-12T07:09:00Z" })).toEqual({
      from: "2026-10-12",
      to: "2026-11-12",
    });
    expect(usageTabHref("usr_000003", { from: "2026-10-12", to: "2026-11-11" })).toBe(
      "/customers/usr_000003?usageFrom=2026-10-12&usageTo=2026-11-11#usage",
    );
  });

  it("the queue's URL state: bad values fall back, a reversed range is turned round, the CSV link keeps the filters", () => {
    const state = parseInvoiceQueue(
      new URLSearchParams("status=overdue&from=2026-11-30&to=2026-11-01&customer=usr_000003&sort=-total&page=2"),
    );
    expect(state).toMatchObject({ status: "overdue", from: "2026-11-01", to: "2026-11-30", sort: "-total", page: 2 });
    expect(invoiceQueueFilterString(state)).toBe(
      "?status=overdue&from=2026-11-01&to=2026-11-30&customer=usr_000003&sort=-total",
    );
    expect(parseInvoiceQueue(new URLSearchParams("status=late&from=yesterday&sort=drop&page=-1&pageSize=7"))).toEqual({
      status: undefined,
      from: undefined,
      to: undefined,
      customer: undefined,
      sort: "-issued",
      page: 1,
      pageSize: 25,
    });
  });

  it("the resend form needs an invoice id and a usable idempotency key", () => {
    expect(
      invoiceSendFormSchema.safeParse({ customerId: "usr_1", invoiceId: "inv_1", idempotencyKey: "ticket-1" }).success,
    ).toBe(true);
    const bad = invoiceSendFormSchema.safeParse({ customerId: "usr_1", invoiceId: "../x", idempotencyKey: "a b" });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => i.path[0]).sort()).toEqual(["idempotencyKey", "invoiceId"]);
  });
});
