/** Usage: track events (metered or credits), check before use, and set a period total (a signed adjustment). */
import { z } from "zod";
import { type RouteDef, nonEmpty, nonNegativeInt, parse } from "../api.ts";
import { errors } from "../errors.ts";
import { newId } from "../ids.ts";
import { type PlanFeatureRow, type Sandbox, type SubscriptionRow, usageRecordedData } from "../model.ts";
import { type Live, usageOverage } from "./entitlement-common.ts";

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

function assertNewUsageKey(sb: Sandbox, key: string | undefined): void {
  if (key && sb.q("SELECT 1 FROM usage_events WHERE idempotency_key = ?").get(key)) {
    throw errors.duplicate(`A usage event with idempotencyKey '${key}' was already recorded.`, "idempotencyKey");
  }
}

interface UsageEventInput {
  kind: "track" | "set";
  code: string;
  /** The event's value: the tracked quantity, or a correction's signed adjustment. */
  value: number;
  idempotencyKey: string | null;
  /** JSON array of { property, value }, or null. */
  properties: string | null;
  ts: string;
  now: string;
}

/** Stores one usage event, moves the period total (`total`, added or `absolute`) and emits usage.recorded. */
function recordUsageEvent(sb: Sandbox, live: Live, e: UsageEventInput, total: number, absolute = false): string {
  const id = newId("evt");
  sb.q(
    `INSERT INTO usage_events (id, customer_id, subscription_id, feature_code, value, kind, idempotency_key, properties, ts, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(id, live.customer.id, live.sub.id, e.code, e.value, e.kind, e.idempotencyKey, e.properties, e.ts, e.now);
  addUsage(sb, live.sub, e.code, total, absolute);
  sb.emit(
    "usage.recorded",
    usageRecordedData(
      { id, subscription_id: live.sub.id, feature_code: e.code, value: e.value, ts: e.ts },
      live.customer,
    ),
  );
  return id;
}

export const usageRoutes: RouteDef[] = [
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
          assertNewUsageKey(sb, eventKey);
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
          const props = input.properties ?? [];
          const id = recordUsageEvent(
            sb,
            live,
            {
              kind: "track",
              code,
              value,
              idempotencyKey: eventKey ?? null,
              properties: props.length ? JSON.stringify(props) : null,
              ts,
              now,
            },
            value,
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
          assertNewUsageKey(sb, input.idempotencyKey);
          const previous = sb.usageTotal(live.sub, code);
          const adjustment = input.value - previous;
          const now = sb.clock.iso();
          // The adjustment is a usage event like any other ("fired for every processed usage event"): its value is
          // the signed difference, so a listener summing usage.recorded stays equal to the period's counter.
          const id = recordUsageEvent(
            sb,
            live,
            {
              kind: "set",
              code,
              value: adjustment,
              idempotencyKey: input.idempotencyKey ?? null,
              properties: input.reason ? JSON.stringify([{ property: "reason", value: input.reason }]) : null,
              ts: now,
              now,
            },
            input.value,
            true,
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
];
