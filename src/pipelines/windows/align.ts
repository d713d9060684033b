/**
 * Epoch-aligned window arithmetic, as pure functions. A window is half-open: [start, start + size).
 * Window starts are `offset + k * every` for whole k, so every feature set agrees on bucket edges.
 */

/** Start of the bucket of width `width` (aligned to `offset`) that holds `t`. */
export function bucketStart(t: number, width: number, offset = 0): number {
  return Math.floor((t - offset) / width) * width + offset;
}

/**
 * Starts of the windows of length `size` advancing by `every` that contain `t`, oldest first,
 * as the range [first, last] stepping by `every`.
 */
export function windowStartsContaining(t: number, size: number, every: number, offset = 0): { first: number; last: number } {
  const last = bucketStart(t, every, offset);
  // The oldest window still covering t starts after t - size.
  const first = bucketStart(t - size, every, offset) + every;
  return { first: Math.min(first, last), last };
}

/** Greatest common divisor of two whole millisecond counts: the pane width that serves hopping windows. */
export function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}
