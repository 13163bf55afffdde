/**
 * The checks every subscription action repeats on fresh Commet state before it sends anything: the
 * customer still has an active subscription, and it is the one the staffer saw.
 */
import type { SubscriptionStale, SubscriptionWriteResult } from "../../app/contracts/subscription-actions.ts";
import { fieldErrors, readFailure, type WriteEngine } from "../writes/index.ts";
import { loadSubscriptionContext, type SubscriptionContext } from "./context.ts";

export type Checked = { ok: true; context: SubscriptionContext } | { ok: false; result: SubscriptionWriteResult };

export const stale = (message: string): { ok: false; result: SubscriptionStale } => ({
  ok: false,
  result: { kind: "stale", message },
});

export async function checkSubscription(
  writes: WriteEngine,
  form: { customerId: string; subscriptionId: string },
): Promise<Checked> {
  let context: SubscriptionContext | null;
  try {
    context = await loadSubscriptionContext(writes.commet(), form.customerId);
  } catch (error) {
    return { ok: false, result: readFailure(error, writes.commetUrl()) };
  }
  if (!context) {
    const message = `Customer ${form.customerId} has no active subscription`;
    return { ok: false, result: fieldErrors({ _form: [message] }, "No active subscription") };
  }
  if (context.subscription.id !== form.subscriptionId) {
    return stale(
      `The customer's subscription changed since you opened this page (now ${context.subscription.id}, ${context.subscription.plan.name}): reload and check again`,
    );
  }
  return { ok: true, context };
}
