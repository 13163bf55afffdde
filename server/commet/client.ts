// The process's one Commet SDK client and where it points (docs/decisions/0002-sdk-routing.md).

import { Commet } from "@commet/node";
import { getEnv } from "../env.ts";
import { COMMET_ORIGIN, installCommetRouting } from "./routing.ts";
import { shareReads, type SharedReads } from "./shared-reads.ts";

/**
 * Where the process's one Commet client points. `server/main.ts` sets it at
 * startup (the embedded sandbox, or COMMET_API_KEY / COMMET_API_URL); when
 * nothing set it, it is read from the environment on first use.
 */
export type CommetConnection = {
  apiKey: string;
  /** Origin the SDK is routed to; undefined means https://commet.co itself. */
  apiUrl: string | undefined;
  /** True when `server/main.ts` started the local sandbox for this process. */
  embeddedSandbox: boolean;
  /** COMMET_CATALOG_MAX_AGE_SECONDS in ms (default 60 s; 0 = the catalog is not cached). */
  catalogMaxAgeMs?: number;
};

let connection: CommetConnection | undefined;
let client: Commet | undefined;
let sharedReads: SharedReads | undefined;
let uninstallRouting: (() => void) | undefined;

/**
 * Points the process's Commet client at `next`: routes https://commet.co there when apiUrl is set, and
 * measures every exchange either way.
 */
export function connectCommet(next: CommetConnection): void {
  uninstallRouting?.();
  uninstallRouting = installCommetRouting(next.apiUrl);
  connection = next;
  client = undefined;
  sharedReads = undefined;
}

export function getCommetConnection(): CommetConnection {
  if (connection) return connection;
  const env = getEnv();
  if (!env.COMMET_API_KEY) {
    throw new Error(
      "COMMET_API_KEY is not set: start the console with `npm start` (embedded sandbox) or set COMMET_API_KEY",
    );
  }
  const fromEnv = { apiKey: env.COMMET_API_KEY, apiUrl: env.COMMET_API_URL, embeddedSandbox: false };
  connectCommet(fromEnv);
  return fromEnv;
}

/** The origin Commet requests actually go to, for messages such as "cannot be reached at …". */
export function commetBaseUrl(): string {
  return getCommetConnection().apiUrl ?? COMMET_ORIGIN;
}

/** The one `Commet` SDK instance of the process, created on first use; its reads are shared (shared-reads.ts). */
export function getCommet(): Commet {
  if (!client) {
    // The SDK checks npm for a newer version in development; the console pins 7.10.0 on purpose.
    process.env.COMMET_NO_UPDATE_CHECK ??= "1";
    const current = getCommetConnection();
    client = new Commet({ apiKey: current.apiKey });
    sharedReads = shareReads(client, { catalogMaxAgeMs: current.catalogMaxAgeMs ?? 60_000 });
  }
  return client;
}

/** Forget the cached plan and feature catalog of this process (each worker process keeps its own). */
export function invalidateCatalog(): void {
  sharedReads?.invalidateCatalog();
}
