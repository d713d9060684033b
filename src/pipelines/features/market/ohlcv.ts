import { pipe, type OperatorFunction } from 'rxjs';
import { z } from 'zod';
import { defineFeature } from '../../../sdk/defineFeature.js';
import type { Batch } from '../../data/batch.js';
import type { Column } from '../../data/column.js';
import type { KeySpace } from '../../data/keySpace.js';
import { keyBy, type KeyedBatch } from '../../operators/keyBy.js';
import { statefulOperator, type StepState } from '../../operators/statefulOperator.js';
import type { StepContext } from '../../runtime/context.js';
import { bucketStart } from '../../windows/align.js';
import { durationParam, growInt, numericColumn, outputColumn, valid } from './shared.js';

export const ohlcvParams = z.strictObject({
  price: z.string().default('price').describe('the trade price column'),
  size: z.string().default('size').describe('the traded quantity column'),
  window: durationParam('window').prefault('1m').describe('bar length: tumbling windows [start, start + window)'),
  offset: durationParam('offset', { positive: false }).prefault(0).describe('shift of the bar edges from the Unix epoch: starts are offset + k * window'),
  where: z.string().optional().describe('only trades for which this is true go into the bars'),
});

export type OhlcvParams = z.infer<typeof ohlcvParams>;

const FIELDS = ['open', 'high', 'low', 'close', 'volume', 'vwap', 'trades'] as const;

/**
 * OHLCV bars per key: tumbling windows [start, start + window) aligned to the Unix epoch plus `offset`,
 * one row per bar that holds a trade, emitted when the bar closes. Columns: the key, `window_start`,
 * `open` (price of the earliest trade; ties: the first to arrive), `high`, `low`, `close` (the latest;
 * ties: the last to arrive), `volume` (Σ size), `vwap` (Σ price·size / Σ size, null when the volume is
 * 0) and `trades` (the number of trades); the row's time is the window end.
 *
 * Time follows the engine's rules for tumbling windows: a bar closes when the source's watermark (the
 * newest time seen minus its allowed lateness, or one the input announces) reaches its end, checked row
 * by row in arrival order, so batch edges never change a result. A trade whose bar has closed is late:
 * it is counted in the dead letters, not dropped silently. When a bounded replay ends every open bar is
 * emitted. Trades with a null or non-finite price or size are skipped.
 *
 * @example
 * # configs/market.yaml: a table `bar_1m` with bar_1m_open, ..., bar_1m_vwap, bar_1m_trades
 * - name: bar_1m
 *   source: trades
 *   definition: ohlcv
 *   params: { price: price, size: size, window: 1m }   # offset: 30s for bars on the half minute
 */
export const ohlcv = defineFeature<OhlcvParams>({
  name: 'ohlcv',
  version: 1,
  doc: 'OHLCV bars with VWAP and trade count per key, in epoch-aligned tumbling windows emitted when they close.',
  kind: 'windowed',
  params: ohlcvParams,
  inputs: (p) => [p.price, p.size],
  outputs: () => FIELDS.map((name) => ({ name, type: 'float64' as const })),
  // A bar holds the trades of its own window and starts from nothing; its rows come out in key-code
  // order, the same in every run only when the key numbers its groups stably.
  lookback: (p, ctx) => (ctx.stableGroups(ctx.key) ? p.window : Infinity),
  build(p, ctx) {
    const where = p.where === undefined ? undefined : ctx.predicate(p.where);
    return pipe(
      keyBy(ctx.step('keys'), ctx.key),
      ohlcvWindows(ctx.step('bars'), { price: p.price, size: p.size, window: p.window, offset: p.offset, lateness: ctx.source.lateness, columns: ctx.columns, ...(where && { where }) }),
    );
  },
});

export interface OhlcvOptions {
  price: string;
  size: string;
  /** Bar length and edge offset, ms. */
  window: number;
  offset: number;
  /** The source's allowed lateness, ms. */
  lateness: number;
  /** Output column names for open, high, low, close, volume, vwap, trades. */
  columns: readonly string[];
  where?: (b: Batch) => Uint8Array;
}

/** The bars of one window start: one slot per key that traded in it, in typed arrays. */
interface Bars {
  start: number;
  n: number;
  /** Key code -> slot, -1 when none. */
  slotOf: Int32Array;
  key: Int32Array;
  /** Per slot, 9 numbers: open time, open, high, low, close time, close, volume, notional, trades. */
  data: Float64Array;
}

const W = 9;

export function ohlcvWindows(ctx: StepContext, opts: OhlcvOptions): OperatorFunction<KeyedBatch, Batch> {
  return statefulOperator(ctx, 'bars', () => new OhlcvState(ctx, opts));
}

class OhlcvState implements StepState<KeyedBatch, Batch> {
  /** Open bars by window start, and their starts in ascending order. */
  private bars = new Map<number, Bars>();
  private starts: number[] = [];
  private maxTime = -Infinity;
  /** The largest watermark passed: every bar ending at or before it has been emitted. */
  private closedUpTo = -Infinity;
  private keySpace: KeySpace | undefined;
  private out: { key: number[]; start: number[]; data: number[] } = { key: [], start: [], data: [] };

  constructor(
    private readonly ctx: StepContext,
    private readonly opts: OhlcvOptions,
  ) {
    if (opts.columns.length !== FIELDS.length) throw new Error(`ohlcv needs ${FIELDS.length} column names`);
  }

  push(b: KeyedBatch): Batch | undefined {
    this.keySpace = b.keySpace;
    const { window, offset, lateness } = this.opts;
    if (b.length > 0) {
      const price = numericColumn(b, this.opts.price);
      const size = numericColumn(b, this.opts.size);
      const mask = this.opts.where?.(b);
      for (let i = 0; i < b.length; i++) {
        const t = b.time[i]!;
        const watermark = this.maxTime - lateness;
        if (watermark > this.closedUpTo) this.emitUpTo(watermark);
        if (t > this.maxTime) this.maxTime = t;
        if (mask !== undefined && mask[i] === 0) continue;
        const p = price.values[i]!;
        const s = size.values[i]!;
        if (!valid(price.validity, i) || !valid(size.validity, i) || !Number.isFinite(p) || !Number.isFinite(s)) continue;
        const k = b.keys[i]!;
        if (k < 0) {
          this.ctx.reject({ time: t, ...(b.offsets && { offset: b.offsets[i]! }), reason: 'null key: the key column is null' });
          continue;
        }
        const start = bucketStart(t, window, offset);
        if (start + window <= this.closedUpTo) {
          this.ctx.reject({ time: t, ...(b.offsets && { offset: b.offsets[i]! }), reason: `late: its bar [${start}, ${start + window}) closed (watermark ${this.closedUpTo})` });
          continue;
        }
        this.add(this.barsOf(start, b.keySpace.size), k, t, p, s);
      }
    }
    const watermark = Math.max(this.maxTime - lateness, b.watermark ?? -Infinity);
    if (watermark > this.closedUpTo) this.emitUpTo(watermark);
    return this.out.key.length > 0 || b.watermark !== undefined ? this.take(watermark) : undefined;
  }

  finish(): Batch | undefined {
    this.emitUpTo(Infinity);
    return this.out.key.length > 0 ? this.take(Infinity) : undefined;
  }

  private barsOf(start: number, keys: number): Bars {
    let bars = this.bars.get(start);
    if (bars === undefined) {
      bars = { start, n: 0, slotOf: new Int32Array(Math.max(keys, 16)).fill(-1), key: new Int32Array(16), data: new Float64Array(16 * W) };
      this.bars.set(start, bars);
      let i = this.starts.length;
      while (i > 0 && this.starts[i - 1]! > start) i--;
      this.starts.splice(i, 0, start);
    }
    return bars;
  }

  private add(bars: Bars, k: number, t: number, p: number, s: number): void {
    if (k >= bars.slotOf.length) bars.slotOf = growInt(bars.slotOf, k + 1, -1);
    let slot = bars.slotOf[k]!;
    const d = bars.data;
    if (slot < 0) {
      slot = bars.n++;
      if (slot >= bars.key.length) {
        bars.key = growInt(bars.key, slot + 1);
        const grown = new Float64Array(bars.key.length * W);
        grown.set(bars.data);
        bars.data = grown;
      }
      bars.slotOf[k] = slot;
      bars.key[slot] = k;
      const o = slot * W;
      const dd = bars.data;
      dd[o] = t;
      dd[o + 1] = p;
      dd[o + 2] = p;
      dd[o + 3] = p;
      dd[o + 4] = t;
      dd[o + 5] = p;
      dd[o + 6] = s;
      dd[o + 7] = p * s;
      dd[o + 8] = 1;
      return;
    }
    const o = slot * W;
    if (t < d[o]!) {
      d[o] = t;
      d[o + 1] = p;
    }
    if (p > d[o + 2]!) d[o + 2] = p;
    if (p < d[o + 3]!) d[o + 3] = p;
    if (t >= d[o + 4]!) {
      d[o + 4] = t;
      d[o + 5] = p;
    }
    d[o + 6]! += s;
    d[o + 7]! += p * s;
    d[o + 8]!++;
  }

  /** Emit every bar that ends at or before `watermark`, oldest first, keys in code order. */
  private emitUpTo(watermark: number): void {
    const { window } = this.opts;
    while (this.starts.length > 0 && this.starts[0]! + window <= watermark) {
      const start = this.starts.shift()!;
      const bars = this.bars.get(start)!;
      this.bars.delete(start);
      const slots = Array.from({ length: bars.n }, (_, i) => i).sort((a, b) => bars.key[a]! - bars.key[b]!);
      for (const slot of slots) {
        const o = slot * W;
        const d = bars.data;
        this.out.key.push(bars.key[slot]!);
        this.out.start.push(start);
        const volume = d[o + 6]!;
        this.out.data.push(d[o + 1]!, d[o + 2]!, d[o + 3]!, d[o + 5]!, volume, volume !== 0 ? d[o + 7]! / volume : NaN, d[o + 8]!);
      }
    }
    if (watermark > this.closedUpTo && watermark !== Infinity) this.closedUpTo = watermark;
  }

  private take(watermark: number): Batch {
    const { key, start, data } = this.out;
    const n = key.length;
    const columns: Record<string, Column> = {};
    if (this.keySpace !== undefined) Object.assign(columns, this.keySpace.decode(Int32Array.from(key)));
    columns.window_start = { type: 'timestamp', values: Float64Array.from(start) };
    this.opts.columns.forEach((name, j) => {
      const values = new Float64Array(n);
      for (let r = 0; r < n; r++) values[r] = data[r * FIELDS.length + j]!;
      columns[name] = outputColumn(values);
    });
    const time = Float64Array.from(start, (s) => s + this.opts.window);
    this.out = { key: [], start: [], data: [] };
    return { length: n, time, columns, watermark };
  }

  snapshot(): unknown {
    return {
      maxTime: this.maxTime,
      closedUpTo: this.closedUpTo,
      bars: this.starts.map((s) => {
        const b = this.bars.get(s)!;
        return { start: s, key: b.key.slice(0, b.n), data: b.data.slice(0, b.n * W) };
      }),
    };
  }

  restore(s: unknown): void {
    const snap = s as { maxTime: number; closedUpTo: number; bars: { start: number; key: Int32Array; data: Float64Array }[] };
    this.maxTime = snap.maxTime;
    this.closedUpTo = snap.closedUpTo;
    this.bars = new Map();
    this.starts = [];
    for (const b of snap.bars) {
      const n = b.key.length;
      const maxKey = b.key.reduce((m, k) => Math.max(m, k), -1);
      const slotOf = new Int32Array(Math.max(16, maxKey + 1)).fill(-1);
      for (let i = 0; i < n; i++) slotOf[b.key[i]!] = i;
      const key = new Int32Array(Math.max(16, n));
      key.set(b.key);
      const data = new Float64Array(key.length * W);
      data.set(b.data);
      this.bars.set(b.start, { start: b.start, n, slotOf, key, data });
      this.starts.push(b.start);
    }
  }
}
