/** The process-wide write engine: the process's SDK client and audit trail. */
import type { WriteResult } from "../../app/contracts/ops-results.ts";
import { createWriteEngine, type Staff, type WriteEngine } from "./engine.ts";
import { installedWriteGate } from "./gate.ts";

let processEngine: WriteEngine | undefined;

/** `engine`, or the process-wide one. */
export function writeEngineFor(engine?: WriteEngine): WriteEngine {
  if (engine) return engine;
  // The process's writes ask the installed approvals gate (engines made elsewhere, e.g. by tests, pass their own).
  processEngine ??= createWriteEngine({
    gate: async (spec, self) => (await installedWriteGate()?.(spec, self)) ?? null,
  });
  return processEngine;
}

/** "Check again" for a pending write of any declared action. */
export function resolvePendingWrite(auditId: string, staff: Staff, engine?: WriteEngine): Promise<WriteResult> {
  return writeEngineFor(engine).resolvePending(auditId, staff);
}
