/**
 * Expected usage overage in MRR: each active customer's current billing period (its own anchor) priced by the
 * estimator and projected to the period end at the rate so far, normalised to a month like the base price.
 */
import { MONTHLY_FACTOR } from "../../app/contracts/revenue.ts";
import type { PlanView } from "../../app/contracts/plans.ts";
import { periodRows } from "../billing/index.ts";
import type { Database } from "../db/index.ts";

/** Plan id → expected overage a month, (fractional) minor units; summed per plan, rounded once by mrrByPlan. */
export async function expectedOverageByPlan(
  database: Database,
  plans: readonly PlanView[],
  now: number,
): Promise<Map<string, number>> {
  const { rows } = await periodRows(database, plans, { mode: "current", plan: [], status: ["active"] }, now);
  const out = new Map<string, number>();
  for (const r of rows) {
    const monthly = (r.projectedAmount ?? r.amount) * (MONTHLY_FACTOR[r.interval] ?? 0);
    if (monthly > 0) out.set(r.planId, (out.get(r.planId) ?? 0) + monthly);
  }
  return out;
}
