/**
 * Fewer Commet reads from the process's one SDK client: identical reads in flight at the same time share one
 * call, one request's repeated reads share one answer, and the plan and feature catalog is kept for a short
 * while. Writes clear all three (docs/decisions/0027-operability-and-shared-reads.md, 0025).
 */
import type { Commet, RequestOptions } from "@commet/node";
import { currentRequestContext, type RequestContext } from "../observability/index.ts";

/** The SDK's HTTP client (7.10.0): every resource method ends in one of these four. */
type SdkHttp = {
  get(endpoint: string, params?: object, options?: RequestOptions): Promise<unknown>;
  post(endpoint: string, data?: unknown, options?: RequestOptions): Promise<unknown>;
  put(endpoint: string, data?: unknown, options?: RequestOptions): Promise<unknown>;
  delete(endpoint: string, data?: unknown, options?: RequestOptions): Promise<unknown>;
};

export type SharedReadsOptions = {
  /** How long a catalog answer may be reused; 0 = never (reads are still shared while in flight). */
  catalogMaxAgeMs: number;
  clock?: () => number;
};

export type SharedReads = {
  /** Forget the cached catalog (a webhook said plans may have moved). */
  invalidateCatalog(): void;
};

/**
 * A copy of an answer: the SDK's answers are parsed JSON (plain objects, arrays, strings, numbers, booleans, null),
 * which a plain walk copies several times faster than `structuredClone` and its serializer — every answer a page
 * reads is copied once into the request's memo.
 */
export function copyAnswer<T>(value: T): T {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => copyAnswer(item)) as T;
  const copy: Record<string, unknown> = {};
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const item = copyAnswer((value as Record<string, unknown>)[key]);
    // JSON.parse makes "__proto__" an own key; assigning it would set the copy's prototype instead.
    if (key === "__proto__")
      Object.defineProperty(copy, key, { value: item, enumerable: true, writable: true, configurable: true });
    else copy[key] = item;
  }
  return copy as T;
}

/** plans.list / plans.get, features.list / features.get, planGroups.list / planGroups.get. */
const CATALOG_ENDPOINT = /^\/(plans|features|plan-groups)(\/[^/]+)?$/;

/**
 * Shares `client`'s reads. Answers handed to more than one caller are copies: no caller sees another's
 * changes to its objects. A failed read is shared by the callers waiting on it, never cached.
 */
export function shareReads(client: Commet, options: SharedReadsOptions): SharedReads {
  const http = (client as unknown as { httpClient?: SdkHttp }).httpClient;
  if (!http || typeof http.get !== "function") {
    throw new Error("@commet/node has no httpClient.get to share reads on (the SDK changed: see shared-reads.ts)");
  }
  const clock = options.clock ?? Date.now;
  const inFlight = new Map<string, { promise: Promise<unknown>; joiners: number }>();
  const catalog = new Map<string, { value: unknown; expiresAt: number }>();
  let catalogGeneration = 0;
  // Answers already read for a request (its page's panels ask for the same customer, subscription, invoices…),
  // valid until the next write in this process; dropped with the request.
  const byRequest = new WeakMap<RequestContext, { writeGeneration: number; answers: Map<string, unknown> }>();
  let writeGeneration = 0;

  const forgetCatalog = () => {
    catalog.clear();
    catalogGeneration++;
  };
  // Before and after every write: reads started from now on go to Commet, none joins a call made before.
  const writeBoundary = () => {
    inFlight.clear();
    forgetCatalog();
    writeGeneration++;
  };
  const requestMemo = (): Map<string, unknown> | undefined => {
    const context = currentRequestContext();
    if (!context) return undefined;
    let memo = byRequest.get(context);
    // A write anywhere in the process since these answers were read: none of them is reused.
    if (!memo || memo.writeGeneration !== writeGeneration) {
      memo = { writeGeneration, answers: new Map() };
      byRequest.set(context, memo);
    }
    return memo.answers;
  };

  const get = http.get.bind(http);
  http.get = (endpoint, params, requestOptions) => {
    const key = JSON.stringify([endpoint, params ?? null, requestOptions?.timeout ?? null, requestOptions?.apiVersion]);
    const cacheable = options.catalogMaxAgeMs > 0 && CATALOG_ENDPOINT.test(endpoint);
    if (cacheable) {
      const hit = catalog.get(key);
      if (hit && hit.expiresAt > clock()) return Promise.resolve(copyAnswer(hit.value));
    }
    // A settled answer does not depend on how long its caller was willing to wait: no timeout in this key.
    const memoKey = JSON.stringify([endpoint, params ?? null, requestOptions?.apiVersion]);
    const memo = requestMemo();
    if (memo?.has(memoKey)) return Promise.resolve(copyAnswer(memo.get(memoKey)));
    const shared = inFlight.get(key);
    if (shared) {
      shared.joiners++;
      return shared.promise.then((value) => copyAnswer(value));
    }
    const generation = catalogGeneration;
    const writesBefore = writeGeneration;
    const promise = get(endpoint, params, requestOptions).finally(() => {
      if (inFlight.get(key) === entry) inFlight.delete(key);
    });
    const entry = { promise, joiners: 0 };
    inFlight.set(key, entry);
    return promise.then((value) => {
      if (memo && writesBefore === writeGeneration) memo.set(memoKey, copyAnswer(value));
      if (cacheable && generation === catalogGeneration) {
        catalog.set(key, { value, expiresAt: clock() + options.catalogMaxAgeMs });
        return copyAnswer(value);
      }
      // Joiners copy in their own callbacks, which run before this caller's continuation: the original is safe.
      return value;
    });
  };

  for (const method of ["post", "put", "delete"] as const) {
    const write = http[method].bind(http);
    http[method] = async (endpoint, data, requestOptions) => {
      writeBoundary();
      try {
        return await write(endpoint, data, requestOptions);
      } finally {
        writeBoundary();
      }
    };
  }
  return { invalidateCatalog: forgetCatalog };
}
