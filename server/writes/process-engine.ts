/** The process-wide write engine: the process's SDK client and audit trail. */
import type { WriteResult } from "../../app/contracts/ops-results.ts";
import { createWriteEngine, type Staff, type WriteEngine } from "./engine.ts";

let processEngine: WriteEngine | undefined;

/** `engine`, or the process-wide one. */
export function writeEngineFor(engine?: WriteEngine): WriteEngine {
  if (engine) return engine;
  processEngine ??= createWriteEngine();
  return processEngine;
}

/** "Check again" for a pending write of any declared action. */
export function resolvePendingWrite(auditId: string, staff: Staff, engine?: WriteEngine): Promise<WriteResult> {
  return writeEngineFor(engine).resolvePending(auditId, staff);
}
