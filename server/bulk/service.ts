/**
 * Bulk batches over one database and one write engine: upload (parse, validate live, store), the batch
 * screen's view and progress, the staff actions, the result and error CSVs, and the runner that writes
 * the rows exactly once — resumable after a crash from the rows persisted in the database.
 */
import { randomBytes } from "node:crypto";
import {
  BULK_KIND_LABELS,
  BULK_PAGE_SIZE,
  type BulkActionResult,
  type BulkBatchStatus,
  type BulkBatchSummary,
  type BulkBatchView,
  type BulkCsvKind,
  type BulkIntent,
  type BulkKind,
  type BulkProgress,
  type BulkRowEffect,
  type BulkRowError,
  type BulkRowQuery,
  type BulkRowStatus,
  type BulkRowView,
  type BulkTotals,
  type BulkUploadResult,
  bulkCsvFileName,
} from "../../app/contracts/bulk.ts";
import type { ApprovalPreview } from "../../app/contracts/approvals.ts";
import { formatCount, formatUtc } from "../../app/contracts/format.ts";
import { can, type Role } from "../../app/contracts/permissions.ts";
import { loadPolicy, requiresApproval } from "../approvals/index.ts";
import { approvalTables } from "../approvals/schema.ts";
import { createAuditLog, type AuditActor } from "../audit/index.ts";
import { csvStream } from "../csv/index.ts";
import { chunks, isUniqueViolation, type Clock, type Database } from "../db/index.ts";
import { indexedCustomersByEmail } from "../directory/index.ts";
import { ingestUsageEvents, type UsageEventInput } from "../usage/timeline/index.ts";
import { readFailure, type Staff, type WriteEngine } from "../writes/index.ts";
import { bulkApplyWrite, installBatchHooks, type BatchAssessment } from "./approval.ts";
import { mapLimit } from "./limit.ts";
import { parseBulkFile } from "./parse.ts";
import { applyRow, type RowOutcome } from "./rows.ts";
import { bulkTables, type BulkBatchesTable, type BulkDb, type BulkRowsTable } from "./schema.ts";
import { totalsOf, validateRows, type RowChange, type ValidatedRow } from "./validate.ts";

export interface BulkStaff {
  id: string;
  email: string;
  role: Role;
}

export interface BulkDeps {
  database: Database;
  engine: WriteEngine;
  clock?: Clock;
  /** Parallel Commet reads of validation (default 8) and row writes of the runner (default 8). */
  readConcurrency?: number;
  writeConcurrency?: number;
  /** Passes over rows whose outcome stayed unknown, and the first wait (doubled each pass). */
  unknownPasses?: number;
  unknownDelayMs?: number;
  /** How long a runner holds a batch without renewing (another process takes over after). */
  leaseMs?: number;
  /** Customers by lower-cased email; default: the console's directory. */
  customersByEmail?: (emails: string[]) => Promise<Map<string, string>>;
  log?: (line: string) => void;
}

/** Rows a runner takes at a time (pause and cancel act between rows; the lease is renewed per chunk). */
const CHUNK = 100;
const RUNNABLE: readonly BulkBatchStatus[] = ["applying"];

export function createBulk(deps: BulkDeps) {
  const db: BulkDb = bulkTables(deps.database.db);
  const engine = deps.engine;
  const clock = deps.clock ?? (() => engine.now());
  const audit = createAuditLog(deps.database.db, { clock });
  const log = deps.log ?? (() => {});
  const owner = `runner-${randomBytes(6).toString("hex")}`;
  const leaseMs = deps.leaseMs ?? 60_000;
  /** Batches this process is writing now, and the ones told to stop (pause/cancel) between rows. */
  const running = new Map<string, Promise<void>>();
  const stopping = new Set<string>();
  /** halt(): this process behaves as if it died — its runners stop and keep their leases until they run out. */
  let halted = false;

  const customersByEmail =
    deps.customersByEmail ??
    (async (emails: string[]) => {
      const found = await indexedCustomersByEmail(deps.database, emails);
      return new Map([...found].map(([email, c]) => [email, c.id]));
    });

  const batchById = (id: string) => db.selectFrom("bulk_batches").selectAll().where("id", "=", id).executeTakeFirst();

  // ---------------------------------------------------------------- upload and validation

  async function upload(
    staff: BulkStaff,
    input: { kind: BulkKind; fileName: string; content: string },
  ): Promise<BulkUploadResult> {
    if (!can(staff.role, "bulk:apply")) return { kind: "forbidden", message: "Your role may not make bulk changes" };
    const parsed = parseBulkFile(input.kind, input.content);
    if (!parsed.ok) return { kind: "file_errors", errors: parsed.errors, message: "The file was not accepted" };
    const existing = await db
      .selectFrom("bulk_batches")
      .select(["id", "status"])
      .where("kind", "=", input.kind)
      .where("file_hash", "=", parsed.hash)
      .executeTakeFirst();
    if (existing) return existingAnswer(existing);

    const validated = await validated_(input.kind, parsed.hash, parsed.rows);
    if (!validated.ok) return { kind: "commet_error", message: validated.message };
    const now = clock();
    const id = `bulk_${randomBytes(16).toString("hex")}`;
    const status: BulkBatchStatus = validated.totals.invalid > 0 ? "invalid" : "ready";
    const fileName = input.fileName.replace(/[^\w .()-]/g, "_").slice(0, 200) || "upload.csv";
    try {
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto("bulk_batches")
          .values({
            id,
            kind: input.kind,
            file_name: fileName,
            file_hash: parsed.hash,
            content: input.content,
            created_at: now,
            created_by_id: staff.id,
            created_by_email: staff.email,
            created_role: staff.role,
            status,
            validated_at: now,
            totals: JSON.stringify(validated.totals),
            livemode_at: validated.rows.some((r) => r.livemode) ? now : null,
            approval_request_id: null,
            applied_by_id: null,
            applied_by_email: null,
            applied_role: null,
            started_at: null,
            finished_at: null,
            lease_owner: null,
            lease_until: null,
            updated_at: now,
          })
          .execute();
        for (const part of chunks(validated.rows, 500)) {
          await trx
            .insertInto("bulk_rows")
            .values(part.map((r) => rowValues(id, r)))
            .execute();
        }
      });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const raced = await db
        .selectFrom("bulk_batches")
        .select(["id", "status"])
        .where("kind", "=", input.kind)
        .where("file_hash", "=", parsed.hash)
        .executeTakeFirst();
      if (raced) return existingAnswer(raced);
      throw error;
    }
    await audit.record(
      {
        actor: actorOf(staff),
        role: staff.role,
        action: "bulk.upload",
        params: {
          batchId: id,
          kind: input.kind,
          fileName,
          fileHash: parsed.hash,
          rows: validated.totals.rows,
          valid: validated.totals.valid,
          invalid: validated.totals.invalid,
        },
        idempotencyKey: `${id}#upload`,
      },
      { status: "succeeded" },
    );
    const message =
      status === "invalid"
        ? `${formatCount(validated.totals.invalid)} of ${formatCount(validated.totals.rows)} rows are invalid: nothing can be sent until the file is fixed or they are excluded`
        : `All ${formatCount(validated.totals.rows)} rows are valid: check the dry run, then apply`;
    return { kind: "created", batchId: id, status, message };
  }

  function existingAnswer(row: { id: string; status: string }): BulkUploadResult {
    return {
      kind: "existing",
      batchId: row.id,
      status: row.status as BulkBatchStatus,
      message:
        "This very file was uploaded before: here is its batch (its rows keep their keys, nothing is applied twice)",
    };
  }

  async function validated_(
    kind: BulkKind,
    hash: string,
    rows: Parameters<typeof validateRows>[2],
  ): Promise<{ ok: true; rows: ValidatedRow[]; totals: BulkTotals } | { ok: false; message: string }> {
    try {
      const result = await validateRows(kind, hash, rows, {
        commet: engine.commet(),
        now: clock(),
        customersByEmail,
        concurrency: deps.readConcurrency,
      });
      return { ok: true, ...result };
    } catch (error) {
      const failed = readFailure(error, engine.commetUrl());
      return { ok: false, message: `Commet could not be read to validate the file: ${failed.message}` };
    }
  }

  function rowValues(batchId: string, r: ValidatedRow): BulkRowsTable {
    return {
      batch_id: batchId,
      line: r.line,
      status: r.status,
      customer_ref: r.customerRef.slice(0, 320),
      customer_id: r.customerId,
      summary: r.summary,
      errors: JSON.stringify(r.errors),
      effect: r.effect ? JSON.stringify(r.effect) : null,
      change: r.change ? JSON.stringify(r.change) : null,
      idempotency_key: r.idempotencyKey,
      audit_id: null,
      commet_id: null,
      message: null,
      finished_at: null,
    };
  }

  /** A fresh dry run of a batch nothing was sent for yet: the file parsed again, every row checked again. */
  async function revalidate(batch: BulkBatchesTable): Promise<BulkActionResult> {
    const parsed = parseBulkFile(batch.kind as BulkKind, batch.content);
    if (!parsed.ok) return { kind: "refused", message: parsed.errors.join("; ") };
    const result = await validated_(batch.kind as BulkKind, parsed.hash, parsed.rows);
    if (!result.ok) return { kind: "commet_error", message: result.message };
    const now = clock();
    const status: BulkBatchStatus = result.totals.invalid > 0 ? "invalid" : "ready";
    const done = await db.transaction().execute(async (trx) => {
      const updated = await trx
        .updateTable("bulk_batches")
        .set({
          status,
          validated_at: now,
          totals: JSON.stringify(result.totals),
          approval_request_id: null,
          updated_at: now,
        })
        .where("id", "=", batch.id)
        .where("status", "in", ["invalid", "ready", "rejected"])
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1) return false;
      await trx.deleteFrom("bulk_rows").where("batch_id", "=", batch.id).execute();
      for (const part of chunks(result.rows, 500)) {
        await trx
          .insertInto("bulk_rows")
          .values(part.map((r) => rowValues(batch.id, r)))
          .execute();
      }
      return true;
    });
    if (!done) return { kind: "refused", message: "The batch has started meanwhile: its dry run stays as it was" };
    return {
      kind: "ok",
      batchId: batch.id,
      status,
      message:
        status === "ready"
          ? "Dry run again: every row is valid"
          : `Dry run again: ${formatCount(result.totals.invalid)} rows are invalid`,
    };
  }

  // ---------------------------------------------------------------- views

  async function list(): Promise<BulkBatchSummary[]> {
    const rows = await db
      .selectFrom("bulk_batches")
      .select(["id", "kind", "file_name", "created_at", "created_by_email", "status", "totals"])
      .orderBy("created_at", "desc")
      .limit(50)
      .execute();
    const applied = await countsBy(rows.map((r) => r.id));
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind as BulkKind,
      fileName: r.file_name,
      createdAt: r.created_at,
      createdBy: r.created_by_email,
      status: r.status as BulkBatchStatus,
      rows: (JSON.parse(r.totals) as BulkTotals).rows,
      applied: applied.get(r.id)?.applied ?? 0,
    }));
  }

  async function countsBy(batchIds: string[]): Promise<Map<string, Partial<Record<BulkRowStatus, number>>>> {
    const out = new Map<string, Partial<Record<BulkRowStatus, number>>>();
    if (batchIds.length === 0) return out;
    const rows = await db
      .selectFrom("bulk_rows")
      .select((eb) => ["batch_id", "status", eb.fn.countAll<number | string>().as("n")])
      .where("batch_id", "in", batchIds)
      .groupBy(["batch_id", "status"])
      .execute();
    for (const r of rows) {
      const counts = out.get(r.batch_id) ?? {};
      counts[r.status as BulkRowStatus] = Number(r.n);
      out.set(r.batch_id, counts);
    }
    return out;
  }

  function progressOf(batch: Pick<BulkBatchesTable, "id" | "status">, counts: Partial<Record<BulkRowStatus, number>>) {
    const n = (s: BulkRowStatus) => counts[s] ?? 0;
    const done = n("applied") + n("refused") + n("failed") + n("unknown") + n("skipped");
    const total = done + n("ready");
    const progress: BulkProgress = {
      batchId: batch.id,
      status: batch.status as BulkBatchStatus,
      total,
      done,
      applied: n("applied"),
      refused: n("refused"),
      failed: n("failed"),
      unknown: n("unknown"),
      skipped: n("skipped"),
      percent: total === 0 ? 0 : Math.floor((done * 100) / total),
    };
    return progress;
  }

  async function progress(batchId: string): Promise<BulkProgress | null> {
    const batch = await batchById(batchId);
    if (!batch) return null;
    return progressOf(batch, (await countsBy([batchId])).get(batchId) ?? {});
  }

  async function load(batchId: string, query: BulkRowQuery, staff: BulkStaff): Promise<BulkBatchView | null> {
    let batch = await batchById(batchId);
    if (!batch) return null;
    batch = (await followApproval(batch)) ?? batch;
    await settleUnknownRows(batchId);
    const counts = (await countsBy([batchId])).get(batchId) ?? {};
    const statusesOf: Record<BulkRowQuery["filter"], BulkRowStatus[] | null> = {
      all: null,
      invalid: ["invalid", "excluded"],
      to_apply: ["ready"],
      applied: ["applied"],
      problems: ["refused", "failed", "unknown", "skipped"],
    };
    const statuses = statusesOf[query.filter];
    const filteredRows = statuses
      ? statuses.reduce((sum, s) => sum + (counts[s] ?? 0), 0)
      : Object.values(counts).reduce((sum, n) => sum + (n ?? 0), 0);
    let q = db.selectFrom("bulk_rows").selectAll().where("batch_id", "=", batchId);
    if (statuses) q = q.where("status", "in", statuses);
    const rows = await q
      .orderBy("line")
      .limit(BULK_PAGE_SIZE)
      .offset((query.page - 1) * BULK_PAGE_SIZE)
      .execute();
    const approval = batch.approval_request_id ? await approvalOf(batch.approval_request_id) : null;
    const status = batch.status as BulkBatchStatus;
    const allowed = can(staff.role, "bulk:apply");
    const hasInvalid = (counts.invalid ?? 0) > 0;
    const totals = JSON.parse(batch.totals) as BulkTotals;
    return {
      id: batch.id,
      kind: batch.kind as BulkKind,
      fileName: batch.file_name,
      fileHash: batch.file_hash.slice(0, 12),
      createdAt: batch.created_at,
      createdBy: batch.created_by_email,
      status,
      validatedAt: batch.validated_at,
      totals,
      progress: progressOf(batch, counts),
      approval,
      may: {
        exclude_invalid: allowed && status === "invalid" && hasInvalid && totals.valid > 0,
        revalidate: allowed && (status === "invalid" || status === "ready" || status === "rejected"),
        apply: allowed && status === "ready",
        pause: allowed && status === "applying",
        resume: allowed && status === "paused",
        cancel: allowed && (status === "applying" || status === "paused" || status === "awaiting_approval"),
      },
      filter: query.filter,
      page: query.page,
      pageSize: BULK_PAGE_SIZE,
      filteredRows,
      rows: rows.map(rowView),
      livemode: batch.livemode_at !== null,
    };
  }

  function rowView(r: BulkRowsTable): BulkRowView {
    const finished = r.status !== "ready" && r.status !== "invalid" && r.status !== "excluded";
    return {
      line: r.line,
      status: r.status as BulkRowStatus,
      customer: r.customer_ref,
      customerId: r.customer_id,
      summary: r.summary,
      errors: JSON.parse(r.errors) as BulkRowError[],
      effect: r.effect ? (JSON.parse(r.effect) as BulkRowEffect) : null,
      outcome: finished
        ? { message: r.message ?? "", commetId: r.commet_id, auditId: r.audit_id, at: r.finished_at }
        : null,
    };
  }

  async function approvalOf(requestId: string): Promise<BulkBatchView["approval"]> {
    const row = await approvalTables(deps.database.db)
      .selectFrom("approval_requests")
      .select(["status", "approvers"])
      .where("id", "=", requestId)
      .executeTakeFirst();
    if (!row) return null;
    return {
      requestId,
      status: row.status as NonNullable<BulkBatchView["approval"]>["status"],
      approvers: JSON.parse(row.approvers) as string[],
    };
  }

  /** A batch waiting for approval follows its request: rejected or expired → rejected (nothing was sent). */
  async function followApproval(batch: BulkBatchesTable): Promise<BulkBatchesTable | null> {
    if (batch.status !== "awaiting_approval" || !batch.approval_request_id) return null;
    const approval = await approvalOf(batch.approval_request_id);
    if (approval?.status !== "rejected" && approval?.status !== "expired") return null;
    await db
      .updateTable("bulk_batches")
      .set({ status: "rejected", updated_at: clock() })
      .where("id", "=", batch.id)
      .where("status", "=", "awaiting_approval")
      .execute();
    return (await batchById(batch.id)) ?? null;
  }

  /** Rows left "unknown" take the outcome their audit row has since reached (the write resolver's work). */
  async function settleUnknownRows(batchId: string): Promise<void> {
    const unknown = await db
      .selectFrom("bulk_rows")
      .select(["line", "audit_id"])
      .where("batch_id", "=", batchId)
      .where("status", "=", "unknown")
      .where("audit_id", "is not", null)
      .limit(500)
      .execute();
    for (const row of unknown) {
      const entry = await audit.get(row.audit_id!);
      if (!entry || entry.status === "pending") continue;
      const succeeded = entry.status === "succeeded";
      await db
        .updateTable("bulk_rows")
        .set({
          status: succeeded ? "applied" : "failed",
          commet_id: succeeded ? (entry.commetIds?.eventId ?? null) : null,
          message: succeeded
            ? `Applied (confirmed ${formatUtc(entry.finalizedAt ?? clock())})`
            : `Commet refused it: ${entry.errorCode ?? "failed"}`,
          finished_at: entry.finalizedAt ?? clock(),
        })
        .where("batch_id", "=", batchId)
        .where("line", "=", row.line)
        .where("status", "=", "unknown")
        .execute();
    }
  }

  // ---------------------------------------------------------------- actions

  async function act(staff: BulkStaff, batchId: string, intent: BulkIntent): Promise<BulkActionResult> {
    if (!can(staff.role, "bulk:apply")) return { kind: "forbidden", message: "Your role may not make bulk changes" };
    const found = await batchById(batchId);
    if (!found) return { kind: "not_found", message: "No such batch" };
    const batch = (await followApproval(found)) ?? found;
    const status = batch.status as BulkBatchStatus;
    const refused = (message: string): BulkActionResult => ({ kind: "refused", message });
    const now = clock();
    switch (intent) {
      case "revalidate":
        if (!["invalid", "ready", "rejected"].includes(status))
          return refused(`The batch is ${status}: no new dry run`);
        return revalidate(batch);
      case "exclude_invalid": {
        if (status !== "invalid") return refused("Only a batch with invalid rows has rows to exclude");
        const totals = JSON.parse(batch.totals) as BulkTotals;
        if (totals.valid === 0) return refused("No row is valid: fix the file and upload it again");
        await db.transaction().execute(async (trx) => {
          await trx
            .updateTable("bulk_rows")
            .set({ status: "excluded" })
            .where("batch_id", "=", batchId)
            .where("status", "=", "invalid")
            .execute();
          const rows = await trx
            .selectFrom("bulk_rows")
            .select(["status", "customer_id", "effect"])
            .where("batch_id", "=", batchId)
            .execute();
          const fresh = totalsOf(
            batch.kind as BulkKind,
            rows.map((r) => ({
              status: r.status as BulkRowStatus,
              customerId: r.customer_id,
              effect: r.effect ? (JSON.parse(r.effect) as BulkRowEffect) : null,
            })),
          );
          await trx
            .updateTable("bulk_batches")
            .set({ status: "ready", totals: JSON.stringify(fresh), updated_at: now })
            .where("id", "=", batchId)
            .where("status", "=", "invalid")
            .execute();
        });
        await record(staff, "bulk.exclude_invalid", batch, { excluded: totals.invalid }, `${batchId}#exclude`);
        return {
          kind: "ok",
          batchId,
          status: "ready",
          message: `${formatCount(totals.invalid)} invalid row${totals.invalid === 1 ? "" : "s"} excluded: ${totals.invalid === 1 ? "it" : "they"} will not be sent`,
        };
      }
      case "apply":
        if (status !== "ready") {
          return refused(
            status === "invalid"
              ? "Nothing is sent while rows are invalid: fix the file, or exclude the invalid rows"
              : `The batch is ${status}`,
          );
        }
        return startApply(staff, batch);
      case "pause": {
        if (status !== "applying") return refused(`The batch is ${status}: nothing to pause`);
        await setStatus(batchId, "applying", "paused");
        stopping.add(batchId);
        await record(staff, "bulk.pause", batch, {}, `${batchId}#pause-${now}`);
        return {
          kind: "ok",
          batchId,
          status: "paused",
          message: "Paused: the rows in flight finish, no new row starts",
        };
      }
      case "resume": {
        if (status !== "paused") return refused(`The batch is ${status}: nothing to resume`);
        await setStatus(batchId, "paused", "applying");
        stopping.delete(batchId);
        await record(staff, "bulk.resume", batch, {}, `${batchId}#resume-${now}`);
        kick(batchId);
        return { kind: "ok", batchId, status: "applying", message: "Applying again from the first row not written" };
      }
      case "cancel": {
        if (!["applying", "paused", "awaiting_approval"].includes(status)) {
          return refused(`The batch is ${status}: nothing to cancel`);
        }
        const moved = await setStatus(batchId, status, "cancelled");
        if (!moved) return refused("The batch changed meanwhile: reload it");
        stopping.add(batchId);
        await running.get(batchId);
        const skipped = await db
          .updateTable("bulk_rows")
          .set({ status: "skipped", message: "Not sent: the batch was cancelled", finished_at: now })
          .where("batch_id", "=", batchId)
          .where("status", "=", "ready")
          .executeTakeFirst();
        await db.updateTable("bulk_batches").set({ finished_at: now }).where("id", "=", batchId).execute();
        await record(staff, "bulk.cancel", batch, { skipped: Number(skipped.numUpdatedRows) }, `${batchId}#cancel`);
        return {
          kind: "ok",
          batchId,
          status: "cancelled",
          message: `Cancelled: ${formatCount(Number(skipped.numUpdatedRows))} rows not sent; rows already written stay written`,
        };
      }
    }
  }

  async function setStatus(batchId: string, from: string, to: BulkBatchStatus): Promise<boolean> {
    const updated = await db
      .updateTable("bulk_batches")
      .set({ status: to, updated_at: clock() })
      .where("id", "=", batchId)
      .where("status", "=", from)
      .executeTakeFirst();
    return Number(updated.numUpdatedRows) === 1;
  }

  async function record(
    staff: BulkStaff,
    action: string,
    batch: BulkBatchesTable,
    params: Record<string, unknown>,
    key: string,
  ): Promise<void> {
    await audit.record(
      {
        actor: actorOf(staff),
        role: staff.role,
        action,
        params: { batchId: batch.id, kind: batch.kind, fileName: batch.file_name, ...params },
        idempotencyKey: key,
      },
      { status: "succeeded" },
    );
  }

  /**
   * The rule that holds the batch: the policy's "bulk" rule (every batch), else the first row its own rule
   * would hold on its own (a large seat change, large manual usage) — either way ONE request for the batch.
   */
  async function assessBatch(batch: BulkBatchesTable): Promise<BatchAssessment | null> {
    const policy = await loadPolicy(approvalTables(deps.database.db));
    if (policy.rules.bulk.enabled) return { rule: "bulk", measure: {} };
    const rule = batch.kind === "seats" ? "seats.change" : "usage.record";
    if (!policy.rules[rule].enabled) return null;
    const rows = await db
      .selectFrom("bulk_rows")
      .select(["effect"])
      .where("batch_id", "=", batch.id)
      .where("status", "=", "ready")
      .execute();
    for (const r of rows) {
      const effect = JSON.parse(r.effect ?? "null") as BulkRowEffect | null;
      if (!effect) continue;
      const measure =
        effect.kind === "seats" ? { seatsFrom: effect.from, seatsTo: effect.to } : { quantity: effect.quantity };
      if (requiresApproval(rule, policy.rules[rule], measure)) return { rule, measure };
    }
    return null;
  }

  async function startApply(staff: BulkStaff, batch: BulkBatchesTable): Promise<BulkActionResult> {
    await db
      .updateTable("bulk_batches")
      .set({ applied_by_id: staff.id, applied_by_email: staff.email, applied_role: staff.role, updated_at: clock() })
      .where("id", "=", batch.id)
      .where("status", "=", "ready")
      .execute();
    const totals = JSON.parse(batch.totals) as BulkTotals;
    const key = `bulk-apply-${batch.id.slice(5)}-${batch.validated_at}`;
    const request = { call: "bulk.apply" as const, params: { batchId: batch.id, validatedAt: batch.validated_at } };
    const writer: Staff = { actor: actorOf(staff), role: staff.role };
    const result = await engine.keyed(
      { action: bulkApplyWrite, idempotencyKey: key, customerId: "", identity: request.params },
      async () =>
        engine.write({
          action: bulkApplyWrite,
          staff: writer,
          customerId: "",
          idempotencyKey: key,
          form: request.params,
          details: {
            kind: batch.kind,
            fileName: batch.file_name,
            fileHash: batch.file_hash,
            rows: totals.valid,
            customers: totals.customers,
            held: await assessBatch(batch),
          },
          request,
        }),
    );
    switch (result.kind) {
      case "ok":
      case "already_recorded":
        return { kind: "ok", batchId: batch.id, status: "applying", message: "Applying: follow the progress below" };
      case "sent_for_approval":
        await db
          .updateTable("bulk_batches")
          .set({ status: "awaiting_approval", approval_request_id: result.requestId, updated_at: clock() })
          .where("id", "=", batch.id)
          .where("status", "=", "ready")
          .execute();
        return {
          kind: "sent_for_approval",
          batchId: batch.id,
          requestId: result.requestId,
          approvers: result.approvers,
          message: `${result.message} The whole batch is one request.`,
        };
      case "commet_error":
        return { kind: "commet_error", message: result.message };
      default:
        return { kind: "refused", message: result.message };
    }
  }

  // ---------------------------------------------------------------- the runner

  /** bulk.apply's effect: the batch moves to applying (from ready or awaiting approval) and its runner starts. */
  async function start(batchId: string, validatedAt: number): Promise<void> {
    const batch = await batchById(batchId);
    if (!batch) throw new Error(`bulk: no batch ${batchId}`);
    if (batch.validated_at !== validatedAt) throw new Error(`bulk: batch ${batchId} was validated again since`);
    const now = clock();
    await db
      .updateTable("bulk_batches")
      .set({ status: "applying", started_at: now, updated_at: now })
      .where("id", "=", batchId)
      .where("status", "in", ["ready", "awaiting_approval"])
      .execute();
    kick(batchId);
  }

  async function previewOf(batchId: string, validatedAt: number): Promise<ApprovalPreview> {
    const batch = await batchById(batchId);
    if (!batch) return { summary: "A bulk batch that no longer exists", facts: [], blocked: "No such batch" };
    const totals = JSON.parse(batch.totals) as BulkTotals;
    const kind = batch.kind as BulkKind;
    const effect =
      totals.seats !== null
        ? `+${formatCount(totals.seats.added)} / −${formatCount(totals.seats.removed)} seats`
        : (totals.usage ?? []).map((u) => `${u.label} + ${formatCount(u.quantity)}`).join(", ");
    const facts = [
      { label: "Batch", value: `/bulk/${batch.id}` },
      { label: "File", value: `${batch.file_name} (SHA-256 ${batch.file_hash.slice(0, 12)})` },
      { label: "Uploaded by", value: batch.created_by_email },
      { label: "Rows to apply", value: formatCount(totals.valid) },
      { label: "Rows excluded", value: formatCount(totals.excluded) },
      { label: "Customers", value: formatCount(totals.customers) },
      { label: "Effect", value: effect || "none" },
      { label: "Dry run", value: formatUtc(batch.validated_at) },
      { label: "Mode", value: batch.livemode_at ? "LIVE" : "test" },
    ];
    if (totals.seats?.charge) facts.push({ label: "Prorated charges", value: `≈ ${totals.seats.charge.formatted}` });
    const blocked =
      batch.validated_at !== validatedAt
        ? "The batch was dry-run again since: apply it again to ask for a new approval"
        : !["ready", "awaiting_approval"].includes(batch.status)
          ? `The batch is ${batch.status}`
          : null;
    return {
      summary: `${BULK_KIND_LABELS[kind]} from ${batch.file_name}: ${formatCount(totals.valid)} rows, ${formatCount(totals.customers)} customers, ${effect}`,
      facts,
      blocked,
    };
  }

  /** Starts this process's runner of a batch unless one runs here already. */
  function kick(batchId: string): void {
    if (running.has(batchId)) return;
    stopping.delete(batchId);
    const run = runBatch(batchId)
      .catch((error: unknown) => log(`batch ${batchId}: runner stopped: ${String(error)}`))
      .finally(() => running.delete(batchId));
    running.set(batchId, run);
  }

  async function claim(batchId: string): Promise<boolean> {
    const now = clock();
    const updated = await db
      .updateTable("bulk_batches")
      .set({ lease_owner: owner, lease_until: now + leaseMs })
      .where("id", "=", batchId)
      .where("status", "in", RUNNABLE)
      .where((eb) => eb.or([eb("lease_until", "is", null), eb("lease_until", "<", now), eb("lease_owner", "=", owner)]))
      .executeTakeFirst();
    return Number(updated.numUpdatedRows) === 1;
  }

  async function release(batchId: string): Promise<void> {
    await db
      .updateTable("bulk_batches")
      .set({ lease_owner: null, lease_until: null })
      .where("id", "=", batchId)
      .where("lease_owner", "=", owner)
      .execute();
  }

  async function runBatch(batchId: string): Promise<void> {
    if (!(await claim(batchId))) return;
    try {
      const writes = deps.writeConcurrency ?? 8;
      for (;;) {
        const batch = await batchById(batchId);
        if (!batch || batch.status !== "applying" || stopping.has(batchId)) return;
        if (!(await claim(batchId))) return;
        const rows = await db
          .selectFrom("bulk_rows")
          .selectAll()
          .where("batch_id", "=", batchId)
          .where("status", "=", "ready")
          .orderBy("line")
          .limit(CHUNK)
          .execute();
        if (rows.length === 0) break;
        await applyAll(batch, rows, writes);
      }
      // Outcomes left unknown (500, 429, a dropped answer): the same key again, a few times, then the resolver's.
      const passes = deps.unknownPasses ?? 3;
      for (let pass = 0; pass < passes; pass++) {
        const unknown = await db
          .selectFrom("bulk_rows")
          .selectAll()
          .where("batch_id", "=", batchId)
          .where("status", "=", "unknown")
          .orderBy("line")
          .execute();
        if (unknown.length === 0) break;
        await sleep((deps.unknownDelayMs ?? 1000) * 2 ** pass);
        const batch = await batchById(batchId);
        if (!batch || batch.status !== "applying" || stopping.has(batchId)) return;
        await claim(batchId);
        await applyAll(batch, unknown, writes);
      }
      // Rows whose Commet reads kept failing were never sent: say so rather than leave them unknown.
      await db
        .updateTable("bulk_rows")
        .set({ status: "failed", finished_at: clock() })
        .where("batch_id", "=", batchId)
        .where("status", "=", "unknown")
        .where("audit_id", "is", null)
        .execute();
      const now = clock();
      const completed = await db
        .updateTable("bulk_batches")
        .set({ status: "completed", finished_at: now, updated_at: now })
        .where("id", "=", batchId)
        .where("status", "=", "applying")
        .executeTakeFirst();
      if (Number(completed.numUpdatedRows) === 1) {
        const done = await progress(batchId);
        const batch = (await batchById(batchId))!;
        await audit.record(
          {
            actor: { id: batch.applied_by_id, email: batch.applied_by_email ?? "system" },
            role: batch.applied_role,
            action: "bulk.complete",
            params: {
              batchId,
              kind: batch.kind,
              fileName: batch.file_name,
              applied: done?.applied,
              refused: done?.refused,
              failed: done?.failed,
              unknown: done?.unknown,
            },
            idempotencyKey: `${batchId}#complete`,
          },
          { status: "succeeded" },
        );
        log(`batch ${batchId}: completed (${done?.applied} applied, ${done?.failed} failed, ${done?.refused} refused)`);
      }
    } finally {
      if (!halted) await release(batchId);
    }
  }

  /** Writes rows (`limit` at a time, none once told to stop), each outcome as it comes; the chunk's timeline entries together. */
  async function applyAll(batch: BulkBatchesTable, rows: BulkRowsTable[], limit: number): Promise<void> {
    const timeline: UsageEventInput[] = [];
    await mapLimit(rows, limit, async (row) => {
      if (stopping.has(batch.id)) return;
      const outcome = await applyRow(engine, batch, row);
      await settle(batch, row, outcome);
      if (outcome.timeline) timeline.push(outcome.timeline);
    });
    if (timeline.length === 0) return;
    // One round of queries for the chunk (the usage.recorded webhooks bring the same events, deduplicated).
    await deps.database.db
      .transaction()
      .execute((trx) => ingestUsageEvents(trx, timeline, clock()))
      .catch((error: unknown) =>
        log(`usage timeline: ${timeline.length} manual entries not recorded: ${String(error)}`),
      );
  }

  async function settle(batch: BulkBatchesTable, row: BulkRowsTable, outcome: RowOutcome): Promise<void> {
    await db
      .updateTable("bulk_rows")
      .set({
        status: outcome.status,
        audit_id: outcome.auditId ?? row.audit_id,
        commet_id: outcome.commetId,
        message: outcome.message.slice(0, 1000),
        finished_at: outcome.status === "unknown" ? null : clock(),
      })
      .where("batch_id", "=", batch.id)
      .where("line", "=", row.line)
      .execute();
  }

  /** Start-up and periodic: batches left applying by a stopped process (lease expired) are resumed here. */
  async function resumeUnfinished(): Promise<string[]> {
    const now = clock();
    const due = await db
      .selectFrom("bulk_batches")
      .select("id")
      .where("status", "in", RUNNABLE)
      .where((eb) => eb.or([eb("lease_until", "is", null), eb("lease_until", "<", now)]))
      .execute();
    for (const b of due) kick(b.id);
    return due.map((b) => b.id);
  }

  /** Waits for this process's runners (tests, shutdown). */
  async function idle(): Promise<void> {
    while (running.size > 0) await Promise.all([...running.values()]);
  }

  /**
   * Stops this process's runners between rows as a crash would: the batches stay applying and their leases
   * stay taken until they run out (then another process resumes them). Tests use it as the "kill".
   */
  async function halt(): Promise<void> {
    halted = true;
    for (const id of running.keys()) stopping.add(id);
    await idle();
  }

  // ---------------------------------------------------------------- CSV files

  async function csv(
    staff: BulkStaff,
    batchId: string,
    which: BulkCsvKind,
  ): Promise<{ fileName: string; body: string } | null> {
    const batch = await batchById(batchId);
    if (!batch || !can(staff.role, "bulk:apply")) return null;
    await record(staff, "bulk.export", batch, { file: which }, `${batchId}#export-${which}-${clock()}`);
    const statuses: BulkRowStatus[] | null = which === "errors" ? ["invalid", "excluded"] : null;
    async function* rows() {
      let after = 0;
      for (;;) {
        let q = db.selectFrom("bulk_rows").selectAll().where("batch_id", "=", batchId).where("line", ">", after);
        if (statuses) q = q.where("status", "in", statuses);
        const page = await q.orderBy("line").limit(500).execute();
        if (page.length === 0) return;
        for (const r of page) {
          const errors = JSON.parse(r.errors) as BulkRowError[];
          yield which === "errors"
            ? {
                line: r.line,
                customer: r.customer_ref,
                column: errors.map((e) => e.column ?? "").join("; "),
                error: errors.map((e) => e.message).join("; "),
                status: r.status,
              }
            : {
                line: r.line,
                customer: r.customer_ref,
                customer_id: r.customer_id ?? "",
                outcome: r.status,
                commet_id: r.commet_id ?? "",
                message: r.message ?? errors.map((e) => e.message).join("; "),
                key: r.idempotency_key,
              };
        }
        after = page[page.length - 1]!.line;
      }
    }
    const columns =
      which === "errors"
        ? (["line", "customer", "column", "error", "status"] as const)
        : (["line", "customer", "customer_id", "outcome", "commet_id", "message", "key"] as const);
    // ≤ 10,000 rows (≈ 1 MB): read whole, so a failed query is an error page rather than a cut file.
    const stream = csvStream(
      rows() as AsyncIterable<Record<(typeof columns)[number], string | number>>,
      columns.map((key) => ({ key, header: key })),
    );
    let body = "";
    for await (const part of stream) body += String(part);
    return { fileName: bulkCsvFileName(batchId, which), body };
  }

  installBatchHooks({ start, preview: previewOf });

  return { upload, list, load, progress, act, csv, resumeUnfinished, idle, halt, kick, start, preview: previewOf };
}

export type Bulk = ReturnType<typeof createBulk>;

function actorOf(staff: BulkStaff): AuditActor {
  return { id: staff.id, email: staff.email };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export type { RowChange };
