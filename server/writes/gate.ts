/**
 * The one point where a write may be held before anything is sent: a gate answers "held for approval" or
 * lets the write through; the engine calls it before the audit row. server/approvals installs the process's.
 */
import type { WriteResult } from "../../app/contracts/ops-results.ts";
import type { CommetRequest } from "./action.ts";
import type { WriteEngine, WriteSpec } from "./engine.ts";

/** null: go ahead and write; a result: the write was held (or refused) and that is the answer. */
export type WriteGate = (spec: WriteSpec<CommetRequest>, engine: WriteEngine) => Promise<WriteResult | null>;

let processGate: WriteGate | null = null;

/** The gate the process's write engine asks (server/approvals installs it when it loads). */
export function installWriteGate(gate: WriteGate): void {
  processGate = gate;
}

export function installedWriteGate(): WriteGate | null {
  return processGate;
}
