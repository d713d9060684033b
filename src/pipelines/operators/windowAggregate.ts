import type { OperatorFunction } from 'rxjs';
import { Accumulator, accumulatorShape, type AccumulatorShape } from '../aggregations/accumulator.js';
import { WindowRows, type WindowOutputSpec } from '../aggregations/windowRows.js';
import type { Batch } from '../data/batch.js';
import type { KeySpace } from '../data/keySpace.js';
import type { StepContext } from '../runtime/context.js';
import { bucketStart, gcd } from '../windows/align.js';
import type { KeyedBatch } from './keyBy.js';
import { numericValues } from './slidingAggregate.js';
import { statefulOperator, type StepState } from './statefulOperator.js';

export interface WindowAggregateOptions {
  /** Window length, ms. */
  size: number;
  /** How far each window starts after the previous one: `size` for tumbling windows. */
  every: number;
  /** Shift of the window edges from the Unix epoch, ms. */
  offset?: number;
  /** Allowed lateness of the source, ms: windows close when the newest time seen passes their end by this much. */
  lateness: number;
  outputs: readonly WindowOutputSpec[];
  valueColumn?: string;
  where?: (b: Batch) => Uint8Array;
}

/**
 * Tumbling and hopping windows, aligned to the epoch, emitted once when they close: one row per
 * window and key, with the window end as its time.
 *
 * Events are summed into panes of width gcd(size, every) and panes are merged when a window closes,
 * so a hopping window costs the same per event as a tumbling one. A window closes as soon as the
 * watermark reaches its end, checked row by row, so batch boundaries never change a result. An event
 * whose windows have all closed is late and goes to the rejections; when the input ends, every open
 * window is emitted.
 *
 * @example
 * events$.pipe(keyBy(ctx, ['event_type']), windowAggregate(ctx, {
 *   size: 3_600_000, every: 3_600_000, lateness: 0, outputs: [{ column: 'count', op: 'count' }],
 * }))
 */
export function windowAggregate(ctx: StepContext, opts: WindowAggregateOptions): OperatorFunction<KeyedBatch, Batch> {
  return statefulOperator(ctx, 'windows', () => new PanedWindows(ctx, opts));
}

class PanedWindows implements StepState<KeyedBatch, Batch> {
  private readonly pane: number;
  private readonly offset: number;
  private readonly shape: AccumulatorShape;
  /** Pane start -> key -> summary. */
  private panes = new Map<number, Map<number, Accumulator>>();
  /** Pane starts, ascending. */
  private order: number[] = [];
  private maxTime = -Infinity;
  /** Every window ending at or before this has been emitted. */
  private closedUpTo = -Infinity;
  private keySpace: KeySpace | undefined;
  private readonly rows: WindowRows;

  constructor(
    private readonly ctx: StepContext,
    private readonly opts: WindowAggregateOptions,
  ) {
    if (opts.every > opts.size) throw new Error('a hopping window must advance by no more than its size');
    this.pane = gcd(opts.size, opts.every);
    this.offset = opts.offset ?? 0;
    this.shape = accumulatorShape(opts.outputs);
    this.rows = new WindowRows(opts.outputs);
  }

  push(b: KeyedBatch): Batch | undefined {
    this.keySpace = b.keySpace;
    const { size, every, lateness, valueColumn } = this.opts;
    // A batch that only announces a watermark has no columns.
    const col = valueColumn === undefined || b.length === 0 ? undefined : b.columns[valueColumn];
    if (valueColumn !== undefined && b.length > 0 && col === undefined) throw new Error(`column "${valueColumn}" is not in the batch`);
    const values = col === undefined ? undefined : numericValues(col);
    if (col !== undefined) this.rows.setValueDictionary(col.type === 'dictionary' ? col.dictionary : undefined);
    const mask = b.length === 0 ? undefined : this.opts.where?.(b);
    for (let i = 0; i < b.length; i++) {
      const t = b.time[i]!;
      const watermark = this.maxTime - lateness;
      if (watermark > this.closedUpTo) this.emitUpTo(watermark);
      if (t > this.maxTime) this.maxTime = t;
      if (mask !== undefined && mask[i] === 0) continue;
      if (col?.validity !== undefined && ((col.validity[i >> 3]! >> (i & 7)) & 1) === 0) continue;
      const k = b.keys[i]!;
      if (k < 0) {
        this.ctx.reject({ time: t, ...(b.offsets && { offset: b.offsets[i]! }), reason: 'null key: the key or by column is null' });
        continue;
      }
      const newestStart = bucketStart(t, every, this.offset);
      if (newestStart + size <= this.closedUpTo) {
        this.ctx.reject({ time: t, ...(b.offsets && { offset: b.offsets[i]! }), reason: `late: every window holding it closed (watermark ${this.closedUpTo})` });
        continue;
      }
      const p = bucketStart(t, this.pane, this.offset);
      let byKey = this.panes.get(p);
      if (byKey === undefined) {
        byKey = new Map();
        this.panes.set(p, byKey);
        this.insertPane(p);
      }
      let acc = byKey.get(k);
      if (acc === undefined) {
        acc = new Accumulator(this.shape);
        byKey.set(k, acc);
      }
      acc.add(t, values === undefined ? 0 : values[i]!);
    }
    const watermark = Math.max(this.maxTime - lateness, b.watermark ?? -Infinity);
    if (watermark > this.closedUpTo) this.emitUpTo(watermark);
    return this.rows.length > 0 || b.watermark !== undefined ? this.rows.take(this.keySpace, watermark) : undefined;
  }

  finish(): Batch | undefined {
    this.emitUpTo(Infinity);
    return this.rows.length > 0 ? this.rows.take(this.keySpace, Infinity) : undefined;
  }

  private insertPane(p: number): void {
    const o = this.order;
    let i = o.length;
    while (i > 0 && o[i - 1]! > p) i--;
    o.splice(i, 0, p);
  }

  /** Start of the oldest window that may still be emitted and holds the oldest pane. */
  private nextStart(): number {
    const { size, every } = this.opts;
    const p0 = this.order[0]!;
    const covering = ceilTo(p0 + this.pane - size, every, this.offset);
    const open = this.closedUpTo === -Infinity ? -Infinity : bucketStart(this.closedUpTo - size, every, this.offset) + every;
    return Math.max(covering, open);
  }

  private emitUpTo(watermark: number): void {
    const { size, every } = this.opts;
    while (this.order.length > 0) {
      const start = this.nextStart();
      const end = start + size;
      if (end > watermark) break;
      const merged = new Map<number, Accumulator>();
      for (const p of this.order) {
        if (p >= end) break;
        if (p < start) continue;
        for (const [k, acc] of this.panes.get(p)!) {
          let m = merged.get(k);
          if (m === undefined) {
            m = new Accumulator(this.shape);
            merged.set(k, m);
          }
          m.merge(acc);
        }
      }
      for (const k of [...merged.keys()].sort((a, b) => a - b)) this.rows.add(k, start, end, merged.get(k)!);
      this.closedUpTo = end;
      // Later windows start at start + every or after: older panes are done.
      while (this.order.length > 0 && this.order[0]! < start + every) this.panes.delete(this.order.shift()!);
    }
    if (watermark > this.closedUpTo && watermark !== Infinity) this.closedUpTo = watermark;
  }

  snapshot(): unknown {
    return {
      maxTime: this.maxTime,
      closedUpTo: this.closedUpTo,
      valueCodes: this.rows.snapshot(),
      panes: this.order.map((p) => [p, [...this.panes.get(p)!].map(([k, a]) => [k, a.toJSON()])]),
    };
  }

  restore(s: unknown): void {
    const snap = s as { maxTime: number; closedUpTo: number; panes: [number, [number, unknown][]][] };
    this.maxTime = snap.maxTime;
    this.closedUpTo = snap.closedUpTo;
    this.rows.restore((snap as { valueCodes?: (number[] | null)[] }).valueCodes);
    this.order = snap.panes.map(([p]) => p);
    this.panes = new Map(snap.panes.map(([p, accs]) => [p, new Map(accs.map(([k, a]) => [k, Accumulator.fromJSON(a)]))]));
  }
}

/** The smallest window start on the grid (`offset + k * every`) at or after `x`. */
function ceilTo(x: number, every: number, offset: number): number {
  const b = bucketStart(x, every, offset);
  return b === x ? b : b + every;
}
