/**
 * The request a piece of work belongs to, carried by AsyncLocalStorage: code called while handling a request
 * logs its id without anyone passing it along.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";

export type RequestContext = { readonly requestId: string };

const storage = new AsyncLocalStorage<RequestContext>();

/** Runs `fn` (and everything it starts) as part of the request `context`. */
export function runWithRequestContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The request the caller is working for, if any (undefined in background work). */
export function currentRequestContext(): RequestContext | undefined {
  return storage.getStore();
}

// Printable, no spaces or quotes, bounded: a proxy's id is kept, anything else (log injection, huge values) replaced.
const ACCEPTED_REQUEST_ID = /^[A-Za-z0-9._:/+=-]{1,128}$/;

/** The caller's `x-request-id` when it is a safe token, else a fresh one. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && ACCEPTED_REQUEST_ID.test(value) ? value : randomUUID();
}
