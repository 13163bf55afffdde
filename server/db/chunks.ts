/**
 * Splits rows into statement-sized batches: multi-row inserts and `IN (…)` lists stay under the
 * engines' parameter limits (SQLite 32,766, PostgreSQL 65,535) whatever the input size.
 */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
