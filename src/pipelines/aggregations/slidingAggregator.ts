import type { Dictionary } from '../data/dictionary.js';
import type { Checkpointable } from '../runtime/state.js';
import { histogramResult } from './accumulator.js';
import { OPS, opWidth, percentilesOf, quantileRank, type OpName, type OpSpec } from './catalog.js';
import { centralFromPowerSums, kurtosisFrom, skewFrom } from './moments.js';
import { MonotonicDeque } from './monotonicDeque.js';
import { SortedMultiset } from './sortedMultiset.js';
import { ValueCodes } from './windowRows.js';

/**
 * One output of a sliding aggregation: `op` (with its parameters) over the last `size` ms
 * (Infinity: all history). An op with several columns (first_k, histogram...) gives that many
 * consecutive results.
 */
export interface SlidingOutputSpec extends OpSpec {
  size: number;
}

/** Per-row results: values, and a validity bitmap when some row is null. */
export interface SlidingResult {
  values: Float64Array;
  validity?: Uint8Array;
}

const INITIAL_RING = 8;

/** What `snapshot()` returns and `restore()` takes. */
interface SlidingSnapshot {
  windows: number[];
  keys: number;
  rings: { time: Float64Array; value: Float64Array | null }[];
  start: Float64Array;
  end: Float64Array;
  shift: Float64Array;
  head: Float64Array[];
  count: Float64Array[];
  sum: Float64Array[];
  squares: Float64Array[];
  moments?: {
    shift: Float64Array[];
    p1: Float64Array[];
    p2: Float64Array[];
    p3: Float64Array[];
    p4: Float64Array[];
    churn: Float64Array[];
    peak2: Float64Array[];
    peak4: Float64Array[];
  };
}

/**
 * Sliding-window aggregates per key, read at every event as of that event's time.
 *
 * Each key keeps a ring of (time, value) for the events inside its longest window. Each window keeps
 * a head position in that ring and running count, sum and sum of squares (shifted by the key's first
 * value, so variance does not cancel catastrophically), plus monotonic deques for min/max and
 * counters for count_distinct when asked. Eviction is lazy: a key's windows move only when that key
 * is read. Everything is in typed arrays indexed by key code.
 *
 * Windows are half-open, [t - size, t): events at exactly t are not seen by a read at t. With
 * `inclusive`, [t - size, t], and every event at t sees all of them.
 */
export class SlidingAggregator implements Checkpointable {
  readonly windows: number[];
  private readonly outWindow: Int32Array;
  private readonly outOp: OpName[];
  private readonly needsValues: boolean;
  private readonly needsMin: boolean;
  private readonly needsMax: boolean;
  private readonly needsDistinct: boolean;
  /** top_k, bottom_k, approx_percentile: a sorted multiset of each window's values. */
  private readonly needsSorted: boolean;
  /** skew, kurtosis: power sums to the fourth, in their own shift. */
  private readonly needsMoments: boolean;
  /** Columns per output, and where each output's first column is among the results. */
  private readonly widths: Int32Array;
  private readonly colStart: Int32Array;
  private readonly columnCount: number;
  private readonly valueCodes: (ValueCodes | undefined)[];
  /** The percentiles of each approx_percentile output. */
  private readonly quantiles: number[][];
  private dictionary: Dictionary | undefined;

  private capacity = 0;
  // Per key.
  private ringTime: Float64Array[] = [];
  private ringValue: Float64Array[] = [];
  private start = new Float64Array(0);
  private end = new Float64Array(0);
  private shift = new Float64Array(0);
  // Per window, per key.
  private head: Float64Array[];
  private count: Float64Array[];
  private sum: Float64Array[];
  private squares: Float64Array[];
  private mins: MonotonicDeque[][];
  private maxs: MonotonicDeque[][];
  private distinct: Map<number, number>[][];
  private sorted: SortedMultiset[][];
  // Per window, per key, for skew and kurtosis: the shift, Σx..Σx⁴ of the shifted values, how many
  // values left since the sums were last recomputed from the ring, and the largest Σx² and Σx⁴ since.
  private mShift: Float64Array[];
  private p1: Float64Array[];
  private p2: Float64Array[];
  private p3: Float64Array[];
  private p4: Float64Array[];
  private churn: Float64Array[];
  private peak2: Float64Array[];
  private peak4: Float64Array[];

  constructor(
    readonly outputs: readonly SlidingOutputSpec[],
    readonly inclusive = false,
    readonly defaults: (number | undefined)[] = [],
  ) {
    this.windows = [...new Set(outputs.map((o) => o.size))].sort((a, b) => a - b);
    this.outWindow = Int32Array.from(outputs, (o) => this.windows.indexOf(o.size));
    this.outOp = outputs.map((o) => o.op);
    this.needsValues = outputs.some((o) => o.op !== 'count');
    this.needsMin = outputs.some((o) => o.op === 'min');
    this.needsMax = outputs.some((o) => o.op === 'max');
    this.needsDistinct = outputs.some((o) => o.op === 'count_distinct' || o.op === 'histogram' || o.op === 'approx_count_distinct');
    this.needsSorted = outputs.some((o) => o.op === 'top_k' || o.op === 'bottom_k' || o.op === 'approx_percentile');
    this.needsMoments = outputs.some((o) => o.op === 'skew' || o.op === 'kurtosis');
    this.widths = Int32Array.from(outputs, (o) => opWidth(o));
    this.colStart = new Int32Array(outputs.length);
    let col = 0;
    for (let o = 0; o < outputs.length; o++) {
      this.colStart[o] = col;
      col += this.widths[o]!;
    }
    this.columnCount = col;
    this.valueCodes = outputs.map((o) => (o.op === 'histogram' && o.values !== undefined ? new ValueCodes(o.values) : undefined));
    this.quantiles = outputs.map((o) => percentilesOf(o));
    const w = this.windows.length;
    this.head = Array.from({ length: w }, () => new Float64Array(0));
    this.count = Array.from({ length: w }, () => new Float64Array(0));
    this.sum = Array.from({ length: w }, () => new Float64Array(0));
    this.squares = Array.from({ length: w }, () => new Float64Array(0));
    this.mins = Array.from({ length: w }, () => []);
    this.maxs = Array.from({ length: w }, () => []);
    this.distinct = Array.from({ length: w }, () => []);
    this.sorted = Array.from({ length: w }, () => []);
    const perWindow = () => Array.from({ length: this.needsMoments ? w : 0 }, () => new Float64Array(0));
    this.mShift = perWindow();
    this.p1 = perWindow();
    this.p2 = perWindow();
    this.p3 = perWindow();
    this.p4 = perWindow();
    this.churn = perWindow();
    this.peak2 = perWindow();
    this.peak4 = perWindow();
  }

  /** The value column's dictionary, when it is dictionary-encoded (histogram values are looked up in it). */
  setValueDictionary(d: Dictionary | undefined): void {
    this.dictionary = d;
  }

  /** Make room for key codes below `keys`. */
  private ensureKeys(keys: number): void {
    if (keys <= this.capacity) return;
    const cap = Math.max(keys, this.capacity * 2, 64);
    const grow = (a: Float64Array) => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    this.start = grow(this.start);
    this.end = grow(this.end);
    this.shift = grow(this.shift);
    for (let j = 0; j < this.windows.length; j++) {
      this.head[j] = grow(this.head[j]!);
      this.count[j] = grow(this.count[j]!);
      this.sum[j] = grow(this.sum[j]!);
      this.squares[j] = grow(this.squares[j]!);
      if (this.needsMoments) {
        this.mShift[j] = grow(this.mShift[j]!);
        this.p1[j] = grow(this.p1[j]!);
        this.p2[j] = grow(this.p2[j]!);
        this.p3[j] = grow(this.p3[j]!);
        this.p4[j] = grow(this.p4[j]!);
        this.churn[j] = grow(this.churn[j]!);
        this.peak2[j] = grow(this.peak2[j]!);
        this.peak4[j] = grow(this.peak4[j]!);
      }
    }
    for (let k = this.capacity; k < cap; k++) {
      this.ringTime.push(new Float64Array(0));
      this.ringValue.push(new Float64Array(0));
    }
    this.capacity = cap;
  }

  /**
   * Read then update (or, inclusive, update then read) for every row, in time order.
   * `time` must be non-decreasing and all events of one timestamp must arrive in the same call.
   * Rows with key -1 get null and change nothing; rows with `contributes[i] === 0` are read but not added.
   */
  process(
    time: Float64Array,
    keys: Int32Array,
    values: Float64Array | undefined,
    contributes: Uint8Array | undefined,
    keyCount: number,
  ): SlidingResult[] {
    const n = time.length;
    this.ensureKeys(keyCount);
    const results: SlidingResult[] = Array.from({ length: this.columnCount }, () => ({ values: new Float64Array(n) }));
    for (let i = 0; i < n; ) {
      const t = time[i]!;
      let j = i + 1;
      while (j < n && time[j] === t) j++;
      if (this.inclusive) {
        for (let r = i; r < j; r++) if (keys[r]! >= 0 && (contributes === undefined || contributes[r] === 1)) this.insert(keys[r]!, t, values === undefined ? 0 : values[r]!);
        for (let r = i; r < j; r++) this.read(keys[r]!, t, r, results);
      } else {
        for (let r = i; r < j; r++) this.read(keys[r]!, t, r, results);
        for (let r = i; r < j; r++) if (keys[r]! >= 0 && (contributes === undefined || contributes[r] === 1)) this.insert(keys[r]!, t, values === undefined ? 0 : values[r]!);
      }
      i = j;
    }
    return results;
  }

  private insert(k: number, t: number, v: number): void {
    let e = this.end[k]!;
    const s = this.start[k]!;
    let ring = this.ringTime[k]!;
    if (e - s >= ring.length) {
      this.growRing(k);
      ring = this.ringTime[k]!;
    }
    const mask = ring.length - 1;
    const slot = e & mask;
    ring[slot] = t;
    if (this.needsValues) {
      this.ringValue[k]![slot] = v;
      if (e === 0 || this.count[this.count.length - 1]![k] === 0) this.shift[k] = v;
    }
    const x = v - this.shift[k]!;
    for (let w = 0; w < this.windows.length; w++) {
      this.count[w]![k]!++;
      this.sum[w]![k]! += x;
      this.squares[w]![k]! += x * x;
      if (this.needsMin) this.deque(this.mins, w, k).push(e, v, this.ringValue[k]!, false);
      if (this.needsMax) this.deque(this.maxs, w, k).push(e, v, this.ringValue[k]!, true);
      if (this.needsDistinct) {
        const m = this.counter(w, k);
        m.set(v, (m.get(v) ?? 0) + 1);
      }
      if (this.needsSorted && v === v) this.multiset(w, k).insert(v);
      if (this.needsMoments) this.addMoments(w, k, v);
    }
    this.end[k] = ++e;
  }

  private multiset(w: number, k: number): SortedMultiset {
    let m = this.sorted[w]![k];
    if (m === undefined) {
      m = new SortedMultiset();
      this.sorted[w]![k] = m;
    }
    return m;
  }

  /** Add `v` to window w's power sums (count[w] already includes it). The first value of an empty window becomes the shift. */
  private addMoments(w: number, k: number, v: number): void {
    if (this.count[w]![k] === 1) this.mShift[w]![k] = v;
    const x = v - this.mShift[w]![k]!;
    const x2 = x * x;
    this.p1[w]![k]! += x;
    const p2 = (this.p2[w]![k]! += x2);
    this.p3[w]![k]! += x2 * x;
    const p4 = (this.p4[w]![k]! += x2 * x2);
    if (p2 > this.peak2[w]![k]!) this.peak2[w]![k] = p2;
    if (p4 > this.peak4[w]![k]!) this.peak4[w]![k] = p4;
  }

  /**
   * Recompute window w's power sums from the ring, shifted by the window's value nearest its mean:
   * exact zeros for a window of equal values, and no cancellation to speak of otherwise.
   */
  private recentre(w: number, k: number): void {
    const from = this.head[w]![k]!;
    const to = this.end[k]!;
    let mean = 0;
    for (let p = from; p < to; p++) mean += this.valueAt(k, p);
    mean /= to - from;
    let shift = this.valueAt(k, from);
    for (let p = from; p < to; p++) {
      const v = this.valueAt(k, p);
      if (Math.abs(v - mean) < Math.abs(shift - mean)) shift = v;
    }
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let s4 = 0;
    for (let p = from; p < to; p++) {
      const x = this.valueAt(k, p) - shift;
      const x2 = x * x;
      s1 += x;
      s2 += x2;
      s3 += x2 * x;
      s4 += x2 * x2;
    }
    this.mShift[w]![k] = shift;
    this.p1[w]![k] = s1;
    this.p2[w]![k] = s2;
    this.p3[w]![k] = s3;
    this.p4[w]![k] = s4;
    this.churn[w]![k] = 0;
    this.peak2[w]![k] = s2;
    this.peak4[w]![k] = s4;
  }

  /**
   * Central sums of window w. The running power sums are recomputed from the ring first when:
   * - as many values have left the window as it holds (rounding from removals never builds up;
   *   amortised O(1) a value);
   * - Σx² or Σx⁴ fell below 1e-7 of its largest value since (a big value came and went: what is
   *   left is below the rounding of what was there);
   * - the mean has drifted more than 10 standard deviations from the shift (the sums would cancel).
   */
  private centralSums(w: number, k: number, n: number): { M2: number; M3: number; M4: number } {
    let c = centralFromPowerSums(n, this.p1[w]![k]!, this.p2[w]![k]!, this.p3[w]![k]!, this.p4[w]![k]!);
    const p2 = this.p2[w]![k]!;
    const p4 = this.p4[w]![k]!;
    if (
      this.churn[w]![k]! > n + 16 ||
      (p2 > 0 && !(c.M2 > 0.01 * p2)) ||
      !(p2 >= 1e-7 * this.peak2[w]![k]!) ||
      !(p4 >= 1e-7 * this.peak4[w]![k]!)
    ) {
      this.recentre(w, k);
      c = centralFromPowerSums(n, this.p1[w]![k]!, this.p2[w]![k]!, this.p3[w]![k]!, this.p4[w]![k]!);
    }
    return c;
  }

  private valueAt(k: number, pos: number): number {
    const ring = this.ringValue[k]!;
    return ring[pos & (ring.length - 1)]!;
  }

  private deque(all: MonotonicDeque[][], w: number, k: number): MonotonicDeque {
    let d = all[w]![k];
    if (d === undefined) {
      d = new MonotonicDeque();
      all[w]![k] = d;
    }
    return d;
  }

  private counter(w: number, k: number): Map<number, number> {
    let m = this.distinct[w]![k];
    if (m === undefined) {
      m = new Map();
      this.distinct[w]![k] = m;
    }
    return m;
  }

  private growRing(k: number): void {
    const oldT = this.ringTime[k]!;
    const oldV = this.ringValue[k]!;
    const size = Math.max(INITIAL_RING, oldT.length * 2);
    const t = new Float64Array(size);
    const v = this.needsValues ? new Float64Array(size) : oldV;
    const oldMask = oldT.length - 1;
    const mask = size - 1;
    for (let p = this.start[k]!; p < this.end[k]!; p++) {
      t[p & mask] = oldT[p & oldMask]!;
      if (this.needsValues) v[p & mask] = oldV[p & oldMask]!;
    }
    this.ringTime[k] = t;
    this.ringValue[k] = v;
  }

  /** Evict what left each window as of `t`, then write every output for row `r`. */
  private read(k: number, t: number, r: number, results: SlidingResult[]): void {
    if (k < 0) {
      for (let o = 0; o < results.length; o++) setNull(results[o]!, r);
      return;
    }
    const ring = this.ringTime[k]!;
    const mask = ring.length - 1;
    const e = this.end[k]!;
    for (let w = 0; w < this.windows.length; w++) {
      const lower = t - this.windows[w]!;
      let h = this.head[w]![k]!;
      if (h < e && ring[h & mask]! < lower) {
        const count = this.count[w]!;
        const sum = this.sum[w]!;
        const squares = this.squares[w]!;
        const shift = this.shift[k]!;
        do {
          count[k]!--;
          if (this.needsValues) {
            const v = this.ringValue[k]![h & mask]!;
            const x = v - shift;
            sum[k]! -= x;
            squares[k]! -= x * x;
            if (this.needsDistinct) {
              const m = this.distinct[w]![k]!;
              const c = m.get(v)! - 1;
              if (c === 0) m.delete(v);
              else m.set(v, c);
            }
            if (this.needsSorted && v === v) this.sorted[w]![k]!.remove(v);
            if (this.needsMoments) {
              const y = v - this.mShift[w]![k]!;
              const y2 = y * y;
              this.p1[w]![k]! -= y;
              this.p2[w]![k]! -= y2;
              this.p3[w]![k]! -= y2 * y;
              this.p4[w]![k]! -= y2 * y2;
              this.churn[w]![k]!++;
            }
          }
          h++;
        } while (h < e && ring[h & mask]! < lower);
        // An empty window restarts from exact zeros, so rounding never accumulates across quiet spells.
        if (count[k] === 0) {
          sum[k] = 0;
          squares[k] = 0;
          if (this.needsMoments) {
            this.p1[w]![k] = 0;
            this.p2[w]![k] = 0;
            this.p3[w]![k] = 0;
            this.p4[w]![k] = 0;
            this.churn[w]![k] = 0;
            this.peak2[w]![k] = 0;
            this.peak4[w]![k] = 0;
          }
        }
        this.head[w]![k] = h;
        if (this.needsMin) this.mins[w]![k]?.evictBefore(h);
        if (this.needsMax) this.maxs[w]![k]?.evictBefore(h);
      }
    }
    // The longest window's head is the oldest event anyone still needs.
    this.start[k] = this.head[this.windows.length - 1]![k]!;
    for (let o = 0; o < this.outputs.length; o++) {
      if (this.widths[o] === 1) this.write(o, k, r, results[this.colStart[o]!]!);
      else this.writeWide(o, k, r, results);
    }
  }

  /** An op with several columns: first_k, last_k, top_k, bottom_k, histogram, percentiles. */
  private writeWide(o: number, k: number, r: number, results: SlidingResult[]): void {
    const w = this.outWindow[o]!;
    const n = this.count[w]![k]!;
    const width = this.widths[o]!;
    const at = this.colStart[o]!;
    if (n === 0) {
      const d = this.defaults[o] ?? OPS[this.outOp[o]!].empty;
      for (let j = 0; j < width; j++) {
        if (d === null) setNull(results[at + j]!, r);
        else results[at + j]!.values[r] = d;
      }
      return;
    }
    for (let j = 0; j < width; j++) {
      const v = this.wideValue(o, w, k, n, j);
      if (v === null) setNull(results[at + j]!, r);
      else results[at + j]!.values[r] = v;
    }
  }

  /** Column j of output o, for key k in window w holding n values. */
  private wideValue(o: number, w: number, k: number, n: number, j: number): number | null {
    const spec = this.outputs[o]!;
    const head = this.head[w]![k]!;
    const end = this.end[k]!;
    switch (spec.op) {
      case 'first_k':
        return j < n ? this.valueAt(k, head + j) : null;
      case 'last_k':
        return j < n ? this.valueAt(k, end - 1 - j) : null;
      case 'top_k': {
        const m = this.sorted[w]![k];
        return m !== undefined && j < m.size ? m.at(m.size - 1 - j) : null;
      }
      case 'bottom_k': {
        const m = this.sorted[w]![k];
        return m !== undefined && j < m.size ? m.at(j) : null;
      }
      case 'approx_percentile': {
        const m = this.sorted[w]![k];
        return m !== undefined && m.size > 0 ? m.at(quantileRank(this.quantiles[o]![j]!, m.size)) : null;
      }
      case 'histogram': {
        // Computed whole for column 0 and kept for the others of the same read.
        if (j === 0) {
          this.histogramRow = histogramResult(spec, this.distinct[w]![k]!, n, this.valueCodes[o]?.resolve(this.dictionary) ?? []);
        }
        return this.histogramRow[j]!;
      }
      default:
        throw new Error(`op ${spec.op} is not a multi-column op`);
    }
  }

  private histogramRow: number[] = [];

  private write(o: number, k: number, r: number, out: SlidingResult): void {
    const w = this.outWindow[o]!;
    const n = this.count[w]![k]!;
    const op = this.outOp[o]!;
    if (n === 0) {
      const d = this.defaults[o];
      if (d !== undefined) out.values[r] = d;
      else if (OPS[op].empty === 0) out.values[r] = 0;
      else setNull(out, r);
      return;
    }
    const shift = this.shift[k]!;
    switch (op) {
      case 'count':
        out.values[r] = n;
        return;
      case 'sum':
        out.values[r] = this.sum[w]![k]! + n * shift;
        return;
      case 'mean':
        out.values[r] = shift + this.sum[w]![k]! / n;
        return;
      case 'variance':
      case 'std': {
        if (n < 2) {
          setNull(out, r);
          return;
        }
        const s = this.sum[w]![k]!;
        const variance = Math.max(0, (this.squares[w]![k]! - (s * s) / n) / (n - 1));
        out.values[r] = op === 'std' ? Math.sqrt(variance) : variance;
        return;
      }
      case 'min':
        out.values[r] = this.valueAt(k, this.mins[w]![k]!.front());
        return;
      case 'max':
        out.values[r] = this.valueAt(k, this.maxs[w]![k]!.front());
        return;
      case 'first':
        out.values[r] = this.valueAt(k, this.head[w]![k]!);
        return;
      case 'last':
        out.values[r] = this.valueAt(k, this.end[k]! - 1);
        return;
      case 'count_distinct':
      case 'approx_count_distinct':
        // Sliding windows hold their events anyway: the distinct count is exact (within any bound).
        out.values[r] = this.distinct[w]![k]!.size;
        return;
      case 'approx_percentile': {
        const m = this.sorted[w]![k];
        if (m === undefined || m.size === 0) setNull(out, r);
        else out.values[r] = m.at(quantileRank(this.quantiles[o]![0]!, m.size));
        return;
      }
      case 'skew':
      case 'kurtosis': {
        const c = this.centralSums(w, k, n);
        const v = op === 'skew' ? skewFrom(n, c.M2, c.M3) : kurtosisFrom(n, c.M2, c.M4);
        if (v === null) setNull(out, r);
        else out.values[r] = v;
        return;
      }
      default: {
        const v = this.wideValue(o, w, k, n, 0);
        if (v === null) setNull(out, r);
        else out.values[r] = v;
      }
    }
  }

  snapshot(): unknown {
    const keys = this.capacity;
    const rings: { time: Float64Array; value: Float64Array | null }[] = [];
    for (let k = 0; k < keys; k++) {
      const size = this.end[k]! - this.start[k]!;
      const time = new Float64Array(size);
      const value = this.needsValues ? new Float64Array(size) : null;
      const ring = this.ringTime[k]!;
      const mask = ring.length - 1;
      for (let p = 0; p < size; p++) {
        time[p] = ring[(this.start[k]! + p) & mask]!;
        if (value) value[p] = this.ringValue[k]![(this.start[k]! + p) & mask]!;
      }
      rings.push({ time, value });
    }
    return {
      windows: this.windows,
      keys,
      rings,
      start: this.start.slice(0, keys),
      end: this.end.slice(0, keys),
      shift: this.shift.slice(0, keys),
      head: this.head.map((a) => a.slice(0, keys)),
      count: this.count.map((a) => a.slice(0, keys)),
      sum: this.sum.map((a) => a.slice(0, keys)),
      squares: this.squares.map((a) => a.slice(0, keys)),
      ...(this.needsMoments && {
        moments: {
          shift: this.mShift.map((a) => a.slice(0, keys)),
          p1: this.p1.map((a) => a.slice(0, keys)),
          p2: this.p2.map((a) => a.slice(0, keys)),
          p3: this.p3.map((a) => a.slice(0, keys)),
          p4: this.p4.map((a) => a.slice(0, keys)),
          churn: this.churn.map((a) => a.slice(0, keys)),
          peak2: this.peak2.map((a) => a.slice(0, keys)),
          peak4: this.peak4.map((a) => a.slice(0, keys)),
        },
      }),
    };
  }

  restore(snapshot: unknown): void {
    const s = snapshot as SlidingSnapshot;
    if (s.windows.join() !== this.windows.join()) throw new Error('checkpoint windows do not match this feature');
    this.capacity = 0;
    this.ringTime = [];
    this.ringValue = [];
    this.ensureKeys(s.keys);
    this.start.set(s.start);
    this.end.set(s.end);
    this.shift.set(s.shift);
    for (let w = 0; w < this.windows.length; w++) {
      this.head[w]!.set(s.head[w]!);
      this.count[w]!.set(s.count[w]!);
      this.sum[w]!.set(s.sum[w]!);
      this.squares[w]!.set(s.squares[w]!);
      this.mins[w] = [];
      this.maxs[w] = [];
      this.distinct[w] = [];
      this.sorted[w] = [];
      if (this.needsMoments) {
        const m = s.moments;
        // A checkpoint taken without skew/kurtosis: start the sums from the ring.
        if (m !== undefined) {
          this.mShift[w]!.set(m.shift[w]!);
          this.p1[w]!.set(m.p1[w]!);
          this.p2[w]!.set(m.p2[w]!);
          this.p3[w]!.set(m.p3[w]!);
          this.p4[w]!.set(m.p4[w]!);
          this.churn[w]!.set(m.churn[w]!);
          this.peak2[w]!.set(m.peak2[w]!);
          this.peak4[w]!.set(m.peak4[w]!);
        }
      }
    }
    for (let k = 0; k < s.keys; k++) {
      const { time, value } = s.rings[k]!;
      let size = INITIAL_RING;
      while (size < time.length) size *= 2;
      const t = new Float64Array(size);
      const v = new Float64Array(this.needsValues ? size : 0);
      const mask = size - 1;
      const base = s.start[k]!;
      for (let p = 0; p < time.length; p++) {
        t[(base + p) & mask] = time[p]!;
        if (value) v[(base + p) & mask] = value[p]!;
      }
      this.ringTime[k] = time.length === 0 ? new Float64Array(0) : t;
      this.ringValue[k] = time.length === 0 ? new Float64Array(0) : v;
      // Deques and distinct counters are functions of the window contents: rebuild them exactly.
      for (let w = 0; w < this.windows.length; w++) {
        for (let p = s.head[w]![k]!; p < s.end[k]!; p++) {
          const val = this.valueAt(k, p);
          if (this.needsMin) this.deque(this.mins, w, k).push(p, val, this.ringValue[k]!, false);
          if (this.needsMax) this.deque(this.maxs, w, k).push(p, val, this.ringValue[k]!, true);
          if (this.needsDistinct) {
            const m = this.counter(w, k);
            m.set(val, (m.get(val) ?? 0) + 1);
          }
          if (this.needsSorted && val === val) this.multiset(w, k).insert(val);
        }
        if (this.needsMoments && s.moments === undefined && s.end[k]! > s.head[w]![k]!) this.recentre(w, k);
      }
    }
  }
}

function setNull(out: SlidingResult, r: number): void {
  if (out.validity === undefined) out.validity = new Uint8Array((out.values.length + 7) >> 3).fill(0xff);
  out.validity[r >> 3]! &= ~(1 << (r & 7));
  out.values[r] = NaN;
}
