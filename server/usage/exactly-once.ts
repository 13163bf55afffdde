/**
 * Exactly-once writes to Commet (docs/decisions/0007-exactly-once-writes.md), shared by the seat
 * changes (server/seats) and the manual usage writes (server/usage).
 *
 * One logical write = one idempotency key (generated when the form is rendered, or pasted):
 *   audit row `pending` with the key → the SDK call with `Idempotency-Key: <key>` → finalize.
 * - A second submission with the same key (double click, back and resubmit, retry after a timeout,
 *   a second tab) finds the audit row and answers from it: "already recorded at … by …" with the
 *   original Commet id — Commet is not called again. In-process submissions of one key are
 *   serialized (`once`), across processes the audit's unique (key, action) index decides.
 * - An ambiguous failure (network error, timeout, 5xx, 429 after the SDK's retries, a request still
 *   in progress at Commet) leaves the row `pending` = outcome unknown. The same key resolves it
 *   later: a resubmission, "check again" (`resolvePending`), or a restart. Resolving repeats the
 *   stored request byte for byte with the same key; Commet replays its answer if it had applied it,
 *   or applies it now — never twice.
 * - A definitive refusal (validation, business errors, a key Commet knows for another request) is
 *   finalized `failed`; the form needs a new key to try something else.
 * - `usage.track` also carries the key as the event's idempotencyKey: Commet answers `duplicate` for a
 *   key it already holds an event for. If the console has no record of that key, this is reported as
 *   `duplicate_unknown`, never as a success.
 *
 * The audit row stores the exact SDK params (`params.request`, already redacted, so the stored copy
 * is what is sent), the normalized form (`params.form`) and display fields.
 */
import { CommetAPIError, CommetValidationError, type Commet } from "@commet/node";
import { z } from "zod";
import type { Problem } from "../../app/contracts/problem.ts";
import { formatUtc } from "../../app/contracts/format.ts";
import { parseForm, type FieldErrors } from "../../app/contracts/ops-forms.ts";
import {
  AuditFinalizeError,
  DuplicateAuditKeyError,
  beginAudit,
  finalizeAudit,
  findByIdempotencyKey,
  getAuditEntry,
  redactParams,
  type AuditEntry,
  type AuditLog,
  type AuditOutcome,
  type BeginAuditInput,
} from "../audit/index.ts";
import { can, type Permission, type Role } from "../auth/permissions.ts";
import { commetBaseUrl, getCommet } from "../commet/client.ts";
import { toCommetProblem } from "../commet/errors.ts";

// ---------------------------------------------------------------- requests

const seatParams = z.object({ customerId: z.string(), featureCode: z.string(), count: z.number() }).strict();
const trackParams = z
  .object({
    feature: z.string(),
    customerId: z.string(),
    value: z.number(),
    timestamp: z.string(),
    idempotencyKey: z.string(),
    properties: z.record(z.string(), z.string()).optional(),
  })
  .strict();
const setUsageParams = z
  .object({
    customerId: z.string(),
    feature: z.string(),
    value: z.number(),
    idempotencyKey: z.string(),
    reason: z.string().optional(),
  })
  .strict();

/** The one SDK call a logical write makes, with its exact params (stored in the audit row). */
export const commetRequestSchema = z.discriminatedUnion("call", [
  z.object({ call: z.literal("seats.add"), params: seatParams }),
  z.object({ call: z.literal("seats.set"), params: seatParams }),
  z.object({ call: z.literal("seats.remove"), params: seatParams }),
  z.object({ call: z.literal("usage.track"), params: trackParams }),
  z.object({ call: z.literal("usage.set"), params: setUsageParams }),
]);
export type CommetRequest = z.infer<typeof commetRequestSchema>;

/** Audit action of each kind of logical write (one key = one row per action). */
export const WRITE_ACTIONS = {
  "seats.change": "seats:write",
  "usage.record": "usage:write",
  "usage.set": "usage:write",
} as const satisfies Record<string, Permission>;
export type WriteAction = keyof typeof WRITE_ACTIONS;

function isWriteAction(action: string): action is WriteAction {
  return Object.hasOwn(WRITE_ACTIONS, action);
}

async function execute(commet: Commet, request: CommetRequest, key: string): Promise<{ id?: string } | undefined> {
  const options = { idempotencyKey: key };
  switch (request.call) {
    case "seats.add":
      return (await commet.seats.add(request.params, options)).data;
    case "seats.set":
      return (await commet.seats.set(request.params, options)).data;
    case "seats.remove":
      return (await commet.seats.remove(request.params, options)).data;
    case "usage.track":
      return (await commet.usage.track(request.params, options)).data;
    case "usage.set":
      return (await commet.usage.set(request.params, options)).data;
  }
}

// ---------------------------------------------------------------- results

export type WriteResult =
  /** Commet applied the write (now, or — `resumed` — completing an attempt whose outcome was unknown). */
  | {
      kind: "ok";
      auditId: string;
      at: number;
      by: string;
      eventId: string | null;
      data: unknown;
      resumed: boolean;
      message: string;
    }
  /** The key was used before for this action and that write succeeded: nothing was sent again. */
  | {
      kind: "already_recorded";
      auditId: string;
      at: number;
      by: string;
      eventId: string | null;
      sameRequest: boolean;
      message: string;
    }
  /** The key's earlier attempt was refused by Commet: use a new key. */
  | { kind: "previous_failed"; auditId: string; at: number; by: string; errorCode: string; message: string }
  /** The same key is being written right now (another tab / process); check again shortly. */
  | { kind: "in_progress"; auditId: string; since: number; by: string; message: string }
  /** Commet already holds an event with this key and the console has no record of writing it. */
  | { kind: "duplicate_unknown"; auditId: string; key: string; message: string }
  /**
   * Commet failed. outcome "failed": refused, finalized, not applied. outcome "unknown": the row
   * stays pending; resubmitting the same form (same key) or "check again" resolves it.
   */
  | {
      kind: "commet_error";
      auditId: string | null;
      retryable: boolean;
      outcome: "failed" | "unknown";
      code: string | null;
      message: string;
      problem: Problem | null;
    }
  /** Input refused before anything was sent to Commet. */
  | { kind: "field_errors"; fieldErrors: FieldErrors; message: string }
  | { kind: "forbidden"; message: string };

export type AuditStore = Pick<AuditLog, "begin" | "finalize" | "get" | "findByIdempotencyKey">;

/** The process's audit trail (server/audit). */
export const processAuditStore: AuditStore = {
  begin: beginAudit,
  finalize: finalizeAudit,
  get: getAuditEntry,
  findByIdempotencyKey,
};

export interface WriteDeps {
  /** The SDK client; default: the process's one client (server/commet). */
  commet?: Commet;
  /** default: the process's audit trail (server/audit). */
  audit?: AuditStore;
  /** For error messages ("cannot be reached at …"); default: the configured Commet origin. */
  commetUrl?: string;
  /** Test hooks. `afterBegin` runs between the pending audit row and the Commet call: throwing there simulates a crash. */
  hooks?: { afterBegin?: (auditId: string) => void | Promise<void> };
  /** The server's clock (epoch ms). */
  clock?: () => number;
}

export interface Staff {
  actor: { id: string | null; email: string };
  role: Role | null;
}

export interface WriteSpec {
  action: WriteAction;
  staff: Staff;
  customerId: string;
  idempotencyKey: string;
  request: CommetRequest;
  /** The normalized form (compared on resubmission: same key with different values is reported). */
  form: Record<string, unknown>;
  /** Extra fields for the audit trail (from → to, reason, …). */
  details?: Record<string, unknown>;
}

/** A simulated crash (tests): the process "dies" between the pending row and the Commet call. */
export class SimulatedCrash extends Error {
  constructor() {
    super("simulated crash between the pending audit row and the Commet call");
    this.name = "SimulatedCrash";
  }
}

// ---------------------------------------------------------------- errors

type Classified =
  | { kind: "definitive"; code: string; message: string; problem: Problem | null }
  | { kind: "duplicate"; message: string }
  | { kind: "in_progress"; message: string }
  | { kind: "ambiguous"; code: string | null; message: string; problem: Problem | null };

function classify(error: unknown, commetUrl: string): Classified {
  const problem = toCommetProblem(error, commetUrl);
  if (error instanceof CommetValidationError) {
    return { kind: "definitive", code: "validation_error", message: error.message, problem };
  }
  if (error instanceof CommetAPIError) {
    const status = error.statusCode;
    const code = error.code ?? "unknown";
    if (code === "idempotency_in_progress") return { kind: "in_progress", message: error.message };
    if (code === "duplicate") return { kind: "duplicate", message: error.message };
    // Not answered by Commet itself, rate limited before handling, or a server-side failure: the
    // write may or may not have been applied.
    if (code === "INVALID_JSON" || status === 408 || status === 429 || status >= 500) {
      return { kind: "ambiguous", code, message: problem?.message ?? error.message, problem };
    }
    return { kind: "definitive", code, message: error.message, problem };
  }
  if (problem) return { kind: "ambiguous", code: null, message: problem.message, problem };
  return {
    kind: "ambiguous",
    code: null,
    message: error instanceof Error ? error.message : String(error),
    problem: null,
  };
}

function resolvedCommetUrl(deps: WriteDeps): string {
  if (deps.commetUrl) return deps.commetUrl;
  try {
    return commetBaseUrl();
  } catch {
    return "https://commet.co";
  }
}

/**
 * The edge of every write function: the role may do it, and the form parses (context-free schema).
 * Returns the parsed form, or the result to render (forbidden / field_errors) — nothing sent.
 */
export function admit<S extends z.ZodType>(
  role: Role | null,
  permission: Permission,
  schema: S,
  form: FormData | Record<string, unknown>,
  denied: string,
): { ok: true; form: z.output<S> } | { ok: false; result: WriteResult } {
  if (!can(role, permission)) return { ok: false, result: { kind: "forbidden", message: denied } };
  const parsed = parseForm(schema, form);
  if (!parsed.ok) return { ok: false, result: fieldErrors(parsed.fieldErrors) };
  return { ok: true, form: parsed.data };
}

export function fieldErrors(errors: FieldErrors, message = "Check the highlighted fields"): WriteResult {
  return { kind: "field_errors", fieldErrors: errors, message };
}

/** A failed read before a write (balance, plan): nothing was sent, nothing recorded. */
export function readFailure(error: unknown, commetUrl: string): WriteResult {
  const problem = toCommetProblem(error, commetUrl);
  if (!problem) throw error;
  return {
    kind: "commet_error",
    auditId: null,
    retryable: problem.retryable,
    outcome: "failed",
    code: problem.code ?? null,
    message: `${problem.message} (nothing was changed)`,
    problem,
  };
}

// ---------------------------------------------------------------- engine

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

const ACTION_NOUN: Record<WriteAction, { done: string; what: string }> = {
  "seats.change": { done: "Already applied", what: "seat change" },
  "usage.record": { done: "Already recorded", what: "usage event" },
  "usage.set": { done: "Already recorded", what: "usage correction" },
};

function fromRow(entry: AuditEntry, form: Record<string, unknown> | null): WriteResult {
  const by = entry.actor.email;
  const action = isWriteAction(entry.action) ? entry.action : "usage.record";
  if (entry.status === "succeeded") {
    const eventId = entry.commetIds?.eventId ?? null;
    const at = entry.finalizedAt ?? entry.createdAt;
    const sameRequest = form === null || stableJson(entry.params.form) === stableJson(redactParams(form));
    return {
      kind: "already_recorded",
      auditId: entry.id,
      at,
      by,
      eventId,
      sameRequest,
      message:
        `${ACTION_NOUN[action].done} at ${formatUtc(at)} by ${by}${eventId ? ` (Commet id ${eventId})` : ""}` +
        (sameRequest
          ? ""
          : " — with different values than this form; nothing was sent again. Use a new key for a new change."),
    };
  }
  if (entry.status === "failed") {
    return {
      kind: "previous_failed",
      auditId: entry.id,
      at: entry.finalizedAt ?? entry.createdAt,
      by,
      errorCode: entry.errorCode ?? "error",
      message: `This key was used at ${formatUtc(entry.createdAt)} by ${by} and Commet refused it (${entry.errorCode ?? "error"}${
        entry.errorMessage ? `: ${entry.errorMessage}` : ""
      }). Use a new idempotency key.`,
    };
  }
  return {
    kind: "in_progress",
    auditId: entry.id,
    since: entry.createdAt,
    by,
    message: `This ${ACTION_NOUN[action].what} is being written (started ${formatUtc(entry.createdAt)} by ${by}). Check again in a moment.`,
  };
}

export function createWriteEngine(deps: WriteDeps = {}) {
  const audit = deps.audit ?? processAuditStore;
  const commet = () => deps.commet ?? getCommet();
  const commetUrl = () => resolvedCommetUrl(deps);
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
  async function call(
    entry: Pick<AuditEntry, "id" | "createdAt" | "actor">,
    action: WriteAction,
    key: string,
    request: CommetRequest,
    resumed: boolean,
  ): Promise<WriteResult> {
    let data: { id?: string } | undefined;
    try {
      data = await execute(commet(), request, key);
    } catch (error) {
      const c = classify(error, commetUrl());
      if (c.kind === "in_progress") {
        return {
          kind: "in_progress",
          auditId: entry.id,
          since: entry.createdAt,
          by: entry.actor.email,
          message: `Commet is still processing this ${ACTION_NOUN[action].what}. Check again in a moment.`,
        };
      }
      if (c.kind === "ambiguous") {
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
      const outcome: AuditOutcome =
        c.kind === "duplicate"
          ? { status: "failed", errorCode: "duplicate", message: c.message }
          : { status: "failed", errorCode: c.code, message: c.message };
      await finalizeQuietly(entry.id, outcome);
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
    const at = final?.finalizedAt ?? (deps.clock ?? Date.now)();
    return {
      kind: "ok",
      auditId: entry.id,
      at,
      by: entry.actor.email,
      eventId,
      data,
      resumed,
      message: resumed
        ? `Done — completed the ${ACTION_NOUN[action].what} begun at ${formatUtc(entry.createdAt)} by ${entry.actor.email}${eventId ? ` (Commet id ${eventId})` : ""}`
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
      console.error(`exactly-once: audit entry ${id} left pending, finalize failed:`, error);
      return null;
    }
  }

  /** Repeats the stored request of a pending row with its key (in-process callers hold `once(key)`). */
  async function resume(entry: AuditEntry): Promise<WriteResult> {
    if (!isWriteAction(entry.action))
      throw new Error(`audit entry ${entry.id} (${entry.action}) is not an exactly-once write`);
    const parsed = commetRequestSchema.safeParse(entry.params.request);
    if (!parsed.success) throw new Error(`audit entry ${entry.id} has no replayable request`);
    return call(entry, entry.action, entry.idempotencyKey, parsed.data, true);
  }

  /**
   * What an existing row with this key means for a new submission (null: the key is new).
   * A pending row is resolved with the same key (the submission that began it is not running in
   * this process: `once` serializes those).
   */
  async function lookup(
    key: string,
    action: WriteAction,
    customerId: string,
    form: Record<string, unknown>,
  ): Promise<WriteResult | null> {
    const entry = await audit.findByIdempotencyKey(key);
    if (!entry) return null;
    if (entry.action !== action || entry.customerId !== customerId) {
      return {
        kind: "field_errors",
        fieldErrors: {
          idempotencyKey: [
            `This key was already used at ${formatUtc(entry.createdAt)} by ${entry.actor.email} for ${entry.action}${
              entry.customerId && entry.customerId !== customerId ? ` on customer ${entry.customerId}` : ""
            }. Use a new key.`,
          ],
        },
        message: "The idempotency key belongs to another write",
      };
    }
    if (entry.status === "pending") return resume(entry);
    return fromRow(entry, form);
  }

  /** begin → (hook) → Commet → finalize. */
  async function write(spec: WriteSpec): Promise<WriteResult> {
    // The audit row must hold exactly what is sent (a retry repeats it): free text arrives redacted
    // already; an identifier that redaction would alter is refused rather than sent in two versions.
    if (stableJson(redactParams(spec.request.params)) !== stableJson(spec.request.params)) {
      return fieldErrors(
        { _form: ["A value looks like a secret (an API key or a URL): remove it"] },
        "A value looks like a secret",
      );
    }
    const request = spec.request;
    const input: BeginAuditInput = {
      actor: spec.staff.actor,
      role: spec.staff.role,
      action: spec.action,
      customerId: spec.customerId,
      idempotencyKey: spec.idempotencyKey,
      params: { ...spec.details, form: spec.form, request },
    };
    let auditId: string;
    try {
      auditId = await audit.begin(input);
    } catch (error) {
      if (!(error instanceof DuplicateAuditKeyError)) throw error;
      // Another process began this key between our lookup and now.
      const existing = error.existing;
      return existing.status === "pending" ? resume(existing) : fromRow(existing, spec.form);
    }
    await deps.hooks?.afterBegin?.(auditId);
    const entry = { id: auditId, createdAt: (deps.clock ?? Date.now)(), actor: spec.staff.actor };
    return call(entry, spec.action, spec.idempotencyKey, request, false);
  }

  /**
   * "Check again / retry with the same key" for a pending row (the audit screen, a restart).
   * Final rows answer from the row; the caller needs the permission of the original action.
   */
  async function resolvePending(auditId: string, staff: Staff): Promise<WriteResult> {
    const entry = await audit.get(auditId);
    if (!entry || !isWriteAction(entry.action)) {
      return {
        kind: "field_errors",
        fieldErrors: { _form: ["No such pending write"] },
        message: "No such pending write",
      };
    }
    if (!can(staff.role, WRITE_ACTIONS[entry.action])) {
      return { kind: "forbidden", message: "Your role may not retry this write" };
    }
    return once(entry.idempotencyKey, async () => {
      const current = await audit.get(auditId);
      if (!current)
        return {
          kind: "field_errors",
          fieldErrors: { _form: ["No such pending write"] },
          message: "No such pending write",
        };
      return current.status === "pending" ? resume(current) : fromRow(current, null);
    });
  }

  return {
    once,
    lookup,
    write,
    resolvePending,
    /** The SDK client writes (and their re-reads) go through. */
    commet,
    commetUrl,
    now: () => (deps.clock ?? Date.now)(),
  };
}

export type WriteEngine = ReturnType<typeof createWriteEngine>;

let processEngine: WriteEngine | undefined;

/** `engine`, or the process-wide one (the process's SDK client and audit trail). */
export function writeEngineFor(engine?: WriteEngine): WriteEngine {
  if (engine) return engine;
  processEngine ??= createWriteEngine();
  return processEngine;
}

/** "Check again" for a pending seats/usage write, with the process's SDK client and audit trail. */
export function resolvePendingWrite(auditId: string, staff: Staff, engine?: WriteEngine): Promise<WriteResult> {
  return writeEngineFor(engine).resolvePending(auditId, staff);
}
