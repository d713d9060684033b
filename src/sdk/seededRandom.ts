/**
 * A small seeded generator (mulberry32): uniforms in [0, 1) that repeat for a seed, for shuffles,
 * samples and generated test data. Not for anything that must be unpredictable.
 *
 * @example
 * const random = seededRandom(7);
 * const pick = Math.floor(random() * 10); // the same on every run
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
