import { OPS, opSpec, opWidth, percentilesOf, type OpName, type OpRef, type OpSpec } from './catalog.js';
import { HyperLogLog } from './hyperLogLog.js';
import { KllSketch } from './kll.js';
import { kurtosisFrom, skewFrom } from './moments.js';

/**
 * What an accumulator tracks beyond count, sum, mean, variance, min, max, first and last (which
 * are always on: a few flops per event). Everything here is off unless an output asks for it.
 */
export interface AccumulatorShape {
  /** A value -> count map: count_distinct, histogram. */
  distinct: boolean;
  /** Third and fourth central moments: skew, kurtosis. */
  moments: boolean;
  /** How many earliest / latest / largest / smallest values to keep (0: none). */
  firstK: number;
  lastK: number;
  topK: number;
  bottomK: number;
  /** A HyperLogLog sketch: approx_count_distinct. */
  hll: boolean;
  /** A KLL sketch: approx_percentile. */
  kll: boolean;
}

/** The shape that serves every op of `outputs`. */
export function accumulatorShape(outputs: readonly OpRef[]): AccumulatorShape {
  const specs = outputs.map(opSpec);
  const k = (op: OpName) => Math.max(0, ...specs.filter((s) => s.op === op).map((s) => s.k ?? 1));
  const has = (...ops: OpName[]) => specs.some((s) => ops.includes(s.op));
  return {
    distinct: has('count_distinct', 'histogram'),
    moments: has('skew', 'kurtosis'),
    firstK: k('first_k'),
    lastK: k('last_k'),
    topK: k('top_k'),
    bottomK: k('bottom_k'),
    hll: has('approx_count_distinct'),
    kll: has('approx_percentile'),
  };
}

const PLAIN: AccumulatorShape = { distinct: false, moments: false, firstK: 0, lastK: 0, topK: 0, bottomK: 0, hll: false, kll: false };

/**
 * A mergeable summary of the values of one key in one pane (a bucket of time). Panes are merged into
 * windows when a window closes: a tumbling window is one pane, a hopping window several. One object
 * per (pane, key), never per event. Variance merges with Chan's formula and the third and fourth
 * moments with Pébay's, so panes combine exactly as if the window had been summarised in one pass.
 *
 * first_k / last_k keep the k earliest / latest (time, arrival) pairs, top_k / bottom_k the k
 * largest / smallest values: merging two keeps the k best of both, exactly. Distinct counts merge
 * HyperLogLog registers (exact: the sketch of the union) and percentiles merge KLL sketches
 * (approximate, within the sketch's bound). `merge(o)` treats `o` as arriving after this: on equal
 * times, this one's events come first.
 */
export class Accumulator {
  count = 0;
  mean = 0;
  m2 = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  firstTime = Infinity;
  firstValue = NaN;
  lastTime = -Infinity;
  lastValue = NaN;
  distinct: Map<number, number> | undefined;
  readonly shape: AccumulatorShape;
  m3 = 0;
  m4 = 0;
  /** The k earliest events: times and values, ascending by (time, arrival). */
  private fkT: number[] | undefined;
  private fkV: number[] | undefined;
  /** The k latest events, ascending by (time, arrival). */
  private lkT: number[] | undefined;
  private lkV: number[] | undefined;
  /** The k largest values, ascending. */
  private top: number[] | undefined;
  /** The k smallest values, ascending. */
  private bottom: number[] | undefined;
  private hll: HyperLogLog | undefined;
  private kll: KllSketch | undefined;

  /** `shape` says what to track; `true` is the old form, count_distinct only. */
  constructor(shape: AccumulatorShape | boolean = PLAIN) {
    this.shape = typeof shape === 'boolean' ? { ...PLAIN, distinct: shape } : shape;
    const s = this.shape;
    if (s.distinct) this.distinct = new Map();
    if (s.firstK > 0) {
      this.fkT = [];
      this.fkV = [];
    }
    if (s.lastK > 0) {
      this.lkT = [];
      this.lkV = [];
    }
    if (s.topK > 0) this.top = [];
    if (s.bottomK > 0) this.bottom = [];
    if (s.hll) this.hll = new HyperLogLog();
    if (s.kll) this.kll = new KllSketch();
  }

  add(t: number, v: number): void {
    const n1 = this.count;
    this.count++;
    this.sum += v;
    const d = v - this.mean;
    if (this.shape.moments) {
      // Pébay's one-pass update of the third and fourth central sums (before mean and m2 move).
      const n = this.count;
      const dn = d / n;
      const dn2 = dn * dn;
      const term1 = d * dn * n1;
      this.m4 += term1 * dn2 * (n * n - 3 * n + 3) + 6 * dn2 * this.m2 - 4 * dn * this.m3;
      this.m3 += term1 * dn * (n - 2) - 3 * dn * this.m2;
    }
    this.mean += d / this.count;
    this.m2 += d * (v - this.mean);
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    // Ties keep arrival order: the first to arrive stays first, the last to arrive is last.
    if (t < this.firstTime) {
      this.firstTime = t;
      this.firstValue = v;
    }
    if (t >= this.lastTime) {
      this.lastTime = t;
      this.lastValue = v;
    }
    if (this.distinct) this.distinct.set(v, (this.distinct.get(v) ?? 0) + 1);
    if (this.fkT !== undefined) {
      const k = this.shape.firstK;
      const ts = this.fkT;
      if (ts.length < k || t < ts[ts.length - 1]!) {
        const at = upperBound(ts, t);
        ts.splice(at, 0, t);
        this.fkV!.splice(at, 0, v);
        if (ts.length > k) {
          ts.pop();
          this.fkV!.pop();
        }
      }
    }
    if (this.lkT !== undefined) {
      const k = this.shape.lastK;
      const ts = this.lkT;
      if (ts.length < k || t >= ts[0]!) {
        const at = upperBound(ts, t);
        ts.splice(at, 0, t);
        this.lkV!.splice(at, 0, v);
        if (ts.length > k) {
          ts.shift();
          this.lkV!.shift();
        }
      }
    }
    if (v === v) {
      if (this.top !== undefined) keepLargest(this.top, v, this.shape.topK);
      if (this.bottom !== undefined) keepSmallest(this.bottom, v, this.shape.bottomK);
      this.kll?.add(v);
    }
    this.hll?.add(v);
  }

  /** Fold `o` (a later pane) into this one. */
  merge(o: Accumulator): void {
    if (o.count === 0) return;
    if (this.count === 0) {
      this.copyFrom(o);
      return;
    }
    const n = this.count + o.count;
    const d = o.mean - this.mean;
    if (this.shape.moments) {
      const na = this.count;
      const nb = o.count;
      const d2 = d * d;
      this.m4 +=
        o.m4 +
        (d2 * d2 * na * nb * (na * na - na * nb + nb * nb)) / (n * n * n) +
        (6 * d2 * (na * na * o.m2 + nb * nb * this.m2)) / (n * n) +
        (4 * d * (na * o.m3 - nb * this.m3)) / n;
      this.m3 += o.m3 + (d2 * d * na * nb * (na - nb)) / (n * n) + (3 * d * (na * o.m2 - nb * this.m2)) / n;
    }
    this.m2 += o.m2 + (d * d * this.count * o.count) / n;
    this.mean += (d * o.count) / n;
    this.count = n;
    this.sum += o.sum;
    if (o.min < this.min) this.min = o.min;
    if (o.max > this.max) this.max = o.max;
    if (o.firstTime < this.firstTime) {
      this.firstTime = o.firstTime;
      this.firstValue = o.firstValue;
    }
    if (o.lastTime >= this.lastTime) {
      this.lastTime = o.lastTime;
      this.lastValue = o.lastValue;
    }
    if (this.distinct && o.distinct) for (const [v, c] of o.distinct) this.distinct.set(v, (this.distinct.get(v) ?? 0) + c);
    if (this.fkT !== undefined && o.fkT !== undefined) {
      const [t, v] = mergeByTime(this.fkT, this.fkV!, o.fkT, o.fkV!);
      this.fkT = t.slice(0, this.shape.firstK);
      this.fkV = v.slice(0, this.shape.firstK);
    }
    if (this.lkT !== undefined && o.lkT !== undefined) {
      const [t, v] = mergeByTime(this.lkT, this.lkV!, o.lkT, o.lkV!);
      this.lkT = t.slice(Math.max(0, t.length - this.shape.lastK));
      this.lkV = v.slice(Math.max(0, v.length - this.shape.lastK));
    }
    if (this.top !== undefined && o.top !== undefined) for (const v of o.top) keepLargest(this.top, v, this.shape.topK);
    if (this.bottom !== undefined && o.bottom !== undefined) for (const v of o.bottom) keepSmallest(this.bottom, v, this.shape.bottomK);
    if (this.hll !== undefined && o.hll !== undefined) this.hll.merge(o.hll);
    if (this.kll !== undefined && o.kll !== undefined) this.kll.merge(o.kll);
  }

  /** Become an exact copy of `o` (same shape), sharing nothing with it. */
  copyFrom(o: Accumulator): void {
    this.count = o.count;
    this.mean = o.mean;
    this.m2 = o.m2;
    this.m3 = o.m3;
    this.m4 = o.m4;
    this.sum = o.sum;
    this.min = o.min;
    this.max = o.max;
    this.firstTime = o.firstTime;
    this.firstValue = o.firstValue;
    this.lastTime = o.lastTime;
    this.lastValue = o.lastValue;
    if (this.distinct && o.distinct) this.distinct = new Map(o.distinct);
    if (this.fkT && o.fkT) [this.fkT, this.fkV] = [o.fkT.slice(), o.fkV!.slice()];
    if (this.lkT && o.lkT) [this.lkT, this.lkV] = [o.lkT.slice(), o.lkV!.slice()];
    if (this.top && o.top) this.top = o.top.slice();
    if (this.bottom && o.bottom) this.bottom = o.bottom.slice();
    if (this.hll && o.hll) this.hll = HyperLogLog.fromJSON(o.hll.toJSON());
    if (this.kll && o.kll) this.kll = KllSketch.fromJSON(o.kll.toJSON());
  }

  /** An independent copy. */
  clone(): Accumulator {
    const a = new Accumulator(this.shape);
    a.copyFrom(this);
    return a;
  }

  /** The result of a single-column `op`, or null (SQL's answer for an empty window or a variance of one value). */
  result(op: OpName): number | null {
    return this.value({ op });
  }

  /** The first (for most ops, the only) column of an op, without allocating for the single-column ops. */
  value(s: OpSpec): number | null {
    if (this.count === 0) return OPS[s.op].empty;
    switch (s.op) {
      case 'count':
        return this.count;
      case 'sum':
        return this.sum;
      case 'mean':
        return this.mean;
      case 'variance':
        return this.count < 2 ? null : this.m2 / (this.count - 1);
      case 'std':
        return this.count < 2 ? null : Math.sqrt(this.m2 / (this.count - 1));
      case 'min':
        return this.min;
      case 'max':
        return this.max;
      case 'first':
        return this.firstValue;
      case 'last':
        return this.lastValue;
      case 'count_distinct':
        return this.distinct?.size ?? 0;
      case 'approx_count_distinct':
        return Math.round(this.hll?.estimate() ?? 0);
      case 'skew':
        return skewFrom(this.count, this.m2, this.m3);
      case 'kurtosis':
        return kurtosisFrom(this.count, this.m2, this.m4);
      default:
        return this.results(s)[0]!;
    }
  }

  /**
   * The columns of an op, in the order of `opOutputParts`. `valueCodes` are a histogram's declared
   * values as the value column holds them (dictionary codes for strings; NaN for a value never seen).
   */
  results(ref: OpRef, valueCodes?: readonly number[]): (number | null)[] {
    const s: OpSpec = opSpec(ref);
    if (this.count === 0) return new Array<number | null>(opWidth(s)).fill(OPS[s.op].empty);
    const width = s.k ?? 1;
    switch (s.op) {
      case 'first_k':
        return padded(this.fkV ?? [], width);
      case 'last_k':
        return padded([...(this.lkV ?? [])].reverse(), width);
      case 'top_k':
        return padded([...(this.top ?? [])].reverse(), width);
      case 'bottom_k':
        return padded(this.bottom ?? [], width);
      case 'histogram':
        return histogramResult(s, this.distinct ?? new Map(), this.count, valueCodes ?? (s.values ?? []).map(Number));
      case 'approx_percentile': {
        const qs = percentilesOf(s);
        if (this.kll === undefined || this.kll.n === 0) return qs.map(() => null);
        return this.kll.quantiles(qs);
      }
      default:
        return [this.value(s)];
    }
  }

  toJSON(): unknown {
    return {
      count: this.count,
      mean: this.mean,
      m2: this.m2,
      sum: this.sum,
      min: this.min,
      max: this.max,
      firstTime: this.firstTime,
      firstValue: this.firstValue,
      lastTime: this.lastTime,
      lastValue: this.lastValue,
      distinct: this.distinct ? [...this.distinct] : undefined,
      shape: this.shape,
      m3: this.m3,
      m4: this.m4,
      fk: this.fkT && [[...this.fkT], [...this.fkV!]],
      lk: this.lkT && [[...this.lkT], [...this.lkV!]],
      top: this.top && [...this.top],
      bottom: this.bottom && [...this.bottom],
      hll: this.hll?.toJSON(),
      kll: this.kll?.toJSON(),
    };
  }

  static fromJSON(o: ReturnType<Accumulator['toJSON']>): Accumulator {
    const raw = o as Record<string, unknown> & {
      shape?: AccumulatorShape;
      distinct?: [number, number][];
      fk?: [number[], number[]];
      lk?: [number[], number[]];
      top?: number[];
      bottom?: number[];
      hll?: Parameters<typeof HyperLogLog.fromJSON>[0];
      kll?: Parameters<typeof KllSketch.fromJSON>[0];
    };
    const a = new Accumulator(raw.shape ?? raw.distinct !== undefined);
    a.count = raw.count as number;
    a.mean = raw.mean as number;
    a.m2 = raw.m2 as number;
    a.sum = raw.sum as number;
    a.min = raw.min as number;
    a.max = raw.max as number;
    a.firstTime = raw.firstTime as number;
    a.firstValue = raw.firstValue as number;
    a.lastTime = raw.lastTime as number;
    a.lastValue = raw.lastValue as number;
    a.m3 = (raw.m3 as number | undefined) ?? 0;
    a.m4 = (raw.m4 as number | undefined) ?? 0;
    if (raw.distinct) a.distinct = new Map(raw.distinct);
    if (raw.fk) [a.fkT, a.fkV] = [[...raw.fk[0]], [...raw.fk[1]]];
    if (raw.lk) [a.lkT, a.lkV] = [[...raw.lk[0]], [...raw.lk[1]]];
    if (raw.top) a.top = [...raw.top];
    if (raw.bottom) a.bottom = [...raw.bottom];
    if (raw.hll) a.hll = HyperLogLog.fromJSON(raw.hll);
    if (raw.kll) a.kll = KllSketch.fromJSON(raw.kll);
    return a;
  }
}

/**
 * A histogram's columns from a value -> count map over `total` values: with `values`, the count of
 * each declared value then the rest (`___other__`); with `top`, the `top` largest counts (0 past the
 * number of distinct values), then the rest.
 */
export function histogramResult(s: OpSpec, counts: ReadonlyMap<number, number>, total: number, valueCodes: readonly number[]): number[] {
  const out: number[] = [];
  let taken = 0;
  if (s.values !== undefined) {
    for (let i = 0; i < s.values.length; i++) {
      const code = valueCodes[i];
      const c = code === undefined || Number.isNaN(code) ? 0 : (counts.get(code) ?? 0);
      out.push(c);
      taken += c;
    }
  } else {
    const top = largestCounts(counts, s.top ?? 0);
    for (const c of top) {
      out.push(c);
      taken += c;
    }
  }
  out.push(total - taken);
  return out;
}

/** The n largest counts of a map, descending, padded with zeros to n. */
function largestCounts(counts: ReadonlyMap<number, number>, n: number): number[] {
  const best: number[] = [];
  for (const c of counts.values()) {
    if (best.length === n && c <= best[n - 1]!) continue;
    let i = best.length;
    while (i > 0 && best[i - 1]! < c) i--;
    best.splice(i, 0, c);
    if (best.length > n) best.pop();
  }
  while (best.length < n) best.push(0);
  return best;
}

function padded(xs: readonly number[], width: number): (number | null)[] {
  const out: (number | null)[] = xs.slice(0, width);
  while (out.length < width) out.push(null);
  return out;
}

/** First index whose element is > x. */
function upperBound(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Stable merge by time; on equal times `a`'s come first. */
function mergeByTime(at: number[], av: number[], bt: number[], bv: number[]): [number[], number[]] {
  const t: number[] = [];
  const v: number[] = [];
  let i = 0;
  let j = 0;
  while (i < at.length || j < bt.length) {
    if (j >= bt.length || (i < at.length && at[i]! <= bt[j]!)) {
      t.push(at[i]!);
      v.push(av[i++]!);
    } else {
      t.push(bt[j]!);
      v.push(bv[j++]!);
    }
  }
  return [t, v];
}

/** Keep the k largest of an ascending array. */
function keepLargest(a: number[], v: number, k: number): void {
  if (a.length === k && !(v > a[0]!)) return;
  a.splice(upperBound(a, v), 0, v);
  if (a.length > k) a.shift();
}

/** Keep the k smallest of an ascending array. */
function keepSmallest(a: number[], v: number, k: number): void {
  if (a.length === k && !(v < a[k - 1]!)) return;
  a.splice(upperBound(a, v), 0, v);
  if (a.length > k) a.pop();
}
