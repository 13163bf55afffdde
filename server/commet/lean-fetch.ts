/**
 * The SDK's calls to Commet without WHATWG fetch's machinery. @commet/node 7.10.0 sends every call through the
 * global `fetch` and reads back only `ok`, `status`, `statusText`, `headers.get()`, `json()` and `text()`. Node's
 * fetch builds a Request, Headers, a body ReadableStream and a Response around each exchange: measured here, about
 * 0.25 ms of CPU more per call than undici's `request()` on the same dispatcher, and a customer page makes nine
 * (docs/decisions/0033-lean-commet-calls.md).
 *
 * Only what is surely the SDK takes the lean path: a string URL on Commet's origin (https://commet.co), a plain headers object with
 * `commet-version`, a string body or none. The answer keeps fetch's contract for what the SDK does with it: a
 * network failure is `TypeError("fetch failed")` with the cause, an aborted call rejects with the signal's reason
 * (the SDK's timeout is a TimeoutError), a body reads once. The request goes through the global dispatcher, so the
 * routing to the sandbox and the Commet metrics apply as before. Not done, as the SDK never needs it: redirects
 * (Commet's API answers without them) and compressed answers (none is asked for).
 */
import { STATUS_CODES } from "node:http";
import { getGlobalDispatcher, request } from "undici";

type SdkInit = {
  method?: string;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal | null;
};

const METHODS = new Set(["GET", "POST", "PUT", "DELETE", "PATCH"]);
const KNOWN_INIT = new Set(["method", "headers", "body", "signal"]);

function isSdkCall(prefix: string, input: unknown, init: RequestInit | undefined): init is SdkInit & RequestInit {
  if (typeof input !== "string" || !input.startsWith(prefix) || !init) return false;
  const headers = init.headers;
  if (!headers || typeof headers !== "object" || Array.isArray(headers) || headers instanceof Headers) return false;
  if (typeof (headers as Record<string, unknown>)["commet-version"] !== "string") return false;
  if (init.body !== undefined && typeof init.body !== "string") return false;
  if (!METHODS.has((init.method ?? "GET").toUpperCase())) return false;
  for (const key in init) if (!KNOWN_INIT.has(key)) return false;
  return true;
}

/** What the SDK reads of a fetch Response. */
export interface LeanResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly statusText: string;
  readonly headers: { get(name: string): string | null };
  json(): Promise<unknown>;
  text(): Promise<string>;
}

/** An error as fetch would reject with it: the signal's reason once aborted, else TypeError("fetch failed"). */
function asFetchError(error: unknown, signal: AbortSignal | null | undefined): unknown {
  if (signal?.aborted) return signal.reason;
  return new TypeError("fetch failed", { cause: error });
}

async function leanCall(url: string, init: SdkInit): Promise<LeanResponse> {
  const signal = init.signal ?? undefined;
  signal?.throwIfAborted();
  let answer: Awaited<ReturnType<typeof request>>;
  try {
    answer = await request(url, {
      method: (init.method ?? "GET").toUpperCase() as "GET",
      headers: init.headers,
      body: init.body ?? null,
      signal,
      dispatcher: getGlobalDispatcher(),
    });
  } catch (error) {
    throw asFetchError(error, signal);
  }
  const { statusCode, headers, body } = answer;
  let used = false;
  const read = async (): Promise<string> => {
    if (used) throw new TypeError("Body is unusable: Body has already been read");
    used = true;
    try {
      return await body.text();
    } catch (error) {
      throw signal?.aborted ? signal.reason : error;
    }
  };
  return {
    ok: statusCode >= 200 && statusCode < 300,
    status: statusCode,
    statusText: STATUS_CODES[statusCode] ?? "",
    headers: {
      get(name: string) {
        const value = headers[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
      },
    },
    json: async () => JSON.parse(await read()) as unknown,
    text: read,
  };
}

/** `fetch`, with the SDK's calls to `origin` on the lean path and everything else handed to `base` unchanged. */
export function leanCommetFetch(base: typeof fetch, origin: string): typeof fetch {
  const prefix = `${origin}/`;
  const leanFetch = (input: string | URL | Request, init?: RequestInit) =>
    isSdkCall(prefix, input, init) ? leanCall(input as string, init) : base(input, init);
  return leanFetch as typeof fetch;
}
