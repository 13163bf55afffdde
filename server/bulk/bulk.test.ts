/**
 * Bulk changes against the local Commet sandbox through the real SDK, on both database engines: the
 * validation matrix (unknown customer by id / external id / email, no subscription, seat type not on the
 * plan, removal below zero, event time outside the period, duplicates), nothing applied while rows are
 * invalid, exclusion, the dry run, apply through the engine (Commet's state after), a seat count moved
 * since the dry run refused per row, one approval request per batch, pause / resume / cancel, the CSVs.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { DEFAULT_APPROVAL_POLICY, type ApprovalRuleKey } from "../../app/contracts/approvals.ts";
import type { BulkActionResult, BulkBatchView, BulkKind, BulkUploadResult } from "../../app/contracts/bulk.ts";
import { createApprovals, saveRule, type Approvals } from "../approvals/index.ts";
import { approvalTables } from "../approvals/schema.ts";
import { closeDatabaseGracefully, describeEachEngine, type EngineContext } from "../testing/db.ts";
import { randomSuffix, subscribedCustomer } from "../testing/sandbox.ts";
import { auditRows, useWriteHarness } from "../testing/usage.ts";
import { createBulk, type Bulk, type BulkStaff } from "./index.ts";

const h = useWriteHarness({ beforeAll, afterAll });

const OPS: BulkStaff = { id: "staff-ops", email: "ops@example.test", role: "ops" };
const ADMIN: BulkStaff = { id: "staff-admin", email: "admin@example.test", role: "admin" };
const SUPPORT: BulkStaff = { id: "staff-support", email: "support@example.test", role: "support" };
const ALL_ROWS = { filter: "all", page: 1 } as const;

interface Console {
  bulk: Bulk;
  approvals: Approvals;
  emails: Map<string, string>;
}

function consoleOn(ctx: EngineContext): Console {
  const late: { approvals?: Approvals } = {};
  const engine = h.engine(ctx.db, { client: { retries: 0 }, gate: (spec, e) => late.approvals!.gate(spec, e) });
  const approvals = createApprovals({ db: ctx.db, engine });
  late.approvals = approvals;
  const emails = new Map<string, string>();
  const bulk = createBulk({
    database: ctx.database,
    engine,
    customersByEmail: async (wanted) => new Map(wanted.flatMap((e) => (emails.has(e) ? [[e, emails.get(e)!]] : []))),
    unknownDelayMs: 20,
  });
  return { bulk, approvals, emails };
}

async function setRule(ctx: EngineContext, rule: ApprovalRuleKey, enabled: boolean) {
  const staff = { actor: { id: ADMIN.id, email: ADMIN.email }, role: ADMIN.role };
  await saveRule(approvalTables(ctx.db), staff, rule, { ...DEFAULT_APPROVAL_POLICY.rules[rule], enabled }, Date.now());
}

function created(result: BulkUploadResult) {
  if (result.kind !== "created") throw new Error(`expected a new batch, got ${JSON.stringify(result)}`);
  return result;
}

function ok(result: BulkActionResult) {
  if (result.kind !== "ok") throw new Error(`expected ok, got ${JSON.stringify(result)}`);
  return result;
}

async function view(c: Console, batchId: string): Promise<BulkBatchView> {
  const v = await c.bulk.load(batchId, ALL_ROWS, OPS);
  if (!v) throw new Error(`no batch ${batchId}`);
  return v;
}

const HEADERS: Record<BulkKind, string> = {
  seats: "customer,seat_type,operation,quantity,reason",
  usage: "customer,feature,quantity,event_time,reason,key",
};
const csv = (kind: BulkKind, lines: string[]) => [HEADERS[kind], ...lines].join("\n");

/** A unique reason on a file's first row: two runs' files are never the same file (the same batch). */
const tag = () => `run ${randomSuffix()}`;

describeEachEngine("bulk changes", (ctx) => {
  closeDatabaseGracefully(ctx);

  it("validates every row against Commet: the matrix, with line numbers; nothing can be applied while rows are invalid", async () => {
    const c = consoleOn(ctx);
    await setRule(ctx, "bulk", false);
    // 5 → 8 alone would be a large change (seats.change holds it): this test applies without approval.
    await setRule(ctx, "seats.change", false);
    const seats = h.catalog.metered.seats;
    const a = await h.customer(5);
    const { customer: b } = await subscribedCustomer(h.commet, h.catalog.metered.plan, {
      initialSeats: { [seats]: 4 },
    });
    const e = await h.customer(6);
    c.emails.set(e.email.toLowerCase(), e.id);
    const low = await h.customer(2);
    const twice = await h.customer(3);
    const bare = (await h.commet.customers.create({ email: `bare+${randomSuffix()}@example.test` })).data!;
    const onPlan = new Set((h.catalog.metered.plan.features ?? []).map((f) => f.code));
    const outside = h.catalog.featureCodes.find((code) => !onPlan.has(code)) ?? "no_such_seat";
    const file = csv("seats", [
      `${a.id},${seats},set,8,${tag()}`, // 2 valid
      `${b.externalId},${seats},add,2,by external id`, // 3 valid
      `${e.email.toUpperCase()},${seats},remove,1,by email`, // 4 valid
      `cus_does_not_exist,${seats},add,1,x`, // 5 unknown customer
      `nobody@example.test,${seats},add,1,x`, // 6 unknown email
      `${a.id},${outside},add,1,x`, // 7 seat type not on the plan
      `${low.id},${seats},remove,3,x`, // 8 below zero
      `${twice.id},${seats},add,1,x`, // 9 duplicate
      `${twice.id},${seats},set,9,x`, // 10 duplicate
      `${bare.id},${seats},add,1,x`, // 11 no subscription
      `${a.id},${seats},double,1,x`, // 12 cell error
      `${b.id},${seats},set,4,x`, // 13 no change
    ]);
    const up = created(await c.bulk.upload(OPS, { kind: "seats", fileName: "matrix.csv", content: file }));
    expect(up.status).toBe("invalid");
    const v = await view(c, up.batchId);
    const byLine = new Map(v.rows.map((r) => [r.line, r]));
    const errorOf = (line: number) =>
      byLine
        .get(line)!
        .errors.map((x) => `${x.column ?? "-"}: ${x.message}`)
        .join(" | ");
    expect([2, 3, 4].map((l) => byLine.get(l)!.status)).toEqual(["ready", "ready", "ready"]);
    expect(byLine.get(2)!.effect).toMatchObject({ kind: "seats", from: 5, to: 8 });
    expect(byLine.get(3)).toMatchObject({ customerId: b.id, effect: { from: 4, to: 6 } });
    expect(byLine.get(4)).toMatchObject({ customerId: e.id, effect: { from: 6, to: 5 } });
    expect(errorOf(5)).toMatch(/^customer: Unknown customer “cus_does_not_exist”/);
    expect(errorOf(6)).toMatch(/^customer: Unknown customer “nobody@example.test”: no customer has this email/);
    expect(errorOf(7)).toMatch(/^seat_type: “.+” is not a seat type of plan/);
    expect(errorOf(8)).toMatch(/^quantity: Cannot remove 3: .* is 2 \(seats cannot go below 0\)/);
    expect(errorOf(9)).toBe("-: Duplicate: changes the same customer's seat type as line 10");
    expect(errorOf(10)).toBe("-: Duplicate: changes the same customer's seat type as line 9");
    expect(errorOf(11)).toMatch(/^customer: Customer .* has no active subscription/);
    expect(errorOf(12)).toBe("operation: Operation must be set, add or remove");
    expect(errorOf(13)).toMatch(/nothing to change/);
    expect(v.totals).toMatchObject({ rows: 12, valid: 3, invalid: 9, excluded: 0, customers: 3 });
    expect(v.totals.seats).toMatchObject({ added: 5, removed: 1 });
    expect(v.may).toMatchObject({ apply: false, exclude_invalid: true });

    // Nothing is sent while any row is invalid.
    expect(await c.bulk.act(OPS, up.batchId, "apply")).toMatchObject({ kind: "refused" });
    expect(await h.seatCount(a.id)).toBe(5);

    // The errors CSV lists every invalid row with its line.
    const errors = (await c.bulk.csv(OPS, up.batchId, "errors"))!;
    expect(errors.body.split("\n")[0]).toBe("line,customer,column,error,status");
    expect(errors.body).toContain("5,cus_does_not_exist,customer,");
    expect(errors.body.trim().split("\n")).toHaveLength(10);

    // Excluding the invalid rows makes the batch ready; applying writes the three valid rows once.
    ok(await c.bulk.act(OPS, up.batchId, "exclude_invalid"));
    const ready = await view(c, up.batchId);
    expect(ready).toMatchObject({ status: "ready", totals: { valid: 3, excluded: 9, invalid: 0 } });
    expect(ok(await c.bulk.act(OPS, up.batchId, "apply")).status).toBe("applying");
    await c.bulk.idle();
    const done = await view(c, up.batchId);
    expect(done.status).toBe("completed");
    expect(done.progress).toMatchObject({ total: 3, done: 3, applied: 3, percent: 100 });
    expect([await h.seatCount(a.id), await h.seatCount(b.id), await h.seatCount(e.id)]).toEqual([8, 6, 5]);
    expect(await h.seatCount(twice.id)).toBe(3);

    // Audited as a batch with its rows: the row's audit entry names the batch and line.
    const rows = await auditRows(ctx.db, a.id);
    const change = rows.find((r) => r.action === "seats.change")!;
    expect(change).toMatchObject({ status: "succeeded", params: { bulk: { batchId: up.batchId, line: 2 } } });

    // The result CSV: every row with its outcome and Commet id.
    const result = (await c.bulk.csv(OPS, up.batchId, "result"))!;
    const lines = result.body.trim().split("\n");
    expect(lines[0]).toBe("line,customer,customer_id,outcome,commet_id,message,key");
    expect(lines.filter((l) => l.includes(",applied,"))).toHaveLength(3);
    expect(lines.filter((l) => l.includes(",excluded,"))).toHaveLength(9);

    // The same file again is the same batch.
    expect(await c.bulk.upload(OPS, { kind: "seats", fileName: "again.csv", content: file })).toMatchObject({
      kind: "existing",
      batchId: up.batchId,
    });
  });

  it("usage rows: period, future, features, duplicates and keys; applied once with the row's key", async () => {
    const c = consoleOn(ctx);
    await setRule(ctx, "bulk", false);
    const usage = h.catalog.metered.usage;
    const x = await h.customer(1);
    const y = await h.customer(1);
    const before = [await h.usageTotal(x.id), await h.usageTotal(y.id)];
    // Inside both customers' current period (they start when the subscriptions were created) and not ahead of now.
    const inPeriod = new Date(
      Math.max(Date.parse(x.periodStart), Date.parse(y.periodStart), Date.now() - 3_600_000),
    ).toISOString();
    const ownKey = `ticket-${randomSuffix()}`;
    const file = csv("usage", [
      `${x.id},${usage},1200,,${tag()},`, // 2 valid, now
      `${x.id},${usage},"1,5",${inPeriod},in period,`, // 3 refused cell: not a number
      `${y.id},${usage},7,${inPeriod},in period,${ownKey}`, // 4 valid with its own key
      `${y.id},${usage},3,2001-01-01T00:00:00Z,old,`, // 5 before the period
      `${y.id},${usage},3,2999-01-01T00:00:00Z,future,`, // 6 future
      `${y.id},no_such_feature,3,,x,`, // 7 not a feature of the plan
      `${x.id},${usage},5,${inPeriod},pasted twice,`, // 8 duplicate
      `${x.id},${usage},5,${inPeriod},pasted twice,`, // 9 duplicate
    ]);
    const up = created(await c.bulk.upload(OPS, { kind: "usage", fileName: "usage.csv", content: file }));
    const v = await view(c, up.batchId);
    const status = Object.fromEntries(v.rows.map((r) => [r.line, r.status]));
    expect(status).toEqual({
      2: "ready",
      3: "invalid",
      4: "ready",
      5: "invalid",
      6: "invalid",
      7: "invalid",
      8: "invalid",
      9: "invalid",
    });
    const messages = Object.fromEntries(v.rows.map((r) => [r.line, r.errors.map((e) => e.message).join(" | ")]));
    expect(messages[5]).toMatch(/before the current billing period/);
    expect(messages[6]).toBe("The event time is in the future");
    expect(messages[7]).toMatch(/is not a usage feature of plan/);
    expect(messages[8]).toMatch(/Duplicate: records the same usage .* as line 9/);
    expect(v.rows.find((r) => r.line === 2)!.effect).toMatchObject({ kind: "usage", quantity: 1200, eventTime: null });
    expect(v.totals.usage).toEqual([expect.objectContaining({ feature: usage, quantity: 1207, rows: 2 })]);

    ok(await c.bulk.act(OPS, up.batchId, "exclude_invalid"));
    ok(await c.bulk.act(OPS, up.batchId, "apply"));
    await c.bulk.idle();
    const done = await view(c, up.batchId);
    expect(done.progress).toMatchObject({ applied: 2, failed: 0, unknown: 0 });
    const eventId = done.rows.find((r) => r.line === 4)!.outcome?.commetId;
    expect(eventId).toBeTruthy();
    // The usage timeline has it as a manual entry (staff, audit row), as the single form records it.
    const timeline = await ctx.db
      .selectFrom("usage_events" as never)
      .select(["source", "manual_staff", "manual_audit_id"] as never[])
      .where("usage_event_id" as never, "=", eventId as never)
      .executeTakeFirst();
    expect(timeline).toMatchObject({ source: "manual", manual_staff: OPS.email });
    expect([await h.usageTotal(x.id), await h.usageTotal(y.id)]).toEqual([before[0]! + 1200, before[1]! + 7]);

    // The row's own key is the event's key: a second file with the same key is answered, never sent again.
    const again = csv("usage", [`${y.id},${usage},7,${inPeriod},${tag()},${ownKey}`]);
    const second = created(await c.bulk.upload(OPS, { kind: "usage", fileName: "again.csv", content: again }));
    ok(await c.bulk.act(OPS, second.batchId, "apply"));
    await c.bulk.idle();
    const secondView = await view(c, second.batchId);
    expect(secondView.rows[0]).toMatchObject({
      status: "applied",
      outcome: { message: expect.stringMatching(/^Already/) },
    });
    expect(await h.usageTotal(y.id)).toBe(before[1]! + 7);
  });

  it("refuses per row a seat count that changed between the dry run and apply", async () => {
    const c = consoleOn(ctx);
    await setRule(ctx, "bulk", false);
    await setRule(ctx, "seats.change", true);
    const seats = h.catalog.metered.seats;
    const moved = await h.customer(10);
    const still = await h.customer(10);
    const file = csv("seats", [`${moved.id},${seats},add,2,${tag()}`, `${still.id},${seats},add,2,x`]);
    const up = created(await c.bulk.upload(OPS, { kind: "seats", fileName: "stale.csv", content: file }));
    await h.commet.seats.set({ customerId: moved.id, featureCode: seats, count: 11 });
    ok(await c.bulk.act(OPS, up.batchId, "apply"));
    await c.bulk.idle();
    const v = await view(c, up.batchId);
    expect(v.rows[0]).toMatchObject({
      status: "refused",
      outcome: { message: expect.stringMatching(/changed from 10 .* to 11/) },
    });
    expect(v.rows[1]).toMatchObject({ status: "applied" });
    expect([await h.seatCount(moved.id), await h.seatCount(still.id)]).toEqual([11, 12]);
  });

  it("the whole batch is ONE approval request; approved by someone else, every row is applied once", async () => {
    const c = consoleOn(ctx);
    await setRule(ctx, "bulk", true);
    const usage = h.catalog.metered.usage;
    const customers = [await h.customer(1), await h.customer(1), await h.customer(1)];
    const before = await Promise.all(customers.map((x) => h.usageTotal(x.id)));
    const file = csv(
      "usage",
      customers.map((x, i) => `${x.id},${usage},${10 + i},,${i === 0 ? tag() : "approved batch"},`),
    );
    const up = created(await c.bulk.upload(OPS, { kind: "usage", fileName: "approve.csv", content: file }));
    expect(await c.bulk.upload(SUPPORT, { kind: "usage", fileName: "x.csv", content: file })).toMatchObject({
      kind: "forbidden",
    });
    const heldAnswer = await c.bulk.act(OPS, up.batchId, "apply");
    if (heldAnswer.kind !== "sent_for_approval") throw new Error(JSON.stringify(heldAnswer));
    expect(heldAnswer.approvers).toEqual(["admin"]);
    const requests = await approvalTables(ctx.db)
      .selectFrom("approval_requests")
      .selectAll()
      .where("id", "=", heldAnswer.requestId)
      .execute();
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ action: "bulk.apply", rule: "bulk", status: "pending" });
    const waiting = await view(c, up.batchId);
    expect(waiting).toMatchObject({
      status: "awaiting_approval",
      approval: { requestId: heldAnswer.requestId, status: "pending" },
    });
    expect(await Promise.all(customers.map((x) => h.usageTotal(x.id)))).toEqual(before);

    const approver = { actor: { id: ADMIN.id, email: ADMIN.email }, role: ADMIN.role };
    const detail = await c.approvals.detail(heldAnswer.requestId, approver);
    expect(detail?.fresh?.summary).toMatch(/^Manual usage from approve.csv: 3 rows, 3 customers/);
    const decided = await c.approvals.approve(heldAnswer.requestId, approver, { fingerprint: detail!.fingerprint! });
    expect(decided).toMatchObject({ kind: "approved", outcome: "succeeded" });
    await c.bulk.idle();
    const done = await view(c, up.batchId);
    expect(done).toMatchObject({ status: "completed", progress: { applied: 3 } });
    expect(await Promise.all(customers.map((x) => h.usageTotal(x.id)))).toEqual(before.map((n, i) => n + 10 + i));
  });

  it("pause stops between rows, resume finishes once; cancel skips the rows not sent", async () => {
    const c = consoleOn(ctx);
    await setRule(ctx, "bulk", false);
    const usage = h.catalog.metered.usage;
    const x = await h.customer(1);
    const start = await h.usageTotal(x.id);
    const rows = (n: number) =>
      Array.from({ length: n }, (_, i) => `${x.id},${usage},1,,${i === 0 ? tag() : "slow"},k-${randomSuffix()}`);
    await h.faults([{ route: "POST /api/v1/usage/events", latencyMs: 60 }]);
    try {
      const slow = created(
        await c.bulk.upload(OPS, { kind: "usage", fileName: "slow.csv", content: csv("usage", rows(40)) }),
      );
      ok(await c.bulk.act(OPS, slow.batchId, "apply"));
      expect(ok(await c.bulk.act(OPS, slow.batchId, "pause")).status).toBe("paused");
      await c.bulk.idle();
      const paused = (await c.bulk.progress(slow.batchId))!;
      expect(paused.status).toBe("paused");
      expect(paused.done).toBeLessThan(40);
      ok(await c.bulk.act(OPS, slow.batchId, "resume"));
      await c.bulk.idle();
      expect(await c.bulk.progress(slow.batchId)).toMatchObject({ status: "completed", applied: 40 });
      expect(await h.usageTotal(x.id)).toBe(start + 40);

      const cancelled = created(
        await c.bulk.upload(OPS, { kind: "usage", fileName: "stop.csv", content: csv("usage", rows(40)) }),
      );
      ok(await c.bulk.act(OPS, cancelled.batchId, "apply"));
      expect(ok(await c.bulk.act(OPS, cancelled.batchId, "cancel")).status).toBe("cancelled");
      await c.bulk.idle();
      const p = (await c.bulk.progress(cancelled.batchId))!;
      expect(p.status).toBe("cancelled");
      expect(p.skipped).toBeGreaterThan(0);
      expect(p.applied + p.skipped).toBe(40);
      expect(await h.usageTotal(x.id)).toBe(start + 40 + p.applied);
    } finally {
      await h.clearFaults();
    }
  });
});
