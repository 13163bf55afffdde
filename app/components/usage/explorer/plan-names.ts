/** Plans and features as staff read them in the explorer: catalog names when known, else the ids and codes themselves. */
export type PlanNames = Record<string, string>;

export function planNamesOf(plans: ReadonlyArray<{ id: string; name: string }>): PlanNames {
  return Object.fromEntries(plans.map((p) => [p.id, p.name]));
}

/** A plan id as staff read it: the catalog's name when known, else the id itself ("—" for no plan). */
export function planLabel(names: PlanNames, id: string): string {
  return id ? (names[id] ?? id) : "—";
}

/** Feature names and units per feature code, from the plan catalog. */
export interface FeatureNames {
  names: Record<string, string>;
  units: Record<string, string | null | undefined>;
}

/** A feature's name, else its code. */
export function featureName(f: FeatureNames, code: string): string {
  return f.names[code] ?? code;
}

/** A feature with its unit for legends ("API calls (call)"); the name alone when it has no unit. */
export function featureLegend(f: FeatureNames, code: string): string {
  const unit = f.units[code];
  return unit ? `${featureName(f, code)} (${unit})` : featureName(f, code);
}
