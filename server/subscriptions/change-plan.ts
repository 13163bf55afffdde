/**
 * Plan changes within the subscription's plan group (ops, admin): Commet's quote first (previewChange:
 * credit, charge, total, effective date — nothing is written), then the change, written once. Upgrades
 * apply now, prorated; downgrades are scheduled for the period end (docs: Upgrade and downgrade plans).
 */
import { CommetAPIError, type Plan, type PlanChange } from "@commet/node";
import { formatUtc } from "../../app/contracts/format.ts";
import { formatMinor } from "../../app/contracts/money.ts";
import {
  changePlanFormSchema,
  type ChangePlanForm,
  type PlanChangePreview,
  type PlanPreviewResult,
  type SubscriptionWriteResult,
} from "../../app/contracts/subscription-actions.ts";
import { admit, fieldErrors, readFailure, writeEngineFor, type WriteEngine } from "../writes/index.ts";
import { checkSubscription, stale } from "./check.ts";
import { directionOf, scheduledCancellation, type SubscriptionContext } from "./context.ts";
import { withEffect, writeOnce, type SubscriptionActionInput } from "./once.ts";
import { changePlanWrite } from "./write-actions.ts";

type CheckedChange =
  | { ok: true; context: SubscriptionContext; current: Plan; target: Plan }
  | { ok: false; result: SubscriptionWriteResult };

const admitChange = (input: SubscriptionActionInput) =>
  admit(input.role, "subscriptions:change-plan", changePlanFormSchema, input.form, "Your role may not change plans");

/** Same subscription and plan as the staffer saw; the target is another plan of its group, reachable from the console. */
async function checkPlanChange(writes: WriteEngine, form: ChangePlanForm): Promise<CheckedChange> {
  const checked = await checkSubscription(writes, form);
  if (!checked.ok) return checked;
  const { context } = checked;
  const s = context.subscription;
  if (s.plan.id !== form.currentPlanId || !context.plan) {
    return stale(`The plan changed since you opened this page (now ${s.plan.name}): reload and check again`);
  }
  const cancellation = scheduledCancellation(s);
  if (cancellation) {
    const message = `A cancellation is scheduled for ${formatUtc(cancellation.effectiveAt)}: revert it before changing the plan`;
    return { ok: false, result: fieldErrors({ _form: [message] }, message) };
  }
  const target = context.group.find((p) => p.id === form.planId);
  if (!target) {
    const message = context.planGroup
      ? `That is not a plan of the ${context.planGroup} plan group`
      : `${s.plan.name} is in no plan group: its plan cannot be changed`;
    return { ok: false, result: fieldErrors({ planId: [message] }, message) };
  }
  if (directionOf(context.group, context.plan, target) === "checkout") {
    const message = `A free plan moves to ${target.name} only through the customer's own checkout: send them a portal link`;
    return { ok: false, result: fieldErrors({ planId: [message] }, message) };
  }
  return { ok: true, context, current: context.plan, target };
}

/** A refusal by Commet of a change the console let through (e.g. seat limits): shown on the plan field. */
function refusal(error: unknown): SubscriptionWriteResult | null {
  if (!(error instanceof CommetAPIError) || ![400, 409, 422].includes(error.statusCode)) return null;
  return fieldErrors({ planId: [error.message] }, error.message);
}

export function describePreview(p: Omit<PlanChangePreview, "effect">): string {
  const arrow = `${p.from.name} → ${p.to.name}`;
  if (p.timing === "scheduled") {
    return `${arrow} on ${formatUtc(p.effectiveDate)}, at the end of the current period: nothing is charged or refunded now, ${p.from.name} stays until then`;
  }
  const money = (n: number | null) => formatMinor(n ?? 0, p.currency);
  const unused =
    p.daysRemaining !== null && p.totalDays !== null ? ` for ${p.daysRemaining} of ${p.totalDays} days unused` : "";
  return `${arrow} now: ${money(p.charge)} for ${p.to.name}, ${money(p.credit)} credit${unused} on ${p.from.name} — ${money(p.total)} charged; the billing period restarts on ${formatUtc(p.effectiveDate)}`;
}

/** Commet's quote of the change (previewChange); a downgrade is quoted as scheduled for the period end. Nothing is written. */
export async function previewPlanChange(
  input: SubscriptionActionInput,
  engine?: WriteEngine,
): Promise<PlanPreviewResult> {
  const writes = writeEngineFor(engine);
  const admitted = admitChange(input);
  if (!admitted.ok) return admitted.result;
  const checked = await checkPlanChange(writes, admitted.form);
  if (!checked.ok) return checked.result;
  const { context, current, target } = checked;
  const s = context.subscription;
  const base = {
    subscriptionId: s.id,
    from: { id: current.id, name: current.name },
    to: { id: target.id, name: target.name },
    livemode: context.livemode,
  };
  let preview: Omit<PlanChangePreview, "effect">;
  try {
    const quote = (await writes.commet().subscriptions.previewChange({ id: s.id, planId: target.id })).data;
    if (!quote) throw new Error("Commet returned no quote");
    preview = {
      ...base,
      timing: "now",
      currency: quote.currency.toUpperCase(),
      credit: quote.currentPlanCredit,
      charge: quote.newPlanCharge,
      total: quote.estimatedTotal,
      effectiveDate: quote.effectiveDate,
      daysRemaining: quote.daysRemaining,
      totalDays: quote.totalDays,
    };
  } catch (error) {
    if (error instanceof CommetAPIError && error.code === "plan_change_scheduled") {
      preview = {
        ...base,
        timing: "scheduled",
        currency: "USD",
        credit: null,
        charge: null,
        total: null,
        effectiveDate: s.currentPeriod?.end ?? s.nextBillingDate ?? "",
        daysRemaining: s.currentPeriod?.daysRemaining ?? null,
        totalDays: null,
      };
    } else {
      return refusal(error) ?? readFailure(error, writes.commetUrl());
    }
  }
  return { kind: "preview", preview: { ...preview, effect: describePreview(preview) } };
}

function describeDone(data: unknown, from: string, to: string): string {
  const change = (data ?? {}) as Partial<PlanChange>;
  if (change.scheduled) {
    return `Plan change scheduled: ${from} → ${to} on ${change.scheduledFor ? formatUtc(change.scheduledFor) : "the period end"}`;
  }
  return `Plan changed: ${from} → ${to}${change.invoiceId ? ` (invoice ${change.invoiceId})` : ""}`;
}

/** Changes the plan once: a reused key answers from the audit trail; the checks run again on fresh state first. */
export async function applyPlanChange(
  input: SubscriptionActionInput,
  engine?: WriteEngine,
): Promise<SubscriptionWriteResult> {
  const writes = writeEngineFor(engine);
  const admitted = admitChange(input);
  if (!admitted.ok) return admitted.result;
  const form = admitted.form;
  return writeOnce(writes, changePlanWrite, form, form, async () => {
    const checked = await checkPlanChange(writes, form);
    if (!checked.ok) return checked.result;
    const { context, current, target } = checked;
    const s = context.subscription;
    const direction = directionOf(context.group, current, target);
    const result = await writes.write({
      action: changePlanWrite,
      staff: { actor: input.actor, role: input.role },
      customerId: form.customerId,
      idempotencyKey: form.idempotencyKey,
      form,
      details: {
        subscriptionId: s.id,
        from: current.name,
        to: target.name,
        direction,
        periodEnd: s.currentPeriod?.end ?? null,
        reasonCode: form.reasonCode,
        reasonText: form.reasonText,
        livemode: context.livemode,
      },
      request: { call: "subscriptions.changePlan", params: { id: s.id, newPlanId: target.id } },
    });
    if (result.kind !== "ok") return result;
    return withEffect(result, describeDone(result.data, current.name, target.name));
  });
}
