/**
 * Subscription writes under the four-eyes policy (server/approvals): an immediate cancellation and a
 * downgrade are held; the approver's preview reads the subscription again (canceled or changed meanwhile).
 */
import type { ApprovalPreview } from "../../app/contracts/approvals.ts";
import { formatUtc } from "../../app/contracts/format.ts";
import { defineApprovable } from "../approvals/index.ts";
import type { CommetRequest, WriteEngine, WriteSpec } from "../writes/index.ts";
import { cancelNowWrite, changePlanWrite } from "./write-actions.ts";

const ENDED = new Set(["canceled", "expired"]);

async function subscriptionFacts(spec: WriteSpec<CommetRequest>, engine: WriteEngine) {
  const id = String(spec.request.params.id);
  const s = (await engine.commet().subscriptions.get({ id })).data;
  if (!s) return { s: null, facts: [{ label: "Subscription", value: `${id} (not found)` }] };
  return {
    s,
    facts: [
      { label: "Subscription", value: s.id },
      { label: "Plan now", value: s.plan.name },
      { label: "Status", value: s.status.replaceAll("_", " ") },
      { label: "Period ends", value: s.currentPeriod ? formatUtc(s.currentPeriod.end) : "—" },
      {
        label: "Scheduled plan change",
        value: s.scheduledPlanChange
          ? `${s.scheduledPlanChange.newPlanName ?? s.scheduledPlanChange.changeType} on ${formatUtc(s.scheduledPlanChange.scheduledFor)}`
          : "none",
      },
      {
        label: "Cancellation scheduled",
        value: s.cancellation ? `for ${formatUtc(s.cancellation.effectiveAt)}` : "no",
      },
    ],
  };
}

defineApprovable({
  action: cancelNowWrite.name,
  rules: ["subscriptions.cancel_now"],
  assess: () => ({ rule: "subscriptions.cancel_now", measure: {} }),
  async preview(spec, engine): Promise<ApprovalPreview> {
    const { s, facts } = await subscriptionFacts(spec, engine);
    const plan = s?.plan.name ?? String(spec.details?.plan ?? "");
    return {
      summary: `Cancel ${plan} now: access ends at once, nothing is refunded`,
      facts,
      blocked: !s
        ? "Commet has no such subscription"
        : ENDED.has(s.status)
          ? `The subscription is ${s.status} already`
          : null,
    };
  },
});

defineApprovable({
  action: changePlanWrite.name,
  rules: ["subscriptions.downgrade"],
  assess: (spec) => (spec.details?.direction === "downgrade" ? { rule: "subscriptions.downgrade", measure: {} } : null),
  async preview(spec, engine): Promise<ApprovalPreview> {
    const { s, facts } = await subscriptionFacts(spec, engine);
    const from = String(spec.details?.from ?? "");
    const to = String(spec.details?.to ?? "");
    const blocked = !s
      ? "Commet has no such subscription"
      : ENDED.has(s.status)
        ? `The subscription is ${s.status}`
        : s.plan.id === spec.request.params.newPlanId
          ? `The subscription is on ${to} already`
          : s.plan.name !== from
            ? `The plan changed since it was asked for (now ${s.plan.name}): ask again`
            : null;
    return {
      summary: `Downgrade ${from} → ${to}, at the end of the current period`,
      facts: [...facts, { label: "New plan", value: to }],
      blocked,
    };
  },
});
