/**
 * The metrics endpoint: prom-client's default registry in Prometheus text format on its own port (METRICS_PORT,
 * loopback by default), apart from the console's public one. With workers, the primary serves the sum of theirs.
 */
import cluster from "node:cluster";
import http from "node:http";
import type { AddressInfo } from "node:net";
import client from "prom-client";

/**
 * In every process that serves requests: the process's own metrics (CPU, memory, event loop, GC) in the
 * default registry, and, in a worker, the listener that answers the primary's collection requests.
 */
export function collectProcessMetrics(): void {
  // Registering the default metrics twice throws; whoever came first (a test, another start-up path) wins.
  if (!client.register.getSingleMetric("process_cpu_user_seconds_total")) client.collectDefaultMetrics();
  if (cluster.isWorker) new client.AggregatorRegistry();
}

/**
 * Two gauges of the console's own shape, summed across workers by the primary: processes serving requests, and
 * whether this instance holds the background-work lease (1 in exactly one instance of a deployment).
 */
export function registerConsoleGauges(state: { serving: () => boolean; holdsBackgroundLease: () => boolean }): void {
  new client.Gauge({
    name: "console_serving_processes",
    help: "Console processes serving requests (one per worker)",
    collect() {
      this.set(state.serving() ? 1 : 0);
    },
  });
  new client.Gauge({
    name: "console_background_lease_held",
    help: "1 when a process of this instance holds the background-work lease and runs that work",
    collect() {
      this.set(state.holdsBackgroundLease() ? 1 : 0);
    },
  });
}

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/** Serves GET /metrics: this process's default registry, or (`aggregate`) every worker's, summed by the primary. */
export async function startMetricsServer(options: {
  host: string;
  port: number;
  aggregate: boolean;
}): Promise<MetricsServer> {
  const aggregator = options.aggregate ? new client.AggregatorRegistry() : undefined;
  const server = http.createServer((req, res) => {
    if (req.method !== "GET" || req.url?.split("?")[0] !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("Not found: metrics are at /metrics\n");
      return;
    }
    const text = aggregator ? aggregator.clusterMetrics() : client.register.metrics();
    text.then(
      (body) => res.writeHead(200, { "content-type": client.register.contentType }).end(body),
      (error: unknown) =>
        res
          .writeHead(500, { "content-type": "text/plain; charset=utf-8" })
          .end(`metrics could not be collected: ${error instanceof Error ? error.message : String(error)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, resolve);
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address.includes(":") ? `[${address}]` : address}:${port}/metrics`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
