import type { OpName } from '../../pipelines/aggregations/catalog.js';
import type { AheadResult } from './lookahead.js';

/** The ops a sweep computes from running per-key state; the others need the window's contents. */
export const SWEEP_OPS: ReadonlySet<OpName> = new Set<OpName>(['count', 'sum', 'mean', 'first', 'last']);

/** A label source's events for the sweep: key codes in the spine's key space (-1: left out), times, values. */
export interface SweepEvents {
  codes: Int32Array;
  time: Float64Array;
  /** The op's column (not needed for count). */
  values?: Float64Array;
  /** 0 for events that do not count (filtered out by `where`, or a null value). */
  include?: Uint8Array;
}

/**
 * count, sum, mean, first or last over each row's window `(from[i], to[i]]`, by one sweep of the
 * events in time order with two pointers: A has passed the events at or before `from[i]`, B those
 * at or before `to[i]`. Per key it keeps how many events each pointer passed, their running sums
 * (double-double, so that the difference of two is as accurate as the window's own sum), the value
 * of the last event B passed, and the last event A passed (whose successor of the same key is the
 * window's first). A row's window then is B's state minus A's: O(rows + events) in all, every big
 * array read in order, random access only to the per-key state.
 *
 * Needs `from` and `to` non-decreasing (rows in time order; the label windows are monotone in t).
 * Returns undefined otherwise, or for an op it does not compute, so the caller takes the grouped path.
 * Ties follow event order: events with equal times are passed in arrival order, so `last` is the
 * last to arrive and `first` the first, as the engine's aggregates break ties.
 *
 * @example
 * const r = sweepAhead('last', { codes, time, values }, keys.spineCodes, w.from, w.to, keys.size);
 */
export function sweepAhead(
  op: OpName,
  events: SweepEvents,
  codes: Int32Array,
  from: Float64Array,
  to: Float64Array,
  size: number,
  /** Zero-filled arrays of `codes.length` to write into (the parallel assembler's shared outputs); default new ones. */
  into?: { values: Float64Array; counts: Int32Array },
): AheadResult | undefined {
  if (!SWEEP_OPS.has(op) || !nonDecreasing(from) || !nonDecreasing(to)) return undefined;
  const ev = inTimeOrder(events);
  const n = codes.length;
  const m = ev.time.length;
  const ec = ev.codes;
  const et = ev.time;
  const x = ev.values;
  const inc = ev.include;
  if (op !== 'count' && x === undefined) throw new Error(`label op "${op}" needs values`);
  const countA = new Int32Array(size);
  const countB = new Int32Array(size);
  const wantSum = op === 'sum' || op === 'mean';
  const sumA = wantSum ? new Float64Array(2 * size) : undefined;
  const sumB = wantSum ? new Float64Array(2 * size) : undefined;
  const lastB = op === 'last' ? new Float64Array(size) : undefined;
  // first: next[p] is the next counted event of p's key; head[k] the key's first counted event.
  let next: Int32Array | undefined;
  let head: Int32Array | undefined;
  let lastA: Int32Array | undefined;
  if (op === 'first') {
    next = new Int32Array(m);
    head = new Int32Array(size).fill(-1);
    for (let p = m - 1; p >= 0; p--) {
      const k = ec[p]!;
      if (k < 0 || k >= size || (inc !== undefined && inc[p] === 0)) continue;
      next[p] = head[k]!;
      head[k] = p;
    }
    lastA = new Int32Array(size).fill(-1);
  }

  const values = into?.values ?? new Float64Array(n);
  const counts = into?.counts ?? new Int32Array(n);
  let a = 0;
  let b = 0;
  for (let i = 0; i < n; i++) {
    const f = from[i]!;
    for (; a < m && et[a]! <= f; a++) {
      const k = ec[a]!;
      if (k < 0 || k >= size || (inc !== undefined && inc[a] === 0)) continue;
      countA[k]!++;
      if (sumA !== undefined) twoSum(sumA, k, x![a]!);
      if (lastA !== undefined) lastA[k] = a;
    }
    const t = to[i]!;
    for (; b < m && et[b]! <= t; b++) {
      const k = ec[b]!;
      if (k < 0 || k >= size || (inc !== undefined && inc[b] === 0)) continue;
      countB[k]!++;
      if (sumB !== undefined) twoSum(sumB, k, x![b]!);
      if (lastB !== undefined) lastB[k] = x![b]!;
    }
    const k = codes[i]!;
    if (k < 0 || k >= size) continue;
    const c = countB[k]! - countA[k]!;
    counts[i] = c;
    if (c === 0) continue;
    switch (op) {
      case 'count':
        values[i] = c;
        break;
      case 'last':
        values[i] = lastB![k]!;
        break;
      case 'first': {
        const la = lastA![k]!;
        values[i] = x![la < 0 ? head![k]! : next![la]!]!;
        break;
      }
      default: {
        const s = sumB![2 * k]! - sumA![2 * k]! + (sumB![2 * k + 1]! - sumA![2 * k + 1]!);
        values[i] = op === 'sum' ? s : s / c;
      }
    }
  }
  // Empty windows: count 0, the other ops null.
  let validity: Uint8Array | undefined;
  if (op !== 'count') {
    for (let i = 0; i < n; i++) {
      if (counts[i]! > 0) continue;
      validity ??= new Uint8Array((n + 7) >> 3).fill(0xff);
      validity[i >> 3]! &= ~(1 << (i & 7));
      values[i] = NaN;
    }
  }
  return { values, validity, counts };
}

/** Add v to the double-double running sum of key k (hi at 2k, accumulated rounding error at 2k + 1): Knuth's two-sum. */
function twoSum(sums: Float64Array, k: number, v: number): void {
  const s = sums[2 * k]!;
  const t = s + v;
  const bv = t - s;
  sums[2 * k + 1]! += s - (t - bv) + (v - bv);
  sums[2 * k] = t;
}

function nonDecreasing(x: Float64Array): boolean {
  for (let i = 1; i < x.length; i++) if (x[i]! < x[i - 1]!) return false;
  return true;
}

/** The events as they are when in time order (the log's usual case); else a copy in stable time order. */
function inTimeOrder(e: SweepEvents): SweepEvents {
  if (nonDecreasing(e.time)) return e;
  const m = e.time.length;
  const idx = Int32Array.from({ length: m }, (_, i) => i);
  idx.sort((p, q) => e.time[p]! - e.time[q]! || p - q);
  const pick = <T extends Int32Array | Float64Array | Uint8Array>(src: T, out: T): T => {
    for (let j = 0; j < m; j++) out[j] = src[idx[j]!]!;
    return out;
  };
  return {
    codes: pick(e.codes, new Int32Array(m)),
    time: pick(e.time, new Float64Array(m)),
    ...(e.values && { values: pick(e.values, new Float64Array(m)) }),
    ...(e.include && { include: pick(e.include, new Uint8Array(m)) }),
  };
}
