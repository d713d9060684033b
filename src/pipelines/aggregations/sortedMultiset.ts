const CHUNK = 256;

/**
 * A sorted multiset of numbers with insertion, deletion and selection by rank, for sliding windows
 * (top_k, bottom_k and percentiles need the order of the window's values, and values leave the
 * window). Values are kept in sorted chunks of at most 2·256 (a chunk is split when it grows past
 * that, and dropped when empty), so an update costs a binary search and a short splice, and a rank
 * is found by walking chunk lengths: O(log n + 256 + n/256).
 *
 * The multiset is a function of the window's contents, so a snapshot never holds it: it is rebuilt
 * from the ring on restore.
 */
export class SortedMultiset {
  private chunks: number[][] = [];
  size = 0;

  insert(v: number): void {
    this.size++;
    const cs = this.chunks;
    if (cs.length === 0) {
      cs.push([v]);
      return;
    }
    const ci = this.chunkFor(v);
    const c = cs[ci]!;
    c.splice(upperBound(c, v), 0, v);
    if (c.length > 2 * CHUNK) cs.splice(ci + 1, 0, c.splice(CHUNK));
  }

  /** Remove one copy of `v`, which must be present. */
  remove(v: number): void {
    const cs = this.chunks;
    const ci = this.chunkFor(v);
    const c = cs[ci];
    if (c === undefined) throw new Error('SortedMultiset.remove: value not present');
    const i = lowerBound(c, v);
    if (i >= c.length || !(c[i] === v)) throw new Error(`SortedMultiset.remove: value ${v} not present`);
    c.splice(i, 1);
    this.size--;
    if (c.length === 0) cs.splice(ci, 1);
  }

  /** The value of 0-based rank `r` in ascending order. */
  at(r: number): number {
    const cs = this.chunks;
    if (r < this.size / 2) {
      for (let i = 0; i < cs.length; i++) {
        const c = cs[i]!;
        if (r < c.length) return c[r]!;
        r -= c.length;
      }
    } else {
      let fromEnd = this.size - 1 - r;
      for (let i = cs.length - 1; i >= 0; i--) {
        const c = cs[i]!;
        if (fromEnd < c.length) return c[c.length - 1 - fromEnd]!;
        fromEnd -= c.length;
      }
    }
    throw new Error(`SortedMultiset.at: rank ${r} out of range`);
  }

  /** The first chunk whose largest value is >= v (the last chunk when none is). */
  private chunkFor(v: number): number {
    const cs = this.chunks;
    let lo = 0;
    let hi = cs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const c = cs[mid]!;
      if (c[c.length - 1]! >= v) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

function lowerBound(a: number[], v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function upperBound(a: number[], v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
