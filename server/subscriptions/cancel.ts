/**
 * Cancellations (docs: Manage subscriptions, "Cancel"): schedule one at the period end and revert it
 * (support, ops, admin), or cancel now with a typed confirmation (ops, admin). Each is written once.
 */
import { formatUtc } from "../../app/contracts/format.ts";
import {
  cancelFormSchema,
  cancelNowFormSchema,
  commetReason,
  confirmsCancelNow,
  revertCancelFormSchema,
  type SubscriptionWriteResult,
} from "../../app/contracts/subscription-actions.ts";
import { admit, fieldErrors, writeEngineFor, type WriteEngine } from "../writes/index.ts";
import { checkSubscription, stale } from "./check.ts";
import { periodEndCancel, scheduledCancellation } from "./context.ts";
import { withEffect, writeOnce, type SubscriptionActionInput } from "./once.ts";
import { cancelNowWrite, cancelWrite, uncancelWrite } from "./write-actions.ts";

const staff = (input: SubscriptionActionInput) => ({ actor: input.actor, role: input.role });

/** Cancel at the end of the current period: the subscription stays active until then; nothing is refunded. */
export async function scheduleCancellation(
  input: SubscriptionActionInput,
  engine?: WriteEngine,
): Promise<SubscriptionWriteResult> {
  const writes = writeEngineFor(engine);
  const admitted = admit(
    input.role,
    "subscriptions:cancel",
    cancelFormSchema,
    input.form,
    "Your role may not cancel subscriptions",
  );
  if (!admitted.ok) return admitted.result;
  const form = admitted.form;
  return writeOnce(writes, cancelWrite, form, form, async () => {
    const checked = await checkSubscription(writes, form);
    if (!checked.ok) return checked.result;
    const { context } = checked;
    const s = context.subscription;
    const scheduled = scheduledCancellation(s);
    if (scheduled) return stale(`A cancellation is already scheduled for ${formatUtc(scheduled.effectiveAt)}`).result;
    const end = periodEndCancel(context);
    if (!end.ok)
      return fieldErrors({ _form: [`${end.reason}: only an immediate cancellation (ops, admin) ends it`] }, end.reason);
    const result = await writes.write({
      action: cancelWrite,
      staff: staff(input),
      customerId: form.customerId,
      idempotencyKey: form.idempotencyKey,
      form,
      details: {
        subscriptionId: s.id,
        plan: s.plan.name,
        effectiveAt: end.effectiveAt,
        reasonCode: form.reasonCode,
        reasonText: form.reasonText,
        livemode: context.livemode,
      },
      request: {
        call: "subscriptions.cancel",
        params: { id: s.id, reason: commetReason(form.reasonCode, form.reasonText) },
      },
    });
    return withEffect(
      result,
      `Cancellation scheduled: ${s.plan.name} stays active until ${formatUtc(end.effectiveAt)}, then ends (no refund)`,
    );
  });
}

/** Revert a scheduled cancellation: the subscription continues on its plan and period as if never canceled. */
export async function revertCancellation(
  input: SubscriptionActionInput,
  engine?: WriteEngine,
): Promise<SubscriptionWriteResult> {
  const writes = writeEngineFor(engine);
  const admitted = admit(
    input.role,
    "subscriptions:cancel",
    revertCancelFormSchema,
    input.form,
    "Your role may not revert cancellations",
  );
  if (!admitted.ok) return admitted.result;
  const form = admitted.form;
  return writeOnce(writes, uncancelWrite, form, form, async () => {
    const checked = await checkSubscription(writes, form);
    if (!checked.ok) return checked.result;
    const { context } = checked;
    const s = context.subscription;
    const scheduled = scheduledCancellation(s);
    if (!scheduled)
      return stale("No cancellation is scheduled any more (reverted meanwhile?): nothing to revert").result;
    const result = await writes.write({
      action: uncancelWrite,
      staff: staff(input),
      customerId: form.customerId,
      idempotencyKey: form.idempotencyKey,
      form,
      details: {
        subscriptionId: s.id,
        plan: s.plan.name,
        wasEffectiveAt: scheduled.effectiveAt,
        reasonCode: form.reasonCode,
        reasonText: form.reasonText,
        livemode: context.livemode,
      },
      request: { call: "subscriptions.uncancel", params: { id: s.id } },
    });
    const renews = s.currentPeriod ? `; it renews on ${formatUtc(s.currentPeriod.end)}` : "";
    return withEffect(result, `Cancellation reverted: ${s.plan.name} continues${renews}`);
  });
}

/** Cancel now: access ends at once; needs the customer's email or CANCEL typed to confirm. */
export async function cancelNow(
  input: SubscriptionActionInput,
  engine?: WriteEngine,
): Promise<SubscriptionWriteResult> {
  const writes = writeEngineFor(engine);
  const admitted = admit(
    input.role,
    "subscriptions:cancel-now",
    cancelNowFormSchema,
    input.form,
    "Your role may not cancel subscriptions immediately",
  );
  if (!admitted.ok) return admitted.result;
  const form = admitted.form;
  // What identifies the request (the typed confirmation is not part of it).
  const { confirmText: _typed, ...identity } = form;
  return writeOnce(writes, cancelNowWrite, form, identity, async () => {
    const checked = await checkSubscription(writes, form);
    if (!checked.ok) return checked.result;
    const { context } = checked;
    const s = context.subscription;
    if (!confirmsCancelNow(form.confirmText, context.customer?.email)) {
      return fieldErrors(
        {
          confirmText: [
            form.confirmText
              ? "That is neither the customer's email nor CANCEL"
              : "Type the customer's email or CANCEL to confirm",
          ],
        },
        "Confirm the immediate cancellation",
      );
    }
    const result = await writes.write({
      action: cancelNowWrite,
      staff: staff(input),
      customerId: form.customerId,
      idempotencyKey: form.idempotencyKey,
      form: identity,
      details: {
        subscriptionId: s.id,
        plan: s.plan.name,
        status: s.status,
        reasonCode: form.reasonCode,
        reasonText: form.reasonText,
        livemode: context.livemode,
      },
      request: {
        call: "subscriptions.cancel",
        params: { id: s.id, reason: commetReason(form.reasonCode, form.reasonText), immediate: true },
      },
    });
    return withEffect(result, `Subscription canceled now: ${s.plan.name} ended and access is revoked`);
  });
}
