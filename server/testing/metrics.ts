/** For tests: read a metric of prom-client's default registry after real calls. */
import { register } from "prom-client";

/**
 * The value of a counter, or the observation count of a histogram, summed over the series whose labels
 * include `labels` (0 when the metric does not exist yet).
 */
export async function metricValue(name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = register.getSingleMetric(name);
  if (!metric) return 0;
  const { type, values } = await metric.get();
  const wanted = String(type) === "histogram" ? `${name}_count` : name;
  return (values as Array<(typeof values)[number] & { metricName?: string }>)
    .filter((v) => (v.metricName ?? name) === wanted)
    .filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))
    .reduce((sum, v) => sum + v.value, 0);
}
