/**
 * One row of a batch written through the exactly-once engine with the row's key, reusing the declared
 * seat and usage actions: a key seen before is answered from the audit trail (never sent twice), a seat
 * count that moved since the dry run is refused, and the engine's answer becomes the row's outcome.
 */
import type { BulkRowStatus } from "../../app/contracts/bulk.ts";
import type { WriteResult } from "../../app/contracts/ops-results.ts";
import { redactText } from "../audit/index.ts";
import { SEAT_CALL, readSeatCount, seatChangeWrite } from "../seats/index.ts";
import { timelineEntry, usageRecordWrite } from "../usage/index.ts";
import type { UsageEventInput } from "../usage/timeline/index.ts";
import { readFailure, type Staff, type WriteEngine } from "../writes/index.ts";
import type { BulkBatchesTable, BulkRowsTable } from "./schema.ts";
import type { RowChange } from "./validate.ts";

export interface RowOutcome {
  status: Extract<BulkRowStatus, "applied" | "refused" | "failed" | "unknown">;
  message: string;
  commetId: string | null;
  auditId: string | null;
  /** A usage event Commet accepted now: its manual entry for the usage timeline (recorded per chunk). */
  timeline?: UsageEventInput;
}

type Stale = { kind: "stale"; message: string };

export async function applyRow(engine: WriteEngine, batch: BulkBatchesTable, row: BulkRowsTable): Promise<RowOutcome> {
  const change = JSON.parse(row.change ?? "null") as RowChange | null;
  if (!change) return { status: "refused", message: "The row has nothing to write", commetId: null, auditId: null };
  const staff: Staff = {
    actor: { id: batch.applied_by_id, email: batch.applied_by_email ?? batch.created_by_email },
    role: (batch.applied_role ?? batch.created_role) as Staff["role"],
  };
  const origin = { batchId: batch.id, line: row.line, fileName: batch.file_name };
  try {
    if (change.kind === "seats") return outcomeOf(await writeSeats(engine, staff, change, row, origin));
    const result = await writeUsage(engine, staff, change, row, origin);
    const outcome = outcomeOf(result);
    if (result.kind === "ok" && result.eventId) {
      // As the customer page's form does: the usage timeline marks the event as manual (staff, audit row).
      const entry = timelineEntry("record", result, staff.actor.email);
      outcome.timeline = {
        usageEventId: entry.usageEventId,
        customerId: entry.customerId,
        featureCode: entry.feature,
        quantity: entry.quantity,
        occurredAt: new Date(entry.occurredAt as string | number).getTime(),
        source: "manual",
        manualStaff: entry.staff,
        manualAuditId: entry.auditId,
        manualKind: "track",
        manualSetValue: null,
      };
    }
    return outcome;
  } catch (error) {
    // Our own failure around the engine (database, a bug): the key decides on the next pass.
    return {
      status: "unknown",
      message: `Not confirmed: ${error instanceof Error ? error.message : String(error)}`,
      commetId: null,
      auditId: null,
    };
  }
}

function writeSeats(
  engine: WriteEngine,
  staff: Staff,
  change: Extract<RowChange, { kind: "seats" }>,
  row: BulkRowsTable,
  origin: Record<string, unknown>,
): Promise<WriteResult | Stale> {
  const identity = {
    customerId: change.customerId,
    seatType: change.seatType,
    op: change.op,
    quantity: change.quantity,
    seenCount: change.seenCount,
    ...origin,
  };
  return engine.keyed<WriteResult | Stale>(
    {
      action: seatChangeWrite,
      idempotencyKey: row.idempotency_key,
      customerId: change.customerId,
      identity,
      // The same lane as the customer page's form: a change typed there meanwhile meets a fresh count.
      lane: `#seats ${change.customerId} ${change.seatType}`,
    },
    async () => {
      let current: number;
      try {
        current = await readSeatCount(engine.commet(), change.customerId, change.seatType);
      } catch (error) {
        return readFailure(error, engine.commetUrl());
      }
      if (current !== change.seenCount) {
        return {
          kind: "stale",
          message: `Not sent: ${change.seatType} seats changed from ${change.seenCount} (dry run) to ${current} since — no blind overwrite`,
        };
      }
      return engine.write(
        {
          action: seatChangeWrite,
          staff,
          customerId: change.customerId,
          idempotencyKey: row.idempotency_key,
          form: identity,
          details: {
            seatType: change.seatType,
            op: change.op,
            quantity: change.quantity,
            from: change.seenCount,
            to: change.to,
            reasonCode: "bulk",
            reasonText: change.reason,
            bulk: origin,
          },
          request: {
            call: SEAT_CALL[change.op],
            params: { customerId: change.customerId, featureCode: change.seatType, count: change.quantity },
          },
        },
        // The approvals gate was asked once for the whole batch (bulk.apply).
        { approved: true },
      );
    },
  );
}

function writeUsage(
  engine: WriteEngine,
  staff: Staff,
  change: Extract<RowChange, { kind: "usage" }>,
  row: BulkRowsTable,
  origin: { batchId: string; line: number; fileName: string },
): Promise<WriteResult> {
  const identity = {
    customerId: change.customerId,
    featureCode: change.feature,
    quantity: change.quantity,
    eventTime: change.eventTime,
    ...origin,
  };
  return engine.keyed(
    { action: usageRecordWrite, idempotencyKey: row.idempotency_key, customerId: change.customerId, identity },
    async () => {
      const at = change.eventTime ?? new Date(engine.now()).toISOString();
      return engine.write(
        {
          action: usageRecordWrite,
          staff,
          customerId: change.customerId,
          idempotencyKey: row.idempotency_key,
          form: identity,
          details: {
            featureCode: change.feature,
            quantity: change.quantity,
            eventTime: at,
            reasonCode: "bulk",
            reasonText: change.reason,
            bulk: origin,
          },
          request: {
            call: "usage.track",
            params: {
              feature: change.feature,
              customerId: change.customerId,
              value: change.quantity,
              timestamp: at,
              idempotencyKey: row.idempotency_key,
              properties: {
                source: "ops-console-bulk",
                batch: origin.batchId,
                line: String(origin.line),
                note: redactText(change.reason).slice(0, 500),
              },
            },
          },
        },
        { approved: true },
      );
    },
  );
}

function outcomeOf(result: WriteResult | Stale): RowOutcome {
  const none = { commetId: null, auditId: null };
  switch (result.kind) {
    case "stale":
      return { status: "refused", message: result.message, ...none };
    case "ok":
      return { status: "applied", message: result.message, commetId: result.eventId, auditId: result.auditId };
    case "already_recorded":
      return { status: "applied", message: result.message, commetId: result.eventId, auditId: result.auditId };
    case "previous_failed":
    case "duplicate_unknown":
      return { status: "failed", message: result.message, commetId: null, auditId: result.auditId };
    case "in_progress":
      return { status: "unknown", message: result.message, commetId: null, auditId: result.auditId };
    case "commet_error":
      if (result.outcome === "unknown") {
        return { status: "unknown", message: result.message, commetId: null, auditId: result.auditId };
      }
      // A failed read before the write (auditId null) sent nothing: the row is tried again.
      return result.auditId
        ? { status: "failed", message: result.message, commetId: null, auditId: result.auditId }
        : { status: "unknown", message: result.message, ...none };
    case "sent_for_approval":
    case "field_errors":
    case "forbidden":
      return { status: "refused", message: result.message, ...none };
  }
}
