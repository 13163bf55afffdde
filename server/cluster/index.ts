/** Several workers and several instances (docs/decisions/0026-workers-and-instances.md): the public surface. */
export { acquireLease, leaseHolder, newHolderId, releaseLease, runUnderLease, type LeasedWork } from "./leases.ts";
export type { CommetHandover } from "./messages.ts";
export { collectProcessMetrics, registerConsoleGauges, startMetricsServer, type MetricsServer } from "./metrics.ts";
export { runPrimary } from "./primary.ts";
export { createReadiness, type Readiness } from "./readiness.ts";
export { nextOrderFromPrimary, onPrimaryShutdown, tellPrimary } from "./worker.ts";
