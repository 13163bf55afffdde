/**
 * Routes the Commet SDK (7.10.0 always calls https://commet.co) to the sandbox or another endpoint by rewriting
 * that one origin in Node's global undici dispatcher; other origins pass (docs/decisions/0002-sdk-routing.md).
 */

import { getGlobalDispatcher, setGlobalDispatcher, type Dispatcher } from "undici";

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

/** An undici interceptor that sends `https://commet.co` requests to `target` (an http(s) origin). */
export function commetOriginInterceptor(target: string): Dispatcher.DispatcherComposeInterceptor {
  const targetOrigin = new URL(target).origin;
  return (dispatch) => (options, handler) => {
    const origin = rewrittenOrigin(options.origin, targetOrigin);
    return dispatch(origin ? { ...options, origin } : options, handler);
  };
}

let baseDispatcher: Dispatcher | undefined;

/**
 * Installs the rewrite as the global dispatcher (idempotent: installing again
 * replaces the previous target). Returns a function that restores the
 * dispatcher that was global before the first install.
 */
export function installCommetRouting(target: string): () => void {
  baseDispatcher ??= getGlobalDispatcher();
  const base = baseDispatcher;
  setGlobalDispatcher(base.compose(commetOriginInterceptor(target)));
  return () => {
    setGlobalDispatcher(base);
    baseDispatcher = undefined;
  };
}
