/** The process-wide write engine (the process's SDK client and audit trail), its resolver and their reads. */
import type { WriteResult } from "../../app/contracts/ops-results.ts";
import type { Role } from "../../app/contracts/permissions.ts";
import type { ShellUnsettledWrites } from "../../app/contracts/shell.ts";
import type { UnsettledWrite } from "../../app/contracts/unsettled-writes.ts";
import { canonicalAuditCustomer, finalizeAudit, getAuditEntry, recordAudit } from "../audit/index.ts";
import { getReadyDb } from "../db/index.ts";
import { createWriteEngine, type Staff, type WriteEngine } from "./engine.ts";
import { installedWriteGate } from "./gate.ts";
import { settleByHand, type SettleAnswer, type SettleInput } from "./settle.ts";
import { enqueueUnresolved, listUnsettledWrites, startWriteResolver, unsettledCounts } from "./resolver.ts";

let processEngine: WriteEngine | undefined;

/** `engine`, or the process-wide one. */
export function writeEngineFor(engine?: WriteEngine): WriteEngine {
  if (engine) return engine;
  // The process's writes ask the installed approvals gate (engines made elsewhere, e.g. by tests, pass their own);
  // an unknown outcome is queued for the resolver at once (a crash is found by its scan instead).
  processEngine ??= createWriteEngine({
    gate: async (spec, self) => (await installedWriteGate()?.(spec, self)) ?? null,
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
/**
 * The navigation's counts of unsettled writes, in one read: the reader's own, and for an admin everyone's (the
 * admin's own are counted from the same rows).
 */
export async function unsettledSummaryFor(staff: { id: string; role: Role }): Promise<ShellUnsettledWrites> {
  const { db } = await getReadyDb();
  const all = staff.role === "admin";
  const rows = await listUnsettledWrites(
    db,
    all ? { limit: 1000, reader: staff.id } : { actorId: staff.id, reader: staff.id },
  );
  const mine = unsettledCounts(all ? rows.filter((row) => row.mine) : rows);
  return { mine: mine.total, mineAttention: mine.attention, all: all ? unsettledCounts(rows) : null };
}

/** /writes/mine: the reader's own unsettled writes, or everyone's for an admin. */
export async function unsettledWritesFor(staff: {
  id: string;
  role: Role;
}): Promise<{ scope: "mine" | "all"; writes: UnsettledWrite[] }> {
  const database = await getReadyDb();
  const all = staff.role === "admin";
  const writes = await listUnsettledWrites(database.db, { actorId: all ? undefined : staff.id, reader: staff.id });
  return { scope: all ? "all" : "mine", writes };
}

/** Settles by hand a write handed to a person (server/writes/settle.ts). */
export async function settleUnsettledWrite(
  staff: { id: string; email: string; role: Role },
  input: SettleInput,
): Promise<SettleAnswer> {
  const database = await getReadyDb();
  return settleByHand(
    { db: database.db, audit: { get: getAuditEntry, finalize: finalizeAudit, record: recordAudit } },
    { actor: { id: staff.id, email: staff.email }, role: staff.role },
    input,
  );
}

/** A customer's unsettled writes (the customer page's "awaiting confirmation"); the reader's are marked. */
export async function customerUnsettledWrites(customerRef: string, readerId: string | null): Promise<UnsettledWrite[]> {
  const database = await getReadyDb();
  const customerId = await canonicalAuditCustomer(customerRef);
  return listUnsettledWrites(database.db, { customerId, reader: readerId, limit: 20 });
}
