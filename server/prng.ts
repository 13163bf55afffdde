/**
 * The one seeded PRNG (mulberry32): the sandbox's seed data, and the tests and benches that need
 * repeatable randomness. No imports, so the sandbox can share it without reaching into the console.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
