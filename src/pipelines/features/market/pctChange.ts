import { pipe } from 'rxjs';
import { z } from 'zod';
import { defineFeature } from '../../../sdk/defineFeature.js';
import type { Batch } from '../../data/batch.js';
import { keyBy } from '../../operators/keyBy.js';
import { KeyedRing } from './keyedRing.js';
import { pointInTime, type PointInTimeKernel } from './pointInTime.js';
import { durationParam, numericColumn, valid, type NumericView } from './shared.js';

export const pctChangeParams = z.strictObject({
  column: z.string().default('price').describe('the value column; null and non-finite values are skipped'),
  window: durationParam('window').prefault('1m').describe('lookback: the change from the value as of t - window to the latest value before t'),
  where: z.string().optional().describe('only events for which this is true are observations (every event still gets a row)'),
});

export type PctChangeParams = z.infer<typeof pctChangeParams>;

/**
 * Percent change over a lookback window, as a fraction (0.01 is 1 %), read at every event at time t:
 *
 *     pct_change(t) = current / base − 1
 *     current = the value of the key's latest event with a time < t
 *     base    = the value of the key's latest event with a time ≤ t − window
 *
 * Both are strictly before t; "latest" among events of one time is the last to arrive. Null when
 * either is missing (no event that old yet) or the base is 0.
 *
 * @example
 * # configs/market.yaml
 * - name: mid_change_1m
 *   source: tickers
 *   definition: pct_change
 *   params: { column: mid, window: 1m }
 */
export const pctChange = defineFeature<PctChangeParams>({
  name: 'pct_change',
  version: 1,
  doc: 'Relative change (current / base - 1) from the value as of t - w to the latest value before t.',
  kind: 'pointInTime',
  params: pctChangeParams,
  inputs: (p) => [p.column],
  outputs: (p) => [{ name: '', type: 'float64', doc: `change of ${p.column}, as a fraction` }],
  // Unbounded: the base is the latest value at or before t - window, and the current one the latest
  // before t; either may be arbitrarily old when a key is quiet.
  lookback: () => Infinity,
  build(p, ctx) {
    const where = p.where === undefined ? undefined : ctx.predicate(p.where);
    return pipe(keyBy(ctx.step('keys'), ctx.key), pointInTime(ctx.step('pct_change'), 'pct_change', () => new PctChangeKernel(p.column, p.window), ctx.columns, where));
  },
});

/**
 * Per key: a ring of (time, value) from the base candidate (the latest event ≤ t − window, kept as the
 * oldest slot once there is one) to the newest event.
 */
export class PctChangeKernel implements PointInTimeKernel {
  readonly width = 1;
  private readonly ring = new KeyedRing(1);
  private values: NumericView | undefined;

  constructor(
    private readonly column: string,
    private readonly window: number,
  ) {}

  ensureKeys(n: number): void {
    this.ring.ensureKeys(n);
  }

  bind(b: Batch): void {
    this.values = numericColumn(b, this.column);
  }

  read(k: number, t: number, out: Float64Array, at: number): void {
    const ring = this.ring;
    const n = ring.size(k);
    if (n === 0) {
      out[at] = NaN;
      return;
    }
    const cutoff = t - this.window;
    // Move the oldest slot up to the latest event at or before the cutoff.
    while (ring.size(k) > 1 && ring.time(k, ring.head(k) + 1) <= cutoff) ring.shift(k);
    const head = ring.head(k);
    if (ring.time(k, head) > cutoff) {
      out[at] = NaN;
      return;
    }
    const base = ring.value(k, head);
    const current = ring.value(k, ring.tail(k) - 1);
    out[at] = base === 0 ? NaN : current / base - 1;
  }

  apply(k: number, t: number, i: number): void {
    const { values, validity } = this.values!;
    const x = values[i]!;
    if (!valid(validity, i) || !Number.isFinite(x)) return;
    this.ring.push(k, t, x);
  }

  snapshot(): unknown {
    return this.ring.snapshot();
  }

  restore(s: unknown): void {
    this.ring.restore(s);
  }
}
