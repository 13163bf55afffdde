// What the usage timeline reads live from Commet: the active subscription and its usage counters.

import type { Commet, FeatureAccess } from "@commet/node";

/** The part of the SDK client the timeline reads (live counters, the current period). */
export type TimelineCommet = {
  featureAccess: Pick<Commet["featureAccess"], "list">;
  subscriptions: Pick<Commet["subscriptions"], "getActive">;
};

export interface LiveUsage {
  subscription: { id: string; planId: string; status: string } | null;
  /** Current period [start, end) in epoch ms, null without a live subscription / period. */
  period: { start: number; end: number } | null;
  /** Usage-type features: Commet's current counter and included amount. */
  features: Array<{ code: string; name: string; current: number | null; included: number | null; unlimited: boolean }>;
}

/**
 * The customer's active subscription and usage counters, live from Commet (getActive, then
 * featureAccess.list only when there is a live subscription: without one there is no period to compare).
 */
export async function loadLiveUsage(commet: TimelineCommet, customerId: string): Promise<LiveUsage> {
  const sub = await commet.subscriptions.getActive({ customerId });
  const s = sub.data ?? null;
  if (!s) return { subscription: null, period: null, features: [] };
  const access = await commet.featureAccess.list({ customerId });
  const period = s?.currentPeriod
    ? { start: Date.parse(s.currentPeriod.start), end: Date.parse(s.currentPeriod.end) }
    : null;
  return {
    subscription: { id: s.id, planId: s.plan.id, status: s.status },
    period,
    features: (access.data ?? [])
      .filter((f: FeatureAccess) => f.type === "usage")
      .map((f: FeatureAccess) => ({
        code: f.code,
        name: f.name,
        current: f.current ?? null,
        included: f.included ?? null,
        unlimited: f.unlimited ?? false,
      })),
  };
}
