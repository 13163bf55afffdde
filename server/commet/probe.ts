/**
 * A cheap "is Commet reachable with our key" for /readyz: one list call of one customer through a client of its
 * own with no retries and a short timeout, so a load balancer's check never waits behind the SDK's back-off.
 */
import { Commet } from "@commet/node";
import { getCommetConnection } from "./client.ts";

let probeClient: { apiKey: string; client: Commet } | undefined;

/** Resolves when Commet answered the probe; rejects with the reason otherwise. */
export async function probeCommet(timeoutMs: number): Promise<void> {
  const { apiKey } = getCommetConnection();
  if (probeClient?.apiKey !== apiKey)
    probeClient = { apiKey, client: new Commet({ apiKey, retries: 0, timeout: timeoutMs, telemetry: false }) };
  const answer = await probeClient.client.customers.list({ limit: 1 });
  if (answer.success === false) throw new Error(answer.error?.message ?? "Commet refused the probe");
}
