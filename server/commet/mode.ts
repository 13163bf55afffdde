/**
 * Whether the console's Commet key is a sandbox or a live one: read from `livemode` on the first object Commet
 * lists (7.10.0 has no "who am I"), cached per key; null when unknown. SDK errors propagate unmapped.
 */

import { getCommet, getCommetConnection } from "./client.ts";

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
