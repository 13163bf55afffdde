/**
 * The one place where Commet SDK failures become Problems an operator can act on (for loaders, actions and
 * panels); anything not recognised is rethrown untouched and reaches the route error boundary as a 500.
 */

import { data } from "@remix-run/node";
import { CommetAPIError, CommetValidationError } from "@commet/node";
import type { Problem } from "../../app/contracts/problem.ts";
import { commetBaseUrl } from "./client.ts";

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ETIMEDOUT",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_SOCKET",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "CERT_HAS_EXPIRED",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "EPROTO",
]);

function isNetworkFailure(error: unknown): boolean {
  if (error instanceof TypeError && /fetch failed/i.test(error.message)) return true;
  const code = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof code === "string" && NETWORK_CODES.has(code);
}

function isTimeout(error: unknown): boolean {
  return error instanceof DOMException && (error.name === "TimeoutError" || error.name === "AbortError");
}

/** HTTP status the console answers with for each kind of problem. */
export const problemStatus: Record<Problem["kind"], number> = {
  unauthorized: 502,
  unreachable: 502,
  not_commet: 502,
  rate_limited: 503,
  unavailable: 503,
  not_found: 404,
  invalid_request: 400,
};

/** Maps an error thrown by the SDK to a Problem, or null when it is not a Commet failure we understand. */
export function toCommetProblem(error: unknown, baseUrl?: string): Problem | null {
  const target = () => baseUrl ?? commetBaseUrl();
  if (error instanceof CommetValidationError) {
    return {
      kind: "invalid_request",
      title: "Commet rejected the request",
      message: error.message,
      retryable: false,
      code: "validation_error",
      fieldErrors: error.validationErrors,
    };
  }
  if (error instanceof CommetAPIError) {
    const status = error.statusCode;
    const code = error.code;
    if (status === 401 || status === 403 || code === "unauthorized" || code === "forbidden") {
      return {
        kind: "unauthorized",
        title: "Commet rejected the API key",
        message: "Commet rejected the API key — check COMMET_API_KEY",
        variable: "COMMET_API_KEY",
        retryable: false,
        code,
      };
    }
    if (code === "INVALID_JSON") {
      return {
        kind: "not_commet",
        title: "That is not the Commet API",
        message: `The server at ${target()} did not answer like the Commet API (HTTP ${status}) — check COMMET_API_URL`,
        variable: "COMMET_API_URL",
        retryable: false,
        code,
      };
    }
    if (status === 429) {
      return {
        kind: "rate_limited",
        title: "Commet is rate limiting the console",
        message: "Commet is rate limiting the console — wait a moment and try again",
        retryable: true,
        code,
      };
    }
    if (status === 408 || status >= 500) {
      return {
        kind: "unavailable",
        title: "Commet is unavailable",
        message: `Commet answered HTTP ${status} (${code ?? "error"}) — it may be a temporary outage, try again in a moment`,
        retryable: true,
        code,
      };
    }
    if (status === 404) {
      return { kind: "not_found", title: "Not found in Commet", message: error.message, retryable: false, code };
    }
    if (status === 400 || status === 409 || status === 422) {
      return {
        kind: "invalid_request",
        title: "Commet refused the request",
        message: error.message,
        retryable: false,
        code,
      };
    }
    return null;
  }
  if (isNetworkFailure(error) || isTimeout(error)) {
    return {
      kind: "unreachable",
      title: "Commet cannot be reached",
      message: `Commet cannot be reached at ${target()} — check COMMET_API_URL / network`,
      variable: "COMMET_API_URL",
      retryable: true,
    };
  }
  return null;
}

/** Rethrows an SDK error as a Remix error response carrying the Problem (status per kind). */
export function throwCommetProblem(error: unknown): never {
  const problem = toCommetProblem(error);
  if (!problem) throw error;
  throw data(problem, { status: problemStatus[problem.kind] });
}

/** Runs one Commet call and converts its failure with `throwCommetProblem`. */
export async function callCommet<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    return throwCommetProblem(error);
  }
}

/** An expected Commet failure as an answer (its Problem and HTTP status) instead of a throw; anything else still throws. */
export async function answerCommet<T>(
  call: () => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; problem: Problem; status: number }> {
  try {
    return { ok: true, value: await call() };
  } catch (error) {
    const problem = toCommetProblem(error);
    if (!problem) throw error;
    return { ok: false, problem, status: problemStatus[problem.kind] };
  }
}
