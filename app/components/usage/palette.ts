/** Series colours of the usage charts (distinguishable, AA-contrast against white for the legend text). */
const PALETTE = ["#1f5fbf", "#b45309", "#047857", "#7c3aed", "#be185d", "#0e7490", "#4d7c0f", "#9a3412"];

export function seriesColor(index: number): string {
  return PALETTE[index % PALETTE.length]!;
}
