/**
 * Randomized reliability of the exactly-once writes (seats, manual usage, full refunds) against the local
 * Commet sandbox's fault injection, through the real SDK.
 *
 * ≥ 200 seeded sequences; each creates a customer, submits one logical write (seats add / set /
 * remove, usage record / set, a full refund of the customer's first charge as finance) under one
 * fault flavour, and keeps resubmitting the same form (or "check again" after a simulated crash and
 * restart) until the console reports it done:
 *   500 then ok · apply then drop · 429 Retry-After 1 — each either absorbed by the SDK's own retries
 *   (same Idempotency-Key; 1 s waits, so only a share of the runs) or surfacing as "outcome unknown"
 *   and resolved by a resubmission · parallel identical submissions (one console, and two consoles)
 *   · a crash between the pending audit row and the Commet call, then a restart · apply then drop or 500,
 *   settled by no one but the background resolvers of two consoles racing (server/writes/resolver.ts).
 * At the end Commet's state is compared with the expected effects: seat balances and usage totals
 * through the SDK, plus the sandbox ledger's event count per customer (a seats.set or usage.set
 * repeated under a new key would not show in a balance), and every logical write must have exactly
 * one audit row, finalized `succeeded`, whose Commet id is in the ledger.
 * Prints `duplicates=0 lost=0`.
 *
 * RELIABILITY_SEED=<n> replays a run; RELIABILITY_SEQUENCES=<n> (default 200);
 * RELIABILITY_ENGINES=sqlite,postgres (default sqlite).
 *
 * Approved writes (last block, RELIABILITY_APPROVAL_SEQUENCES, default 40): every write is held by the
 * approval policy first, then approved by a second person under a fault — 500 or a dropped answer (then
 * "run it" again or the requester's resubmission), two approvers at once on two consoles, or a crash of
 * the approving console after the pending audit row (then run again on a restarted one).
 */
import Database from "better-sqlite3";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WriteResult } from "../../app/contracts/ops-results.ts";
import { createAuditLog } from "../audit/index.ts";
import type { Kysely } from "kysely";
import type { DB, Engine } from "../db/index.ts";
import { createScratchDatabase, type ScratchDatabase } from "../testing/scratch-db.ts";
import { ADMIN, OPS, SimulatedCrash, newKey, useWriteHarness } from "../testing/usage.ts";
import { applySeatChange } from "../seats/index.ts";
import { recordManualUsage, setPeriodUsage } from "../usage/index.ts";
import { applyPlanChange, scheduleCancellation } from "../subscriptions/index.ts";
import { startWebhookReceiver, subscribedCustomer, type FaultRule, type WebhookReceiver } from "../testing/sandbox.ts";
import { refundPayment } from "../payments/index.ts";
import { createApprovals, loadPolicy, saveRule, type Approvals } from "../approvals/index.ts";
import { approvalTables } from "../approvals/schema.ts";
import type { WriteEngine } from "./index.ts";
import { mulberry32 } from "../prng.ts";
import { createWriteResolver } from "./resolver.ts";

const SEQUENCES = Number(process.env.RELIABILITY_SEQUENCES ?? 200);
const SEED = Number(process.env.RELIABILITY_SEED ?? Date.now() % 1_000_000);
const ENGINES = (process.env.RELIABILITY_ENGINES ?? "sqlite").split(",").map((e) => e.trim()) as Engine[];
const TIME_CAP_MS = 150_000;

function prng(seed: number) {
  const next = mulberry32(seed);
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
  };
}

const h = useWriteHarness({ beforeAll, afterAll });

type Op = "seats.add" | "seats.set" | "seats.remove" | "usage.record" | "usage.set" | "payments.refund";
const OPS_LIST: readonly Op[] = [
  "seats.add",
  "seats.set",
  "seats.remove",
  "usage.record",
  "usage.set",
  "payments.refund",
];
const FINANCE = { actor: { id: "staff-finance", email: "finance@example.test" }, role: "finance" as const };

/**
 * Fault flavours with their weights. "sdk" flavours let the SDK retry (1 s waits each): kept to a
 * share that holds the run to about a minute.
 */
const FLAVOURS = [
  ["clean-double-submit", 2],
  ["500-sdk", 1],
  ["500-resubmit", 3],
  ["drop-sdk", 1],
  ["drop-resubmit", 3],
  ["429-sdk", 1],
  ["429-resubmit", 2],
  ["parallel-same-console", 3],
  ["parallel-two-consoles", 2],
  ["crash-restart", 3],
  ["crash-restart-then-500", 1],
] as const;
/** Nobody resubmits: the background resolvers of two consoles settle the unknown outcome (opt-in per section). */
const RESOLVER_FLAVOURS = [
  ["drop-resolver", 2],
  ["500-resolver", 1],
] as const;
type Flavour = (typeof FLAVOURS)[number][0] | (typeof RESOLVER_FLAVOURS)[number][0];

function pickFlavour(r: ReturnType<typeof prng>, options: { resolver?: boolean } = {}): Flavour {
  const list: ReadonlyArray<readonly [Flavour, number]> = options.resolver
    ? [...FLAVOURS, ...RESOLVER_FLAVOURS]
    : FLAVOURS;
  const total = list.reduce((s, [, w]) => s + w, 0);
  let x = r.next() * total;
  for (const [name, w] of list) {
    if ((x -= w) < 0) return name;
  }
  return FLAVOURS[0][0];
}

/**
 * The resolver flavours' settling: two consoles' resolvers race each round, their clock jumping past the
 * backoff between rounds. Returns the problem, or null once the row is `succeeded`.
 */
async function settleByResolvers(db: Kysely<DB>, key: string, engines: WriteEngine[]): Promise<string | null> {
  let offset = 0;
  const clock = () => Date.now() + offset;
  const resolvers = engines.map((engine) => createWriteResolver({ db, engine, clock, graceMs: 0 }));
  const audit = createAuditLog(db);
  for (let round = 0; round < 4; round++) {
    if ((await audit.findByIdempotencyKey(key))?.status !== "pending") break;
    await Promise.all(resolvers.map((resolver) => resolver.runOnce()));
    offset += 5 * 60_000;
  }
  const row = await audit.findByIdempotencyKey(key);
  return row?.status === "succeeded" ? null : `the resolvers left the row ${row?.status}`;
}

function writeRoute(op: Op): string {
  switch (op) {
    case "seats.add":
      return "POST /api/v1/seats";
    case "seats.set":
      return "PUT /api/v1/seats";
    case "seats.remove":
      return "DELETE /api/v1/seats";
    case "usage.record":
      return "POST /api/v1/usage/events";
    case "usage.set":
      return "PUT /api/v1/usage";
    case "payments.refund":
      return "POST /api/v1/transactions/*/refund";
  }
}

/** A refund of the charge that paid the customer's first invoice (the sandbox charges it at activation). */
async function planRefund(customer: { id: string; email: string }, seats: number): Promise<Planned> {
  const list = await h.commet.transactions.list({ customerEmail: customer.email });
  const charge = (list.data ?? []).find((t) => t.status === "succeeded");
  if (!charge) throw new Error(`no settled charge for ${customer.email}`);
  const key = newKey("rel");
  return {
    op: "payments.refund",
    key,
    expect: { seats, usage: 0 },
    refund: charge.id,
    form: {
      customerId: customer.id,
      transactionId: charge.id,
      seenAmount: String(charge.grossAmount),
      reasonCode: "requested_by_customer",
      reasonText: "reliability run",
      idempotencyKey: key,
    },
  };
}

interface Planned {
  op: Op;
  form: Record<string, unknown>;
  key: string;
  /** Expected state after the write. */
  expect: { seats: number; usage: number };
  /** payments.refund: the refunded transaction. */
  refund?: string;
}

function plan(
  r: ReturnType<typeof prng>,
  op: Exclude<Op, "payments.refund">,
  customer: { id: string; email: string },
  seats: number,
): Planned {
  const key = newKey("rel");
  const seatType = h.catalog.metered.seats;
  const feature = h.catalog.metered.usage;
  const base = { customerId: customer.id, idempotencyKey: key, reasonText: "reliability run" };
  switch (op) {
    case "seats.add": {
      const q = r.int(1, 4);
      return {
        op,
        key,
        expect: { seats: seats + q, usage: 0 },
        form: {
          ...base,
          seatType,
          op: "add",
          quantity: String(q),
          seenCount: String(seats),
          reasonCode: "customer_request",
          confirmEmail: customer.email,
        },
      };
    }
    case "seats.remove": {
      const q = r.int(1, Math.min(4, seats));
      return {
        op,
        key,
        expect: { seats: seats - q, usage: 0 },
        form: {
          ...base,
          seatType,
          op: "remove",
          quantity: String(q),
          seenCount: String(seats),
          reasonCode: "billing_correction",
          confirmEmail: customer.email,
        },
      };
    }
    case "seats.set": {
      let to = seats + r.pick([-3, -2, -1, 1, 2, 3]);
      if (to < 0) to = seats + 1;
      return {
        op,
        key,
        expect: { seats: to, usage: 0 },
        form: {
          ...base,
          seatType,
          op: "set",
          quantity: String(to),
          seenCount: String(seats),
          reasonCode: "sales_agreement",
          confirmEmail: customer.email,
        },
      };
    }
    case "usage.record": {
      const q = r.int(1, 50);
      return {
        op,
        key,
        expect: { seats, usage: q },
        form: { ...base, featureCode: feature, quantity: String(q), reasonCode: "missed_events" },
      };
    }
    case "usage.set": {
      const v = r.int(0, 80);
      return {
        op,
        key,
        expect: { seats, usage: v },
        form: { ...base, featureCode: feature, value: String(v), reasonCode: "billing_correction" },
      };
    }
  }
}

function submit(p: Planned, engine: WriteEngine, who = OPS): Promise<WriteResult | { kind: string }> {
  const input = { ...who, form: p.form };
  // Refunds are finance's (ops may not): the same two staff roles' part is played by finance and admin.
  if (p.op === "payments.refund") return refundPayment({ ...(who === OPS ? FINANCE : who), form: p.form }, engine);
  if (p.op.startsWith("seats.")) return applySeatChange(input, engine);
  return p.op === "usage.record" ? recordManualUsage(input, engine) : setPeriodUsage(input, engine);
}

const DONE = new Set(["ok", "already_recorded"]);
const RETRYABLE = new Set(["in_progress"]);

function isUnknown(result: { kind: string }): boolean {
  return result.kind === "commet_error" && (result as { outcome?: string }).outcome === "unknown";
}

describe.each(ENGINES)("randomized exactly-once writes [%s]", (engine) => {
  let database: ScratchDatabase;
  beforeAll(async () => {
    database = await createScratchDatabase(engine);
  });
  afterAll(async () => {
    await database?.dispose();
  });

  it(
    `≥ ${SEQUENCES} seeded sequences of seat, usage and refund writes under faults: duplicates=0 lost=0`,
    { timeout: TIME_CAP_MS + 30_000 },
    async () => {
      const r = prng(SEED);
      const started = Date.now();
      const db = database.db;
      // One console "process" per SDK configuration; a crash replaces the process (new client).
      const consoles = {
        sdk: h.engine(db, { client: { retries: 2, timeout: 5_000 } }),
        plain: h.engine(db, { client: { retries: 0, timeout: 5_000 } }),
        other: h.engine(db, { client: { retries: 0, timeout: 5_000 } }),
      };
      const ledger = new Database(path.join(h.sandbox.dataDir, "sandbox.sqlite"), {
        readonly: true,
        fileMustExist: true,
      });
      const events = (customerId: string) =>
        (ledger.prepare("SELECT COUNT(*) AS n FROM seat_events WHERE customer_id = ?").get(customerId) as { n: number })
          .n +
        (
          ledger.prepare("SELECT COUNT(*) AS n FROM usage_events WHERE customer_id = ?").get(customerId) as {
            n: number;
          }
        ).n;
      const eventExists = (id: string) =>
        Boolean(
          ledger
            .prepare("SELECT 1 FROM seat_events WHERE id = ? UNION ALL SELECT 1 FROM usage_events WHERE id = ?")
            .get(id, id),
        );

      const done: Array<{ p: Planned; customerId: string; baseline: number; flavour: Flavour }> = [];
      const flavourCounts: Record<string, number> = {};
      const problems: string[] = [];
      const kinds: Record<string, number> = {};

      for (let i = 0; i < SEQUENCES; i++) {
        if (Date.now() - started > TIME_CAP_MS) throw new Error(`time cap reached after ${i} sequences`);
        const flavour = pickFlavour(r, { resolver: true });
        flavourCounts[flavour] = (flavourCounts[flavour] ?? 0) + 1;
        const op = r.pick(OPS_LIST);
        const seats = r.int(8, 30);
        const customer = await h.customer(seats);
        const baseline = events(customer.id);
        const p = op === "payments.refund" ? await planRefund(customer, seats) : plan(r, op, customer, seats);
        const route = writeRoute(op);
        const note = (result: { kind: string }) => {
          kinds[result.kind] = (kinds[result.kind] ?? 0) + 1;
        };

        let current: WriteEngine = consoles.plain;
        const results: Array<{ kind: string }> = [];
        const fault = async (rule: FaultRule) => h.faults([rule]);
        switch (flavour) {
          case "clean-double-submit":
            results.push(await submit(p, current), await submit(p, current, ADMIN));
            break;
          case "500-sdk":
            await fault({ route, errorStatus: r.pick([500, 503] as const), times: 1 });
            current = consoles.sdk;
            results.push(await submit(p, current));
            break;
          case "500-resubmit":
            await fault({ route, errorStatus: 500, times: r.int(1, 2) });
            results.push(await submit(p, current));
            break;
          case "drop-sdk":
            await fault({ route, applyThenDrop: true, times: 1 });
            current = consoles.sdk;
            results.push(await submit(p, current));
            break;
          case "drop-resubmit":
            await fault({ route, applyThenDrop: true, times: r.int(1, 2) });
            results.push(await submit(p, current));
            break;
          case "429-sdk":
            await fault({ route, rateLimit: { retryAfterSeconds: 1 }, times: 1 });
            current = consoles.sdk;
            results.push(await submit(p, current));
            break;
          case "429-resubmit":
            await fault({ route, rateLimit: { retryAfterSeconds: 1 }, times: r.int(1, 2) });
            results.push(await submit(p, current));
            break;
          case "parallel-same-console": {
            await fault({ route, latencyMs: r.int(20, 80) });
            const n = r.int(2, 3);
            results.push(...(await Promise.all(Array.from({ length: n }, () => submit(p, current)))));
            break;
          }
          case "parallel-two-consoles": {
            await fault({ route, latencyMs: r.int(30, 90), times: 1 });
            results.push(
              ...(await Promise.all([
                submit(p, consoles.plain),
                submit(p, consoles.other, ADMIN),
                submit(p, consoles.plain),
              ])),
            );
            break;
          }
          case "crash-restart":
          case "crash-restart-then-500": {
            const crashing = h.engine(db, {
              client: { retries: 0 },
              hooks: {
                afterBegin: () => {
                  throw new SimulatedCrash();
                },
              },
            });
            await expect(submit(p, crashing)).rejects.toBeInstanceOf(SimulatedCrash);
            current = h.engine(db, { client: { retries: 0, timeout: 5_000 } }); // the restarted console
            if (flavour === "crash-restart-then-500") await fault({ route, errorStatus: 500, times: 1 });
            const pending = await createAuditLog(db).findByIdempotencyKey(p.key);
            if (pending?.status !== "pending")
              problems.push(`#${i} ${flavour}: expected a pending row after the crash, got ${pending?.status}`);
            // Restart: "check again" on the audit screen, or the staffer resubmits the form.
            results.push(
              r.next() < 0.5 && pending
                ? await current.resolvePending(pending.id, p.op === "payments.refund" ? FINANCE : OPS)
                : await submit(p, current),
            );
            break;
          }
          case "drop-resolver":
          case "500-resolver": {
            await fault(
              flavour === "drop-resolver"
                ? { route, applyThenDrop: true, times: 1 }
                : { route, errorStatus: 500, times: r.int(1, 2) },
            );
            results.push(await submit(p, current));
            const problem = await settleByResolvers(db, p.key, [consoles.plain, consoles.other]);
            if (problem) problems.push(`#${i} ${flavour} ${op}: ${problem}`);
            else results.push({ kind: "ok" });
            break;
          }
        }
        results.forEach(note);

        // Keep resubmitting the same form until the console reports it done (bounded).
        let last = results.find((x) => DONE.has(x.kind)) ?? results.at(-1)!;
        for (let attempt = 0; !DONE.has(last.kind) && attempt < 6; attempt++) {
          if (!(isUnknown(last) || RETRYABLE.has(last.kind))) break;
          if (RETRYABLE.has(last.kind)) await new Promise((res) => setTimeout(res, 60));
          last = await submit(p, current);
          note(last);
        }
        if (!DONE.has(last.kind)) problems.push(`#${i} ${flavour} ${op}: ended ${JSON.stringify(last)}`);
        // A console that resumed another console's pending row (same key) also answers ok: not a second write.
        const okCount = results.filter((x) => x.kind === "ok" && !(x as { resumed?: boolean }).resumed).length;
        if (okCount > 1) problems.push(`#${i} ${flavour} ${op}: ${okCount} submissions answered ok`);
        for (const x of results) {
          if (!DONE.has(x.kind) && !isUnknown(x) && !RETRYABLE.has(x.kind))
            problems.push(`#${i} ${flavour} ${op}: unexpected ${JSON.stringify(x)}`);
        }
        await h.clearFaults();
        done.push({ p, customerId: customer.id, baseline, flavour });
      }

      // ---------------------------------------------------------- compare Commet and the audit trail
      let duplicates = 0;
      let lost = 0;
      const audit = createAuditLog(db);
      for (const [index, { p, customerId, baseline, flavour }] of done.entries()) {
        const tag = `#${index} ${flavour} ${p.op}`;
        if (p.refund) {
          // Commet refuses a second refund of a charge, so a duplicate shows as a second Idempotency-Key on
          // the refund route: exactly one key reached it; the charge is refunded; one finalized audit row.
          const keys = (
            ledger
              .prepare("SELECT COUNT(DISTINCT key) AS n FROM idempotency WHERE route = ?")
              .get(`POST /api/v1/transactions/${p.refund}/refund`) as { n: number }
          ).n;
          if (keys > 1) duplicates += keys - 1;
          if (keys !== 1) problems.push(`${tag}: ${keys} refund requests reached Commet`);
          const status = (await h.commet.transactions.get({ id: p.refund })).data?.status;
          if (status !== "refunded") problems.push(`${tag}: the charge is ${status}`);
          const rows = (await audit.list({ customerId }, { pageSize: 50, page: 1 })).rows.filter(
            (row) => row.idempotencyKey === p.key,
          );
          if (rows.length !== 1 || rows[0]!.status !== "succeeded" || rows[0]!.commetIds?.eventId !== p.refund) {
            if (rows.length > 1) duplicates += rows.length - 1;
            else lost += 1;
            problems.push(`${tag}: audit rows ${JSON.stringify(rows.map((row) => [row.status, row.commetIds]))}`);
          }
          continue;
        }
        const ledgerEvents = events(customerId) - baseline;
        if (ledgerEvents > 1) {
          duplicates += ledgerEvents - 1;
          problems.push(`${tag}: ${ledgerEvents} Commet events`);
        }
        if (ledgerEvents < 1) {
          lost += 1;
          problems.push(`${tag}: no Commet event`);
        }
        const seats = await h.seatCount(customerId);
        const usage = await h.usageTotal(customerId);
        const [wantSeats, wantUsage] = [p.expect.seats, p.expect.usage];
        const over =
          (p.op === "seats.add" && seats > wantSeats) ||
          (p.op === "seats.remove" && seats < wantSeats) ||
          (p.op === "usage.record" && usage > wantUsage);
        if (seats !== wantSeats || usage !== wantUsage) {
          if (over) duplicates += 1;
          else lost += 1;
          problems.push(
            `${tag}: Commet has seats=${seats} usage=${usage}, expected seats=${wantSeats} usage=${wantUsage}`,
          );
        }
        const rows = (await audit.list({ customerId }, { pageSize: 50, page: 1 })).rows.filter(
          (row) => row.idempotencyKey === p.key,
        );
        const finalized = rows.filter((row) => row.status === "succeeded");
        if (rows.length > 1 || finalized.length > 1) {
          duplicates += rows.length - 1;
          problems.push(`${tag}: ${rows.length} audit rows`);
        }
        if (finalized.length !== 1) {
          lost += 1;
          problems.push(`${tag}: audit rows ${JSON.stringify(rows.map((row) => row.status))}`);
        } else {
          const eventId = finalized[0]!.commetIds?.eventId;
          if (!eventId || !eventExists(eventId)) {
            lost += 1;
            problems.push(`${tag}: audit names Commet id ${eventId}, not in Commet`);
          }
        }
      }
      ledger.close();

      const elapsed = ((Date.now() - started) / 1000).toFixed(1);
      console.log(
        `reliability [${engine}] seed=${SEED} sequences=${done.length} elapsed=${elapsed}s\n` +
          `  flavours ${JSON.stringify(flavourCounts)}\n  answers ${JSON.stringify(kinds)}`,
      );
      console.log(`duplicates=${duplicates} lost=${lost}`);
      if (problems.length) console.log(problems.slice(0, 20).join("\n"));
      expect(done.length).toBeGreaterThanOrEqual(200);
      expect(problems).toEqual([]);
      expect(duplicates).toBe(0);
      expect(lost).toBe(0);
    },
  );
});

// ------------------------------------------------------------------ subscription writes

/**
 * The same fault flavours for the subscription writes: a cancellation at the period end (Pro) and an
 * upgrade Starter → Pro. Commet's ledger: the sandbox's webhook events of each subscription
 * (subscription.cancellation_scheduled / subscription.plan_changed, recorded for a registered endpoint)
 * and the upgrade's plan_change invoice — exactly one of each, and the state (scheduled / on Pro) in Commet.
 * RELIABILITY_SUB_SEQUENCES=<n> (default 200).
 */
const SUB_SEQUENCES = Number(process.env.RELIABILITY_SUB_SEQUENCES ?? 200);
type SubOp = "subscriptions.cancel" | "subscriptions.change_plan";
const SUB_ROUTE: Record<SubOp, string> = {
  "subscriptions.cancel": "POST /api/v1/subscriptions/*/cancel",
  "subscriptions.change_plan": "POST /api/v1/subscriptions/*/change-plan",
};
const SUB_EVENT: Record<SubOp, string> = {
  "subscriptions.cancel": "subscription.cancellation_scheduled",
  "subscriptions.change_plan": "subscription.plan_changed",
};

describe.each(ENGINES)("randomized exactly-once subscription writes [%s]", (engine) => {
  let database: ScratchDatabase;
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    database = await createScratchDatabase(engine);
    receiver = await startWebhookReceiver();
    // The sandbox records events only for a registered endpoint: they are the ledger below.
    await h.commet.webhooks.create({ url: receiver.url, events: Object.values(SUB_EVENT) });
  });
  afterAll(async () => {
    await database?.dispose();
    await receiver?.close();
  });

  it(
    `≥ ${SUB_SEQUENCES} seeded sequences of cancellations and plan changes under faults: duplicates=0 lost=0`,
    { timeout: TIME_CAP_MS + 30_000 },
    async () => {
      const r = prng(SEED + 1);
      const started = Date.now();
      const db = database.db;
      const consoles = {
        sdk: h.engine(db, { client: { retries: 2, timeout: 5_000 } }),
        plain: h.engine(db, { client: { retries: 0, timeout: 5_000 } }),
        other: h.engine(db, { client: { retries: 0, timeout: 5_000 } }),
      };
      const ledger = new Database(path.join(h.sandbox.dataDir, "sandbox.sqlite"), {
        readonly: true,
        fileMustExist: true,
      });
      const eventsOf = (type: string, subscriptionId: string) =>
        (
          ledger.prepare("SELECT payload FROM webhook_events WHERE type = ?").all(type) as Array<{ payload: string }>
        ).filter(
          (row) =>
            (JSON.parse(row.payload) as { data?: { subscriptionId?: string } }).data?.subscriptionId === subscriptionId,
        ).length;
      const planChangeInvoices = (subscriptionId: string) =>
        (
          ledger
            .prepare("SELECT COUNT(*) AS n FROM invoices WHERE subscription_id = ? AND invoice_type = 'plan_change'")
            .get(subscriptionId) as { n: number }
        ).n;
      const plan = (code: string) => h.catalog.plans.find((p) => p.code === code)!;

      const done: Array<{ op: SubOp; key: string; customerId: string; subscriptionId: string; flavour: Flavour }> = [];
      const flavourCounts: Record<string, number> = {};
      const kinds: Record<string, number> = {};
      const problems: string[] = [];

      for (let i = 0; i < SUB_SEQUENCES; i++) {
        if (Date.now() - started > TIME_CAP_MS) throw new Error(`time cap reached after ${i} sequences`);
        const flavour = pickFlavour(r, { resolver: true });
        flavourCounts[flavour] = (flavourCounts[flavour] ?? 0) + 1;
        const op = r.pick(["subscriptions.cancel", "subscriptions.change_plan"] as const);
        const { customer, subscription } = await subscribedCustomer(
          h.commet,
          plan(op === "subscriptions.cancel" ? "pro" : "starter"),
        );
        const key = newKey("rel-sub");
        const base = { customerId: customer.id, subscriptionId: subscription.id, idempotencyKey: key };
        const form =
          op === "subscriptions.cancel"
            ? { ...base, reasonCode: "too_expensive", reasonText: "reliability run" }
            : { ...base, currentPlanId: plan("starter").id, planId: plan("pro").id, reasonCode: "outgrew_plan" };
        const submit = (eng: WriteEngine, who = OPS) =>
          op === "subscriptions.cancel"
            ? scheduleCancellation({ ...who, form }, eng)
            : applyPlanChange({ ...who, form }, eng);
        const route = SUB_ROUTE[op];
        const fault = (rule: FaultRule) => h.faults([rule]);

        let current: WriteEngine = consoles.plain;
        const results: Array<{ kind: string }> = [];
        switch (flavour) {
          case "clean-double-submit":
            results.push(await submit(current), await submit(current, ADMIN));
            break;
          case "500-sdk":
            await fault({ route, errorStatus: r.pick([500, 503] as const), times: 1 });
            current = consoles.sdk;
            results.push(await submit(current));
            break;
          case "500-resubmit":
            await fault({ route, errorStatus: 500, times: r.int(1, 2) });
            results.push(await submit(current));
            break;
          case "drop-sdk":
            await fault({ route, applyThenDrop: true, times: 1 });
            current = consoles.sdk;
            results.push(await submit(current));
            break;
          case "drop-resubmit":
            await fault({ route, applyThenDrop: true, times: r.int(1, 2) });
            results.push(await submit(current));
            break;
          case "429-sdk":
            await fault({ route, rateLimit: { retryAfterSeconds: 1 }, times: 1 });
            current = consoles.sdk;
            results.push(await submit(current));
            break;
          case "429-resubmit":
            await fault({ route, rateLimit: { retryAfterSeconds: 1 }, times: r.int(1, 2) });
            results.push(await submit(current));
            break;
          case "parallel-same-console":
            await fault({ route, latencyMs: r.int(20, 80) });
            results.push(...(await Promise.all(Array.from({ length: r.int(2, 3) }, () => submit(current)))));
            break;
          case "parallel-two-consoles":
            await fault({ route, latencyMs: r.int(30, 90), times: 1 });
            results.push(
              ...(await Promise.all([submit(consoles.plain), submit(consoles.other, ADMIN), submit(consoles.plain)])),
            );
            break;
          case "crash-restart":
          case "crash-restart-then-500": {
            const crashing = h.engine(db, {
              client: { retries: 0 },
              hooks: {
                afterBegin: () => {
                  throw new SimulatedCrash();
                },
              },
            });
            await expect(submit(crashing)).rejects.toBeInstanceOf(SimulatedCrash);
            current = h.engine(db, { client: { retries: 0, timeout: 5_000 } });
            if (flavour === "crash-restart-then-500") await fault({ route, errorStatus: 500, times: 1 });
            const pending = await createAuditLog(db).findByIdempotencyKey(key);
            if (pending?.status !== "pending")
              problems.push(`#${i} ${flavour}: expected a pending row after the crash, got ${pending?.status}`);
            results.push(
              r.next() < 0.5 && pending ? await current.resolvePending(pending.id, OPS) : await submit(current),
            );
            break;
          }
          case "drop-resolver":
          case "500-resolver": {
            await fault(
              flavour === "drop-resolver"
                ? { route, applyThenDrop: true, times: 1 }
                : { route, errorStatus: 500, times: r.int(1, 2) },
            );
            results.push(await submit(current));
            const problem = await settleByResolvers(db, key, [consoles.plain, consoles.other]);
            if (problem) problems.push(`#${i} ${flavour} ${op}: ${problem}`);
            else results.push({ kind: "ok" });
            break;
          }
        }
        for (const x of results) kinds[x.kind] = (kinds[x.kind] ?? 0) + 1;

        let last = results.find((x) => DONE.has(x.kind)) ?? results.at(-1)!;
        for (let attempt = 0; !DONE.has(last.kind) && attempt < 6; attempt++) {
          if (!(isUnknown(last) || RETRYABLE.has(last.kind))) break;
          if (RETRYABLE.has(last.kind)) await new Promise((res) => setTimeout(res, 60));
          last = await submit(current);
          kinds[last.kind] = (kinds[last.kind] ?? 0) + 1;
        }
        if (!DONE.has(last.kind)) problems.push(`#${i} ${flavour} ${op}: ended ${JSON.stringify(last)}`);
        // A console that resumed another console's pending row (same key) also answers ok: not a second write.
        const okCount = results.filter((x) => x.kind === "ok" && !(x as { resumed?: boolean }).resumed).length;
        if (okCount > 1) problems.push(`#${i} ${flavour} ${op}: ${okCount} submissions answered ok`);
        for (const x of results) {
          if (!DONE.has(x.kind) && !isUnknown(x) && !RETRYABLE.has(x.kind))
            problems.push(`#${i} ${flavour} ${op}: unexpected ${JSON.stringify(x)}`);
        }
        await h.clearFaults();
        done.push({ op, key, customerId: customer.id, subscriptionId: subscription.id, flavour });
      }

      let duplicates = 0;
      let lost = 0;
      const audit = createAuditLog(db);
      for (const [index, { op, key, customerId, subscriptionId, flavour }] of done.entries()) {
        const tag = `#${index} ${flavour} ${op}`;
        const effects = [eventsOf(SUB_EVENT[op], subscriptionId)];
        if (op === "subscriptions.change_plan") effects.push(planChangeInvoices(subscriptionId));
        for (const n of effects) {
          if (n > 1) duplicates += n - 1;
          if (n < 1) lost += 1;
          if (n !== 1) problems.push(`${tag}: ${n} effects in Commet's ledger (events / invoices)`);
        }
        const s = (await h.commet.subscriptions.get({ id: subscriptionId })).data;
        const applied = op === "subscriptions.cancel" ? s?.cancelAtPeriodEnd === true : s?.plan.name === "Pro";
        if (!applied) {
          lost += 1;
          problems.push(`${tag}: not applied in Commet (${s?.plan.name}, cancelAtPeriodEnd=${s?.cancelAtPeriodEnd})`);
        }
        const rows = (await audit.list({ customerId }, { pageSize: 50, page: 1 })).rows.filter(
          (row) => row.idempotencyKey === key,
        );
        const finalized = rows.filter((row) => row.status === "succeeded");
        if (rows.length > 1) {
          duplicates += rows.length - 1;
          problems.push(`${tag}: ${rows.length} audit rows`);
        }
        if (finalized.length !== 1) {
          lost += 1;
          problems.push(`${tag}: audit rows ${JSON.stringify(rows.map((row) => row.status))}`);
        } else if (finalized[0]!.commetIds?.eventId !== subscriptionId) {
          lost += 1;
          problems.push(`${tag}: audit names Commet id ${finalized[0]!.commetIds?.eventId}, not ${subscriptionId}`);
        }
      }
      ledger.close();

      const elapsed = ((Date.now() - started) / 1000).toFixed(1);
      console.log(
        `reliability subscriptions [${engine}] seed=${SEED + 1} sequences=${done.length} elapsed=${elapsed}s\n` +
          `  flavours ${JSON.stringify(flavourCounts)}\n  answers ${JSON.stringify(kinds)}`,
      );
      console.log(`duplicates=${duplicates} lost=${lost}`);
      if (problems.length) console.log(problems.slice(0, 20).join("\n"));
      expect(done.length).toBeGreaterThanOrEqual(SUB_SEQUENCES);
      expect(problems).toEqual([]);
      expect(duplicates).toBe(0);
      expect(lost).toBe(0);
    },
  );
});

// ---------------------------------------------------------------- approved writes

const APPROVAL_SEQUENCES = Number(process.env.RELIABILITY_APPROVAL_SEQUENCES ?? 40);
const APPROVAL_FLAVOURS = ["clean", "500-run-again", "drop-resubmit", "two-approvers", "crash-run-again"] as const;
const APPROVED_OPS = ["seats.add", "seats.set", "seats.remove", "usage.record", "payments.refund"] as const;

describe.each(ENGINES)("randomized approved writes [%s]", (engine) => {
  let database: ScratchDatabase;
  beforeAll(async () => {
    database = await createScratchDatabase(engine);
  });
  afterAll(async () => {
    await database?.dispose();
  });

  it(
    `≥ ${APPROVAL_SEQUENCES} held writes approved under faults: duplicates=0 lost=0`,
    { timeout: TIME_CAP_MS + 30_000 },
    async () => {
      const r = prng(SEED + 2);
      const db = database.db;
      // A policy that holds every write of these kinds.
      const tables = approvalTables(db);
      const policy = await loadPolicy(tables);
      const now = Date.now();
      await saveRule(
        tables,
        ADMIN,
        "seats.change",
        { ...policy.rules["seats.change"], threshold: 0, second: null },
        now,
      );
      await saveRule(tables, ADMIN, "usage.record", { ...policy.rules["usage.record"], threshold: 0 }, now);
      await saveRule(tables, ADMIN, "payments.refund", { ...policy.rules["payments.refund"], threshold: 0 }, now);
      /** A console: its write engine (gated by its approvals) and its approvals over the same database. */
      const consoleWith = (
        client: { retries: number },
        hooks?: NonNullable<Parameters<typeof h.engine>[1]>["hooks"],
      ) => {
        const late: { approvals?: Approvals } = {};
        const writes = h.engine(db, {
          client: { ...client, timeout: 5_000 },
          hooks,
          gate: (spec, e) => late.approvals!.gate(spec, e),
        });
        late.approvals = createApprovals({ db, engine: writes });
        return { writes, approvals: late.approvals };
      };
      const a = consoleWith({ retries: 0 });
      const b = consoleWith({ retries: 0 });
      const ledger = new Database(path.join(h.sandbox.dataDir, "sandbox.sqlite"), {
        readonly: true,
        fileMustExist: true,
      });
      const events = (customerId: string) =>
        (ledger.prepare("SELECT COUNT(*) AS n FROM seat_events WHERE customer_id = ?").get(customerId) as { n: number })
          .n +
        (
          ledger.prepare("SELECT COUNT(*) AS n FROM usage_events WHERE customer_id = ?").get(customerId) as {
            n: number;
          }
        ).n;
      const problems: string[] = [];
      const done: Array<{ p: Planned; customerId: string; baseline: number; flavour: string; requestId: string }> = [];
      const outcomes: Record<string, number> = {};
      const APPROVER = {
        actor: { id: "staff-admin-approver", email: "approver@example.test" },
        role: "admin" as const,
      };
      const OTHER = { actor: { id: "staff-admin-other", email: "other@example.test" }, role: "admin" as const };

      for (let i = 0; i < APPROVAL_SEQUENCES; i++) {
        const flavour = r.pick(APPROVAL_FLAVOURS);
        const op = r.pick(APPROVED_OPS);
        const seats = r.int(8, 30);
        const customer = await h.customer(seats);
        const baseline = events(customer.id);
        const p = op === "payments.refund" ? await planRefund(customer, seats) : plan(r, op, customer, seats);
        const tag = `#${i} ${flavour} ${op}`;
        const route = writeRoute(op);
        // Held, twice (a double submission): one request, nothing sent.
        const [first, second] = [await submit(p, a.writes), await submit(p, a.writes)];
        if (first.kind !== "sent_for_approval" || second.kind !== "sent_for_approval") {
          problems.push(`${tag}: not held ${JSON.stringify([first, second])}`);
          continue;
        }
        const requestId = (first as { requestId: string }).requestId;
        if (events(customer.id) !== baseline) problems.push(`${tag}: a held write reached Commet`);
        const fingerprint = (await b.approvals.detail(requestId, APPROVER))?.fingerprint ?? "";
        const finished = (x: { kind: string; outcome?: string }) =>
          x.kind === "approved" && (x.outcome === "succeeded" || x.outcome === "already");
        let last: { kind: string; outcome?: string } = { kind: "none" };
        switch (flavour) {
          case "clean":
            last = await b.approvals.approve(requestId, APPROVER, { fingerprint });
            break;
          case "500-run-again":
          case "drop-resubmit":
            await h.faults([
              flavour === "500-run-again"
                ? { route, errorStatus: 500, times: 1 }
                : { route, applyThenDrop: true, times: 1 },
            ]);
            last = await b.approvals.approve(requestId, APPROVER, { fingerprint });
            outcomes[`${flavour}:${last.outcome ?? last.kind}`] =
              (outcomes[`${flavour}:${last.outcome ?? last.kind}`] ?? 0) + 1;
            if (!finished(last)) {
              // Outcome unknown: "run it again" on the request, or the requester submits the same form.
              const again =
                flavour === "500-run-again"
                  ? await b.approvals.executeApproved(requestId, OTHER)
                  : await submit(p, a.writes);
              last = DONE.has(again.kind) ? { kind: "approved", outcome: "already" } : (again as typeof last);
            }
            break;
          case "two-approvers": {
            await h.faults([{ route, latencyMs: r.int(20, 60), times: 1 }]);
            const both = await Promise.all([
              b.approvals.approve(requestId, APPROVER, { fingerprint }),
              a.approvals.approve(requestId, OTHER, { fingerprint }),
            ]);
            const wins = both.filter((x) => x.kind === "approved");
            if (wins.length !== 1) problems.push(`${tag}: ${wins.length} approvals won`);
            last = wins[0] ?? both[0]!;
            break;
          }
          case "crash-run-again": {
            const crashing = consoleWith(
              { retries: 0 },
              {
                afterBegin: () => {
                  throw new SimulatedCrash();
                },
              },
            );
            await expect(crashing.approvals.approve(requestId, APPROVER, { fingerprint })).rejects.toBeInstanceOf(
              SimulatedCrash,
            );
            last = await consoleWith({ retries: 0 }).approvals.executeApproved(requestId, OTHER); // restarted
            break;
          }
        }
        await h.clearFaults();
        if (!finished(last)) problems.push(`${tag}: ended ${JSON.stringify(last)}`);
        done.push({ p, customerId: customer.id, baseline, flavour, requestId });
      }

      let duplicates = 0;
      let lost = 0;
      const audit = createAuditLog(db);
      for (const { p, customerId, baseline, flavour, requestId } of done) {
        const tag = `${flavour} ${p.op} ${customerId}`;
        const rows = (await audit.list({ customerId }, { pageSize: 50, page: 1 })).rows.filter(
          (row) => row.idempotencyKey === p.key,
        );
        if (rows.length !== 1 || rows[0]!.status !== "succeeded") {
          if (rows.length > 1) duplicates += rows.length - 1;
          else lost += 1;
          problems.push(`${tag}: audit rows ${JSON.stringify(rows.map((row) => row.status))}`);
        }
        const request = await tables
          .selectFrom("approval_requests")
          .selectAll()
          .where("id", "=", requestId)
          .executeTakeFirst();
        if (request?.status !== "approved" || request.write_audit_id !== rows[0]?.id)
          problems.push(`${tag}: request ${request?.status} linked to ${request?.write_audit_id}`);
        if (p.refund) {
          const keys = (
            ledger
              .prepare("SELECT COUNT(DISTINCT key) AS n FROM idempotency WHERE route = ?")
              .get(`POST /api/v1/transactions/${p.refund}/refund`) as { n: number }
          ).n;
          if (keys > 1) duplicates += keys - 1;
          if ((await h.commet.transactions.get({ id: p.refund })).data?.status !== "refunded") lost += 1;
          continue;
        }
        const ledgerEvents = events(customerId) - baseline;
        if (ledgerEvents > 1) duplicates += ledgerEvents - 1;
        if (ledgerEvents < 1) lost += 1;
        const [seats, usage] = [await h.seatCount(customerId), await h.usageTotal(customerId)];
        if (seats !== p.expect.seats || usage !== p.expect.usage)
          problems.push(`${tag}: Commet has seats=${seats} usage=${usage}, expected ${JSON.stringify(p.expect)}`);
      }
      ledger.close();
      console.log(
        `reliability approved writes [${engine}] seed=${SEED + 2} sequences=${done.length}\n  first approvals under faults ${JSON.stringify(outcomes)}`,
      );
      console.log(`duplicates=${duplicates} lost=${lost}`);
      if (problems.length) console.log(problems.slice(0, 20).join("\n"));
      expect(done.length).toBe(APPROVAL_SEQUENCES);
      expect(problems).toEqual([]);
      expect(duplicates).toBe(0);
      expect(lost).toBe(0);
    },
  );
});
