/**
 * The console's metrics, registered in prom-client's default registry (whoever serves /metrics reads that
 * registry). Get-or-create: a module evaluated twice in one process (Vite in development) reuses them.
 */
import { Counter, Histogram, register } from "prom-client";

function counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> {
  return (register.getSingleMetric(name) as Counter<L> | undefined) ?? new Counter({ name, help, labelNames });
}

function histogram<L extends string>(
  name: string,
  help: string,
  labelNames: readonly L[],
  buckets: number[],
): Histogram<L> {
  return (
    (register.getSingleMetric(name) as Histogram<L> | undefined) ?? new Histogram({ name, help, labelNames, buckets })
  );
}

const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Requests the console answered, by route pattern (never the raw URL: bounded label values). */
export const httpRequests = () =>
  counter("console_http_requests_total", "HTTP requests answered, by route and status class", [
    "method",
    "route",
    "status_class",
  ]);
export const httpDuration = () =>
  histogram(
    "console_http_request_duration_seconds",
    "Time from request to the last byte of the answer, by route and status class",
    ["method", "route", "status_class"],
    HTTP_BUCKETS,
  );

/** Every HTTP exchange with Commet, by method and path template (`/api/v1/customers/:id`). */
export const commetDuration = () =>
  histogram(
    "console_commet_request_duration_seconds",
    "Commet API exchanges (each SDK attempt), from dispatch to the end of the body, by outcome",
    ["method", "path", "outcome"],
    HTTP_BUCKETS,
  );
export const commetErrors = () =>
  counter(
    "console_commet_request_errors_total",
    "Commet API exchanges that failed: HTTP 4xx, 5xx, or no answer (network, timeout)",
    ["method", "path", "kind"],
  );

/** Webhook lag: receipt time minus the event's own timestamp (Commet retries for hours: wide buckets). */
export const webhookLag = () =>
  histogram(
    "console_webhook_lag_seconds",
    "Time from a Commet event's timestamp to its processing by the console",
    ["event"],
    [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600],
  );
export const webhookProcessed = () =>
  counter("console_webhook_processed_total", "Commet webhook deliveries acknowledged, by event and result", [
    "event",
    "result",
  ]);
export const webhookFailed = () =>
  counter("console_webhook_failed_total", "Commet webhook deliveries refused or failed, by event and error", [
    "event",
    "error",
  ]);

/** `2xx`, `4xx`, … */
export const statusClass = (status: number) => `${Math.floor(status / 100)}xx`;
