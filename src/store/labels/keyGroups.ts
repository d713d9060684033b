/**
 * Rows grouped by key code, each group in time order: compressed sparse rows (CSR) over typed
 * arrays. Group `k` is positions `start[k] .. start[k + 1]` of `rows` (row numbers in the table)
 * and `times` (their times), so one binary search or one forward cursor finds a time in a key's
 * history with no per-row object and no hashing.
 */
export interface KeyGroups {
  /** `size + 1` offsets. */
  readonly start: Int32Array;
  /** Table row of each position. */
  readonly rows: Int32Array;
  /** Time of each position, ascending within a group. */
  readonly times: Float64Array;
}

/**
 * Group rows by key code with a stable counting sort, then put each group in time order (ties keep
 * table order: for events that is arrival order, what `first`/`last` break ties by). Rows whose
 * code is negative, or whose `include` byte is 0, are left out.
 *
 * @example
 * const g = groupByKey(Int32Array.of(1, 0, 1), Float64Array.of(5, 7, 3), 2);
 * // g.start = [0, 1, 3]; key 1 holds rows [2, 0] at times [3, 5]
 */
export function groupByKey(codes: Int32Array, time: Float64Array, size: number, include?: Uint8Array): KeyGroups {
  const n = codes.length;
  const start = new Int32Array(size + 1);
  for (let i = 0; i < n; i++) {
    const k = codes[i]!;
    if (k >= 0 && (include === undefined || include[i] === 1)) start[k + 1]!++;
  }
  for (let k = 0; k < size; k++) start[k + 1]! += start[k]!;
  const m = start[size]!;
  const rows = new Int32Array(m);
  const times = new Float64Array(m);
  const fill = start.slice(0, size);
  let sorted = true;
  let prev = -Infinity;
  for (let i = 0; i < n; i++) {
    const k = codes[i]!;
    if (k < 0 || (include !== undefined && include[i] !== 1)) continue;
    const t = time[i]!;
    if (t < prev) sorted = false;
    prev = t;
    const p = fill[k]!++;
    rows[p] = i;
    times[p] = t;
  }
  // A table in time order gives groups in time order; otherwise sort the groups that need it.
  if (!sorted) for (let k = 0; k < size; k++) sortGroup(rows, times, start[k]!, start[k + 1]!);
  return { start, rows, times };
}

/** Sort positions [lo, hi) by (time, row): insertion sort for short runs, an index sort otherwise. */
function sortGroup(rows: Int32Array, times: Float64Array, lo: number, hi: number): void {
  let ordered = true;
  for (let p = lo + 1; p < hi; p++) {
    if (times[p]! < times[p - 1]!) {
      ordered = false;
      break;
    }
  }
  if (ordered) return;
  if (hi - lo <= 32) {
    for (let p = lo + 1; p < hi; p++) {
      const t = times[p]!;
      const r = rows[p]!;
      let q = p - 1;
      while (q >= lo && (times[q]! > t || (times[q] === t && rows[q]! > r))) {
        times[q + 1] = times[q]!;
        rows[q + 1] = rows[q]!;
        q--;
      }
      times[q + 1] = t;
      rows[q + 1] = r;
    }
    return;
  }
  const idx = Array.from({ length: hi - lo }, (_, j) => lo + j);
  idx.sort((a, b) => times[a]! - times[b]! || rows[a]! - rows[b]!);
  const t2 = idx.map((p) => times[p]!);
  const r2 = idx.map((p) => rows[p]!);
  times.set(t2, lo);
  rows.set(r2, lo);
}

/** First position in [lo, hi) whose time is greater than `t` (hi when none). */
export function firstAfter(times: Float64Array, lo: number, hi: number, t: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First position in [lo, hi) whose time is at least `t` (hi when none). */
export function firstAtOrAfter(times: Float64Array, lo: number, hi: number, t: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
