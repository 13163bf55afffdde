/**
 * Routes the Commet SDK (7.10.0 always calls https://commet.co) to the sandbox or another endpoint by rewriting
 * that one origin in Node's global undici dispatcher; other origins pass (docs/decisions/0002-sdk-routing.md).
 * The same interceptor measures every Commet exchange (latency, errors) for the metrics.
 */

import { Agent, getGlobalDispatcher, setGlobalDispatcher, type Dispatcher } from "undici";
import { commetDuration, commetErrors, statusClass } from "../observability/index.ts";
import { leanCommetFetch } from "./lean-fetch.ts";

export const COMMET_ORIGIN = "https://commet.co";

/** The origin a request is sent to, or null when it should pass through unchanged. */
export function rewrittenOrigin(requestOrigin: string | URL | undefined, target: string): string | null {
  if (requestOrigin === undefined) return null;
  let origin: string;
  try {
    origin = new URL(String(requestOrigin)).origin;
  } catch {
    return null;
  }
  return origin === COMMET_ORIGIN ? new URL(target).origin : null;
}

// The literal segments of @commet/node 7.10.0's endpoint paths; any other segment is an id, code or key.
const LITERAL_SEGMENTS = new Set(
  (
    "api v1 active-addons addons api-keys credit-packs customers feature-access features invoices payments " +
    "payouts plan-groups plans portal promo-codes provisioning quota seats subscriptions test-clock transactions " +
    "usage webhooks manage batch download send status cancel refund retry test charge bank-accounts verification " +
    "request-access balance balances active all events check bulk process-billing claim-link prices regional " +
    "visibility default reorder credits reactivate uncancel adjust topup change-plan preview-change " +
    "recovery-link payment-method update"
  ).split(" "),
);

/** `/api/v1/customers/cus_123?x=1` → `/api/v1/customers/:id`: a bounded metric label for an SDK call. */
export function commetPathTemplate(path: string): string {
  const pathname = path.split("?")[0] ?? "";
  return pathname
    .split("/")
    .map((segment) => (segment === "" || LITERAL_SEGMENTS.has(segment) ? segment : ":id"))
    .join("/");
}

/** Wraps a handler so the exchange's duration and outcome land in the Commet metrics when it ends. */
function measured(method: string, path: string, handler: Dispatcher.DispatchHandler): Dispatcher.DispatchHandler {
  const started = process.hrtime.bigint();
  const labels = { method, path: commetPathTemplate(path) };
  let status = 0;
  const done = (outcome: string, errorKind: string | null) => {
    commetDuration().observe({ ...labels, outcome }, Number(process.hrtime.bigint() - started) / 1e9);
    if (errorKind) commetErrors().inc({ ...labels, kind: errorKind });
  };
  return {
    onRequestStart: (controller, context) => handler.onRequestStart?.(controller, context),
    onRequestUpgrade: (controller, statusCode, headers, socket) =>
      handler.onRequestUpgrade?.(controller, statusCode, headers, socket),
    onResponseStart: (controller, statusCode, headers, statusMessage) => {
      status = statusCode;
      return handler.onResponseStart?.(controller, statusCode, headers, statusMessage);
    },
    onResponseData: (controller, chunk) => handler.onResponseData?.(controller, chunk),
    onResponseEnd: (controller, trailers) => {
      done(statusClass(status), status >= 400 ? statusClass(status) : null);
      return handler.onResponseEnd?.(controller, trailers);
    },
    onResponseError: (controller, error) => {
      // No answer at all (refused, reset, timed out or aborted by the SDK's timeout).
      done("error", "network");
      return handler.onResponseError?.(controller, error);
    },
  };
}

/**
 * An undici interceptor for `https://commet.co` requests: measured, and sent to `target` (an http(s)
 * origin) when one is given; other origins pass untouched.
 */
export function commetOriginInterceptor(target: string | undefined): Dispatcher.DispatcherComposeInterceptor {
  const targetOrigin = target ? new URL(target).origin : COMMET_ORIGIN;
  return (dispatch) => (options, handler) => {
    const origin = rewrittenOrigin(options.origin, targetOrigin);
    if (!origin) return dispatch(options, handler);
    return dispatch({ ...options, origin }, measured(String(options.method), String(options.path), handler));
  };
}

let baseDispatcher: Dispatcher | undefined;
let baseFetch: typeof fetch | undefined;
let ownAgent: Agent | undefined;

/**
 * Installs the interceptor on the global dispatcher (idempotent: installing again replaces the previous
 * target; undefined = commet.co itself, measured only), and the SDK's lean path through it (lean-fetch.ts).
 * Returns a function that restores the dispatcher and `fetch` that were global before the first install.
 */
export function installCommetRouting(target: string | undefined): () => void {
  baseDispatcher ??= getGlobalDispatcher();
  baseFetch ??= globalThis.fetch;
  // Composed on this undici's own Agent: a global one Node's built-in fetch created first (an older undici) would
  // not hand our interceptor's handler the current handler API ("invalid onError method").
  const base = (ownAgent ??= new Agent());
  setGlobalDispatcher(base.compose(commetOriginInterceptor(target)));
  globalThis.fetch = leanCommetFetch(baseFetch, COMMET_ORIGIN);
  const previous = { dispatcher: baseDispatcher, fetch: baseFetch };
  return () => {
    setGlobalDispatcher(previous.dispatcher);
    globalThis.fetch = previous.fetch;
    baseDispatcher = undefined;
    baseFetch = undefined;
  };
}
