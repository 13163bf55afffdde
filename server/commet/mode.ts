import { getCommet, getCommetConnection } from "./client.ts";

/**
 * Whether the key the console uses is a sandbox or a live one. Commet 7.10.0
 * has no endpoint for "who am I": every object it returns carries `livemode`,
 * so we read it from the first object we can list (a customer, then a plan,
 * then a feature). An organization with none of these yields `null` (unknown).
 * The answer is fixed for a key, so it is cached per key once known. SDK
 * errors propagate unmapped: callers decide whether a failure matters.
 */
export type OrgMode = { livemode: boolean };

const known = new Map<string, OrgMode>();

export async function getOrgMode(): Promise<OrgMode | null> {
  const { apiKey } = getCommetConnection();
  const cached = known.get(apiKey);
  if (cached) return cached;
  const commet = getCommet();
  const probes: Array<() => Promise<{ data?: Array<{ livemode: boolean }> }>> = [
    () => commet.customers.list({ limit: 1 }),
    () => commet.plans.list({ includePrivate: "true" }),
    () => commet.features.list(),
  ];
  for (const probe of probes) {
    const response = await probe();
    const first = response.data?.[0];
    if (first) {
      const mode = { livemode: first.livemode };
      known.set(apiKey, mode);
      return mode;
    }
  }
  return null;
}

/** Remembers a mode seen on any object Commet returned (saves the probe on later requests). */
export function noteLivemode(livemode: boolean): void {
  known.set(getCommetConnection().apiKey, { livemode });
}
