/**
 * Fewer Commet reads from the process's one SDK client: identical reads in flight at the same time share one
 * call, and the plan and feature catalog is kept in memory for a short while. Writes clear both, so a read
 * that starts after a write never gets an answer produced before it (docs/decisions/0027-operability-and-shared-reads.md).
 */
import type { Commet, RequestOptions } from "@commet/node";

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

  const forgetCatalog = () => {
    catalog.clear();
    catalogGeneration++;
  };
  // Before and after every write: reads started from now on go to Commet, none joins a call made before.
  const writeBoundary = () => {
    inFlight.clear();
    forgetCatalog();
  };

  const get = http.get.bind(http);
  http.get = (endpoint, params, requestOptions) => {
    const key = JSON.stringify([endpoint, params ?? null, requestOptions?.timeout ?? null, requestOptions?.apiVersion]);
    const cacheable = options.catalogMaxAgeMs > 0 && CATALOG_ENDPOINT.test(endpoint);
    if (cacheable) {
      const hit = catalog.get(key);
      if (hit && hit.expiresAt > clock()) return Promise.resolve(structuredClone(hit.value));
    }
    const shared = inFlight.get(key);
    if (shared) {
      shared.joiners++;
      return shared.promise.then((value) => structuredClone(value));
    }
    const generation = catalogGeneration;
    const promise = get(endpoint, params, requestOptions).finally(() => {
      if (inFlight.get(key) === entry) inFlight.delete(key);
    });
    const entry = { promise, joiners: 0 };
    inFlight.set(key, entry);
    return promise.then((value) => {
      if (cacheable && generation === catalogGeneration) {
        catalog.set(key, { value, expiresAt: clock() + options.catalogMaxAgeMs });
        return structuredClone(value);
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
