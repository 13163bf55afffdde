/**
 * Manual usage under the four-eyes policy (server/approvals): an event above the rule's quantity, and a
 * period-total correction that lowers usage, are held; the approver's preview reads the total now.
 */
import type { ApprovalPreview } from "../../app/contracts/approvals.ts";
import { formatQuantity } from "../../app/contracts/format.ts";
import { defineApprovable } from "../approvals/index.ts";
import { loadBillingContext } from "../billing/index.ts";
import type { CommetRequest, WriteEngine, WriteSpec } from "../writes/index.ts";
import { usageRecordWrite, usageSetWrite } from "./write-actions.ts";

interface UsageParams {
  customerId: string;
  feature: string;
  value: number;
  timestamp?: string;
}

async function currentTotal(engine: WriteEngine, customerId: string, feature: string): Promise<number> {
  const access = await engine.commet().featureAccess.get({ code: feature, customerId });
  return access.data?.current ?? 0;
}

async function usagePreview(
  spec: WriteSpec<CommetRequest>,
  engine: WriteEngine,
  kind: "record" | "set",
): Promise<ApprovalPreview> {
  const params = spec.request.params as unknown as UsageParams;
  const loaded = await loadBillingContext(engine.commet(), params.customerId);
  if (!loaded.ok) {
    return {
      summary: `${params.feature}: ${kind === "record" ? "+" : "="} ${formatQuantity(params.value)}`,
      facts: [{ label: "Subscription", value: "none active" }],
      blocked: "The customer has no active subscription any more: there is no period to record usage in",
    };
  }
  const { context } = loaded;
  const now = await currentTotal(engine, params.customerId, params.feature);
  const after = kind === "record" ? now + params.value : params.value;
  const period = context.subscription.currentPeriod;
  const periodText = period ? `${period.start.slice(0, 10)} → ${period.end.slice(0, 10)}` : "none";
  const facts = [
    { label: "Plan", value: `${context.plan.name} (${context.subscription.status})` },
    { label: "Feature", value: params.feature },
    { label: "Period", value: periodText },
    { label: "Period total now", value: formatQuantity(now) },
    {
      label: kind === "record" ? "Event quantity" : "New period total",
      value: formatQuantity(params.value),
    },
    { label: "Period total after", value: formatQuantity(after) },
  ];
  const outside =
    kind === "record" && period && params.timestamp && new Date(params.timestamp) < new Date(period.start)
      ? "The event time is before the current period began (the period rolled over): record it again"
      : null;
  return {
    summary:
      kind === "record"
        ? `Record ${formatQuantity(params.value)} ${params.feature}: period total ${formatQuantity(now)} → ${formatQuantity(after)}`
        : `Set the ${params.feature} period total ${formatQuantity(now)} → ${formatQuantity(after)}`,
    facts,
    blocked: outside,
  };
}

defineApprovable({
  action: usageRecordWrite.name,
  rules: ["usage.record"],
  assess: (spec) => ({
    rule: "usage.record",
    measure: { quantity: (spec.request.params as unknown as UsageParams).value },
  }),
  preview: (spec, engine) => usagePreview(spec, engine, "record"),
});

defineApprovable({
  action: usageSetWrite.name,
  rules: ["usage.lower"],
  async assess(spec, engine) {
    const params = spec.request.params as unknown as UsageParams;
    const now = await currentTotal(engine, params.customerId, params.feature);
    return params.value < now ? { rule: "usage.lower", measure: {} } : null;
  },
  preview: (spec, engine) => usagePreview(spec, engine, "set"),
});
