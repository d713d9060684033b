/** What an as-of lookup accepts. */
export interface AsOfOptions {
  /** true (the default): rows strictly before the query time (`time < t`), as point-in-time joins need; false: `time <= t`. */
  strict?: boolean;
  /** ms: ignore rows older than this, i.e. require `t - time <= tolerance`. */
  tolerance?: number;
}

/**
 * The as-of index of one key group: per key, its rows sorted by time, as CSR over the key codes
 * (`offsets[code] .. offsets[code + 1]` index `order` and `times`). A lookup is a binary search in
 * one key's time run. Columnar throughout: three typed arrays, no per-row or per-key objects.
 *
 * The index covers the rows that existed when it was built; `build` is cheap to call again (a counting
 * sort, O(rows + keys)), and the table rebuilds it on the first lookup after rows were appended.
 * Rows of one key normally arrive in time order, so a key's run is only sorted when it is not already.
 *
 * @example
 * const ix = new AsOfIndex();
 * ix.build(codes, times, rowCount, keyCount);
 * ix.lookup(Int32Array.of(code), Float64Array.of(t), { strict: true }); // Int32Array [row or -1]
 */
export class AsOfIndex {
  private offsets = new Int32Array(1);
  private order = new Int32Array(0);
  private times = new Float64Array(0);
  /** Rows covered by the index. */
  rows = 0;

  /** Index rows `[0, n)`: `codes[r]` is row r's key code (-1: no key, left out), `times[r]` its time. */
  build(codes: Int32Array, times: Float64Array, n: number, keyCount: number): void {
    const offsets = new Int32Array(keyCount + 1);
    for (let r = 0; r < n; r++) {
      const c = codes[r]!;
      if (c >= 0) offsets[c + 1]!++;
    }
    for (let k = 0; k < keyCount; k++) offsets[k + 1]! += offsets[k]!;
    const total = offsets[keyCount]!;
    const order = new Int32Array(total);
    const sorted = new Float64Array(total);
    const cursor = offsets.slice(0, keyCount);
    // Rows in row order, so each key's run is stable: equal times stay in append order.
    for (let r = 0; r < n; r++) {
      const c = codes[r]!;
      if (c < 0) continue;
      const p = cursor[c]!++;
      order[p] = r;
      sorted[p] = times[r]!;
    }
    for (let k = 0; k < keyCount; k++) {
      const lo = offsets[k]!;
      const hi = offsets[k + 1]!;
      for (let p = lo + 1; p < hi; p++) {
        if (sorted[p]! < sorted[p - 1]!) {
          sortRun(order, sorted, lo, hi);
          break;
        }
      }
    }
    this.offsets = offsets;
    this.order = order;
    this.times = sorted;
    this.rows = n;
  }

  /**
   * For each query i: the latest row of key `codes[i]` with time before `at[i]` (or at it, when not
   * strict) and within the tolerance; -1 when there is none. Among rows with equal times, the last appended.
   */
  lookup(codes: Int32Array, at: ArrayLike<number>, opts: AsOfOptions = {}): Int32Array {
    const strict = opts.strict ?? true;
    const tolerance = opts.tolerance ?? Infinity;
    const n = codes.length;
    const out = new Int32Array(n);
    const keys = this.offsets.length - 1;
    const { offsets, order, times } = this;
    for (let i = 0; i < n; i++) {
      const c = codes[i]!;
      const t = at[i]!;
      if (c < 0 || c >= keys) {
        out[i] = -1;
        continue;
      }
      // First position in the run whose time is >= t (strict) or > t (not strict); the answer is just before it.
      let lo = offsets[c]!;
      let hi = offsets[c + 1]!;
      const start = lo;
      if (strict) {
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (times[mid]! < t) lo = mid + 1;
          else hi = mid;
        }
      } else {
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (times[mid]! <= t) lo = mid + 1;
          else hi = mid;
        }
      }
      const p = lo - 1;
      out[i] = p >= start && t - times[p]! <= tolerance ? order[p]! : -1;
    }
    return out;
  }
}

/** Sort one key's run by (time, row): the rare path, for a key whose rows arrived out of time order. */
function sortRun(order: Int32Array, times: Float64Array, lo: number, hi: number): void {
  const idx = Array.from({ length: hi - lo }, (_, j) => lo + j);
  idx.sort((a, b) => times[a]! - times[b]! || order[a]! - order[b]!);
  const o = idx.map((p) => order[p]!);
  const t = idx.map((p) => times[p]!);
  order.set(o, lo);
  times.set(t, lo);
}
