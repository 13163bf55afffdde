/** Quotas: balances that count up and down within included amounts (quota.exceeded past them). */
import { z } from "zod";
import { type Handler, type RouteDef, nonEmpty, nonNegativeInt, pageArray, parse, positiveInt } from "../api.ts";
import { errors } from "../errors.ts";
import { newId } from "../ids.ts";
import { type PlanFeatureRow, type Sandbox, webhookCustomerId } from "../model.ts";
import { byCustomerFeature, byCustomerPaged } from "./entitlement-common.ts";

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
  sb.featureOfType(input.featureCode, "quota");
  const live = sb.liveContext((input.customerId ?? input.externalId)!);
  sb.planFeatureOrThrow(live.plan, input.featureCode);
  const previous = sb.quotaCount(live.customer.id, input.featureCode);
  const value = next(previous);
  const now = sb.clock.iso();
  sb.setBalance("quota_balances", live.customer.id, input.featureCode, value, now);
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

export const quotaRoutes: RouteDef[] = [
  [
    "GET",
    "/api/v1/usage/quota",
    ({ sb, query }) => {
      const input = parse(byCustomerFeature, query);
      sb.featureOfType(input.featureCode, "quota");
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
