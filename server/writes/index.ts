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
  type Staff,
  type WriteDeps,
  type WriteEngine,
  type WriteSpec,
} from "./engine.ts";
export { installWriteGate, type WriteGate } from "./gate.ts";
export { readFailure } from "./outcome.ts";
export { resolvePendingWrite, writeEngineFor } from "./process-engine.ts";
