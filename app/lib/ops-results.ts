import type { SeatChangeResult, SeatPreview, WriteResult } from "../../server/seats/index.ts";

/**
 * What the seat and usage action routes answer to their fetchers: the server's WriteResult (without
 * the raw Commet payload), a seat change's stale refusal, or — seats, intent=preview — the
 * confirmation text. Types only from server/: nothing server-side reaches the browser.
 */
export type OpsWriteResult = Exclude<WriteResult, { kind: "ok" }> | Omit<Extract<WriteResult, { kind: "ok" }>, "data">;
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

/** Drops the raw Commet answer of a successful write (the fetcher needs the ids and the message). */
export function forBrowser(result: WriteResult): OpsWriteResult;
export function forBrowser(result: SeatChangeResult): SeatActionResult;
export function forBrowser(result: SeatChangeResult): SeatActionResult {
  if (result.kind !== "ok") return result;
  const { data: _raw, ...rest } = result;
  return rest;
}

/** The HTTP status of an action's answer: 400 field errors, 403, 409 refusals, 502 Commet failures. */
export function writeStatus(result: SeatActionResult): number {
  return result.kind === "commet_error" && result.problem?.kind === "rate_limited" ? 429 : STATUS[result.kind];
}

export const NO_STORE = { "Cache-Control": "no-store" } as const;
