/**
 * The overview's fast path (subscription_movements + grouped MRR) against the straightforward computation
 * (every stored payload parsed, every indexed subscription read) over a seeded set delivered through the real
 * intake, out of order and with redeliveries; again after the migration's backfill and after pruning.
 */
import { expect, it } from "vitest";
import type { PlanView } from "../../app/contracts/plans.ts";
import {
  activityWebhooks,
  listEventsOfTypes,
  pruneAccountEvents,
  SUBSCRIPTION_LIFECYCLE_TYPES,
} from "../activity/index.ts";
import { backfillSubscriptionMovements } from "../db/migrations/0015_subscription_movements.ts";
import { directoryWebhooks, indexedSubscriptionFacts } from "../directory/index.ts";
import { mulberry32 } from "../prng.ts";
import { closeDatabaseGracefully, describeEachEngine } from "../testing/db.ts";
import { planView, priceView, seatFeature } from "../testing/plans.ts";
import { offlineCommet, sign, webhookEnvelope } from "../testing/webhooks.ts";
import { handleCommetWebhook, webhookIntake } from "../webhooks/index.ts";
import { expectedOverageByPlan } from "./overage.ts";
import {
  loadRevenueOverview,
  monthsOf,
  movementOfEvent,
  movementsOf,
  mrrByPlan,
  type RevenueSources,
} from "./index.ts";

const SECRET = "whsec_test_revenue_rollup";
const intake = webhookIntake(directoryWebhooks, activityWebhooks);
const NOW = Date.parse("2026-11-21T12:00:00.000Z");
const DAY = 86_400_000;

// Yearly ÷ 12 and quarterly ÷ 3 give fractions, so summing order and rounding are exercised.
const PLANS: PlanView[] = [
  planView("pln_a", "pln_a", [priceView("monthly", 290_000, true)], [seatFeature(1, 50_000)]),
  planView(
    "pln_b",
    "pln_b",
    [priceView("monthly", 1_190_000, false), priceView("yearly", 11_870_000, true)],
    [seatFeature(3, 100_333)],
  ),
  planView(
    "pln_c",
    "pln_c",
    [priceView("quarterly", 1_000_001, true), priceView("monthly", 400_000, false)],
    [seatFeature(0, 70_001)],
  ),
];
const PLAN_IDS = ["pln_a", "pln_b", "pln_c", "pln_gone"];

/** ~60 subscriptions over 16 months: created, activated, plan changes, cancels, reactivations, odd payloads. */
function seededEnvelopes() {
  const rnd = mulberry32(7);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const out: Array<ReturnType<typeof webhookEnvelope>> = [];
  const at = (t: number) => ({ timestamp: new Date(t).toISOString() });
  for (let i = 0; i < 60; i++) {
    const sub = `sub_${i}`;
    const customerId = `cus_${i}`;
    let planId = pick(PLAN_IDS);
    let t = NOW - Math.floor(rnd() * 480) * DAY - Math.floor(rnd() * DAY);
    const status = i % 9 === 4 ? "trialing" : "active";
    const startDate = new Date(t).toISOString();
    const seats = { editor: Math.floor(rnd() * 6) };
    // One in seven: the creation was never received (the index still learns of it from a later event's sync).
    if (i % 7 !== 3)
      out.push(
        webhookEnvelope(
          "subscription.created",
          { subscriptionId: sub, customerId, planId, planName: planId, status, startDate, seats },
          at(t),
        ),
      );
    if (status === "active" && i % 5 !== 2)
      out.push(
        webhookEnvelope(
          "subscription.activated",
          { subscriptionId: sub, customerId, status: "active" },
          at(t + (i % 4 === 0 ? 0 : 1000)),
        ),
      );
    for (let k = 0; k < 3 && rnd() < 0.5; k++) {
      t += Math.floor(rnd() * 60) * DAY;
      const next = pick(PLAN_IDS);
      const odd = rnd();
      out.push(
        webhookEnvelope(
          "subscription.plan_changed",
          {
            subscriptionId: sub,
            customerId,
            // Sometimes without the previous plan (the known one stands in) or with a malformed one.
            ...(odd < 0.15
              ? {}
              : odd < 0.25
                ? { previousPlan: planId }
                : { previousPlan: { id: planId, name: planId } }),
            ...(odd > 0.95 ? {} : { currentPlan: { id: next, name: next } }),
            ...(rnd() < 0.6 ? { billingInterval: pick(["monthly", "yearly", "quarterly", "weekly"]) } : {}),
            credit: 0,
            charge: 0,
            totalCharged: 0,
          },
          at(t),
        ),
      );
      planId = next;
    }
    if (rnd() < 0.3) {
      t += Math.floor(rnd() * 90) * DAY;
      out.push(
        webhookEnvelope("subscription.canceled", { subscriptionId: sub, customerId, status: "canceled" }, at(t)),
      );
      if (rnd() < 0.4)
        out.push(
          webhookEnvelope(
            "subscription.reactivated",
            { subscriptionId: sub, customerId, status: "active" },
            at(t + 5 * DAY),
          ),
        );
    }
    if (rnd() < 0.2)
      out.push(
        webhookEnvelope(
          "seats.updated",
          { customerId, subscriptionId: sub, featureCode: "editor", previousSeats: 0, currentSeats: 7 },
          at(t + DAY),
        ),
      );
  }
  // Delivered in a shuffled order, a fifth of them twice.
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return [...out, ...out.filter(() => rnd() < 0.2)];
}

describeEachEngine("revenue overview: fast path equals the straightforward computation", (ctx) => {
  closeDatabaseGracefully(ctx);
  const noTransactions: NonNullable<RevenueSources["commet"]>["transactions"] = {
    list: (async () => ({ success: true, data: [], hasMore: false })) as never,
  };
  const sources = (): RevenueSources => ({
    database: ctx.database,
    plans: async () => PLANS,
    commet: { transactions: noTransactions },
    now: () => NOW,
  });

  /** What the overview computed before the movements table: every payload parsed, every row in JS. */
  async function straightforward(months: number) {
    const window = monthsOf(NOW, months);
    const from = Date.parse(`${window[0]}-01T00:00:00.000Z`);
    const facts = await indexedSubscriptionFacts(ctx.database);
    const events = await listEventsOfTypes(ctx.database, {
      types: SUBSCRIPTION_LIFECYCLE_TYPES,
      from,
      to: NOW + 1,
      limit: 50_000,
    });
    const planOf = new Map(facts.map((s) => [s.id, s.planId]));
    const overage = await expectedOverageByPlan(ctx.database, PLANS, NOW);
    return {
      mrr: mrrByPlan(
        facts.filter((s) => s.status === "active"),
        PLANS,
        overage,
      ),
      movements: movementsOf(events.map(movementOfEvent), window, PLANS, (id) => planOf.get(id) ?? null, facts),
    };
  }

  async function expectSame() {
    for (const months of [3, 6, 12] as const) {
      const fast = await loadRevenueOverview({ months }, sources());
      const slow = await straightforward(months);
      expect(fast.mrr).toEqual(slow.mrr);
      expect(fast.movements).toEqual(slow.movements);
    }
  }

  it("gives the same MRR by plan and movements, after intake, backfill and pruning", async () => {
    for (const envelope of seededEnvelopes()) {
      const rawBody = JSON.stringify(envelope);
      const answer = await handleCommetWebhook(ctx.database, {
        rawBody,
        signature: sign(rawBody, SECRET),
        secret: SECRET,
        commet: offlineCommet,
        intake,
        onError: () => {},
      });
      expect([envelope.event, answer.status, answer.body]).toEqual([envelope.event, 200, expect.anything()]);
    }
    const o = await loadRevenueOverview({ months: 12 }, sources());
    // The seeded set does move MRR, every way, and has unpriced subscriptions.
    const sum = (k: "new" | "expansion" | "contraction" | "churn") => o.movements.reduce((n, m) => n + m.counts[k], 0);
    expect([sum("new"), sum("expansion"), sum("contraction"), sum("churn")].every((n) => n > 0)).toBe(true);
    expect(o.mrr.unpriced).toBeGreaterThan(0);
    expect(o.mrr.plans.length).toBe(3);
    await expectSame();

    // The migration's backfill (SQL JSON functions) gives the rows the intake wrote.
    await backfillSubscriptionMovements(ctx.database.db, ctx.engine);
    await expectSame();

    // Pruning removes the narrow rows with their events.
    const pruned = await pruneAccountEvents(ctx.database, { retentionDays: 200, clock: () => NOW });
    expect(pruned).toBeGreaterThan(0);
    await expectSame();
  });
});
