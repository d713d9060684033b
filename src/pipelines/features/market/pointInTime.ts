import type { OperatorFunction } from 'rxjs';
import type { Batch } from '../../data/batch.js';
import type { Column } from '../../data/column.js';
import type { KeyedBatch } from '../../operators/keyBy.js';
import { statefulOperator, type StepState } from '../../operators/statefulOperator.js';
import type { StepContext } from '../../runtime/context.js';
import type { Checkpointable } from '../../runtime/state.js';
import { growFloat, outputColumn } from './shared.js';

/**
 * The per-key state of a point-in-time market feature. The runtime guarantees nothing about batch
 * edges, so a kernel only ever sees two calls, in time order per key:
 * - `read(k, t)`: write the outputs as of just before `t`. When it is called, the state holds exactly
 *   the key's events with a time below `t` (see {@link pointInTime});
 * - `apply(k, t, i)`: fold row `i` of the bound batch into the state.
 */
export interface PointInTimeKernel extends Checkpointable {
  /** Number of output columns. */
  readonly width: number;
  /** Make room for key codes below `n`. */
  ensureKeys(n: number): void;
  /** Bind the columns of a (non-empty) batch before its rows are read and applied. */
  bind(b: Batch): void;
  /** Write the outputs of key `k` as of just before `t` into `out[at .. at + width)`; NaN = null. */
  read(k: number, t: number, out: Float64Array, at: number): void;
  /** Fold row `i` (time `t`, key `k`) into the state. */
  apply(k: number, t: number, i: number): void;
}

/**
 * A point-in-time feature over keyed, time-ordered events (the output of `reorder` then `keyBy`): one
 * output row per input row, the values as of strictly before the row's time.
 *
 * Half-open reads without splitting batches into timestamp runs: the first row of a key at a new time
 * `t` reads the kernel (which then holds only events before `t`, since rows arrive in time order) and
 * caches the result; every later row of that key at the same `t` gets the cached values, although the
 * earlier rows at `t` have been applied since. That holds however the rows of one timestamp are spread
 * over batches, and the cache is part of the checkpoint.
 *
 * Rows with a null key get null outputs and change nothing. Rows for which `where` returns 0 are read
 * but not applied. A key whose time goes backwards is an error: the input must come from `reorder`.
 */
export function pointInTime(ctx: StepContext, name: string, create: () => PointInTimeKernel, columns: readonly string[], where?: (b: Batch) => Uint8Array): OperatorFunction<KeyedBatch, Batch> {
  return statefulOperator(ctx, name, () => new PointInTimeState(create(), columns, where));
}

class PointInTimeState implements StepState<KeyedBatch, Batch> {
  private keys = 0;
  /** Per key: the time of its latest read (-Infinity before any). */
  private readTime: Float64Array = new Float64Array(0);
  /** Per key: `width` values read at `readTime`. */
  private cache: Float64Array = new Float64Array(0);

  constructor(
    private readonly kernel: PointInTimeKernel,
    private readonly columns: readonly string[],
    private readonly where: ((b: Batch) => Uint8Array) | undefined,
  ) {
    if (columns.length !== kernel.width) throw new Error(`${columns.length} column names for ${kernel.width} outputs`);
  }

  private ensureKeys(n: number): void {
    if (n <= this.keys) return;
    const w = this.kernel.width;
    this.readTime = growFloat(this.readTime, n, -Infinity);
    this.cache = growFloat(this.cache, this.readTime.length * w);
    this.kernel.ensureKeys(this.readTime.length);
    this.keys = this.readTime.length;
  }

  push(b: KeyedBatch): Batch {
    const n = b.length;
    const w = this.kernel.width;
    const outs = this.columns.map(() => new Float64Array(n));
    if (n > 0) {
      this.ensureKeys(b.keySpace.size);
      this.kernel.bind(b);
      const mask = this.where?.(b);
      const { keys, time } = b;
      const cache = this.cache;
      for (let i = 0; i < n; i++) {
        const k = keys[i]!;
        if (k < 0) {
          for (let j = 0; j < w; j++) outs[j]![i] = NaN;
          continue;
        }
        const t = time[i]!;
        const last = this.readTime[k]!;
        if (t !== last) {
          if (t < last) throw new Error(`events of one key went back in time (${t} after ${last}): a point-in-time feature needs time-ordered input`);
          this.kernel.read(k, t, cache, k * w);
          this.readTime[k] = t;
        }
        for (let j = 0; j < w; j++) outs[j]![i] = cache[k * w + j]!;
        if (mask === undefined || mask[i] === 1) this.kernel.apply(k, t, i);
      }
    }
    const columns: Record<string, Column> = {};
    this.columns.forEach((c, j) => (columns[c] = outputColumn(outs[j]!)));
    return { length: n, time: b.time, columns, ...(b.watermark !== undefined && { watermark: b.watermark }) };
  }

  finish(): undefined {
    return undefined;
  }

  snapshot(): unknown {
    return {
      keys: this.keys,
      readTime: this.readTime.slice(0, this.keys),
      cache: this.cache.slice(0, this.keys * this.kernel.width),
      kernel: this.kernel.snapshot(),
    };
  }

  restore(s: unknown): void {
    const snap = s as { keys: number; readTime: Float64Array; cache: Float64Array; kernel: unknown };
    this.keys = 0;
    this.readTime = new Float64Array(0);
    this.cache = new Float64Array(0);
    this.ensureKeys(snap.keys);
    this.readTime.set(snap.readTime);
    this.cache.set(snap.cache);
    this.kernel.restore(snap.kernel);
    this.kernel.ensureKeys(this.readTime.length);
  }
}
