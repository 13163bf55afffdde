/**
 * Settling by hand a write the resolver handed to a person (docs/decisions/0016): someone who may make that
 * write checks the customer in Commet and records what they found — applied or not — with a note. Audited.
 */
import type { Kysely } from "kysely";
import { can } from "../../app/contracts/permissions.ts";
import { AuditFinalizeError, type AuditLog } from "../audit/index.ts";
import type { SchemalessDb } from "../db/index.ts";
import { writeActionNamed } from "./action.ts";
import type { Staff } from "./engine.ts";
import type { WriteResolutionsTable } from "./resolver.ts";
import { mayResend } from "./window.ts";

export interface SettleInput {
  auditId: string;
  applied: boolean;
  /** What the person found in Commet (kept in the audit trail). */
  note: string;
}

export interface SettleAnswer {
  status: 200 | 403 | 404 | 409;
  tone: "good" | "warn" | "bad";
  message: string;
}

export async function settleByHand(
  deps: { db: SchemalessDb; audit: Pick<AuditLog, "get" | "finalize" | "record"> },
  staff: Staff,
  input: SettleInput,
  at: number = Date.now(),
): Promise<SettleAnswer> {
  const entry = await deps.audit.get(input.auditId);
  const action = entry ? writeActionNamed(entry.action) : undefined;
  if (!entry || !action || entry.status !== "pending") {
    return { status: 404, tone: "bad", message: "No such unsettled write (it may have been settled meanwhile)" };
  }
  if (!can(staff.role, action.permission)) {
    return { status: 403, tone: "bad", message: `Your role may not settle a ${action.noun.what}` };
  }
  const db = deps.db as Kysely<{ write_resolutions: WriteResolutionsTable }>;
  const resolution = await db
    .selectFrom("write_resolutions")
    .select(["needs_person_at"])
    .where("audit_id", "=", entry.id)
    .executeTakeFirst();
  // While the console can still re-send it, Commet's own answer settles it: a person's guess must not race it.
  if (resolution?.needs_person_at == null && mayResend(entry.createdAt, at)) {
    return {
      status: 409,
      tone: "warn",
      message: `The console is still re-sending this ${action.noun.what} with its key; it is handed to a person only if Commet does not answer.`,
    };
  }
  try {
    await deps.audit.finalize(
      entry.id,
      input.applied
        ? { status: "succeeded", commetIds: {} }
        : { status: "failed", errorCode: "not_applied", message: input.note },
    );
  } catch (error) {
    if (error instanceof AuditFinalizeError) {
      return { status: 409, tone: "warn", message: "It was settled meanwhile: see the audit trail" };
    }
    throw error;
  }
  await deps.audit.record(
    {
      actor: staff.actor,
      role: staff.role,
      action: "writes.settle",
      customerId: entry.customerId,
      idempotencyKey: `settle-${entry.id}`,
      params: {
        auditId: entry.id,
        action: entry.action,
        key: entry.idempotencyKey,
        outcome: input.applied ? "applied" : "not_applied",
        note: input.note,
      },
    },
    { status: "succeeded" },
  );
  await db
    .updateTable("write_resolutions")
    .set({ settled_at: at, lease_owner: null, lease_until: null })
    .where("audit_id", "=", entry.id)
    .execute();
  return {
    status: 200,
    tone: "good",
    message: input.applied
      ? `Recorded: the ${action.noun.what} was applied in Commet.`
      : `Recorded: the ${action.noun.what} was not applied in Commet; make it again with a new key if it is still wanted.`,
  };
}
