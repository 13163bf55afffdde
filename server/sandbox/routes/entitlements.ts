import { z } from "zod";
import {
  type Handler,
  type RouteDef,
  nonEmpty,
  nonNegativeInt,
  pageArray,
  pageQuery,
  parse,
  positiveInt,
} from "../api.ts";
import { errors } from "../errors.ts";
import { newId } from "../ids.ts";
import {
  type CustomerRow,
  type FeatureRow,
  type PlanFeatureRow,
  type PlanRow,
  type Sandbox,
  type SubscriptionRow,
  usageRecordedData,
  webhookCustomerId,
} from "../model.ts";

/** featureAccess, seats, usage and quota: everything that reads or moves a customer's entitlements. */

interface Live {
  customer: CustomerRow;
  sub: SubscriptionRow;
  plan: PlanRow;
}

/** Metered overage is allowed by the plan, except during a trial ("blocked at included limits"). */
function usageOverage(sub: SubscriptionRow, pf: PlanFeatureRow): boolean {
  return pf.overage_enabled === 1 && sub.status !== "trialing";
}

function featureAccess(sb: Sandbox, live: Live, f: FeatureRow, pf: PlanFeatureRow | undefined) {
  const base = { code: f.code, name: f.name, type: f.type };
  const enabled = pf !== undefined && pf.enabled === 1;
  if (!pf || !enabled || f.type === "boolean") {
    return { ...base, allowed: enabled, enabled, object: "feature" as const, livemode: false };
  }
  if (f.type === "usage" && live.plan.consumption_model === "credits") {
    const remaining = live.sub.credits_remaining ?? 0;
    const perUnit = pf.credits_per_unit ?? 1;
    return {
      ...base,
      allowed: remaining >= perUnit || live.plan.block_on_exhaustion !== 1,
      enabled,
      current: sb.usageTotal(live.sub, f.code),
      included: live.plan.included_credits ?? 0,
      remaining,
      unlimited: false,
      overageEnabled: false,
      object: "feature" as const,
      livemode: false,
    };
  }
  const current =
    f.type === "usage"
      ? sb.usageTotal(live.sub, f.code)
      : f.type === "seats"
        ? sb.seatCount(live.customer.id, f.code)
        : sb.quotaCount(live.customer.id, f.code);
  const included = pf.included ?? 0;
  const unlimited = pf.unlimited === 1;
  const overageEnabled = f.type === "usage" ? usageOverage(live.sub, pf) : pf.overage_enabled === 1;
  const overageQuantity = unlimited ? 0 : Math.max(0, current - included);
  return {
    ...base,
    allowed: unlimited || overageEnabled || current < included,
    enabled,
    current,
    included,
    remaining: unlimited ? 0 : Math.max(0, included - current),
    overageQuantity,
    ...(pf.overage_unit_price !== null ? { overageUnitPrice: pf.overage_unit_price } : {}),
    unlimited,
    overageEnabled,
    billedQuantity: overageEnabled ? overageQuantity : 0,
    object: "feature" as const,
    livemode: false,
  };
}

function resolveLive(sb: Sandbox, customerRef: string): Live | { customer: CustomerRow; sub: null } {
  const customer = sb.customer(customerRef);
  const sub = sb.liveSubscription(customer.id);
  if (!sub) return { customer, sub: null };
  return { customer, sub, plan: sb.catalog.plansById.get(sub.plan_id)! };
}

// ---------------------------------------------------------------- seats

function seatFeature(sb: Sandbox, code: string): FeatureRow {
  const f = sb.feature(code);
  if (f.type !== "seats") throw errors.featureNotFound(code);
  return f;
}

function seatEvent(sb: Sandbox, live: Live, code: string, next: number, object: "seat" = "seat") {
  const previous = sb.seatCount(live.customer.id, code);
  const now = sb.clock.iso();
  const id = newId("seat");
  sb.q(
    `INSERT INTO seat_balances (customer_id, feature_code, count, updated_at) VALUES (?, ?, ?, ?)
     ON CONFLICT(customer_id, feature_code) DO UPDATE SET count = excluded.count, updated_at = excluded.updated_at`,
  ).run(live.customer.id, code, next, now);
  sb.q(
    "INSERT INTO seat_events (id, customer_id, feature_code, previous_balance, new_balance, ts, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
  ).run(id, live.customer.id, code, previous, next, now, now);
  const customerRef = webhookCustomerId(live.customer);
  sb.emit("seats.updated", {
    customerId: customerRef,
    subscriptionId: live.sub.id,
    featureCode: code,
    previousSeats: previous,
    currentSeats: next,
  });
  const pf = sb.catalog.planFeature(live.plan.id, code);
  const included = pf?.included ?? 0;
  if (pf && !pf.unlimited && included > 0 && previous < included && next >= included) {
    sb.emit("seats.limit_reached", {
      customerId: customerRef,
      subscriptionId: live.sub.id,
      featureCode: code,
      currentSeats: next,
      includedSeats: included,
    });
  }
  return {
    id,
    customerId: live.customer.id,
    featureCode: code,
    previousBalance: previous,
    newBalance: next,
    ts: now,
    createdAt: now,
    object,
    livemode: false,
  };
}

const seatChange = z.object({ customerId: nonEmpty, featureCode: nonEmpty, count: positiveInt });
const seatSet = z.object({ customerId: nonEmpty, featureCode: nonEmpty, count: nonNegativeInt });
const seatBulk = z.object({
  customerId: nonEmpty,
  seats: z.record(z.string().min(1), nonNegativeInt).refine((r) => Object.keys(r).length > 0, "At least one seat type"),
});
const byCustomer = z.object({ customerId: nonEmpty });
const byCustomerPaged = z.object({ customerId: nonEmpty, ...pageQuery });
const byCustomerFeature = z.object({ customerId: nonEmpty, featureCode: nonEmpty });

function seatMutation(sb: Sandbox, input: { customerId: string; featureCode: string }) {
  seatFeature(sb, input.featureCode);
  const live = sb.liveContext(input.customerId);
  sb.planFeatureOrThrow(live.plan, input.featureCode);
  return live;
}

/** add / set / remove: validate, then move the balance to next(current) in one transaction. */
function seatWrite<S extends typeof seatChange | typeof seatSet>(
  schema: S,
  next: (current: number, input: z.infer<S>) => number,
): Handler {
  return ({ sb, body }) => {
    const input = parse(schema, body) as z.infer<S>;
    return {
      data: sb.tx(() => {
        const live = seatMutation(sb, input);
        return seatEvent(sb, live, input.featureCode, next(sb.seatCount(live.customer.id, input.featureCode), input));
      }),
    };
  };
}

// ---------------------------------------------------------------- usage

const trackSchema = z
  .object({
    feature: nonEmpty.optional(),
    featureCode: nonEmpty.optional(),
    customerId: nonEmpty,
    idempotencyKey: z.string().min(1).max(255).optional(),
    eventId: z.string().min(1).max(255).optional(),
    timestamp: z.iso.datetime({ offset: true }).optional(),
    properties: z
      .array(z.object({ property: nonEmpty, value: z.string() }))
      .max(50)
      .optional(),
    value: z.number().positive().optional(),
    model: nonEmpty.optional(),
    inputTokens: nonNegativeInt.optional(),
    outputTokens: nonNegativeInt.optional(),
    cacheReadTokens: nonNegativeInt.optional(),
    cacheWriteTokens: nonNegativeInt.optional(),
  })
  .refine((v) => Boolean(v.feature ?? v.featureCode), { message: "Required", path: ["feature"] })
  .refine((v) => !v.model || (v.inputTokens !== undefined && v.outputTokens !== undefined), {
    message: "model requires inputTokens and outputTokens",
    path: ["inputTokens"],
  })
  .refine((v) => !(v.model && v.value !== undefined), {
    message: "value cannot be combined with model",
    path: ["value"],
  });

const checkSchema = z.object({
  customerId: nonEmpty,
  featureCode: nonEmpty,
  quantity: z.number().positive().default(1),
});
const setUsageSchema = z
  .object({
    customerId: nonEmpty,
    feature: nonEmpty.optional(),
    featureCode: nonEmpty.optional(),
    value: z.number().min(0),
    idempotencyKey: z.string().min(1).max(255).optional(),
    reason: z.string().max(500).optional(),
  })
  .refine((v) => Boolean(v.feature ?? v.featureCode), { message: "Required", path: ["feature"] });

/** Order of checks: unknown feature → customer → live subscription → feature in plan → usage type. */
function usageContext(sb: Sandbox, customerRef: string, code: string, param: string): Live & { pf: PlanFeatureRow } {
  const f = sb.feature(code, param);
  const live = sb.liveContext(customerRef);
  const pf = sb.planFeatureOrThrow(live.plan, code);
  if (f.type !== "usage") {
    throw errors.validation(`Feature '${code}' is a ${f.type} feature, not a usage feature.`, [
      { field: param, message: "Not a usage feature" },
    ]);
  }
  return { ...live, pf };
}

function addUsage(sb: Sandbox, sub: SubscriptionRow, code: string, delta: number, absolute = false): void {
  sb.q(
    `INSERT INTO usage_totals (subscription_id, feature_code, period_start, total) VALUES (?, ?, ?, ?)
     ON CONFLICT(subscription_id, feature_code) DO UPDATE SET
       total = CASE WHEN ? = 0 AND period_start = excluded.period_start THEN total + excluded.total ELSE excluded.total END,
       period_start = excluded.period_start`,
  ).run(sub.id, code, sub.period_start ?? sub.start_date, delta, absolute ? 1 : 0);
}

// ---------------------------------------------------------------- quota

const quotaChange = z
  .object({
    customerId: nonEmpty.optional(),
    externalId: nonEmpty.optional(),
    featureCode: nonEmpty,
    count: positiveInt.default(1),
    idempotencyKey: z.string().min(1).max(255).optional(),
  })
  .refine((v) => Boolean(v.customerId) !== Boolean(v.externalId), {
    message: "Provide exactly one of customerId or externalId",
    path: ["customerId"],
  });
const quotaSet = z
  .object({
    customerId: nonEmpty.optional(),
    externalId: nonEmpty.optional(),
    featureCode: nonEmpty,
    count: nonNegativeInt,
    idempotencyKey: z.string().min(1).max(255).optional(),
  })
  .refine((v) => Boolean(v.customerId) !== Boolean(v.externalId), {
    message: "Provide exactly one of customerId or externalId",
    path: ["customerId"],
  });

function quotaFeature(sb: Sandbox, code: string): FeatureRow {
  const f = sb.feature(code);
  if (f.type !== "quota") throw errors.featureNotFound(code);
  return f;
}

function quotaOut(sb: Sandbox, customerId: string, pf: PlanFeatureRow) {
  const current = sb.quotaCount(customerId, pf.feature_code);
  const row = sb
    .q("SELECT updated_at FROM quota_balances WHERE customer_id = ? AND feature_code = ?")
    .get(customerId, pf.feature_code) as { updated_at: string } | undefined;
  const included = pf.included ?? 0;
  const unlimited = pf.unlimited === 1;
  return {
    featureCode: pf.feature_code,
    current,
    included,
    remaining: unlimited ? null : Math.max(0, included - current),
    billedQuantity: pf.overage_enabled && !unlimited ? Math.max(0, current - included) : 0,
    unlimited,
    overageEnabled: pf.overage_enabled === 1,
    asOf: row?.updated_at ?? null,
    object: "usage_quota" as const,
    livemode: false,
  };
}

function quotaMutation(
  sb: Sandbox,
  input: { customerId?: string | undefined; externalId?: string | undefined; featureCode: string },
  next: (current: number) => number,
) {
  quotaFeature(sb, input.featureCode);
  const live = sb.liveContext((input.customerId ?? input.externalId)!);
  sb.planFeatureOrThrow(live.plan, input.featureCode);
  const previous = sb.quotaCount(live.customer.id, input.featureCode);
  const value = next(previous);
  const now = sb.clock.iso();
  sb.q(
    `INSERT INTO quota_balances (customer_id, feature_code, count, updated_at) VALUES (?, ?, ?, ?)
     ON CONFLICT(customer_id, feature_code) DO UPDATE SET count = excluded.count, updated_at = excluded.updated_at`,
  ).run(live.customer.id, input.featureCode, value, now);
  const pf = sb.catalog.planFeature(live.plan.id, input.featureCode)!;
  const included = pf.included ?? 0;
  if (!pf.unlimited && included > 0 && previous <= included && value > included) {
    sb.emit("quota.exceeded", {
      subscriptionId: live.sub.id,
      customerId: webhookCustomerId(live.customer),
      featureCode: input.featureCode,
      currentUsage: value,
      includedAmount: included,
      overageEnabled: pf.overage_enabled === 1,
      periodStart: live.sub.period_start ?? live.sub.start_date,
    });
  }
  return {
    id: newId("qevt"),
    customerId: live.customer.id,
    featureCode: input.featureCode,
    previousBalance: previous,
    newBalance: value,
    ts: now,
    createdAt: now,
    object: "usage_quota" as const,
    livemode: false,
  };
}

function quotaWrite<S extends typeof quotaChange | typeof quotaSet>(
  schema: S,
  next: (current: number, input: z.infer<S>) => number,
): Handler {
  return ({ sb, body }) => {
    const input = parse(schema, body) as z.infer<S>;
    return { data: sb.tx(() => quotaMutation(sb, input, (c) => next(c, input))) };
  };
}

// ---------------------------------------------------------------- routes

export const entitlementRoutes: RouteDef[] = [
  [
    "GET",
    "/api/v1/feature-access",
    ({ sb, query }) => {
      const q = parse(byCustomerPaged, query);
      const live = sb.liveContext(q.customerId);
      const items = [...(sb.catalog.planFeatures.get(live.plan.id)?.values() ?? [])].map((pf) =>
        featureAccess(sb, live, sb.catalog.featuresByCode.get(pf.feature_code)!, pf),
      );
      return pageArray(items, q);
    },
  ],
  [
    "GET",
    "/api/v1/feature-access/:code",
    ({ sb, params, query }) => {
      const q = parse(z.object({ customerId: nonEmpty, action: z.enum(["canUse"]).optional() }), query);
      const f = sb.feature(params.code!, "code");
      const live = resolveLive(sb, q.customerId);
      if (!live.sub) {
        return {
          data: {
            allowed: false,
            code: f.code,
            name: f.name,
            type: f.type,
            reason: "no_active_subscription",
            object: "feature",
            livemode: false,
          },
        };
      }
      const l = live as Live;
      const pf = sb.catalog.planFeature(l.plan.id, f.code);
      const access: Record<string, unknown> = featureAccess(sb, l, f, pf);
      if (!pf || !pf.enabled) access.reason = "feature_not_in_plan";
      if (q.action === "canUse" && pf && pf.enabled && f.type !== "boolean") {
        const current = typeof access.current === "number" ? access.current : 0;
        const included = typeof access.included === "number" ? access.included : 0;
        if (l.plan.consumption_model === "credits" && f.type === "usage") {
          access.willBeCharged = true;
          if (!access.allowed) access.reason = "insufficient_credits";
        } else {
          const unlimited = pf.unlimited === 1;
          const overage = f.type === "usage" ? usageOverage(l.sub, pf) : pf.overage_enabled === 1;
          access.allowed = unlimited || current + 1 <= included || overage;
          access.willBeCharged = !unlimited && current + 1 > included && overage;
          if (!access.allowed) access.reason = "included_limit_reached";
        }
      }
      return { data: access };
    },
  ],

  // seats
  ["POST", "/api/v1/seats", seatWrite(seatChange, (current, input) => current + input.count)],
  ["PUT", "/api/v1/seats", seatWrite(seatSet, (_current, input) => input.count)],
  [
    "DELETE",
    "/api/v1/seats",
    seatWrite(seatChange, (current, input) => {
      if (input.count > current) throw errors.insufficientSeats(input.featureCode, current, input.count);
      return current - input.count;
    }),
  ],
  [
    "PUT",
    "/api/v1/seats/bulk",
    ({ sb, body }) => {
      const input = parse(seatBulk, body);
      return {
        data: sb.tx(() => {
          const entries = Object.entries(input.seats);
          entries.forEach(([code]) => seatFeature(sb, code));
          const live = sb.liveContext(input.customerId);
          entries.forEach(([code]) => sb.planFeatureOrThrow(live.plan, code));
          return entries.map(([code, count]) => {
            const { customerId: _c, ...rest } = seatEvent(sb, live, code, count);
            return rest;
          });
        }),
      };
    },
  ],
  [
    "GET",
    "/api/v1/seats/balance",
    ({ sb, query }) => {
      const input = parse(byCustomerFeature, query);
      seatFeature(sb, input.featureCode);
      const c = sb.customer(input.customerId);
      const row = sb
        .q("SELECT count, updated_at FROM seat_balances WHERE customer_id = ? AND feature_code = ?")
        .get(c.id, input.featureCode) as { count: number; updated_at: string } | undefined;
      return {
        data: { current: row?.count ?? 0, asOf: row?.updated_at ?? sb.clock.iso(), object: "seat", livemode: false },
      };
    },
  ],
  [
    "GET",
    "/api/v1/seats/balances",
    ({ sb, query }) => {
      const { customerId } = parse(byCustomer, query);
      const c = sb.customer(customerId);
      const live = sb.liveSubscription(c.id);
      const balances: Record<string, { current: number; asOf: string }> = {};
      const rows = sb
        .q("SELECT feature_code, count, updated_at FROM seat_balances WHERE customer_id = ?")
        .all(c.id) as Array<{
        feature_code: string;
        count: number;
        updated_at: string;
      }>;
      if (live) {
        for (const pf of sb.catalog.planFeatures.get(live.plan_id)?.values() ?? []) {
          if (sb.catalog.featuresByCode.get(pf.feature_code)?.type === "seats" && pf.enabled) {
            balances[pf.feature_code] = { current: 0, asOf: live.start_date };
          }
        }
      }
      for (const r of rows) balances[r.feature_code] = { current: r.count, asOf: r.updated_at };
      return { data: { balances, object: "seat", livemode: false } };
    },
  ],

  // usage
  [
    "POST",
    "/api/v1/usage/events",
    ({ sb, body }) => {
      const input = parse(trackSchema, body);
      const code = (input.feature ?? input.featureCode)!;
      const eventKey = input.idempotencyKey ?? input.eventId;
      const value =
        input.model !== undefined
          ? (input.inputTokens ?? 0) +
            (input.outputTokens ?? 0) +
            (input.cacheReadTokens ?? 0) +
            (input.cacheWriteTokens ?? 0)
          : (input.value ?? 1);
      return {
        status: 201,
        data: sb.tx(() => {
          const live = usageContext(sb, input.customerId, code, "feature");
          const pf = live.pf;
          if (eventKey && sb.q("SELECT 1 FROM usage_events WHERE idempotency_key = ?").get(eventKey)) {
            throw errors.duplicate(
              `A usage event with idempotencyKey '${eventKey}' was already recorded.`,
              "idempotencyKey",
            );
          }
          if (live.plan.consumption_model === "credits") {
            const cost = value * (pf.credits_per_unit ?? 1);
            const remaining = live.sub.credits_remaining ?? 0;
            if (cost > remaining && live.plan.block_on_exhaustion === 1) {
              throw errors.insufficientCredits({ required: cost, remaining });
            }
            sb.q("UPDATE subscriptions SET credits_remaining = ? WHERE id = ?").run(
              Math.max(0, remaining - cost),
              live.sub.id,
            );
          } else if (!pf.unlimited && !usageOverage(live.sub, pf)) {
            const current = sb.usageTotal(live.sub, code);
            const included = pf.included ?? 0;
            if (current + value > included) {
              throw errors.includedLimitReached(code, { included, current, requested: value });
            }
          }
          const now = sb.clock.iso();
          const ts = input.timestamp ? new Date(input.timestamp).toISOString() : now;
          const id = newId("evt");
          const props = input.properties ?? [];
          sb.q(
            `INSERT INTO usage_events (id, customer_id, subscription_id, feature_code, value, kind, idempotency_key, properties, ts, created_at)
             VALUES (?, ?, ?, ?, ?, 'track', ?, ?, ?, ?)`,
          ).run(
            id,
            live.customer.id,
            live.sub.id,
            code,
            value,
            eventKey ?? null,
            props.length ? JSON.stringify(props) : null,
            ts,
            now,
          );
          addUsage(sb, live.sub, code, value);
          sb.emit(
            "usage.recorded",
            usageRecordedData({ id, subscription_id: live.sub.id, feature_code: code, value, ts }, live.customer),
          );
          const out: Record<string, unknown> = {
            id,
            object: "usage_event",
            livemode: false,
            organizationId: sb.organizationId,
            customerId: live.customer.id,
            feature: code,
          };
          if (eventKey) out.idempotencyKey = eventKey;
          out.ts = ts;
          if (props.length) {
            out.properties = props.map((p) => ({
              id: newId("uprop"),
              usageEventId: id,
              property: p.property,
              value: p.value,
              createdAt: now,
            }));
          }
          out.createdAt = now;
          return out;
        }),
      };
    },
  ],
  [
    "POST",
    "/api/v1/usage/check",
    ({ sb, body }) => {
      const input = parse(checkSchema, body);
      const live = usageContext(sb, input.customerId, input.featureCode, "featureCode");
      const pf = live.pf;
      const current = sb.usageTotal(live.sub, input.featureCode);
      const base = { feature: input.featureCode, quantity: input.quantity, current };
      if (live.plan.consumption_model === "credits") {
        const perUnit = pf.credits_per_unit ?? 1;
        const estimated = perUnit * input.quantity;
        const total = live.sub.credits_remaining ?? 0;
        const allowed = estimated <= total || live.plan.block_on_exhaustion !== 1;
        return {
          data: {
            allowed,
            consumptionModel: "credits",
            ...base,
            creditsPerUnit: perUnit,
            estimatedCredits: estimated,
            planCredits: Math.max(0, total - live.sub.credits_purchased),
            purchasedCredits: live.sub.credits_purchased,
            totalCredits: total,
            blockOnExhaustion: live.plan.block_on_exhaustion === 1,
            ...(allowed
              ? {}
              : { reason: "insufficient_credits", message: `Requires ${estimated} credits; ${total} remaining.` }),
          },
        };
      }
      const included = pf.included ?? 0;
      const unlimited = pf.unlimited === 1;
      const overageEnabled = usageOverage(live.sub, pf);
      const allowed = unlimited || overageEnabled || current + input.quantity <= included;
      const overQty = unlimited ? 0 : Math.max(0, current + input.quantity - Math.max(included, current));
      return {
        data: {
          allowed,
          consumptionModel: "metered",
          ...base,
          remaining: unlimited ? 0 : Math.max(0, included - current),
          unlimited,
          included,
          overageEnabled,
          overageUnitPrice: pf.overage_unit_price,
          ...(overageEnabled && pf.overage_unit_price !== null
            ? { unitPrice: pf.overage_unit_price, estimatedAmount: overQty * pf.overage_unit_price, currency: "USD" }
            : {}),
          ...(allowed
            ? {}
            : {
                reason: "included_limit_reached",
                message: `Exceeds the ${included} included units; overage is disabled.`,
              }),
        },
      };
    },
  ],
  [
    "PUT",
    "/api/v1/usage",
    ({ sb, body }) => {
      const input = parse(setUsageSchema, body);
      const code = (input.feature ?? input.featureCode)!;
      return {
        data: sb.tx(() => {
          const live = usageContext(sb, input.customerId, code, "feature");
          if (
            input.idempotencyKey &&
            sb.q("SELECT 1 FROM usage_events WHERE idempotency_key = ?").get(input.idempotencyKey)
          ) {
            throw errors.duplicate(
              `A usage event with idempotencyKey '${input.idempotencyKey}' was already recorded.`,
              "idempotencyKey",
            );
          }
          const previous = sb.usageTotal(live.sub, code);
          const adjustment = input.value - previous;
          const now = sb.clock.iso();
          const id = newId("evt");
          sb.q(
            `INSERT INTO usage_events (id, customer_id, subscription_id, feature_code, value, kind, idempotency_key, properties, ts, created_at)
             VALUES (?, ?, ?, ?, ?, 'set', ?, ?, ?, ?)`,
          ).run(
            id,
            live.customer.id,
            live.sub.id,
            code,
            adjustment,
            input.idempotencyKey ?? null,
            input.reason ? JSON.stringify([{ property: "reason", value: input.reason }]) : null,
            now,
            now,
          );
          addUsage(sb, live.sub, code, input.value, true);
          // The adjustment is a usage event like any other ("fired for every processed usage event"): its value is
          // the signed difference, so a listener summing usage.recorded stays equal to the period's counter.
          sb.emit(
            "usage.recorded",
            usageRecordedData(
              { id, subscription_id: live.sub.id, feature_code: code, value: adjustment, ts: now },
              live.customer,
            ),
          );
          return {
            id,
            feature: code,
            value: input.value,
            previousValue: previous,
            adjustment,
            customerId: live.customer.id,
            idempotencyKey: input.idempotencyKey ?? null,
            reason: input.reason ?? null,
            ts: now,
            createdAt: now,
            object: "usage_event",
            livemode: false,
          };
        }),
      };
    },
  ],

  // quota
  [
    "GET",
    "/api/v1/usage/quota",
    ({ sb, query }) => {
      const input = parse(byCustomerFeature, query);
      quotaFeature(sb, input.featureCode);
      const live = sb.liveContext(input.customerId);
      const pf = sb.planFeatureOrThrow(live.plan, input.featureCode);
      return { data: quotaOut(sb, live.customer.id, pf) };
    },
  ],
  [
    "GET",
    "/api/v1/usage/quota/all",
    ({ sb, query }) => {
      const q = parse(byCustomerPaged, query);
      const live = sb.liveContext(q.customerId);
      const items = [...(sb.catalog.planFeatures.get(live.plan.id)?.values() ?? [])]
        .filter((pf) => pf.enabled && sb.catalog.featuresByCode.get(pf.feature_code)?.type === "quota")
        .map((pf) => quotaOut(sb, live.customer.id, pf));
      return pageArray(items, q);
    },
  ],
  ["POST", "/api/v1/usage/quota", quotaWrite(quotaChange, (current, input) => current + input.count)],
  ["PUT", "/api/v1/usage/quota", quotaWrite(quotaSet, (_current, input) => input.count)],
  [
    "DELETE",
    "/api/v1/usage/quota",
    quotaWrite(quotaChange, (current, input) => {
      if (input.count > current) throw errors.insufficientBalance(input.featureCode, current, input.count);
      return current - input.count;
    }),
  ],
];
