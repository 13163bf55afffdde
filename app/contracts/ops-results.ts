/**
 * What an ops write answers (server/writes, server/seats) and how the routes send it to their fetchers:
 * the result kinds the forms render and their HTTP status. Client-safe: types and a status table.
 */
import type { FieldErrors } from "./ops-forms.ts";
import type { Problem } from "./problem.ts";

export type WriteResult =
  /** Commet applied the write (now, or — `resumed` — completing an attempt whose outcome was unknown). */
  | {
      kind: "ok";
      auditId: string;
      at: number;
      by: string;
      eventId: string | null;
      data: unknown;
      /** What was sent to Commet (the stored request, also when resumed): what the console records of the write. */
      request: { call: string; params: Record<string, unknown> };
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

/** The balance changed since the form was rendered: nothing was sent; show the fresh value. */
export interface StaleSeatCount {
  kind: "stale";
  seatType: string;
  seen: number;
  current: number;
  message: string;
}

export type SeatChangeResult = WriteResult | StaleSeatCount;

/** The confirmation of a seat change, before it happens. */
export interface SeatPreview {
  seatType: string;
  /** "Editor seats" (the feature's name), or "editor seats". */
  label: string;
  from: number;
  to: number;
  delta: number;
  direction: "increase" | "decrease" | "none";
  /** One sentence stating the effect, e.g. "Editor seats 5 → 8; prorated charge for the 14 days left ≈ $35.00". */
  effect: string;
  /** Prorated estimate for added extra seats (null when nothing is charged or it cannot be estimated). */
  charge: {
    /** Commet's rate scale (10000 = $1.00). */
    amount: number;
    formatted: string;
    extraSeats: number;
    unitPrice: number;
    daysLeft: number;
    daysInPeriod: number;
  } | null;
  /** Removals: when they take effect (the period end), no refund. */
  effectiveAt: string | null;
  /** The change is large (±50 % or > 20 seats): the customer's email must be typed to confirm. */
  needsEmailConfirmation: boolean;
  /** LIVE mode: the confirmation shows the LIVE banner. */
  livemode: boolean;
  /** False when the change is not possible as asked (below 0, no change). */
  valid: boolean;
  problem: string | null;
}

/** A seat change checked but not sent (intent=preview): the confirmation text, or why not. */
export type SeatPreviewResult = SeatChangeResult | { kind: "preview"; preview: SeatPreview };

/** What a write action sends to its fetcher: the result without the raw Commet payload of a success. */
export type OpsWriteResult =
  Exclude<WriteResult, { kind: "ok" }> | Omit<Extract<WriteResult, { kind: "ok" }>, "data" | "request">;
export type SeatActionResult =
  OpsWriteResult | Extract<SeatChangeResult, { kind: "stale" }> | { kind: "preview"; preview: SeatPreview };

const STATUS: Record<SeatActionResult["kind"], number> = {
  ok: 200,
  preview: 200,
  already_recorded: 200,
  field_errors: 400,
  forbidden: 403,
  stale: 409,
  previous_failed: 409,
  in_progress: 409,
  duplicate_unknown: 409,
  commet_error: 502,
};

/** Drops the raw Commet request and answer of a successful write (the fetcher needs the ids and the message). */
export function forBrowser(result: WriteResult): OpsWriteResult;
export function forBrowser(result: SeatChangeResult | SeatPreviewResult): SeatActionResult;
/** Any domain's answers: a WriteResult or its own kinds (stale, preview, …). */
export function forBrowser<R extends { kind: string }>(result: R): Exclude<R, { kind: "ok" }> | OpsWriteResult;
export function forBrowser(result: { kind: string }): unknown {
  if (result.kind !== "ok") return result;
  const { data: _raw, request: _sent, ...rest } = result as Extract<WriteResult, { kind: "ok" }>;
  return rest;
}

/** The HTTP status of an action's answer: 400 field errors, 403, 409 refusals, 502 Commet failures. */
export function writeStatus(result: { kind: SeatActionResult["kind"]; problem?: Problem | null }): number {
  return result.kind === "commet_error" && result.problem?.kind === "rate_limited" ? 429 : STATUS[result.kind];
}

export const NO_STORE = { "Cache-Control": "no-store" } as const;
