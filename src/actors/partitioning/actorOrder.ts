/**
 * The canonical order of actor ids: natural order, so `node-2` comes before `node-10`, the way
 * StatefulSet pods are numbered. Assignments are computed over actors in this order, which makes
 * them independent of the order in which actors joined: two coordinators that learn of the same
 * members in different orders compute the same assignment.
 *
 * Digit runs compare by numeric value (compared as digit strings, so no precision limit), other
 * runs by UTF-16 code units; ties (`node-01` vs `node-1`) fall back to plain code-unit order, so
 * the order is total and the same on every machine (no locale, no ICU).
 *
 * @example
 * ['node-10', 'node-2', 'node-1'].sort(compareActors); // ['node-1', 'node-2', 'node-10']
 */
export function compareActors(a: string, b: string): number {
  const ra = runs(a);
  const rb = runs(b);
  for (let i = 0; i < Math.min(ra.length, rb.length); i++) {
    const x = ra[i]!;
    const y = rb[i]!;
    const xd = isDigit(x.charCodeAt(0));
    const yd = isDigit(y.charCodeAt(0));
    let c: number;
    if (xd && yd) {
      const xs = x.replace(/^0+(?=\d)/, '');
      const ys = y.replace(/^0+(?=\d)/, '');
      c = xs.length !== ys.length ? xs.length - ys.length : codeUnitCompare(xs, ys);
    } else {
      c = codeUnitCompare(x, y);
    }
    if (c !== 0) return c < 0 ? -1 : 1;
  }
  if (ra.length !== rb.length) return ra.length < rb.length ? -1 : 1;
  return codeUnitCompare(a, b);
}

/** The actors in canonical order; throws on a duplicate or an empty id. */
export function canonicalActors(actors: readonly string[]): string[] {
  const sorted = [...actors].sort(compareActors);
  for (let i = 0; i < sorted.length; i++) {
    if (sorted[i] === '') throw new Error('an actor id cannot be empty');
    if (i > 0 && sorted[i] === sorted[i - 1]) throw new Error(`actor "${sorted[i]}" is listed twice`);
  }
  return sorted;
}

function runs(s: string): string[] {
  return s.match(/\d+|\D+/g) ?? [];
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function codeUnitCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
