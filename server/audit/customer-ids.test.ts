import { expect, it } from "vitest";
import type { Commet } from "@commet/node";
import { seatChangeWrite } from "../seats/write-action.ts";
import { describeEachEngine } from "../testing/db.ts";
import { createWriteEngine } from "../writes/index.ts";
import { createAuditLog } from "./audit-log.ts";

/** The directory knows acme by its Commet id cus_acme. */
const canonicalCustomer = async (ref: string) => (ref === "acme" ? "cus_acme" : ref);
const staff = { actor: { id: "stf_ops", email: "ops@demo.local" }, role: "ops" as const };
const commet = { seats: { add: async () => ({ data: { id: "evt_1" } }) } } as unknown as Commet;

describeEachEngine("audit rows name a customer by its Commet id", (ctx) => {
  it("a row written through the external id stores the Commet id; unknown references are kept", async () => {
    const log = createAuditLog(ctx.db, { canonicalCustomer });
    const input = { actor: staff.actor, role: "ops", action: "portal.issue", params: {} };
    const viaExternal = await log.record(
      { ...input, customerId: "acme", idempotencyKey: "k1" },
      { status: "succeeded" },
    );
    const viaCommet = await log.record(
      { ...input, customerId: "cus_acme", idempotencyKey: "k2" },
      { status: "succeeded" },
    );
    const unknown = await log.record(
      { ...input, customerId: "cus_new", idempotencyKey: "k3" },
      { status: "succeeded" },
    );
    expect([viaExternal.customerId, viaCommet.customerId, unknown.customerId]).toEqual([
      "cus_acme",
      "cus_acme",
      "cus_new",
    ]);
    const page = await log.list({ customerId: "cus_acme" }, { pageSize: 10, page: 1 });
    expect(page.total).toBe(2);
  });

  it("a key reused through the other id of the same customer is the same write, not a key taken elsewhere", async () => {
    const audit = createAuditLog(ctx.db, { canonicalCustomer });
    const engine = createWriteEngine({ audit, commet, commetUrl: "http://commet.test" });
    const request = { call: "seats.add" as const, params: { customerId: "acme", featureCode: "editor", count: 1 } };
    const form = { seatType: "editor", op: "add", quantity: 1 };
    const first = await engine.write({
      action: seatChangeWrite,
      staff,
      customerId: "acme",
      idempotencyKey: "seat-key-1",
      request,
      form,
    });
    expect(first.kind).toBe("ok");
    expect((await audit.findByIdempotencyKey("seat-key-1"))?.customerId).toBe("cus_acme");
    expect((await engine.lookup(seatChangeWrite, "seat-key-1", "acme", form))?.kind).toBe("already_recorded");
    expect((await engine.lookup(seatChangeWrite, "seat-key-1", "cus_acme", form))?.kind).toBe("already_recorded");
    expect((await engine.lookup(seatChangeWrite, "seat-key-1", "cus_other", form))?.kind).toBe("field_errors");
  });
});
