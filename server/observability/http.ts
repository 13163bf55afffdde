/**
 * Per-request observability for the Express app: a request id (the caller's `x-request-id` when safe, else a
 * fresh one) echoed in the answer and carried through the handling, one access-log line and the HTTP metrics.
 */
import type express from "express";
import { logger } from "./logger.ts";
import { httpDuration, httpRequests, statusClass } from "./metrics.ts";
import { requestIdFrom, runWithRequestContext } from "./request-context.ts";

const KNOWN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/** Labels the request for whatever answers it next (static files); `undefined` takes the label back. */
export function labelRoute(label: string | undefined): express.RequestHandler {
  return (_req, res, next) => {
    res.locals.routeLabel = label;
    next();
  };
}

/**
 * The route label: set by `labelRoute`, else the Express route that answered (`/healthz`), else the
 * Remix route the path matches (`remixRoute`), else `unmatched`.
 */
function routeOf(req: express.Request, res: express.Response, remixRoute?: (pathname: string) => string): string {
  if (typeof res.locals.routeLabel === "string") return res.locals.routeLabel;
  const expressRoute = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof expressRoute === "string" && expressRoute !== "*") return `${req.baseUrl}${expressRoute}`;
  return remixRoute ? remixRoute(req.path) : "unmatched";
}

/**
 * First middleware of the app. The access line has the method, the path without its query (queries may
 * carry emails or search terms), the route, status and duration; never headers or cookies. Routes in
 * `debugRoutes` (machine traffic by the thousand: Commet's webhooks) log it at debug, and are still counted.
 */
export function requestObservability(options: {
  remixRoute?: (pathname: string) => string;
  debugRoutes?: readonly string[];
}): express.RequestHandler {
  const debugRoutes = new Set(options.debugRoutes ?? []);
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const requestId = requestIdFrom(req.headers["x-request-id"]);
    res.setHeader("x-request-id", requestId);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const method = KNOWN_METHODS.has(req.method) ? req.method : "other";
      const route = routeOf(req, res, options.remixRoute);
      // A connection closed before the answer was sent counts as 499, as nginx does.
      const status = res.writableFinished ? res.statusCode : 499;
      const labels = { method, route, status_class: statusClass(status) };
      httpRequests().inc(labels);
      httpDuration().observe(labels, seconds);
      const line = { method: req.method, path: req.path, route, status, durationMs: Math.round(seconds * 10_000) / 10 };
      const log = logger("http");
      runWithRequestContext({ requestId }, () =>
        debugRoutes.has(route) && status < 400 ? log.debug(line, "request") : log.info(line, "request"),
      );
    };
    res.once("finish", finish);
    res.once("close", finish);
    runWithRequestContext({ requestId }, next);
  };
}
