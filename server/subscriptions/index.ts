/**
 * server/subscriptions — subscription actions of the customer page, each written exactly once
 * (docs/decisions/0010-write-engine.md): schedule / revert a cancellation (subscriptions:cancel), cancel
 * now (subscriptions:cancel-now), preview and change the plan (subscriptions:change-plan).
 * Forms and answers: app/contracts/subscription-actions.ts.
 */
export { cancelNow, revertCancellation, scheduleCancellation } from "./cancel.ts";
export { applyPlanChange, previewPlanChange } from "./change-plan.ts";
export type { SubscriptionActionInput } from "./once.ts";
export { loadSubscriptionActions } from "./panel.ts";
