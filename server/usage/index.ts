/**
 * server/usage — manual usage writes (ops, admin) and the exactly-once write engine they share
 * with server/seats (docs/decisions/0007-exactly-once-writes.md). The usage timeline store will
 * live here too (a later task).
 *
 * Surface (form schemas are client-safe in app/lib/ops-forms.ts: usageRecordFormSchema,
 * usageSetFormSchema, usageRecordSchemaFor(ctx), USAGE_REASONS, newIdempotencyKey("usage")):
 *   recordManualUsage({ actor, role, form }, engine?) → WriteResult
 *       form: customerId, featureCode, quantity, eventTime? (ISO or datetime-local, UTC; empty = now),
 *       reasonCode, reasonText?, idempotencyKey → usage.track with Idempotency-Key = event idempotencyKey = key
 *   setPeriodUsage({ actor, role, form }, engine?) → WriteResult
 *       form: customerId, featureCode, value (exact current-period total), reasonCode, reasonText?, idempotencyKey
 *   loadUsagePanel(customerId, engine?) → { livemode, period, features: [{ code, name, unitName,
 *       allowsDecimals, current, included }] } | null   what the forms offer (fresh from Commet)
 *   resolvePendingWrite(auditId, { actor, role }, engine?) → WriteResult   "check again / retry with the same key"
 *   loadBillingContext(commet, customerId, { customer? }) / usageFeaturesOf(plan) / usageFormContext(context, now)
 *       what the forms offer and are checked against (plan's usage features, current period start)
 *   createWriteEngine({ commet?, audit?, commetUrl?, hooks?, clock? }) → an engine bound to another
 *       SDK client / audit store (tests, the reliability suite); functions default to the process's one.
 *
 * WriteResult (render it; `kind` discriminates):
 *   ok { auditId, at, by, eventId, data, resumed, message }
 *   field_errors { fieldErrors (by field; "_form" for the whole form), message }   nothing sent
 *   forbidden { message }
 *   already_recorded { auditId, at, by, eventId, sameRequest, message }   same key again: not sent again
 *   previous_failed { auditId, at, by, errorCode, message }               the key's attempt was refused: new key
 *   in_progress { auditId, since, by, message }                           being written elsewhere: check again
 *   duplicate_unknown { auditId, key, message }    Commet holds an event with this key the console never wrote
 *   commet_error { auditId, retryable, outcome: "failed" | "unknown", code, message, problem }
 *       outcome "unknown" (network, timeout, 5xx, 429): the audit row stays pending; resubmitting the
 *       same form (same key) or resolvePendingWrite resolves it without a second effect.
 * Permissions: "usage:write" (ops, admin), checked here as well as in the route.
 */
export {
  WRITE_ACTIONS,
  SimulatedCrash,
  createWriteEngine,
  processAuditStore,
  resolvePendingWrite,
  type AuditStore,
  type CommetRequest,
  type Staff,
  type WriteAction,
  type WriteDeps,
  type WriteEngine,
  type WriteResult,
} from "./exactly-once.ts";
export { loadBillingContext, periodStartOf, usageFeaturesOf, type BillingContext } from "./context.ts";
export {
  loadUsagePanel,
  recordManualUsage,
  setPeriodUsage,
  usageFormContext,
  type UsagePanel,
  type UsageWriteInput,
} from "./manual.ts";
