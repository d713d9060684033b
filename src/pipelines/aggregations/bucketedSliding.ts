import type { Dictionary } from '../data/dictionary.js';
import type { Checkpointable } from '../runtime/state.js';
import { bucketStart } from '../windows/align.js';
import { Accumulator, accumulatorShape, type AccumulatorShape } from './accumulator.js';
import { OPS, opWidth } from './catalog.js';
import type { SlidingOutputSpec, SlidingResult } from './slidingAggregator.js';
import { ValueCodes } from './windowRows.js';

/** One window of one key: buckets [lo, end) of the key, as a two-stack queue. */
interface WindowQueue {
  /** Absolute index of the oldest bucket in the window. */
  lo: number;
  /** Buckets [lo, mid) are summarised by `front`, [mid, end) by `back`. */
  mid: number;
  /** front[i - frontStart] merges buckets i .. mid - 1 (suffix summaries, made when the queue flips). */
  frontStart: number;
  front: Accumulator[];
  /** Every event of buckets [mid, end), added as they come. */
  back: Accumulator;
}

interface KeyBuckets {
  /** Absolute index of starts[0]. */
  base: number;
  starts: number[];
  accs: Accumulator[];
  windows: WindowQueue[];
}

/**
 * Sliding windows over materialized buckets (Chalk's `bucket_duration`): instead of every event,
 * each key keeps one mergeable summary (an `Accumulator`) per epoch-aligned bucket of `bucket` ms.
 * A read at t of a window of size w covers the buckets from the one holding t - w: events at or
 * after bucketStart(t - w) and before t (at or before t when `inclusive`). The lower edge is rounded
 * down to a bucket edge, so a window holds at most one bucket more than w of history, and memory
 * is O(w / bucket) summaries a key, whatever the event rate.
 *
 * Each window is a two-stack queue over the buckets: `front` holds suffix summaries of older
 * buckets, built when the queue flips; `back` sums the events of newer ones. A read merges at most
 * two summaries, and each bucket is merged O(1) times in all. Every op works, through the
 * Accumulator: approx_count_distinct and approx_percentile are then sketches (HyperLogLog, KLL)
 * here too.
 */
export class BucketedSlidingAggregator implements Checkpointable {
  readonly windows: number[];
  private readonly outWindow: Int32Array;
  private readonly shape: AccumulatorShape;
  private readonly widths: Int32Array;
  private readonly colStart: Int32Array;
  private readonly columnCount: number;
  private readonly valueCodes: (ValueCodes | undefined)[];
  private dictionary: Dictionary | undefined;
  private keys: (KeyBuckets | undefined)[] = [];
  /** Per window: its summary for the key being read (merged once, read by each output). */
  private readonly current: (Accumulator | undefined)[];
  /** Per window: where a front summary and the back are merged for a read. */
  private readonly scratch: Accumulator[];
  /** The longest finite window (-1: none): buckets before its oldest are dropped. */
  private readonly longestFinite: number;

  constructor(
    readonly outputs: readonly SlidingOutputSpec[],
    readonly bucket: number,
    readonly inclusive = false,
    readonly defaults: (number | undefined)[] = [],
  ) {
    if (!(bucket > 0) || !Number.isFinite(bucket)) throw new Error('a bucket must be a positive duration');
    this.windows = [...new Set(outputs.map((o) => o.size))].sort((a, b) => a - b);
    for (const w of this.windows) if (w < bucket) throw new Error(`a bucket (${bucket} ms) must not be longer than its window (${w} ms)`);
    this.outWindow = Int32Array.from(outputs, (o) => this.windows.indexOf(o.size));
    this.shape = accumulatorShape(outputs);
    this.widths = Int32Array.from(outputs, (o) => opWidth(o));
    this.colStart = new Int32Array(outputs.length);
    let col = 0;
    for (let o = 0; o < outputs.length; o++) {
      this.colStart[o] = col;
      col += this.widths[o]!;
    }
    this.columnCount = col;
    this.valueCodes = outputs.map((o) => (o.op === 'histogram' && o.values !== undefined ? new ValueCodes(o.values) : undefined));
    this.current = this.windows.map(() => undefined);
    this.scratch = this.windows.map(() => new Accumulator(this.shape));
    this.longestFinite = this.windows.filter((w) => w !== Infinity).length - 1;
  }

  setValueDictionary(d: Dictionary | undefined): void {
    this.dictionary = d;
  }

  /** As `SlidingAggregator.process`: read then add (or, inclusive, add then read) each run of equal times. */
  process(time: Float64Array, keys: Int32Array, values: Float64Array | undefined, contributes: Uint8Array | undefined, _keyCount: number): SlidingResult[] {
    const n = time.length;
    const results: SlidingResult[] = Array.from({ length: this.columnCount }, () => ({ values: new Float64Array(n) }));
    const adds = (r: number) => keys[r]! >= 0 && (contributes === undefined || contributes[r] === 1);
    for (let i = 0; i < n; ) {
      const t = time[i]!;
      let j = i + 1;
      while (j < n && time[j] === t) j++;
      if (this.inclusive) {
        for (let r = i; r < j; r++) if (adds(r)) this.insert(keys[r]!, t, values === undefined ? 0 : values[r]!);
        for (let r = i; r < j; r++) this.read(keys[r]!, t, r, results);
      } else {
        for (let r = i; r < j; r++) this.read(keys[r]!, t, r, results);
        for (let r = i; r < j; r++) if (adds(r)) this.insert(keys[r]!, t, values === undefined ? 0 : values[r]!);
      }
      i = j;
    }
    return results;
  }

  private keyState(k: number): KeyBuckets {
    let ks = this.keys[k];
    if (ks === undefined) {
      ks = { base: 0, starts: [], accs: [], windows: this.windows.map(() => ({ lo: 0, mid: 0, frontStart: 0, front: [], back: new Accumulator(this.shape) })) };
      this.keys[k] = ks;
    }
    return ks;
  }

  private insert(k: number, t: number, v: number): void {
    const ks = this.keyState(k);
    for (const q of ks.windows) q.back.add(t, v);
    // All-history windows only: no bucket is ever read.
    if (this.longestFinite < 0) return;
    const s = bucketStart(t, this.bucket);
    const last = ks.starts.length - 1;
    if (last < 0 || ks.starts[last]! < s) {
      ks.starts.push(s);
      ks.accs.push(new Accumulator(this.shape));
    }
    ks.accs[ks.accs.length - 1]!.add(t, v);
  }

  private read(k: number, t: number, r: number, results: SlidingResult[]): void {
    if (k < 0) {
      for (const res of results) setNull(res, r);
      return;
    }
    const ks = this.keyState(k);
    for (let w = 0; w < this.windows.length; w++) {
      const size = this.windows[w]!;
      const q = ks.windows[w]!;
      if (size !== Infinity) this.evict(ks, q, bucketStart(t - size, this.bucket));
      if (q.lo < q.mid) {
        const m = this.scratch[w]!;
        m.copyFrom(q.front[q.lo - q.frontStart]!);
        m.merge(q.back);
        this.current[w] = m;
      } else this.current[w] = q.back;
    }
    // Buckets before every finite window's oldest are done with (the longest one's is the oldest).
    const oldest = this.longestFinite < 0 ? ks.base : ks.windows[this.longestFinite]!.lo;
    if (oldest > ks.base) {
      ks.starts.splice(0, oldest - ks.base);
      ks.accs.splice(0, oldest - ks.base);
      ks.base = oldest;
    }
    for (let o = 0; o < this.outputs.length; o++) this.write(o, r, results);
  }

  /** Drop the buckets of `q` that start before `lower`. */
  private evict(ks: KeyBuckets, q: WindowQueue, lower: number): void {
    const end = ks.base + ks.starts.length;
    while (q.lo < end && ks.starts[q.lo - ks.base]! < lower) {
      if (q.lo === q.mid) {
        if (q.lo === end - 1) {
          // The newest bucket leaves too: the window is empty.
          q.lo = q.mid = q.frontStart = end;
          q.front = [];
          q.back = new Accumulator(this.shape);
          return;
        }
        // Flip: suffix summaries of the closed buckets [mid, end - 1) to the front; the newest
        // bucket, which may still grow, stays in the back.
        const front: Accumulator[] = new Array<Accumulator>(end - 1 - q.mid);
        let acc: Accumulator | undefined;
        for (let i = end - 2; i >= q.mid; i--) {
          const s = ks.accs[i - ks.base]!.clone();
          if (acc !== undefined) s.merge(acc);
          front[i - q.mid] = s;
          acc = s;
        }
        q.frontStart = q.mid;
        q.front = front;
        q.mid = end - 1;
        q.back = ks.accs[end - 1 - ks.base]!.clone();
      }
      q.lo++;
    }
    // Free suffix summaries that left the window.
    if (q.lo - q.frontStart > 32 && q.lo - q.frontStart > q.front.length / 2) {
      q.front = q.front.slice(q.lo - q.frontStart);
      q.frontStart = q.lo;
    }
  }

  private write(o: number, r: number, results: SlidingResult[]): void {
    const acc = this.current[this.outWindow[o]!]!;
    const spec = this.outputs[o]!;
    const width = this.widths[o]!;
    const at = this.colStart[o]!;
    if (acc.count === 0) {
      const d = this.defaults[o] ?? OPS[spec.op].empty;
      for (let j = 0; j < width; j++) {
        if (d === null) setNull(results[at + j]!, r);
        else results[at + j]!.values[r] = d;
      }
      return;
    }
    if (width === 1 && spec.op !== 'histogram') {
      const v = acc.value(spec);
      if (v === null) setNull(results[at]!, r);
      else results[at]!.values[r] = v;
      return;
    }
    const vals = acc.results(spec, this.valueCodes[o]?.resolve(this.dictionary));
    for (let j = 0; j < width; j++) {
      const v = vals[j]!;
      if (v === null) setNull(results[at + j]!, r);
      else results[at + j]!.values[r] = v;
    }
  }

  snapshot(): unknown {
    const keys: [number, unknown][] = [];
    this.keys.forEach((ks, k) => {
      if (ks === undefined) return;
      keys.push([
        k,
        {
          base: ks.base,
          starts: [...ks.starts],
          accs: ks.accs.map((a) => a.toJSON()),
          windows: ks.windows.map((q) => ({
            lo: q.lo,
            mid: q.mid,
            frontStart: q.frontStart,
            // Only the summaries still in use.
            front: q.front.slice(Math.max(0, q.lo - q.frontStart)).map((a) => a.toJSON()),
            back: q.back.toJSON(),
          })),
        },
      ]);
    });
    return { windows: this.windows, bucket: this.bucket, keys };
  }

  restore(snapshot: unknown): void {
    const s = snapshot as {
      windows: number[];
      bucket: number;
      keys: [number, { base: number; starts: number[]; accs: unknown[]; windows: { lo: number; mid: number; frontStart: number; front: unknown[]; back: unknown }[] }][];
    };
    if (s.windows.join() !== this.windows.join() || s.bucket !== this.bucket) throw new Error('checkpoint windows do not match this feature');
    this.keys = [];
    for (const [k, ks] of s.keys) {
      this.keys[k] = {
        base: ks.base,
        starts: [...ks.starts],
        accs: ks.accs.map((a) => Accumulator.fromJSON(a)),
        windows: ks.windows.map((q) => {
          const skipped = Math.max(0, q.lo - q.frontStart);
          return { lo: q.lo, mid: q.mid, frontStart: q.frontStart + skipped, front: q.front.map((a) => Accumulator.fromJSON(a)), back: Accumulator.fromJSON(q.back) };
        }),
      };
    }
  }
}

function setNull(out: SlidingResult, r: number): void {
  if (out.validity === undefined) out.validity = new Uint8Array((out.values.length + 7) >> 3).fill(0xff);
  out.validity[r >> 3]! &= ~(1 << (r & 7));
  out.values[r] = NaN;
}
