/**
 * The one point where a write may be held before anything is sent: a gate (server/approvals installs the
 * process's) answers "held for approval" or lets the write through. The engine calls it before the audit row.
 */
import type { WriteResult } from "../../app/contracts/ops-results.ts";
import type { CommetRequest } from "./action.ts";
import type { WriteEngine, WriteSpec } from "./engine.ts";

/** null: go ahead and write; a result: the write was held (or refused) and that is the answer. */
export type WriteGate = (spec: WriteSpec<CommetRequest>, engine: WriteEngine) => Promise<WriteResult | null>;

let processGate: WriteGate | null = null;

/** The gate of engines created without one (the process's write engine). */
export function installWriteGate(gate: WriteGate): void {
  processGate = gate;
}

export function installedWriteGate(): WriteGate | null {
  return processGate;
}
