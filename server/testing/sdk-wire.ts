/**
 * The SDK on the wire, for tests and benches: `routeSdk()` sends https://commet.co to a sandbox and
 * records every exchange the SDK makes (method, path, Idempotency-Key, status), so tests see its retries.
 */
import { Agent, setGlobalDispatcher, type Dispatcher } from "undici";

export const COMMET_ORIGIN = "https://commet.co";

/** One HTTP exchange the SDK made towards https://commet.co, as seen on the wire. */
export interface Exchange {
  method: string;
  /** Path including the query string, e.g. `/api/v1/customers?limit=2`. */
  path: string;
  idempotencyKey: string | null;
  status: number | null;
  /** Lower-cased response headers (multi-valued headers joined with ", "). */
  headers: Record<string, string>;
  /** Set when the exchange failed below HTTP (socket closed, refused, …). */
  error: string | null;
  done: boolean;
}

interface RouterState {
  target: string | null;
  exchanges: Exchange[];
  recording: boolean;
  installed: boolean;
}

const router: RouterState = { target: null, exchanges: [], recording: true, installed: false };

/** A header as one string (multi-valued headers joined with ", "). */
export function headerValue(value: unknown): string {
  if (Array.isArray(value)) return value.map((v) => String(v)).join(", ");
  return String(value);
}

/** Request headers arrive as an object, a flat [k, v, k, v] array or an iterable of pairs. */
function findRequestHeader(headers: unknown, wanted: string): string | null {
  const name = wanted.toLowerCase();
  if (headers == null) return null;
  if (Array.isArray(headers)) {
    if (headers.length > 0 && Array.isArray(headers[0])) {
      for (const pair of headers as unknown[][]) {
        if (String(pair[0]).toLowerCase() === name) return headerValue(pair[1]);
      }
      return null;
    }
    for (let i = 0; i + 1 < headers.length; i += 2) {
      if (String(headers[i]).toLowerCase() === name) return headerValue(headers[i + 1]);
    }
    return null;
  }
  if (typeof headers === "object") {
    if (Symbol.iterator in headers) {
      for (const pair of headers as Iterable<unknown[]>) {
        if (String(pair[0]).toLowerCase() === name) return headerValue(pair[1]);
      }
      return null;
    }
    for (const [k, v] of Object.entries(headers as Record<string, unknown>)) {
      if (k.toLowerCase() === name && v !== undefined) return headerValue(v);
    }
  }
  return null;
}

function normaliseResponseHeaders(headers: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v !== undefined) out[k.toLowerCase()] = headerValue(v);
  }
  return out;
}

const rewriteCommetOrigin: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (opts, handler) => {
  const target = router.target;
  const origin = opts.origin ? new URL(String(opts.origin)).origin : null;
  if (!target || origin !== COMMET_ORIGIN) return dispatch(opts, handler);

  const exchange: Exchange = {
    method: String(opts.method),
    path: String(opts.path),
    idempotencyKey: findRequestHeader(opts.headers, "idempotency-key"),
    status: null,
    headers: {},
    error: null,
    done: false,
  };
  if (router.recording) router.exchanges.push(exchange);

  const recording: Dispatcher.DispatchHandler = {
    onRequestStart: (controller, context) => handler.onRequestStart?.(controller, context),
    onRequestUpgrade: (controller, statusCode, headers, socket) =>
      handler.onRequestUpgrade?.(controller, statusCode, headers, socket),
    onResponseStart: (controller, statusCode, headers, statusMessage) => {
      exchange.status = statusCode;
      exchange.headers = normaliseResponseHeaders(headers as Record<string, unknown>);
      return handler.onResponseStart?.(controller, statusCode, headers, statusMessage);
    },
    onResponseData: (controller, chunk) => handler.onResponseData?.(controller, chunk),
    onResponseEnd: (controller, trailers) => {
      exchange.done = true;
      return handler.onResponseEnd?.(controller, trailers);
    },
    onResponseError: (controller, error) => {
      exchange.error = error.message || error.name;
      exchange.done = true;
      return handler.onResponseError?.(controller, error);
    },
  };
  return dispatch({ ...opts, origin: target }, recording);
};

/**
 * Route the SDK (whose base URL is fixed to https://commet.co) to `baseUrl`, e.g.
 * `http://127.0.0.1:4010`. Installs the global dispatcher on first use; later calls
 * only move the target (used after a sandbox restart on a new port).
 */
export function routeSdk(baseUrl: string, agentOptions: Agent.Options = {}): void {
  router.target = new URL(baseUrl).origin;
  if (!router.installed) {
    setGlobalDispatcher(new Agent({ keepAliveTimeout: 10_000, ...agentOptions }).compose(rewriteCommetOrigin));
    router.installed = true;
  }
}

/** Exchanges recorded since the last `clearExchanges()`. */
export function exchanges(): readonly Exchange[] {
  return router.exchanges;
}

export function clearExchanges(): void {
  router.exchanges = [];
}

/** Stop recording (the bench makes tens of thousands of calls). */
export function setRecording(enabled: boolean): void {
  router.recording = enabled;
  router.exchanges = [];
}
