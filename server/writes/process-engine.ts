/** The process-wide write engine (the process's SDK client and audit trail), its resolver and their reads. */
import type { WriteResult } from "../../app/contracts/ops-results.ts";
import type { UnsettledCounts, UnsettledWrite } from "../../app/contracts/unsettled-writes.ts";
import { canonicalAuditCustomer } from "../audit/index.ts";
import { getReadyDb } from "../db/index.ts";
import { createWriteEngine, type Staff, type WriteEngine } from "./engine.ts";
import { countUnsettledWrites, enqueueUnresolved, listUnsettledWrites, startWriteResolver } from "./resolver.ts";

let processEngine: WriteEngine | undefined;

/** `engine`, or the process-wide one. */
export function writeEngineFor(engine?: WriteEngine): WriteEngine {
  if (engine) return engine;
  // An unknown outcome is queued for the resolver at once (a crash is found by its scan instead).
  processEngine ??= createWriteEngine({
    onUnknown: async (auditId) => enqueueUnresolved((await getReadyDb()).db, auditId, Date.now()),
  });
  return processEngine;
}

/** "Check again" for a pending write of any declared action. */
export function resolvePendingWrite(auditId: string, staff: Staff, engine?: WriteEngine): Promise<WriteResult> {
  return writeEngineFor(engine).resolvePending(auditId, staff);
}

/** The background resolver of this process (a console start-up task); returns stop(). */
export async function startProcessWriteResolver(options: {
  intervalMs: number;
  log: (line: string) => void;
}): Promise<() => Promise<void>> {
  const database = await getReadyDb();
  return startWriteResolver({ db: database.db, engine: writeEngineFor(), ...options });
}

/** The reader's own unsettled writes ("My unsettled writes"). */
export async function myUnsettledWrites(staffId: string): Promise<UnsettledWrite[]> {
  const database = await getReadyDb();
  return listUnsettledWrites(database.db, { actorId: staffId, reader: staffId });
}

/** A customer's unsettled writes (the customer page's "awaiting confirmation"); the reader's are marked. */
export async function customerUnsettledWrites(customerRef: string, readerId: string | null): Promise<UnsettledWrite[]> {
  const database = await getReadyDb();
  const customerId = await canonicalAuditCustomer(customerRef);
  return listUnsettledWrites(database.db, { customerId, reader: readerId, limit: 20 });
}

/** The navigation's count for admins. */
export async function unsettledWriteCounts(): Promise<UnsettledCounts> {
  return countUnsettledWrites((await getReadyDb()).db);
}
