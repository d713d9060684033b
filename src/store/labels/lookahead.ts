import type { OpName } from '../../pipelines/aggregations/catalog.js';
import { firstAfter, type KeyGroups } from './keyGroups.js';
import type { GroupedLabelEvents } from './labelEvents.js';

/** Per row: the op's result (NaN under a cleared validity bit when null) and how many events the window held. */
export interface AheadResult {
  values: Float64Array;
  /** Arrow-style bitmap, 1 = valid; undefined when no value is null. */
  validity: Uint8Array | undefined;
  counts: Int32Array;
}

/** Ranges up to this long are summed directly; longer ones from prefix sums. */
const DIRECT_SUM = 16;

/** Each row's window as positions [lo, hi) in its key's event group; `order[p]` is the row of position p (identity when absent). */
interface Windows {
  m: number;
  order: Int32Array | undefined;
  lo: Int32Array;
  hi: Int32Array;
}

/**
 * `op` over each row's window `(from[i], to[i]]` of the events of key `codes[i]`.
 *
 * The window's positions [lo, hi) in the key's time-ordered event group come, for rows in time
 * order, from two forward cursors per key (O(rows + events) in all), and otherwise from two binary
 * searches (`aggregateAheadGrouped` merges key by key instead). So count, first and last cost O(1)
 * a row (amortized) or O(log n). sum and mean
 * over long windows come from prefix sums kept as double-double (a running sum plus its rounding
 * error), so the difference of two prefixes is as accurate as summing the window itself; short
 * windows are summed directly. min, max, variance, std and count_distinct loop over the window.
 *
 * An empty window gives count 0 and null for the rest (SQL's answer); variance and std need two
 * values. Ties: `first` is the earliest event, the first to arrive among equals; `last` the latest,
 * the last to arrive.
 *
 * @example
 * const r = aggregateAhead('last', grouped, keys.spineCodes, windows.from, windows.to);
 * r.values[i]; // the last value in (from[i], to[i]] of row i's key, when r.counts[i] > 0
 */
export function aggregateAhead(op: OpName, ev: GroupedLabelEvents, codes: Int32Array, from: Float64Array, to: Float64Array): AheadResult {
  return aggregate(op, ev, codes.length, windowsOf(ev.groups, codes, from, to));
}

/**
 * The same, for rows grouped by key (`spine`: `groupByKey` of the rows' codes and times, so each
 * key's rows are in time order), with the windows given **by position in `spine`** (`from[q]`,
 * `to[q]` for row `spine.rows[q]`, as `labelWindows(label, spine.times)` gives them). Each key's rows
 * are merged with its events in one sequential pass, the ops run in that order, and only the
 * results are scattered back to row order. Rows not in `spine` (null keys) get empty windows.
 *
 * @example
 * const g = groupByKey(keys.spineCodes, spine.time, keys.size);
 * const w = labelWindows(label, g.times);
 * const r = aggregateAheadGrouped('last', grouped, g, w.from, w.to, spine.length);
 */
export function aggregateAheadGrouped(op: OpName, ev: GroupedLabelEvents, spine: KeyGroups, from: Float64Array, to: Float64Array, n: number): AheadResult {
  return aggregate(op, ev, n, mergedWindows(ev.groups, spine, from, to));
}

function aggregate(op: OpName, ev: GroupedLabelEvents, n: number, w: Windows): AheadResult {
  const { m, order, lo, hi } = w;
  // Results by position, then scattered to rows.
  const vals = new Float64Array(m);
  let minCount = 1;
  if (op === 'count') {
    for (let p = 0; p < m; p++) vals[p] = hi[p]! - lo[p]!;
    minCount = 0;
  } else if (op === 'count_distinct') {
    const codesOf = ev.distinct!;
    const stamp = new Int32Array(ev.distinctSize).fill(-1);
    for (let p = 0; p < m; p++) {
      let c = 0;
      for (let e = lo[p]!; e < hi[p]!; e++) {
        const d = codesOf[e]!;
        if (stamp[d] !== p) {
          stamp[d] = p;
          c++;
        }
      }
      vals[p] = c;
    }
    minCount = 0;
  } else {
    minCount = op === 'variance' || op === 'std' ? 2 : 1;
    valueOps(op, ev.values!, lo, hi, vals, m);
  }

  const values = new Float64Array(n);
  const counts = new Int32Array(n);
  if (order === undefined) {
    values.set(vals);
    for (let i = 0; i < n; i++) counts[i] = hi[i]! - lo[i]!;
  } else {
    // Rows not grouped (a key no event has, a null key) keep count 0.
    for (let p = 0; p < m; p++) {
      const i = order[p]!;
      values[i] = vals[p]!;
      counts[i] = hi[p]! - lo[p]!;
    }
  }
  let validity: Uint8Array | undefined;
  if (minCount > 0) {
    for (let i = 0; i < n; i++) {
      if (counts[i]! >= minCount) continue;
      validity ??= new Uint8Array((n + 7) >> 3).fill(0xff);
      validity[i >> 3]! &= ~(1 << (i & 7));
      values[i] = NaN;
    }
  }
  return { values, validity, counts };
}

/** Each key's rows (in time order, windows by position) merged with its events: two cursors that only move forward. */
function mergedWindows(groups: KeyGroups, spine: KeyGroups, from: Float64Array, to: Float64Array): Windows {
  const { start, times } = groups;
  const keys = Math.min(start.length, spine.start.length) - 1;
  const m = spine.start[keys]!;
  const lo = new Int32Array(m);
  const hi = new Int32Array(m);
  for (let k = 0; k < keys; k++) {
    const qe = spine.start[k + 1]!;
    const e = start[k + 1]!;
    let a = start[k]!;
    let b = a;
    for (let q = spine.start[k]!; q < qe; q++) {
      const f = from[q]!;
      while (a < e && times[a]! <= f) a++;
      if (b < a) b = a;
      const t = to[q]!;
      while (b < e && times[b]! <= t) b++;
      lo[q] = a;
      hi[q] = b;
    }
  }
  return { m, order: spine.rows.subarray(0, m), lo, hi };
}

function windowsOf(groups: KeyGroups, codes: Int32Array, from: Float64Array, to: Float64Array): Windows {
  const n = codes.length;
  const { start, times } = groups;
  const size = start.length - 1;
  const sorted = nonDecreasing(from) && nonDecreasing(to);
  const lo = new Int32Array(n);
  const hi = new Int32Array(n);
  if (sorted) {
    // Both window edges only move forward within a key: one pair of cursors per key.
    const loCur = start.slice(0, size);
    const hiCur = start.slice(0, size);
    for (let i = 0; i < n; i++) {
      const k = codes[i]!;
      if (k < 0 || k >= size) continue;
      const e = start[k + 1]!;
      let a = loCur[k]!;
      const f = from[i]!;
      while (a < e && times[a]! <= f) a++;
      loCur[k] = a;
      let b = hiCur[k]! > a ? hiCur[k]! : a;
      const t = to[i]!;
      while (b < e && times[b]! <= t) b++;
      hiCur[k] = b;
      lo[i] = a;
      hi[i] = b;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const k = codes[i]!;
      if (k < 0 || k >= size) continue;
      const s = start[k]!;
      const e = start[k + 1]!;
      if (s === e) continue;
      const a = firstAfter(times, s, e, from[i]!);
      lo[i] = a;
      hi[i] = firstAfter(times, a, e, to[i]!);
    }
  }
  return { m: n, order: undefined, lo, hi };
}

/** The ops that read values, by position; empty windows (and single values for variance/std) are left for the caller to null. */
function valueOps(op: OpName, x: Float64Array, lo: Int32Array, hi: Int32Array, out: Float64Array, m: number): void {
  switch (op) {
    case 'first':
      for (let p = 0; p < m; p++) if (hi[p]! > lo[p]!) out[p] = x[lo[p]!]!;
      return;
    case 'last':
      for (let p = 0; p < m; p++) if (hi[p]! > lo[p]!) out[p] = x[hi[p]! - 1]!;
      return;
    case 'min':
    case 'max': {
      const isMin = op === 'min';
      for (let p = 0; p < m; p++) {
        const a = lo[p]!;
        const b = hi[p]!;
        if (a === b) continue;
        let r = x[a]!;
        for (let e = a + 1; e < b; e++) {
          const v = x[e]!;
          if (isMin ? v < r : v > r) r = v;
        }
        out[p] = r;
      }
      return;
    }
    case 'sum':
    case 'mean': {
      let prefix: { hi: Float64Array; lo: Float64Array } | undefined;
      for (let p = 0; p < m; p++) {
        const a = lo[p]!;
        const b = hi[p]!;
        const c = b - a;
        if (c === 0) continue;
        let s: number;
        if (c <= DIRECT_SUM) {
          s = 0;
          for (let e = a; e < b; e++) s += x[e]!;
        } else {
          prefix ??= prefixSums(x);
          s = prefix.hi[b]! - prefix.hi[a]! + (prefix.lo[b]! - prefix.lo[a]!);
        }
        out[p] = op === 'sum' ? s : s / c;
      }
      return;
    }
    case 'variance':
    case 'std':
      for (let p = 0; p < m; p++) {
        const a = lo[p]!;
        const b = hi[p]!;
        const c = b - a;
        if (c < 2) continue;
        // Welford over the window, shifted by its first value so that variance does not cancel.
        const shift = x[a]!;
        let mean = 0;
        let m2 = 0;
        let k = 0;
        for (let e = a; e < b; e++) {
          const v = x[e]! - shift;
          k++;
          const d = v - mean;
          mean += d / k;
          m2 += d * (v - mean);
        }
        const variance = m2 / (c - 1);
        out[p] = op === 'std' ? Math.sqrt(variance) : variance;
      }
      return;
    default:
      throw new Error(`label op "${String(op)}" is not supported`);
  }
}

function nonDecreasing(x: Float64Array): boolean {
  for (let i = 1; i < x.length; i++) if (x[i]! < x[i - 1]!) return false;
  return true;
}

/** Prefix sums as double-double: hi[p] + lo[p] is the sum of x[0..p), nearly exactly. */
function prefixSums(x: Float64Array): { hi: Float64Array; lo: Float64Array } {
  const m = x.length;
  const hi = new Float64Array(m + 1);
  const lo = new Float64Array(m + 1);
  let s = 0;
  let err = 0;
  for (let p = 0; p < m; p++) {
    const v = x[p]!;
    // Knuth's two-sum: t is the rounded sum, (s - (t - bv)) + (v - bv) exactly what rounding lost.
    const t = s + v;
    const bv = t - s;
    err += s - (t - bv) + (v - bv);
    s = t;
    hi[p + 1] = s;
    lo[p + 1] = err;
  }
  return { hi, lo };
}
