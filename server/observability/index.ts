/**
 * server/observability — structured logs (pino, request id carried by AsyncLocalStorage), the per-request
 * access log and HTTP metrics, and the console's metrics in prom-client's default registry.
 */
export { configureLogging, lineLogger, logger, LOG_LEVELS, type Logger, type LogLevel } from "./logger.ts";
export { currentRequestContext, requestIdFrom, runWithRequestContext, type RequestContext } from "./request-context.ts";
export { labelRoute, requestObservability } from "./http.ts";
export { remixRouteLabeler, type RouteManifest } from "./route-label.ts";
export { commetDuration, commetErrors, statusClass, webhookFailed, webhookLag, webhookProcessed } from "./metrics.ts";
