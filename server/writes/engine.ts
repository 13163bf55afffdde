/**
 * The exactly-once write engine (docs/decisions/0007-exactly-once-writes.md, 0010-write-engine.md):
 * pending audit row with the key → the action's Commet call with that Idempotency-Key → finalize.
 * A reused key is answered from the audit trail; a pending row is resolved by repeating its request.
 */
import type { Commet } from "@commet/node";
import { formatUtc } from "../../app/contracts/format.ts";
import type { WriteResult } from "../../app/contracts/ops-results.ts";
import {
  AuditFinalizeError,
  DuplicateAuditKeyError,
  beginAudit,
  canonicalAuditCustomer,
  finalizeAudit,
  findByIdempotencyKey,
  getAuditEntry,
  redactParams,
  type AuditEntry,
  type AuditLog,
  type AuditOutcome,
  type BeginAuditInput,
} from "../audit/index.ts";
import { can, type Role } from "../../app/contracts/permissions.ts";
import { getCommet } from "../commet/client.ts";
import { writeActionNamed, type CommetRequest, type WriteAction } from "./action.ts";
import {
  answerFromRow,
  fieldErrors,
  keyTakenElsewhere,
  noSuchPendingWrite,
  stableJson,
  windowClosed,
} from "./answers.ts";
import type { WriteGate } from "./gate.ts";
import { classify, configuredCommetUrl } from "./outcome.ts";
import { mayResend } from "./window.ts";
import { logger } from "../observability/index.ts";

export type AuditStore = Pick<AuditLog, "begin" | "finalize" | "get" | "findByIdempotencyKey"> &
  Partial<Pick<AuditLog, "canonicalCustomer">>;

/** The process's audit trail (server/audit). */
export const processAuditStore: AuditStore = {
  begin: beginAudit,
  finalize: finalizeAudit,
  get: getAuditEntry,
  findByIdempotencyKey,
  canonicalCustomer: canonicalAuditCustomer,
};

export interface WriteDeps {
  /** The SDK client; default: the process's one client (server/commet). */
  commet?: Commet;
  /** default: the process's audit trail (server/audit). */
  audit?: AuditStore;
  /** For error messages ("cannot be reached at …"); default: the configured Commet origin. */
  commetUrl?: string;
  /** Runs between the pending audit row and the Commet call (tests: throwing there simulates a crash). */
  hooks?: { afterBegin?: (auditId: string) => void | Promise<void> };
  /** The server's clock (epoch ms). */
  clock?: () => number;
  /** May hold a write for approval (the process's engine asks server/approvals'); default: none. */
  gate?: WriteGate | null;
  /** A write's outcome became unknown (the resolver queues it; a failure here is logged, never thrown). */
  onUnknown?: (auditId: string) => Promise<void> | void;
}

/** A domain write's frame for the engine's `keyed` (see there). */
export interface KeyedWrite<R> {
  action: WriteAction;
  idempotencyKey: string;
  customerId: string;
  /** What identifies the request when its key is reused (the form, without confirmations). */
  identity: Record<string, unknown>;
  /** Serializes the body per resource in this process (e.g. one customer's seats of one type). */
  lane?: string;
  rereadWhen?: (result: R) => boolean;
}

export interface Staff {
  actor: { id: string | null; email: string };
  role: Role | null;
}

export interface WriteSpec<R extends CommetRequest> {
  action: WriteAction<R>;
  staff: Staff;
  customerId: string;
  idempotencyKey: string;
  request: R;
  /** The normalized form (compared on resubmission: same key with different values is reported). */
  form: Record<string, unknown>;
  /** Extra fields for the audit trail (from → to, reason, …). */
  details?: Record<string, unknown>;
}

export function createWriteEngine(deps: WriteDeps = {}) {
  const audit = deps.audit ?? processAuditStore;
  const commet = () => deps.commet ?? getCommet();
  const commetUrl = () => deps.commetUrl ?? configuredCommetUrl();
  const now = () => (deps.clock ?? Date.now)();
  /** Per-key chain of in-process submissions (a key is written by one submission at a time). */
  const chains = new Map<string, Promise<unknown>>();

  /** Runs `body` after every earlier in-process submission of `key` has finished. */
  async function once<R>(key: string, body: () => Promise<R>): Promise<R> {
    const previous = chains.get(key) ?? Promise.resolve();
    const current = previous.then(body, body);
    const settled = current.then(
      () => undefined,
      () => undefined,
    );
    chains.set(key, settled);
    try {
      return await current;
    } finally {
      if (chains.get(key) === settled) chains.delete(key);
    }
  }

  /** Calls Commet for a pending row and finalizes it (unless the outcome stays unknown). */
  async function call<R extends CommetRequest>(
    entry: Pick<AuditEntry, "id" | "createdAt" | "actor">,
    action: WriteAction<R>,
    key: string,
    request: R,
    resumed: boolean,
  ): Promise<WriteResult> {
    let data: { id?: string } | undefined;
    try {
      data = await action.send(commet(), request, { idempotencyKey: key });
    } catch (error) {
      const c = classify(error, commetUrl());
      if (c.kind === "in_progress") {
        return {
          kind: "in_progress",
          auditId: entry.id,
          since: entry.createdAt,
          by: entry.actor.email,
          message: `Commet is still processing this ${action.noun.what}. Check again in a moment.`,
        };
      }
      if (c.kind === "ambiguous") {
        try {
          await deps.onUnknown?.(entry.id);
        } catch (queueError) {
          logger("writes").error({ err: queueError, auditId: entry.id }, "audit entry not queued for the resolver");
        }
        return {
          kind: "commet_error",
          auditId: entry.id,
          retryable: true,
          outcome: "unknown",
          code: c.code,
          message: `${c.message}. The outcome is unknown: submit the same form again (same key) or "check again" — it will not be applied twice.`,
          problem: c.problem,
        };
      }
      const errorCode = c.kind === "duplicate" ? "duplicate" : c.code;
      await finalizeQuietly(entry.id, { status: "failed", errorCode, message: c.message });
      if (c.kind === "duplicate") {
        return {
          kind: "duplicate_unknown",
          auditId: entry.id,
          key,
          message: `Commet already holds an event with idempotency key '${key}', and the console has no record of recording it — it was not recorded now. Check the customer's usage in Commet; use a new key for a new event.`,
        };
      }
      return {
        kind: "commet_error",
        auditId: entry.id,
        retryable: false,
        outcome: "failed",
        code: c.code,
        message: c.message,
        problem: c.problem,
      };
    }
    const eventId = typeof data?.id === "string" ? data.id : null;
    const final = await finalizeQuietly(entry.id, { status: "succeeded", commetIds: eventId ? { eventId } : {} });
    const at = final?.finalizedAt ?? now();
    const by = entry.actor.email;
    return {
      kind: "ok",
      auditId: entry.id,
      at,
      by,
      eventId,
      data,
      request,
      resumed,
      message: resumed
        ? `Done — completed the ${action.noun.what} begun at ${formatUtc(entry.createdAt)} by ${by}${eventId ? ` (Commet id ${eventId})` : ""}`
        : `Done${eventId ? ` (Commet id ${eventId})` : ""}`,
    };
  }

  /**
   * Commet answered; a failed finalize must not turn that into an error (which would invite a new
   * key, i.e. a second write): the row stays pending and the next check resolves it by replay.
   */
  async function finalizeQuietly(id: string, outcome: AuditOutcome): Promise<AuditEntry | null> {
    try {
      return await audit.finalize(id, outcome);
    } catch (error) {
      // Another console process resolved the same row first (both got Commet's one answer).
      if (error instanceof AuditFinalizeError && error.reason === "already_final") return audit.get(id);
      logger("writes").error({ err: error, auditId: id }, "audit entry left pending, finalize failed");
      return null;
    }
  }

  /** Repeats the stored request of a pending row with its key (in-process callers hold `once(key)`). */
  async function resume(entry: AuditEntry, action: WriteAction): Promise<WriteResult> {
    // Past Commet's idempotency window a re-send could apply the write twice: a person settles it.
    if (!mayResend(entry.createdAt, now())) return windowClosed(entry, action);
    const parsed = action.request.safeParse(entry.params.request);
    if (!parsed.success) throw new Error(`audit entry ${entry.id} has no replayable request`);
    return call(entry, action, entry.idempotencyKey, parsed.data, true);
  }

  /**
   * What an existing row with this key means for a new submission (null: the key is new). A pending
   * row is resolved with the same key (the submission that began it is not running in this process:
   * `once` serializes those).
   */
  async function lookup(
    action: WriteAction,
    key: string,
    customerId: string,
    form: Record<string, unknown>,
  ): Promise<WriteResult | null> {
    const entry = await audit.findByIdempotencyKey(key);
    if (!entry) return null;
    // Rows keep the canonical Commet id; the form may name the customer by its external id.
    const sameCustomer =
      entry.customerId === customerId || entry.customerId === (await audit.canonicalCustomer?.(customerId));
    if (entry.action !== action.name || !sameCustomer) return keyTakenElsewhere(entry, customerId);
    if (entry.status === "pending") return resume(entry, action);
    return answerFromRow(entry, action, form);
  }

  /**
   * The frame every domain write shares: one submission of a key at a time in this process; a reused
   * key is answered from the audit trail before `body` re-reads Commet and checks; `lane` (e.g. one
   * customer's seats) runs one such body at a time. When `rereadWhen` says the body refused because the
   * state moved, the trail answers if another console process has just written this very key.
   */
  async function keyed<R>(frame: KeyedWrite<R>, body: () => Promise<R>): Promise<R | WriteResult> {
    const { action, idempotencyKey, customerId, identity, lane, rereadWhen } = frame;
    return once(idempotencyKey, async () => {
      const prior = await lookup(action, idempotencyKey, customerId, identity);
      if (prior) return prior;
      const result = await (lane ? once(lane, body) : body());
      if (!rereadWhen?.(result)) return result;
      return (await lookup(action, idempotencyKey, customerId, identity)) ?? result;
    });
  }

  /**
   * (gate) → begin → (hook) → Commet → finalize. `approved`: a second person approved this very spec
   * (server/approvals executes it), so the gate is not asked again.
   */
  async function write<R extends CommetRequest>(
    spec: WriteSpec<R>,
    options: { approved?: boolean } = {},
  ): Promise<WriteResult> {
    // The audit row must hold exactly what is sent (a retry repeats it): free text arrives redacted
    // already; an identifier that redaction would alter is refused rather than sent in two versions.
    if (stableJson(redactParams(spec.request.params)) !== stableJson(spec.request.params)) {
      return fieldErrors(
        { _form: ["A value looks like a secret (an API key or a URL): remove it"] },
        "A value looks like a secret",
      );
    }
    const gate = deps.gate ?? null;
    if (gate && !options.approved) {
      const held = await gate(spec as unknown as WriteSpec<CommetRequest>, engine);
      if (held) return held;
    }
    const input: BeginAuditInput = {
      actor: spec.staff.actor,
      role: spec.staff.role,
      action: spec.action.name,
      customerId: spec.customerId,
      idempotencyKey: spec.idempotencyKey,
      params: { ...spec.details, form: spec.form, request: spec.request },
    };
    let auditId: string;
    try {
      auditId = await audit.begin(input);
    } catch (error) {
      if (!(error instanceof DuplicateAuditKeyError)) throw error;
      // Another process began this key between our lookup and now.
      const existing = error.existing;
      const action = spec.action as unknown as WriteAction;
      return existing.status === "pending" ? resume(existing, action) : answerFromRow(existing, action, spec.form);
    }
    await deps.hooks?.afterBegin?.(auditId);
    const entry = { id: auditId, createdAt: now(), actor: spec.staff.actor };
    return call(entry, spec.action, spec.idempotencyKey, spec.request, false);
  }

  /**
   * "Check again / retry with the same key" for a pending row (the audit screen, a restart). Final
   * rows answer from the row; the caller needs the permission of the original action.
   */
  async function resolvePending(auditId: string, staff: Staff): Promise<WriteResult> {
    const entry = await audit.get(auditId);
    const action = entry ? writeActionNamed(entry.action) : undefined;
    if (!entry || !action) return noSuchPendingWrite();
    if (!can(staff.role, action.permission)) {
      return { kind: "forbidden", message: "Your role may not retry this write" };
    }
    return once(entry.idempotencyKey, async () => {
      const current = await audit.get(auditId);
      if (!current) return noSuchPendingWrite();
      return current.status === "pending" ? resume(current, action) : answerFromRow(current, action, null);
    });
  }

  /**
   * The resolver's re-send (server/writes/resolver.ts): like "check again" but on nobody's behalf — the
   * row's own action and key, the same window guard. Unknown action → null (not an engine write).
   */
  async function resolveUnattended(auditId: string): Promise<WriteResult | null> {
    const entry = await audit.get(auditId);
    const action = entry ? writeActionNamed(entry.action) : undefined;
    if (!entry || !action) return null;
    return once(entry.idempotencyKey, async () => {
      const current = await audit.get(auditId);
      if (!current) return null;
      return current.status === "pending" ? resume(current, action) : answerFromRow(current, action, null);
    });
  }

  const engine = {
    once,
    lookup,
    keyed,
    write,
    resolvePending,
    resolveUnattended,
    /** The SDK client writes (and their re-reads) go through. */
    commet,
    commetUrl,
    now,
  };
  return engine;
}

export type WriteEngine = ReturnType<typeof createWriteEngine>;
