/** A plan id as staff read it: the catalog's name when known, else the id itself ("—" for no plan). */
export type PlanNames = Record<string, string>;

export function planNamesOf(plans: ReadonlyArray<{ id: string; name: string }>): PlanNames {
  return Object.fromEntries(plans.map((p) => [p.id, p.name]));
}

export function planLabel(names: PlanNames, id: string): string {
  return id ? (names[id] ?? id) : "—";
}
