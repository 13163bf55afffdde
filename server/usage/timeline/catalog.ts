/** The plan catalog as the usage screens need it: plan names, included units per plan and feature, feature names and units. */
import type { PlanView } from "../../../app/contracts/plans.ts";
import type { IncludedByPlan, UsageCatalog } from "../../../app/contracts/usage.ts";
import { listPlans } from "../../commet/index.ts";
import { listIndexedPlans } from "../../directory/index.ts";
import type { TimelineDatabase } from "./schema.ts";

/** Unit name per usage feature code, the first plan that names one winning. */
export function usageUnits(plans: readonly PlanView[]): Record<string, string | null> {
  const units: Record<string, string | null> = {};
  for (const p of plans) for (const f of p.features) if (f.type === "usage") units[f.code] ??= f.unitName;
  return units;
}

/** Display name per usage feature code, the first plan that names one winning. */
export function usageFeatureNames(plans: readonly PlanView[]): Record<string, string> {
  const names: Record<string, string> = {};
  for (const p of plans) for (const f of p.features) if (f.type === "usage" && f.name) names[f.code] ??= f.name;
  return names;
}

function includedByPlan(plans: readonly PlanView[]): IncludedByPlan {
  return Object.fromEntries(
    plans.map((p) => [
      p.id,
      Object.fromEntries(
        p.features.filter((f) => f.type === "usage").map((f) => [f.code, f.unlimited ? null : f.included]),
      ),
    ]),
  );
}

/** Commet's catalog; when Commet is unreachable, the plans the directory has seen (no overage, no units). */
export async function usageCatalog(
  database: TimelineDatabase,
  plans: () => Promise<PlanView[]> = listPlans,
): Promise<UsageCatalog> {
  try {
    const catalog = await plans();
    return {
      plans: catalog.map((p) => ({ id: p.id, name: p.name })),
      included: includedByPlan(catalog),
      units: usageUnits(catalog),
      featureNames: usageFeatureNames(catalog),
      catalogError: null,
    };
  } catch {
    const indexed = await listIndexedPlans(database);
    return {
      plans: indexed.map((p) => ({ id: p.planId, name: p.planName ?? p.planId })),
      included: undefined,
      units: {},
      featureNames: {},
      catalogError:
        "Commet's plan catalog could not be read: overage is not computed, features show their codes and units are not shown.",
    };
  }
}
