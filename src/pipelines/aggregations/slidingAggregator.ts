import type { Checkpointable } from '../runtime/state.js';
import { OPS, type OpName } from './catalog.js';
import { MonotonicDeque } from './monotonicDeque.js';

/** One output of a sliding aggregation: `op` over the last `size` ms (Infinity: all history). */
export interface SlidingOutputSpec {
  op: OpName;
  size: number;
}

/** Per-row results: values, and a validity bitmap when some row is null. */
export interface SlidingResult {
  values: Float64Array;
  validity?: Uint8Array;
}

const INITIAL_RING = 8;

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
    this.needsDistinct = outputs.some((o) => o.op === 'count_distinct');
    const w = this.windows.length;
    this.head = Array.from({ length: w }, () => new Float64Array(0));
    this.count = Array.from({ length: w }, () => new Float64Array(0));
    this.sum = Array.from({ length: w }, () => new Float64Array(0));
    this.squares = Array.from({ length: w }, () => new Float64Array(0));
    this.mins = Array.from({ length: w }, () => []);
    this.maxs = Array.from({ length: w }, () => []);
    this.distinct = Array.from({ length: w }, () => []);
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
    const results: SlidingResult[] = this.outputs.map(() => ({ values: new Float64Array(n) }));
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
    }
    this.end[k] = ++e;
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
          }
          h++;
        } while (h < e && ring[h & mask]! < lower);
        // An empty window restarts from exact zeros, so rounding never accumulates across quiet spells.
        if (count[k] === 0) {
          sum[k] = 0;
          squares[k] = 0;
        }
        this.head[w]![k] = h;
        if (this.needsMin) this.mins[w]![k]?.evictBefore(h);
        if (this.needsMax) this.maxs[w]![k]?.evictBefore(h);
      }
    }
    // The longest window's head is the oldest event anyone still needs.
    this.start[k] = this.head[this.windows.length - 1]![k]!;
    for (let o = 0; o < results.length; o++) this.write(o, k, r, results[o]!);
  }

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
        out.values[r] = this.distinct[w]![k]!.size;
        return;
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
    };
  }

  restore(snapshot: unknown): void {
    const s = snapshot as ReturnType<SlidingAggregator['snapshotShape']>;
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
        }
      }
    }
  }

  /** Type of a snapshot, for restore. */
  private snapshotShape() {
    return {} as {
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
    };
  }
}

function setNull(out: SlidingResult, r: number): void {
  if (out.validity === undefined) out.validity = new Uint8Array((out.values.length + 7) >> 3).fill(0xff);
  out.validity[r >> 3]! &= ~(1 << (r & 7));
  out.values[r] = NaN;
}
