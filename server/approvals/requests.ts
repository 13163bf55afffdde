/**
 * Approval requests over one database and one write engine: the gate that stores a held write, the inbox,
 * a request with its fresh preview, and the decisions — approve (fresh fingerprint, never one's own, then
 * executed through the exactly-once engine with the request's key), reject (with a comment), expire.
 */
import { createHash, randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import {
  APPROVAL_RULES,
  previewDifferences,
  rolesLabel,
  type ApprovalDetail,
  type ApprovalPreview,
  type ApprovalRequestView,
  type ApprovalRuleKey,
  type ApprovalStatus,
  type DecisionResult,
} from "../../app/contracts/approvals.ts";
import { formatUtc } from "../../app/contracts/format.ts";
import type { WriteResult } from "../../app/contracts/ops-results.ts";
import { isRole, type Role } from "../../app/contracts/permissions.ts";
import { createAuditLog, type AuditActor } from "../audit/index.ts";
import { isUniqueViolation, type Clock, type DB } from "../db/index.ts";
import {
  fieldErrors,
  readFailure,
  writeActionNamed,
  type CommetRequest,
  type Staff,
  type WriteEngine,
  type WriteGate,
  type WriteSpec,
} from "../writes/index.ts";
import { approvableFor } from "./approvable.ts";
import { loadPolicy, requiresApproval } from "./policy.ts";
import { approvalTables, asConsoleDb, type ApprovalRequestsTable } from "./schema.ts";

/** The write as stored with its request: everything engine.write needs, the action by name. */
interface StoredSpec {
  action: string;
  staff: Staff;
  customerId: string;
  idempotencyKey: string;
  request: CommetRequest;
  form: Record<string, unknown>;
  details: Record<string, unknown>;
}

export interface ApprovalsDeps {
  db: Kysely<DB>;
  /** The engine previews read through and approved writes run on. */
  engine: WriteEngine;
  clock?: Clock;
  /** A customer reference → its Commet id (the audit trail's), default: as given. */
  canonicalCustomer?: (ref: string) => Promise<string>;
}

const SYSTEM: AuditActor = { id: null, email: "system" };

/** SHA-256 of the preview as shown: the approve form carries it, so a changed world cannot be approved blind. */
export function previewFingerprint(preview: ApprovalPreview): string {
  const canonical = JSON.stringify([preview.summary, preview.facts.map((f) => [f.label, f.value]), preview.blocked]);
  return createHash("sha256").update(canonical).digest("hex");
}

const sameStaff = (a: { id: string | null; email: string }, id: string | null, email: string) =>
  (a.id !== null && a.id === id) || a.email.trim().toLowerCase() === email.trim().toLowerCase();

function rolesOf(json: string): Role[] {
  const parsed = JSON.parse(json) as unknown;
  return Array.isArray(parsed) ? parsed.filter(isRole) : [];
}

export function createApprovals(deps: ApprovalsDeps) {
  const db = approvalTables(deps.db);
  const clock = deps.clock ?? (() => deps.engine.now());
  const canonical = deps.canonicalCustomer ?? (async (ref: string) => ref);

  const byId = (id: string) => db.selectFrom("approval_requests").selectAll().where("id", "=", id).executeTakeFirst();
  const byKey = (key: string) =>
    db.selectFrom("approval_requests").selectAll().where("idempotency_key", "=", key).executeTakeFirst();

  function view(row: ApprovalRequestsTable, outcome: ApprovalRequestView["outcome"] = null): ApprovalRequestView {
    const preview = JSON.parse(row.preview) as ApprovalPreview;
    const rule = row.rule as ApprovalRuleKey;
    return {
      id: row.id,
      action: row.action,
      rule,
      ruleLabel: APPROVAL_RULES[rule]?.label ?? row.rule,
      customerId: row.customer_id,
      summary: preview.summary,
      requestedBy: row.requested_by_email,
      requestedAt: row.requested_at,
      expiresAt: row.expires_at,
      approvers: rolesOf(row.approvers),
      status: row.status as ApprovalStatus,
      decidedBy: row.decided_by_email,
      decidedAt: row.decided_at,
      comment: row.comment,
      writeAuditId: row.write_audit_id,
      outcome,
      idempotencyKey: row.idempotency_key,
    };
  }

  /** Pending requests past their time become `expired`, each with its audit row. */
  async function expireDue(): Promise<number> {
    const now = clock();
    const due = await db
      .selectFrom("approval_requests")
      .selectAll()
      .where("status", "=", "pending")
      .where("expires_at", "<=", now)
      .limit(200)
      .execute();
    let expired = 0;
    for (const row of due) {
      const done = await db.transaction().execute(async (trx) => {
        const updated = await trx
          .updateTable("approval_requests")
          .set({ status: "expired", decided_at: now })
          .where("id", "=", row.id)
          .where("status", "=", "pending")
          .executeTakeFirst();
        if (Number(updated.numUpdatedRows) !== 1) return false;
        await createAuditLog(asConsoleDb(trx), { clock: () => now }).record(
          {
            actor: SYSTEM,
            role: null,
            action: "approvals.expire",
            customerId: row.customer_id,
            params: {
              requestId: row.id,
              action: row.action,
              summary: view(row).summary,
              requestedBy: row.requested_by_email,
              requestedAt: row.requested_at,
            },
            idempotencyKey: `${row.idempotency_key}#expired`,
          },
          { status: "succeeded" },
        );
        return true;
      });
      if (done) expired += 1;
    }
    return expired;
  }

  /** The answer to a key that already has a request (a resubmission of the held form). */
  function answerExisting(row: ApprovalRequestsTable): WriteResult {
    const by = row.decided_by_email ?? "";
    const at = row.decided_at ?? row.requested_at;
    if (row.status === "rejected" || row.status === "expired") {
      return {
        kind: "previous_failed",
        auditId: row.id,
        at,
        by: row.status === "rejected" ? by : "system",
        errorCode: row.status === "rejected" ? "approval_rejected" : "approval_expired",
        message:
          row.status === "rejected"
            ? `This request was rejected by ${by} at ${formatUtc(at)}: “${row.comment ?? ""}”. Nothing was sent to Commet. Use a new key for a new request.`
            : `This request expired at ${formatUtc(row.expires_at)} without a decision. Nothing was sent to Commet. Use a new key for a new request.`,
      };
    }
    const approvers = rolesOf(row.approvers);
    return {
      kind: "sent_for_approval",
      requestId: row.id,
      expiresAt: row.expires_at,
      approvers,
      already: true,
      message:
        row.status === "approved"
          ? `Approved by ${by} at ${formatUtc(at)}: the write is being run with this key.`
          : `Already sent for approval at ${formatUtc(row.requested_at)} by ${row.requested_by_email}: waiting for ${rolesLabel(approvers)} (expires ${formatUtc(row.expires_at)}). Nothing was sent to Commet.`,
    };
  }

  /** The write engine's gate: a write the policy holds is stored as a request instead of being sent. */
  const gate: WriteGate = async (spec, engine) => {
    const approvable = approvableFor(spec.action.name);
    if (!approvable) return null;
    const existing = await byKey(spec.idempotencyKey);
    if (existing) return answerExisting(existing);
    const policy = await loadPolicy(db);
    if (!approvable.rules.some((key) => policy.rules[key].enabled)) return null;
    let assessed: Awaited<ReturnType<typeof approvable.assess>>;
    try {
      assessed = await approvable.assess(spec, engine);
    } catch (error) {
      return readFailure(error, engine.commetUrl());
    }
    if (!assessed) return null;
    const rule = policy.rules[assessed.rule];
    if (!requiresApproval(assessed.rule, rule, assessed.measure)) return null;

    let preview: ApprovalPreview;
    try {
      preview = await approvable.preview(spec, engine);
    } catch (error) {
      return readFailure(error, engine.commetUrl());
    }
    if (preview.blocked) return fieldErrors({ _form: [preview.blocked] }, preview.blocked);

    const now = clock();
    const id = randomUUID();
    const expiresAt = now + policy.expiresAfterHours * 3_600_000;
    const customerId = await canonical(spec.customerId);
    const stored: StoredSpec = {
      action: spec.action.name,
      staff: spec.staff,
      customerId: spec.customerId,
      idempotencyKey: spec.idempotencyKey,
      request: spec.request,
      form: spec.form,
      details: spec.details ?? {},
    };
    try {
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto("approval_requests")
          .values({
            id,
            idempotency_key: spec.idempotencyKey,
            action: spec.action.name,
            rule: assessed.rule,
            customer_id: customerId,
            requested_by_id: spec.staff.actor.id,
            requested_by_email: spec.staff.actor.email,
            requested_role: spec.staff.role,
            requested_at: now,
            expires_at: expiresAt,
            approvers: JSON.stringify(rule.approvers),
            spec: JSON.stringify(stored),
            preview: JSON.stringify(preview),
            status: "pending",
            decided_by_id: null,
            decided_by_email: null,
            decided_at: null,
            comment: null,
            write_audit_id: null,
          })
          .execute();
        await createAuditLog(asConsoleDb(trx), { clock: () => now }).record(
          {
            actor: spec.staff.actor,
            role: spec.staff.role,
            action: "approvals.request",
            customerId,
            params: {
              requestId: id,
              action: spec.action.name,
              rule: assessed.rule,
              summary: preview.summary,
              approvers: rule.approvers,
              expiresAt,
              writeKey: spec.idempotencyKey,
            },
            idempotencyKey: `${spec.idempotencyKey}#request`,
          },
          { status: "succeeded" },
        );
      });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const raced = await byKey(spec.idempotencyKey);
      if (raced) return answerExisting(raced);
      throw error;
    }
    return {
      kind: "sent_for_approval",
      requestId: id,
      expiresAt,
      approvers: rule.approvers,
      already: false,
      message: `Sent for approval: ${rolesLabel(rule.approvers)} (someone other than you) must approve it before it reaches Commet. It expires ${formatUtc(expiresAt)}.`,
    };
  };

  /** Why `staff` may not decide this request (null: they may). */
  function cannotDecide(row: ApprovalRequestsTable, staff: Staff): { status: 403 | 409; message: string } | null {
    if (row.status !== "pending") {
      return { status: 409, message: `This request is ${row.status} already` };
    }
    if (row.expires_at <= clock()) return { status: 409, message: "This request has expired" };
    if (sameStaff(staff.actor, row.requested_by_id, row.requested_by_email)) {
      return { status: 403, message: "You asked for this change: someone else must approve or reject it" };
    }
    const approvers = rolesOf(row.approvers);
    if (!staff.role || !approvers.includes(staff.role)) {
      return { status: 403, message: `Only ${rolesLabel(approvers)} may decide this request` };
    }
    return null;
  }

  function parseStored(row: ApprovalRequestsTable): StoredSpec {
    return JSON.parse(row.spec) as StoredSpec;
  }

  /** The stored spec as the engine takes it (the action by name, the request parsed again). */
  function specOf(stored: StoredSpec): WriteSpec<CommetRequest> | null {
    const action = writeActionNamed(stored.action);
    if (!action) return null;
    const request = action.request.safeParse(stored.request);
    if (!request.success) return null;
    return { ...stored, action, request: request.data };
  }

  async function freshPreview(row: ApprovalRequestsTable) {
    const spec = specOf(parseStored(row));
    const approvable = approvableFor(row.action);
    if (!spec || !approvable) return { ok: false as const, message: `The console no longer knows ${row.action}` };
    try {
      const fresh = await approvable.preview(spec, deps.engine);
      return { ok: true as const, fresh, fingerprint: previewFingerprint(fresh) };
    } catch (error) {
      const failed = readFailure(error, deps.engine.commetUrl());
      return { ok: false as const, message: failed.message };
    }
  }

  async function outcomeOf(row: ApprovalRequestsTable): Promise<ApprovalRequestView["outcome"]> {
    if (!row.write_audit_id) return null;
    const entry = await createAuditLog(deps.db).get(row.write_audit_id);
    return (entry?.status as ApprovalRequestView["outcome"]) ?? null;
  }

  /** One request with the preview it was asked with and a fresh one (pending requests), for `staff`. */
  async function detail(requestId: string, staff: Staff): Promise<ApprovalDetail | null> {
    await expireDue();
    const row = await byId(requestId);
    if (!row) return null;
    const original = JSON.parse(row.preview) as ApprovalPreview;
    const refusal = cannotDecide(row, staff);
    let fresh: ApprovalPreview | null = null;
    let freshError: string | null = null;
    let fingerprint: string | null = null;
    if (row.status === "pending") {
      const read = await freshPreview(row);
      if (read.ok) ({ fresh, fingerprint } = read);
      else freshError = read.message;
    }
    return {
      request: view(row, await outcomeOf(row)),
      original,
      fresh,
      freshError,
      fingerprint,
      differences: fresh ? previewDifferences(original, fresh) : [],
      canDecide: refusal === null && fresh !== null,
      cannotDecide: refusal?.message ?? (freshError ? `The fresh preview could not be read: ${freshError}` : null),
      canExecute:
        row.status === "approved" &&
        !row.write_audit_id &&
        !sameStaff(staff.actor, row.requested_by_id, row.requested_by_email) &&
        !!staff.role &&
        rolesOf(row.approvers).includes(staff.role),
    };
  }

  /** Runs an approved request's write once, with its key (a crash after the decision is resumed the same way). */
  async function execute(row: ApprovalRequestsTable): Promise<DecisionResult> {
    const stored = parseStored(row);
    const spec = specOf(stored);
    if (!spec) return { kind: "refused", status: 409, message: `The console no longer knows ${row.action}` };
    const approval = {
      requestId: row.id,
      requestedBy: row.requested_by_email,
      requestedAt: row.requested_at,
      approvedBy: row.decided_by_email,
      approvedAt: row.decided_at,
    };
    const engine = deps.engine;
    const result = await engine.keyed(
      { action: spec.action, idempotencyKey: spec.idempotencyKey, customerId: spec.customerId, identity: spec.form },
      () => engine.write({ ...spec, details: { ...spec.details, approval } }, { approved: true }),
    );
    const auditId = "auditId" in result && typeof result.auditId === "string" ? result.auditId : null;
    if (auditId) {
      await db
        .updateTable("approval_requests")
        .set({ write_audit_id: auditId })
        .where("id", "=", row.id)
        .where("write_audit_id", "is", null)
        .execute();
    }
    switch (result.kind) {
      case "ok":
        return {
          kind: "approved",
          outcome: "succeeded",
          message: `${approvableFor(row.action)?.approvedMessage ?? "Approved and applied in Commet"}. ${result.message}`,
        };
      case "already_recorded":
        return { kind: "approved", outcome: "already", message: `Approved. ${result.message}` };
      case "commet_error":
      case "in_progress":
        return {
          kind: "approved",
          outcome: result.kind === "commet_error" && result.outcome === "failed" ? "failed" : "pending",
          message: `Approved, but Commet did not confirm it: ${result.message}`,
        };
      default:
        return {
          kind: "approved",
          outcome: "failed",
          message: `Approved, but the write was refused: ${result.message}`,
        };
    }
  }

  async function approve(
    requestId: string,
    staff: Staff,
    form: { fingerprint: string; acknowledge?: "on" | undefined },
  ): Promise<DecisionResult> {
    await expireDue();
    const row = await byId(requestId);
    if (!row) return { kind: "refused", status: 404, message: "No such approval request" };
    const refusal = cannotDecide(row, staff);
    if (refusal) return { kind: "refused", ...refusal };
    const read = await freshPreview(row);
    if (!read.ok) return { kind: "refused", status: 409, message: `Nothing was approved: ${read.message}` };
    const original = JSON.parse(row.preview) as ApprovalPreview;
    const differences = previewDifferences(original, read.fresh);
    if (read.fingerprint !== form.fingerprint) {
      return {
        kind: "stale_preview",
        message: "The world changed since you opened this request: check the new preview and approve again.",
        fresh: read.fresh,
        fingerprint: read.fingerprint,
        differences,
      };
    }
    if (read.fresh.blocked) {
      return { kind: "refused", status: 409, message: `It cannot be approved as it stands: ${read.fresh.blocked}` };
    }
    if (differences.length > 0 && form.acknowledge !== "on") {
      const message = `Confirm that you have seen what changed since it was requested (${differences.join(", ")})`;
      return { kind: "refused", status: 400, message, fieldErrors: { acknowledge: [message] } };
    }
    const now = clock();
    const claimed = await db.transaction().execute(async (trx) => {
      const updated = await trx
        .updateTable("approval_requests")
        .set({
          status: "approved",
          decided_by_id: staff.actor.id,
          decided_by_email: staff.actor.email,
          decided_at: now,
        })
        .where("id", "=", row.id)
        .where("status", "=", "pending")
        .where("expires_at", ">", now)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1) return false;
      await createAuditLog(asConsoleDb(trx), { clock: () => now }).record(
        {
          actor: staff.actor,
          role: staff.role,
          action: "approvals.approve",
          customerId: row.customer_id,
          params: {
            requestId: row.id,
            action: row.action,
            summary: read.fresh.summary,
            requestedBy: row.requested_by_email,
            requestedAt: row.requested_at,
            fingerprint: read.fingerprint,
            acknowledgedDifferences: differences,
            writeKey: row.idempotency_key,
          },
          idempotencyKey: `${row.idempotency_key}#approved`,
        },
        { status: "succeeded" },
      );
      return true;
    });
    if (!claimed) return { kind: "refused", status: 409, message: "This request was decided or expired meanwhile" };
    return execute((await byId(row.id))!);
  }

  /** "Run it now" for an approved request whose write never began (the process stopped in between). */
  async function executeApproved(requestId: string, staff: Staff): Promise<DecisionResult> {
    const row = await byId(requestId);
    if (!row) return { kind: "refused", status: 404, message: "No such approval request" };
    if (row.status !== "approved") return { kind: "refused", status: 409, message: `This request is ${row.status}` };
    if (sameStaff(staff.actor, row.requested_by_id, row.requested_by_email)) {
      return { kind: "refused", status: 403, message: "You asked for this change: someone else must run it" };
    }
    const approvers = rolesOf(row.approvers);
    if (!staff.role || !approvers.includes(staff.role)) {
      return { kind: "refused", status: 403, message: `Only ${rolesLabel(approvers)} may run this request` };
    }
    return execute(row);
  }

  async function reject(requestId: string, staff: Staff, comment: string): Promise<DecisionResult> {
    await expireDue();
    const row = await byId(requestId);
    if (!row) return { kind: "refused", status: 404, message: "No such approval request" };
    const refusal = cannotDecide(row, staff);
    if (refusal) return { kind: "refused", ...refusal };
    const now = clock();
    const done = await db.transaction().execute(async (trx) => {
      const updated = await trx
        .updateTable("approval_requests")
        .set({
          status: "rejected",
          decided_by_id: staff.actor.id,
          decided_by_email: staff.actor.email,
          decided_at: now,
          comment,
        })
        .where("id", "=", row.id)
        .where("status", "=", "pending")
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1) return false;
      await createAuditLog(asConsoleDb(trx), { clock: () => now }).record(
        {
          actor: staff.actor,
          role: staff.role,
          action: "approvals.reject",
          customerId: row.customer_id,
          params: {
            requestId: row.id,
            action: row.action,
            summary: view(row).summary,
            requestedBy: row.requested_by_email,
            requestedAt: row.requested_at,
            comment,
            writeKey: row.idempotency_key,
          },
          idempotencyKey: `${row.idempotency_key}#rejected`,
        },
        { status: "succeeded" },
      );
      return true;
    });
    if (!done) return { kind: "refused", status: 409, message: "This request was decided or expired meanwhile" };
    return {
      kind: "rejected",
      message: `Rejected. Nothing was sent to Commet; ${row.requested_by_email} sees your comment.`,
    };
  }

  /** The inbox of `staff`: what they may decide, their own requests, and the recently decided. */
  async function inbox(staff: Staff) {
    await expireDue();
    const now = clock();
    const pending = await db
      .selectFrom("approval_requests")
      .selectAll()
      .where("status", "=", "pending")
      .where("expires_at", ">", now)
      .orderBy("expires_at", "asc")
      .limit(500)
      .execute();
    const mine = (row: ApprovalRequestsTable) => sameStaff(staff.actor, row.requested_by_id, row.requested_by_email);
    const decidable = pending.filter(
      (row) => !mine(row) && !!staff.role && rolesOf(row.approvers).includes(staff.role),
    );
    const recent = await db
      .selectFrom("approval_requests")
      .selectAll()
      .where("status", "!=", "pending")
      .orderBy("decided_at", "desc")
      .limit(25)
      .execute();
    return {
      toDecide: decidable.map((row) => view(row)),
      mine: pending.filter(mine).map((row) => view(row)),
      recent: await Promise.all(recent.map(async (row) => view(row, await outcomeOf(row)))),
    };
  }

  /** Pending requests `staff` may decide (the navigation's count). */
  async function pendingCount(staff: Staff): Promise<number> {
    if (!staff.role) return 0;
    const rows = await db
      .selectFrom("approval_requests")
      .select(["approvers", "requested_by_id", "requested_by_email"])
      .where("status", "=", "pending")
      .where("expires_at", ">", clock())
      .limit(1000)
      .execute();
    return rows.filter(
      (r) =>
        !sameStaff(staff.actor, r.requested_by_id, r.requested_by_email) && rolesOf(r.approvers).includes(staff.role!),
    ).length;
  }

  return { gate, approve, reject, executeApproved, detail, inbox, pendingCount, expireDue };
}

export type Approvals = ReturnType<typeof createApprovals>;
