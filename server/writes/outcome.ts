/**
 * What a Commet error means for a write: refused for good (finalize `failed`), a duplicate event,
 * still in progress, or ambiguous — the write may have been applied, so the row stays pending.
 */
import { CommetAPIError, CommetValidationError } from "@commet/node";
import type { Problem } from "../../app/contracts/problem.ts";
import type { WriteResult } from "../../app/contracts/ops-results.ts";
import { commetBaseUrl } from "../commet/client.ts";
import { toCommetProblem } from "../commet/errors.ts";

export type Classified =
  | { kind: "definitive"; code: string; message: string; problem: Problem | null }
  | { kind: "duplicate"; message: string }
  | { kind: "in_progress"; message: string }
  | { kind: "ambiguous"; code: string | null; message: string; problem: Problem | null };

export function classify(error: unknown, commetUrl: string): Classified {
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

/** The Commet origin for error messages ("cannot be reached at …"). */
export function configuredCommetUrl(): string {
  try {
    return commetBaseUrl();
  } catch {
    return "https://commet.co";
  }
}
