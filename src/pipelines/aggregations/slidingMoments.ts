import type { Checkpointable } from '../runtime/state.js';
import type { SlidingResult } from './slidingAggregator.js';

/** The ops this kernel serves, by code. */
export const MOMENT_OPS = ['count', 'sum', 'mean', 'variance', 'std'] as const;
export type MomentOp = (typeof MOMENT_OPS)[number];

export function isMomentOp(op: string): op is MomentOp {
  return (MOMENT_OPS as readonly string[]).includes(op);
}

const COUNT = 0;
const SUM = 1;
const MEAN = 2;
const VARIANCE = 3;
const STD = 4;

/** Positions are int32; a key's positions are rebased before they could overflow. */
const REBASE_AT = 1 << 30;

/**
 * Sliding count, sum, mean, variance and std, read at every event: the hot path of most feature
 * sets, and of the reference benchmark. Same semantics as SlidingAggregator (half-open [t − w, t) or
 * inclusive [t − w, t], runs of equal timestamps read together), but built for speed:
 *
 * - every key's ring of (time, value) is a power-of-two region of two shared Float64Arrays (an
 *   arena), so a read touches two arrays, not two small arrays per key;
 * - ring positions are int32, so `position & mask` needs no float conversion;
 * - eviction, reading and writing are one fused loop with everything in locals;
 * - windows of all history keep no events at all: their sums only grow.
 *
 * Per window and key it keeps count, sum and sum of squares of values shifted by the key's first
 * value (so variance does not cancel), and restarts from exact zeros whenever a window empties.
 */
export class SlidingMoments implements Checkpointable {
  /** Window sizes, ascending. */
  readonly windows: number[];
  private readonly finite: number;
  private readonly outWindow: Int32Array;
  private readonly outOp: Int32Array;
  private readonly needsValues: boolean;
  private readonly needsSquares: boolean;

  private keys = 0;
  // Arena: key k's ring is [off[k], off[k] + mask[k] + 1) of ringTime/ringValue.
  private ringTime = new Float64Array(0);
  private ringValue = new Float64Array(0);
  private used = 0;
  private off = new Int32Array(0);
  private mask = new Int32Array(0);
  private end = new Int32Array(0);
  private shift = new Float64Array(0);
  // Per window w and key k, at w * keys + k.
  private head = new Int32Array(0);
  private count = new Float64Array(0);
  private sum = new Float64Array(0);
  private squares = new Float64Array(0);

  constructor(
    readonly outputs: readonly { op: MomentOp; size: number }[],
    readonly inclusive = false,
    readonly defaults: (number | undefined)[] = [],
  ) {
    this.windows = [...new Set(outputs.map((o) => o.size))].sort((a, b) => a - b);
    this.finite = this.windows.filter(Number.isFinite).length;
    this.outWindow = Int32Array.from(outputs, (o) => this.windows.indexOf(o.size));
    this.outOp = Int32Array.from(outputs, (o) => MOMENT_OPS.indexOf(o.op));
    this.needsValues = outputs.some((o) => o.op !== 'count');
    this.needsSquares = outputs.some((o) => o.op === 'variance' || o.op === 'std');
  }

  private ensureKeys(keys: number): void {
    if (keys <= this.keys) return;
    const cap = Math.max(keys, this.keys * 2, 64);
    const w = this.windows.length;
    const growPerKey = <T extends Int32Array | Float64Array>(a: T, fill = 0): T => {
      const b = new (a.constructor as new (n: number) => T)(cap);
      if (fill !== 0) b.fill(fill);
      b.set(a);
      return b;
    };
    const growPerWindow = <T extends Int32Array | Float64Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(cap * w);
      for (let j = 0; j < w; j++) b.set(a.subarray(j * this.keys, (j + 1) * this.keys), j * cap);
      return b;
    };
    this.off = growPerKey(this.off);
    this.mask = growPerKey(this.mask, -1);
    this.end = growPerKey(this.end);
    this.shift = growPerKey(this.shift);
    this.head = growPerWindow(this.head);
    this.count = growPerWindow(this.count);
    this.sum = growPerWindow(this.sum);
    this.squares = growPerWindow(this.squares);
    this.keys = cap;
  }

  /** The oldest position key k still needs: the head of its longest finite window. */
  private oldest(k: number): number {
    return this.finite === 0 ? this.end[k]! : this.head[(this.finite - 1) * this.keys + k]!;
  }

  /** Give key k a ring twice as large (8 at first) at the end of the arena, compacting it when full. */
  private growRing(k: number): void {
    const oldMask = this.mask[k]!;
    const cap = oldMask < 0 ? 8 : (oldMask + 1) * 2;
    if (this.used + cap > this.ringTime.length) this.compact(cap);
    const at = this.used;
    this.used += cap;
    const newMask = cap - 1;
    if (oldMask >= 0) {
      const from = this.off[k]!;
      for (let p = this.oldest(k); p < this.end[k]!; p++) {
        this.ringTime[at + (p & newMask)] = this.ringTime[from + (p & oldMask)]!;
        this.ringValue[at + (p & newMask)] = this.ringValue[from + (p & oldMask)]!;
      }
    }
    this.off[k] = at;
    this.mask[k] = newMask;
  }

  /** Move every live ring to the front of a fresh arena with room for `extra` more slots. */
  private compact(extra: number): void {
    let live = extra;
    for (let k = 0; k < this.keys; k++) if (this.mask[k]! >= 0) live += this.mask[k]! + 1;
    const size = Math.max(1024, live * 2);
    const time = new Float64Array(size);
    const value = new Float64Array(this.needsValues ? size : 0);
    let at = 0;
    for (let k = 0; k < this.keys; k++) {
      const m = this.mask[k]!;
      if (m < 0) continue;
      const from = this.off[k]!;
      time.set(this.ringTime.subarray(from, from + m + 1), at);
      if (this.needsValues) value.set(this.ringValue.subarray(from, from + m + 1), at);
      this.off[k] = at;
      at += m + 1;
    }
    this.ringTime = time;
    this.ringValue = this.needsValues ? value : time;
    this.used = at;
  }

  /** Subtract whole ring turns from key k's positions, keeping every slot where it is. */
  private rebase(k: number): void {
    const turn = this.mask[k]! + 1;
    const by = Math.floor(this.oldest(k) / turn) * turn;
    this.end[k]! -= by;
    for (let w = 0; w < this.windows.length; w++) this.head[w * this.keys + k] = Math.max(0, this.head[w * this.keys + k]! - by);
  }

  /**
   * Read then add (inclusive: add then read) every row, in time order. `time` must be non-decreasing
   * and all rows of one timestamp in the same call. Key −1 gives null; `contributes[i] === 0` reads only.
   */
  process(time: Float64Array, keys: Int32Array, values: Float64Array | undefined, contributes: Uint8Array | undefined, keyCount: number): SlidingResult[] {
    this.ensureKeys(keyCount);
    const n = time.length;
    const results: SlidingResult[] = this.outputs.map(() => ({ values: new Float64Array(n) }));
    if (this.windows.length === 1 && this.finite === 1 && !this.inclusive) {
      this.processOneWindow(time, keys, values, contributes, results);
      return results;
    }
    for (let i = 0; i < n; ) {
      const t = time[i]!;
      let j = i + 1;
      while (j < n && time[j] === t) j++;
      if (this.inclusive) {
        this.add(i, j, t, keys, values, contributes);
        this.read(i, j, t, keys, results);
      } else {
        this.read(i, j, t, keys, results);
        this.add(i, j, t, keys, values, contributes);
      }
      i = j;
    }
    return results;
  }

  /**
   * The common case, one finite half-open window, fused: for each run of equal times, every row
   * evicts and reads, then every row adds, all inline with the state in locals (a run is almost
   * always one row).
   */
  private processOneWindow(time: Float64Array, keys: Int32Array, values: Float64Array | undefined, contributes: Uint8Array | undefined, results: SlidingResult[]): void {
    const n = time.length;
    const size = this.windows[0]!;
    // Per-key arrays are replaced only by ensureKeys (before this call), so they live in locals; the
    // arena arrays move when a ring grows, so they are re-read after that.
    const { head, count, sum, squares, end, shift, off, mask: masks, needsValues, needsSquares, defaults } = this;
    let ringTime = this.ringTime;
    let ringValue = this.ringValue;
    const nOut = results.length;
    const outOp = this.outOp;
    const outValues = results.map((r) => r.values);
    for (let i = 0; i < n; ) {
      const t = time[i]!;
      let j = i + 1;
      while (j < n && time[j] === t) j++;
      const lower = t - size;
      for (let r = i; r < j; r++) {
        const k = keys[r]!;
        if (k < 0) {
          for (let o = 0; o < nOut; o++) setNull(results[o]!, r);
          continue;
        }
        const base = off[k]!;
        const mask = masks[k]!;
        const e = end[k]!;
        let h = head[k]!;
        let c = count[k]!;
        const sh = needsSquares ? shift[k]! : 0;
        if (h < e && ringTime[base + (h & mask)]! < lower) {
          let su = sum[k]!;
          let q = needsSquares ? squares[k]! : 0;
          do {
            c--;
            if (needsValues) {
              const x = ringValue[base + (h & mask)]! - sh;
              su -= x;
              if (needsSquares) q -= x * x;
            }
            h++;
          } while (h < e && ringTime[base + (h & mask)]! < lower);
          if (c === 0) {
            su = 0;
            q = 0;
          }
          sum[k] = su;
          if (needsSquares) squares[k] = q;
          head[k] = h;
          count[k] = c;
        }
        for (let o = 0; o < nOut; o++) {
          const op = outOp[o]!;
          const out = outValues[o]!;
          if (c === 0) {
            const d = defaults[o];
            if (d !== undefined) out[r] = d;
            else if (op === COUNT) out[r] = 0;
            else setNull(results[o]!, r);
          } else if (op === COUNT) out[r] = c;
          else if (op === SUM) out[r] = sum[k]! + c * sh;
          else if (op === MEAN) out[r] = sh + sum[k]! / c;
          else if (c < 2) setNull(results[o]!, r);
          else {
            const su = sum[k]!;
            const variance = Math.max(0, (squares[k]! - (su * su) / c) / (c - 1));
            out[r] = op === STD ? Math.sqrt(variance) : variance;
          }
        }
      }
      for (let r = i; r < j; r++) {
        const k = keys[r]!;
        if (k < 0 || (contributes !== undefined && contributes[r] !== 1)) continue;
        const v = values === undefined ? 0 : values[r]!;
        let e = end[k]!;
        if (masks[k]! < 0 || e - head[k]! > masks[k]!) {
          this.growRing(k);
          ringTime = this.ringTime;
          ringValue = this.ringValue;
        }
        const slot = off[k]! + (e & masks[k]!);
        ringTime[slot] = t;
        if (needsValues) ringValue[slot] = v;
        const c = count[k]!;
        count[k] = c + 1;
        if (needsSquares) {
          // The shift keeps variance from cancelling; sums alone do not need it (it stays 0).
          if (c === 0) shift[k] = v;
          const x = v - shift[k]!;
          sum[k]! += x;
          squares[k]! += x * x;
        } else sum[k]! += v;
        end[k] = ++e;
        if (e >= REBASE_AT) this.rebase(k);
      }
      i = j;
    }
  }

  private add(from: number, to: number, t: number, keys: Int32Array, values: Float64Array | undefined, contributes: Uint8Array | undefined): void {
    const nw = this.windows.length;
    const stride = this.keys;
    const storeEvents = this.finite > 0;
    for (let r = from; r < to; r++) {
      const k = keys[r]!;
      if (k < 0 || (contributes !== undefined && contributes[r] !== 1)) continue;
      const v = values === undefined ? 0 : values[r]!;
      let e = this.end[k]!;
      if (storeEvents) {
        if (this.mask[k]! < 0 || e - this.oldest(k) > this.mask[k]!) this.growRing(k);
        const slot = this.off[k]! + (e & this.mask[k]!);
        this.ringTime[slot] = t;
        if (this.needsValues) this.ringValue[slot] = v;
      }
      // A new shift only while every window is empty (the longest one is then empty too); sums
      // without variance keep it at 0.
      if (this.needsSquares && this.count[(nw - 1) * stride + k] === 0) this.shift[k] = v;
      const x = v - this.shift[k]!;
      for (let w = 0, at = k; w < nw; w++, at += stride) {
        this.count[at]!++;
        this.sum[at]! += x;
        this.squares[at]! += x * x;
      }
      this.end[k] = ++e;
      if (e >= REBASE_AT) this.rebase(k);
    }
  }

  private read(from: number, to: number, t: number, keys: Int32Array, results: SlidingResult[]): void {
    const finite = this.finite;
    const stride = this.keys;
    const { ringTime, ringValue, head, count, sum, squares, needsValues, needsSquares } = this;
    const nOut = results.length;
    for (let r = from; r < to; r++) {
      const k = keys[r]!;
      if (k < 0) {
        for (let o = 0; o < nOut; o++) setNull(results[o]!, r);
        continue;
      }
      const off = this.off[k]!;
      const mask = this.mask[k]!;
      const e = this.end[k]!;
      const shift = this.shift[k]!;
      for (let w = 0; w < finite; w++) {
        const at = w * stride + k;
        const lower = t - this.windows[w]!;
        let h = head[at]!;
        if (h < e && ringTime[off + (h & mask)]! < lower) {
          let c = count[at]!;
          let s = sum[at]!;
          let q = squares[at]!;
          do {
            c--;
            if (needsValues) {
              const x = ringValue[off + (h & mask)]! - shift;
              s -= x;
              if (needsSquares) q -= x * x;
            }
            h++;
          } while (h < e && ringTime[off + (h & mask)]! < lower);
          if (c === 0) {
            s = 0;
            q = 0;
          }
          count[at] = c;
          sum[at] = s;
          squares[at] = q;
          head[at] = h;
        }
      }
      for (let o = 0; o < nOut; o++) {
        const at = this.outWindow[o]! * stride + k;
        const c = count[at]!;
        const out = results[o]!;
        const op = this.outOp[o]!;
        if (c === 0) {
          const d = this.defaults[o];
          if (d !== undefined) out.values[r] = d;
          else if (op === COUNT) out.values[r] = 0;
          else setNull(out, r);
          continue;
        }
        if (op === COUNT) out.values[r] = c;
        else if (op === SUM) out.values[r] = sum[at]! + c * shift;
        else if (op === MEAN) out.values[r] = shift + sum[at]! / c;
        else if (c < 2) setNull(out, r);
        else {
          const s = sum[at]!;
          const variance = Math.max(0, (squares[at]! - (s * s) / c) / (c - 1));
          out.values[r] = op === STD ? Math.sqrt(variance) : op === VARIANCE ? variance : NaN;
        }
      }
    }
  }

  snapshot(): unknown {
    const keys = this.keys;
    const lengths = new Int32Array(keys);
    for (let k = 0; k < keys; k++) lengths[k] = this.mask[k]! < 0 ? 0 : this.end[k]! - this.oldest(k);
    const total = lengths.reduce((a, b) => a + b, 0);
    const time = new Float64Array(total);
    const value = new Float64Array(this.needsValues ? total : 0);
    let at = 0;
    for (let k = 0; k < keys; k++) {
      for (let p = this.end[k]! - lengths[k]!; p < this.end[k]!; p++, at++) {
        const slot = this.off[k]! + (p & this.mask[k]!);
        time[at] = this.ringTime[slot]!;
        if (this.needsValues) value[at] = this.ringValue[slot]!;
      }
    }
    return {
      windows: this.windows,
      keys,
      lengths,
      time,
      value,
      end: this.end.slice(),
      shift: this.shift.slice(),
      head: this.head.slice(),
      count: this.count.slice(),
      sum: this.sum.slice(),
      squares: this.squares.slice(),
    };
  }

  restore(snapshot: unknown): void {
    const s = snapshot as {
      windows: number[];
      keys: number;
      lengths: Int32Array;
      time: Float64Array;
      value: Float64Array;
      end: Int32Array;
      shift: Float64Array;
      head: Int32Array;
      count: Float64Array;
      sum: Float64Array;
      squares: Float64Array;
    };
    if (s.windows.join() !== this.windows.join()) throw new Error('checkpoint windows do not match this feature');
    this.keys = s.keys;
    this.end = s.end.slice();
    this.shift = s.shift.slice();
    this.head = s.head.slice();
    this.count = s.count.slice();
    this.sum = s.sum.slice();
    this.squares = s.squares.slice();
    this.off = new Int32Array(s.keys);
    this.mask = new Int32Array(s.keys).fill(-1);
    this.ringTime = new Float64Array(0);
    this.ringValue = new Float64Array(0);
    this.used = 0;
    let at = 0;
    for (let k = 0; k < s.keys; k++) {
      const len = s.lengths[k]!;
      if (this.finite > 0 && this.end[k]! > 0) {
        while (this.mask[k]! < 0 || this.mask[k]! + 1 < len + 1) this.growRing(k);
      }
      for (let i = 0, p = this.end[k]! - len; i < len; i++, p++, at++) {
        const slot = this.off[k]! + (p & this.mask[k]!);
        this.ringTime[slot] = s.time[at]!;
        if (this.needsValues) this.ringValue[slot] = s.value[at]!;
      }
    }
  }
}

function setNull(out: SlidingResult, r: number): void {
  if (out.validity === undefined) out.validity = new Uint8Array((out.values.length + 7) >> 3).fill(0xff);
  out.validity[r >> 3]! &= ~(1 << (r & 7));
  out.values[r] = NaN;
}
