import type { OperatorFunction } from 'rxjs';
import { BucketedSlidingAggregator } from '../aggregations/bucketedSliding.js';
import { SlidingAggregator, type SlidingOutputSpec } from '../aggregations/slidingAggregator.js';
import { isMomentOp, SlidingMoments, type MomentOp } from '../aggregations/slidingMoments.js';
import { outputColumnNames } from '../aggregations/windowRows.js';
import type { Batch } from '../data/batch.js';
import type { Column } from '../data/column.js';
import type { StepContext } from '../runtime/context.js';
import type { KeyedBatch } from './keyBy.js';
import { statefulOperator, type StepState } from './statefulOperator.js';

export interface SlidingAggregateOptions {
  /**
   * Output column name, op (with its parameters) and window size (ms; Infinity for all history) of
   * each result. An op with several columns names them in `columns` (default: `column_<part>`).
   */
  outputs: readonly (SlidingOutputSpec & { column: string; columns?: readonly string[]; default?: number })[];
  /** The value column; omit when only counting events. */
  valueColumn?: string;
  /** Read [t - w, t] instead of [t - w, t). */
  inclusive?: boolean;
  /**
   * Materialized buckets (ms): keep one summary per key and epoch-aligned bucket instead of every
   * event; a window's lower edge is then rounded down to a bucket edge (see BucketedSlidingAggregator).
   */
  bucket?: number;
  /** Rows for which this returns 0 are read but do not contribute. */
  where?: (b: Batch) => Uint8Array;
}

/**
 * Point-in-time aggregates: for every row, `op` over the same key's earlier events in each window,
 * as of the row's time. Output rows line up one to one with input rows. The input must come from
 * `reorder` (time-sorted, ties never split across batches).
 *
 * @example
 * events$.pipe(reorder(ctx, 0), keyBy(ctx, ['card_id']), slidingAggregate(ctx, {
 *   valueColumn: 'amount',
 *   outputs: [{ column: 'spend_30d', op: 'sum', size: 30 * 86_400_000, default: 0 }],
 * }))
 */
export function slidingAggregate(ctx: StepContext, opts: SlidingAggregateOptions): OperatorFunction<KeyedBatch, Batch> {
  return statefulOperator(ctx, 'sliding', () => new SlidingState(opts));
}

class SlidingState implements StepState<KeyedBatch, Batch> {
  private readonly agg: SlidingAggregator | BucketedSlidingAggregator | SlidingMoments;
  /** Result columns in order: each output's column names. */
  private readonly names: string[];
  constructor(private readonly opts: SlidingAggregateOptions) {
    const defaults = opts.outputs.map((o) => o.default);
    const inclusive = opts.inclusive ?? false;
    // count/sum/mean/variance/std alone take the fast kernel; any other op, the general one.
    if (opts.bucket !== undefined) this.agg = new BucketedSlidingAggregator(opts.outputs, opts.bucket, inclusive, defaults);
    else if (opts.outputs.every((o) => isMomentOp(o.op))) this.agg = new SlidingMoments(opts.outputs as readonly { op: MomentOp; size: number }[], inclusive, defaults);
    else this.agg = new SlidingAggregator(opts.outputs, inclusive, defaults);
    this.names = opts.outputs.flatMap(outputColumnNames);
  }

  push(b: KeyedBatch): Batch {
    const { valueColumn, where } = this.opts;
    let values: Float64Array | undefined;
    let contributes = b.length === 0 ? undefined : where?.(b);
    if (valueColumn !== undefined && b.length > 0) {
      const col = b.columns[valueColumn];
      if (col === undefined) throw new Error(`column "${valueColumn}" is not in the batch`);
      values = numericValues(col);
      if (!(this.agg instanceof SlidingMoments)) this.agg.setValueDictionary(col.type === 'dictionary' ? col.dictionary : undefined);
      // A null value contributes nothing (SQL aggregates skip nulls).
      if (col.validity !== undefined) {
        contributes = contributes === undefined ? new Uint8Array(b.length).fill(1) : Uint8Array.from(contributes);
        for (let i = 0; i < b.length; i++) if (((col.validity[i >> 3]! >> (i & 7)) & 1) === 0) contributes[i] = 0;
      }
    }
    const results = this.agg.process(b.time, b.keys, values, contributes, b.keySpace.size);
    const columns: Record<string, Column> = {};
    this.names.forEach((name, i) => {
      const r = results[i]!;
      columns[name] = r.validity === undefined ? { type: 'float64', values: r.values } : { type: 'float64', values: r.values, validity: r.validity };
    });
    return { length: b.length, time: b.time, columns, ...(b.watermark !== undefined && { watermark: b.watermark }) };
  }

  finish(): undefined {
    return undefined;
  }
  snapshot(): unknown {
    return this.agg.snapshot();
  }
  restore(s: unknown): void {
    this.agg.restore(s);
  }
}

/** The values of a column as float64 (dictionary codes for categorical columns: what count_distinct needs). */
export function numericValues(col: Column): Float64Array {
  if (col.type === 'dictionary') {
    const values = col.dictionary.values;
    // A numeric key column is dictionary-encoded too: aggregate its values, not its codes.
    if (values.length > 0 && typeof values[0] === 'number') {
      const lookup = Float64Array.from(values as number[]);
      const out = new Float64Array(col.codes.length);
      for (let i = 0; i < out.length; i++) out[i] = lookup[col.codes[i]!]!;
      return out;
    }
    return Float64Array.from(col.codes);
  }
  if (col.values instanceof Float64Array) return col.values;
  return Float64Array.from(col.values as ArrayLike<number>);
}
