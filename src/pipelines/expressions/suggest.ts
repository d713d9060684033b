/**
 * "Did you mean" suggestions for misspelled names (functions, columns, config keys).
 *
 * @example
 * closest('sqr', ['sqrt', 'abs', 'log']); // 'sqrt'
 * closest('amout', ['amount', 'status']); // 'amount'
 * closest('zzz', ['amount']); // undefined
 */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  const lower = name.toLowerCase();
  const limit = maxDistance(name.length);
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    if (c === name) return c;
    // A case slip is the likeliest mistake of all, so it wins outright.
    if (c.toLowerCase() === lower) {
      if (bestDistance > 0) {
        best = c;
        bestDistance = 0;
      }
      continue;
    }
    if (Math.abs(c.length - name.length) > limit) continue;
    const d = editDistance(lower, c.toLowerCase(), Math.min(limit, bestDistance - 1));
    // A suggestion that replaces (nearly) every character is noise, not a near miss.
    if (d < bestDistance && d < c.length && d < name.length) {
      best = c;
      bestDistance = d;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/** How many edits still count as a typo: 1 for short names, up to 3 for long ones. */
export function maxDistance(length: number): number {
  if (length <= 3) return 1;
  if (length <= 7) return 2;
  return 3;
}

/**
 * Optimal-string-alignment distance (Levenshtein plus adjacent transpositions, since `sqtr` for
 * `sqrt` is one slip, not two). Returns `limit + 1` as soon as the distance must exceed `limit`.
 */
export function editDistance(a: string, b: string, limit = Infinity): number {
  if (a === b) return 0;
  const m = a.length;
  const n = b.length;
  if (Math.abs(m - n) > limit) return limit + 1;
  let prev2 = new Array<number>(n + 1).fill(0);
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  let cur = new Array<number>(n + 1).fill(0);
  for (let i = 1; i <= m; i++) {
    cur[0] = i;
    let rowMin = i;
    for (let j = 1; j <= n; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a.charCodeAt(i - 1) === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === b.charCodeAt(j - 1)) {
        v = Math.min(v, prev2[j - 2]! + 1);
      }
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > limit) return limit + 1;
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[n]!;
}
