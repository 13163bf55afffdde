/**
 * The write resolver against the local Commet sandbox through the real SDK, on both database engines:
 * an unknown outcome (apply then drop, 5xx) settles by itself exactly once; backoff; a write past the
 * re-send cutoff is never re-sent and is handed to a person; alerts; two resolvers racing settle it once.
 */
import type { Kysely } from "kysely";
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from "vitest";
import type { WriteResult } from "../../app/contracts/ops-results.ts";
import { createAuditLog } from "../audit/index.ts";
import type { DB } from "../db/index.ts";
import { applySeatChange } from "../seats/index.ts";
import { describeEachEngine } from "../testing/db.ts";
import {
  OPS,
  SUPPORT,
  SimulatedCrash,
  clearExchanges,
  exchanges,
  newKey,
  useWriteHarness,
  type WriteHarness,
} from "../testing/usage.ts";
import { recordManualUsage } from "../usage/index.ts";
import { createWriteEngine, type WriteDeps, type WriteEngine } from "./engine.ts";
import {
  createWriteResolver,
  enqueueUnresolved,
  listUnsettledWrites,
  type ResolverOptions,
  unsettledCounts,
} from "./resolver.ts";
import { settleByHand } from "./settle.ts";
import { RESEND_CUTOFF_MS } from "./window.ts";

const h: WriteHarness = useWriteHarness({ beforeAll, afterAll });
const HOUR = 60 * 60_000;

beforeEach(() => clearExchanges());
afterEach(async () => {
  await h.clearFaults();
});

/** A console process: its own SDK client (no SDK retries, so a fault surfaces as outcome unknown) and clock. */
function engineAt(db: Kysely<DB>, clock: () => number, hooks?: WriteDeps["hooks"]) {
  return createWriteEngine({
    commet: h.sandbox.client({ retries: 0, timeout: 5_000 }),
    audit: createAuditLog(db),
    commetUrl: h.sandbox.url,
    clock,
    hooks,
  });
}

function resolverFor(db: Kysely<DB>, engine: WriteEngine, extra: Partial<ResolverOptions> = {}) {
  const lines: string[] = [];
  const resolver = createWriteResolver({ db, engine, graceMs: 0, log: (line) => lines.push(line), ...extra });
  return { resolver, lines };
}

function seatAdd(customerId: string, seen: number, key = newKey("res")) {
  return {
    customerId,
    seatType: h.catalog.metered.seats,
    op: "add",
    quantity: "2",
    seenCount: String(seen),
    reasonCode: "customer_request",
    reasonText: "resolver test",
    idempotencyKey: key,
  };
}

const sends = (key: string) => exchanges().filter((e) => e.method !== "GET" && e.idempotencyKey === key);

function expectUnknown(result: WriteResult | { kind: "stale" }) {
  expect(result).toMatchObject({ kind: "commet_error", outcome: "unknown" });
}

async function resolution(db: Kysely<DB>, auditId: string) {
  return (db as unknown as Kysely<{ write_resolutions: Record<string, unknown> }>)
    .selectFrom("write_resolutions")
    .selectAll()
    .where("audit_id", "=", auditId)
    .executeTakeFirst();
}

describeEachEngine(
  "write resolver",
  (ctx) => {
    it("apply then drop: the unknown seat change settles by itself, applied once, and is not re-sent again", async () => {
      const engine = engineAt(ctx.db, Date.now);
      const customer = await h.customer(5);
      const form = seatAdd(customer.id, 5);
      await h.faults([{ route: "POST /api/v1/seats", applyThenDrop: true, times: 1 }]);
      expectUnknown(await applySeatChange({ ...OPS, form }, engine));
      const row = (await createAuditLog(ctx.db).findByIdempotencyKey(form.idempotencyKey))!;
      expect(row.status).toBe("pending");
      const before = await listUnsettledWrites(ctx.db, { actorId: OPS.actor.id!, reader: OPS.actor.id });
      expect(before).toMatchObject([{ auditId: row.id, state: "awaiting", mine: true, what: "seat change" }]);

      // A pending row of something that is not an engine write (a portal link a crash left pending) is not touched.
      await createAuditLog(ctx.db).begin({
        actor: OPS.actor,
        role: "ops",
        action: "portal.issue",
        customerId: customer.id,
        idempotencyKey: newKey("portal"),
        params: {},
      });
      const { resolver, lines } = resolverFor(ctx.db, engine);
      const run = await resolver.runOnce();
      expect(run).toMatchObject({ discovered: 1, resent: 1, settled: 1, handedOver: 0 });
      const after = (await createAuditLog(ctx.db).get(row.id))!;
      expect(after.status).toBe("succeeded");
      expect(await h.seatCount(customer.id)).toBe(7);
      // Two sends of the one key: the dropped first and the resolver's replay (Commet answered from its store).
      expect(sends(form.idempotencyKey).length).toBe(2);
      expect(lines.join("\n")).toMatch(/settled seats\.change .*\(attempt 1\): ok/);
      expect(await listUnsettledWrites(ctx.db, { actorId: OPS.actor.id! })).toEqual([]);

      expect(await resolver.runOnce()).toMatchObject({ discovered: 0, resent: 0 });
      expect(sends(form.idempotencyKey).length).toBe(2);
      expect(await h.seatCount(customer.id)).toBe(7);
    });

    it("an unknown outcome the engine reports is queued at once: picked up without waiting out the grace", async () => {
      const engine = createWriteEngine({
        commet: h.sandbox.client({ retries: 0, timeout: 5_000 }),
        audit: createAuditLog(ctx.db),
        commetUrl: h.sandbox.url,
        onUnknown: (auditId) => enqueueUnresolved(ctx.db, auditId, Date.now()),
      });
      const customer = await h.customer(5);
      const form = seatAdd(customer.id, 5);
      await h.faults([{ route: "POST /api/v1/seats", applyThenDrop: true, times: 1 }]);
      expectUnknown(await applySeatChange({ ...OPS, form }, engine));
      // Default grace (60 s): a crash's row would wait; this one is already queued.
      const resolver = createWriteResolver({ db: ctx.db, engine });
      expect(await resolver.runOnce()).toMatchObject({ discovered: 0, resent: 1, settled: 1 });
      expect(await h.seatCount(customer.id)).toBe(7);
    });

    it("a write its author settles first (same form again) leaves the queue without a re-send", async () => {
      const engine = engineAt(ctx.db, Date.now);
      const customer = await h.customer(5);
      const form = seatAdd(customer.id, 5);
      await h.faults([{ route: "POST /api/v1/seats", applyThenDrop: true, times: 1 }]);
      expectUnknown(await applySeatChange({ ...OPS, form }, engine));
      const row = (await createAuditLog(ctx.db).findByIdempotencyKey(form.idempotencyKey))!;
      await enqueueUnresolved(ctx.db, row.id, Date.now());
      expect(await applySeatChange({ ...OPS, form }, engine)).toMatchObject({ kind: "ok", resumed: true });
      const { resolver } = resolverFor(ctx.db, engine);
      expect(await resolver.runOnce()).toMatchObject({ resent: 0, settled: 1 });
      expect(await resolution(ctx.db, row.id)).toMatchObject({ attempts: 0, settled_at: expect.any(Number) });
      expect(sends(form.idempotencyKey).length).toBe(2);
      expect(await h.seatCount(customer.id)).toBe(7);
    });

    it("a manual usage event lost to a 5xx is retried with backoff until Commet answers, recorded once", async () => {
      let now = Date.now();
      const engine = engineAt(ctx.db, () => now);
      const customer = await h.customer(5);
      const key = newKey("res-usage");
      await h.faults([{ route: "POST /api/v1/usage/events", errorStatus: 503, times: 2 }]);
      const form = {
        customerId: customer.id,
        featureCode: h.catalog.metered.usage,
        quantity: "17",
        reasonCode: "missed_events",
        reasonText: "resolver test",
        idempotencyKey: key,
      };
      expectUnknown(await recordManualUsage({ ...OPS, form }, engine));
      now = Date.now() + 1_000;
      const { resolver } = resolverFor(ctx.db, engine, { clock: () => now });

      // Second 503: attempt 1 spent, the next one a minute later.
      expect(await resolver.runOnce()).toMatchObject({ resent: 1, settled: 0 });
      const auditId = (await createAuditLog(ctx.db).findByIdempotencyKey(key))!.id;
      expect(await resolution(ctx.db, auditId)).toMatchObject({ attempts: 1, settled_at: null, lease_owner: null });
      expect(await resolver.runOnce()).toMatchObject({ resent: 0 });

      now += 61_000;
      expect(await resolver.runOnce()).toMatchObject({ resent: 1, settled: 1 });
      expect((await createAuditLog(ctx.db).get(auditId))!.status).toBe("succeeded");
      expect(await h.usageTotal(customer.id)).toBe(17);
      expect(sends(key).length).toBe(3);
    });

    it("past the re-send cutoff a write is never re-sent: alerted, handed to a person; check again refuses too", async () => {
      const customer = await h.customer(5);
      const form = seatAdd(customer.id, 5);
      // The console dies between the pending row and the call: nothing reached Commet.
      const crashing = engineAt(ctx.db, Date.now, {
        afterBegin: () => {
          throw new SimulatedCrash();
        },
      });
      await expect(applySeatChange({ ...OPS, form }, crashing)).rejects.toBeInstanceOf(SimulatedCrash);
      const row = (await createAuditLog(ctx.db).findByIdempotencyKey(form.idempotencyKey))!;

      const later = () => row.createdAt + RESEND_CUTOFF_MS + 60_000;
      const engine = engineAt(ctx.db, later);
      const { resolver, lines } = resolverFor(ctx.db, engine, { clock: later });
      expect(await resolver.runOnce()).toMatchObject({ discovered: 1, resent: 0, alerted: 1, handedOver: 1 });
      expect(await resolver.runOnce()).toMatchObject({ resent: 0, alerted: 0, handedOver: 0 });
      expect(lines.some((line) => line.startsWith("ALERT unconfirmed write: seats.change"))).toBe(true);
      expect(lines.some((line) => line.startsWith("needs a person: seats.change"))).toBe(true);
      expect(await resolution(ctx.db, row.id)).toMatchObject({ needs_person_reason: "window", settled_at: null });

      const checked = await engine.resolvePending(row.id, OPS);
      expect(checked).toMatchObject({ kind: "commet_error", outcome: "unknown", code: "idempotency_window_closed" });
      expect(await applySeatChange({ ...OPS, form }, engine)).toMatchObject({ code: "idempotency_window_closed" });
      expect(sends(form.idempotencyKey)).toEqual([]);
      expect(await h.seatCount(customer.id)).toBe(5);
      expect((await createAuditLog(ctx.db).get(row.id))!.status).toBe("pending");
      expect(await listUnsettledWrites(ctx.db, { customerId: customer.id }, later())).toMatchObject([
        { auditId: row.id, state: "needs_person", nextAttemptAt: null },
      ]);
      expect(unsettledCounts(await listUnsettledWrites(ctx.db, { limit: 1000 }, later()))).toEqual({
        total: 1,
        attention: 1,
      });
    });

    it("a write handed to a person is settled by hand by someone who may make it, audited; not while the console resolves it", async () => {
      const customer = await h.customer(5);
      const form = seatAdd(customer.id, 5);
      const crashing = engineAt(ctx.db, Date.now, {
        afterBegin: () => {
          throw new SimulatedCrash();
        },
      });
      await expect(applySeatChange({ ...OPS, form }, crashing)).rejects.toBeInstanceOf(SimulatedCrash);
      const audit = createAuditLog(ctx.db);
      const row = (await audit.findByIdempotencyKey(form.idempotencyKey))!;
      const input = { auditId: row.id, applied: false, note: "no seat event in Commet for this key" };
      // Still inside the window and not handed over: Commet's answer settles it, not a person.
      expect(await settleByHand({ db: ctx.db, audit }, OPS, input)).toMatchObject({ status: 409 });

      const later = row.createdAt + RESEND_CUTOFF_MS + 60_000;
      const { resolver } = resolverFor(
        ctx.db,
        engineAt(ctx.db, () => later),
        { clock: () => later },
      );
      expect(await resolver.runOnce()).toMatchObject({ handedOver: 1, resent: 0 });
      expect(await settleByHand({ db: ctx.db, audit }, SUPPORT, input, later)).toMatchObject({ status: 403 });
      expect(await settleByHand({ db: ctx.db, audit }, OPS, input, later)).toMatchObject({ status: 200, tone: "good" });
      expect(await audit.get(row.id)).toMatchObject({ status: "failed", errorCode: "not_applied" });
      const settled = (await audit.list({ action: "writes.settle" }, { pageSize: 10, page: 1 })).rows;
      expect(settled).toMatchObject([
        { actor: OPS.actor, customerId: customer.id, params: { auditId: row.id, outcome: "not_applied" } },
      ]);
      expect(await resolution(ctx.db, row.id)).toMatchObject({ settled_at: later });
      expect(await settleByHand({ db: ctx.db, audit }, OPS, input, later)).toMatchObject({ status: 404 });
      expect(await listUnsettledWrites(ctx.db, { customerId: customer.id }, later)).toEqual([]);
      expect(sends(form.idempotencyKey)).toEqual([]);
    });

    it("after the alert threshold it alerts once, and still settles inside the window", async () => {
      const customer = await h.customer(5);
      const form = seatAdd(customer.id, 5);
      const crashing = engineAt(ctx.db, Date.now, {
        afterBegin: () => {
          throw new SimulatedCrash();
        },
      });
      await expect(applySeatChange({ ...OPS, form }, crashing)).rejects.toBeInstanceOf(SimulatedCrash);
      const row = (await createAuditLog(ctx.db).findByIdempotencyKey(form.idempotencyKey))!;
      const at = () => row.createdAt + 13 * HOUR;
      expect(await listUnsettledWrites(ctx.db, { customerId: customer.id }, at())).toMatchObject([{ state: "alert" }]);
      const { resolver, lines } = resolverFor(ctx.db, engineAt(ctx.db, at), { clock: at });
      expect(await resolver.runOnce()).toMatchObject({ alerted: 1, resent: 1, settled: 1 });
      expect(lines.filter((line) => line.startsWith("ALERT"))).toHaveLength(1);
      expect(await h.seatCount(customer.id)).toBe(7);
    });

    it("after its attempts are spent a write is handed to a person, not re-sent again", async () => {
      let now = Date.now();
      const engine = engineAt(ctx.db, () => now);
      const customer = await h.customer(5);
      const form = seatAdd(customer.id, 5);
      await h.faults([{ route: "POST /api/v1/seats", errorStatus: 500 }]);
      expectUnknown(await applySeatChange({ ...OPS, form }, engine));
      now = Date.now() + 1_000;
      const { resolver } = resolverFor(ctx.db, engine, { clock: () => now, maxAttempts: 2 });
      expect(await resolver.runOnce()).toMatchObject({ resent: 1, handedOver: 0 });
      now += 2 * 60_000;
      expect(await resolver.runOnce()).toMatchObject({ resent: 1, handedOver: 1 });
      now += HOUR;
      expect(await resolver.runOnce()).toMatchObject({ resent: 0 });
      expect(sends(form.idempotencyKey).length).toBe(3);
      const auditId = (await createAuditLog(ctx.db).findByIdempotencyKey(form.idempotencyKey))!.id;
      expect(await resolution(ctx.db, auditId)).toMatchObject({ attempts: 2, needs_person_reason: "attempts" });
      expect(await h.seatCount(customer.id)).toBe(5);
    });

    it("two resolvers (two console processes) racing over one unknown write: one re-sends, applied once", async () => {
      const customer = await h.customer(5);
      const form = seatAdd(customer.id, 5);
      await h.faults([{ route: "POST /api/v1/seats", applyThenDrop: true, times: 1 }]);
      expectUnknown(await applySeatChange({ ...OPS, form }, engineAt(ctx.db, Date.now)));
      // The replay is slow, so both passes overlap.
      await h.faults([{ route: "POST /api/v1/seats", latencyMs: 300 }]);
      const a = resolverFor(ctx.db, engineAt(ctx.db, Date.now), { owner: "console-a" }).resolver;
      const b = resolverFor(ctx.db, engineAt(ctx.db, Date.now), { owner: "console-b" }).resolver;
      const runs = await Promise.all([a.runOnce(), b.runOnce(), a.runOnce(), b.runOnce()]);
      expect(runs.reduce((n, r) => n + r.resent, 0)).toBe(1);
      expect(sends(form.idempotencyKey).length).toBe(2);
      expect((await createAuditLog(ctx.db).findByIdempotencyKey(form.idempotencyKey))!.status).toBe("succeeded");
      expect(await h.seatCount(customer.id)).toBe(7);
    });
  },
  { fresh: "each" },
);
