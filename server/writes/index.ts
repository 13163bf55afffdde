/**
 * server/writes — the exactly-once write engine every Commet write goes through
 * (docs/decisions/0007-exactly-once-writes.md, docs/decisions/0010-write-engine.md). A domain declares
 * its write (defineWriteAction) and calls the engine; results are typed in app/contracts/ops-results.ts.
 */
export { defineWriteAction, writeActionNamed, type CommetRequest, type WriteAction } from "./action.ts";
export { admit } from "./admit.ts";
export { fieldErrors } from "./answers.ts";
export {
  createWriteEngine,
  processAuditStore,
  type AuditStore,
  type KeyedWrite,
  type Staff,
  type WriteDeps,
  type WriteEngine,
  type WriteSpec,
} from "./engine.ts";
export { installWriteGate, type WriteGate } from "./gate.ts";
export { readFailure } from "./outcome.ts";
export {
  customerUnsettledWrites,
  resolvePendingWrite,
  settleUnsettledWrite,
  startProcessWriteResolver,
  unsettledSummaryFor,
  unsettledWritesFor,
  writeEngineFor,
} from "./process-engine.ts";
export {
  RESOLVER_DEFAULTS,
  backoffMs,
  createWriteResolver,
  listUnsettledWrites,
  startWriteResolver,
  type ResolverOptions,
  type ResolverRun,
  type WriteResolver,
} from "./resolver.ts";
export { settleByHand, type SettleAnswer, type SettleInput } from "./settle.ts";
export { COMMET_IDEMPOTENCY_WINDOW_MS, RESEND_CUTOFF_MS, mayResend } from "./window.ts";
