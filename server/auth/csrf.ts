/**
 * CSRF defence for every action: a state-changing request (anything but GET/HEAD/OPTIONS) must come
 * from the console's own origin. The browser's Origin header decides; when it is absent, the
 * Referer's origin; when both are absent the request is refused. Sec-Fetch-Site: cross-site is
 * refused outright. Together with SameSite=Lax session cookies this blocks cross-site POSTs.
 *
 * The allowed origins are the console's configured public ones (CONSOLE_ORIGIN), never the request's Host;
 * only when none are given (unit tests) the request URL's own origin stands in.
 */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

function originOf(value: string | null): string | null {
  if (!value || value === "null") return null;
  try {
    return new URL(value).origin;
  } catch {
    return null;
  }
}

export function isSameOriginRequest(request: Request, origins: readonly string[] = []): boolean {
  if (SAFE_METHODS.has(request.method.toUpperCase())) return true;
  if (request.headers.get("Sec-Fetch-Site") === "cross-site") return false;
  const allowed = new Set(origins.length ? origins.map(originOf) : [new URL(request.url).origin]);
  const origin = request.headers.get("Origin");
  const claimed = origin !== null ? originOf(origin) : originOf(request.headers.get("Referer"));
  return claimed !== null && allowed.has(claimed);
}

/** Throws a 403 Response for a cross-site state-changing request; call first in every action. */
export function assertSameOrigin(request: Request, origins: readonly string[] = []): void {
  if (!isSameOriginRequest(request, origins)) {
    throw new Response("Cross-site request refused", { status: 403, statusText: "Forbidden" });
  }
}
