import { pipe } from 'rxjs';
import { z } from 'zod';
import { defineFeature } from '../../../sdk/defineFeature.js';
import type { Batch } from '../../data/batch.js';
import { keyBy } from '../../operators/keyBy.js';
import { KeyedRing } from './keyedRing.js';
import { pointInTime, type PointInTimeKernel } from './pointInTime.js';
import { durationParam, growFloat, numericColumn, valid, type NumericView } from './shared.js';

export const volatilityParams = z.strictObject({
  column: z.string().default('price').describe('the price column (a mid price, a trade price, ...); null, non-finite and, for log returns, non-positive prices are skipped'),
  window: durationParam('window').prefault('1m').describe('sliding window: the returns of [t - window, t) are used'),
  returns: z.enum(['log', 'simple']).default('log').describe('log: ln(p_i / p_{i-1}); simple: p_i / p_{i-1} - 1'),
  where: z.string().optional().describe('only events for which this is true are price observations (every event still gets a row)'),
});

export type VolatilityParams = z.infer<typeof volatilityParams>;

/**
 * Volatility: the sample standard deviation (n − 1) of the returns between consecutive price
 * observations of a key, over a sliding window, read at every event.
 *
 * The return r_i = ln(p_i / p_{i−1}) (or p_i / p_{i−1} − 1) belongs to the time t_i of its later event.
 * Read at an event at time t, the window holds the returns with t − window ≤ t_i < t (half-open, like
 * every sliding feature): a price at t itself, and so the return into it, is not seen. Null with fewer
 * than two returns in the window. Returns are not annualised or scaled by the window.
 *
 * @example
 * # configs/market.yaml
 * - name: mid_volatility_1m
 *   source: tickers
 *   definition: volatility
 *   params: { column: mid, window: 1m }        # returns: log (default) or simple
 */
export const volatility = defineFeature<VolatilityParams>({
  name: 'volatility',
  version: 1,
  doc: 'Sample standard deviation of the log (or simple) returns between consecutive prices of a key over a sliding window [t - w, t).',
  kind: 'pointInTime',
  params: volatilityParams,
  inputs: (p) => [p.column],
  outputs: (p) => [{ name: '', type: 'float64', doc: `std of ${p.returns} returns of ${p.column}` }],
  // Unbounded: the return into the window's oldest price reads the price before it, however old.
  lookback: () => Infinity,
  build(p, ctx) {
    const where = p.where === undefined ? undefined : ctx.predicate(p.where);
    return pipe(keyBy(ctx.step('keys'), ctx.key), pointInTime(ctx.step('volatility'), 'volatility', () => new VolatilityKernel(p.column, p.window, p.returns === 'log'), ctx.columns, where));
  },
});

/**
 * Per key: the last price, and a ring of (time, return) for the window with running count, sum and sum
 * of squares. The sums are of `r - shift` (shift: a return of the window when it last filled from
 * empty) so that the variance does not cancel; they restart from exact zeros whenever the window empties.
 */
export class VolatilityKernel implements PointInTimeKernel {
  readonly width = 1;
  private readonly ring = new KeyedRing(1);
  private last: Float64Array = new Float64Array(0);
  private count: Float64Array = new Float64Array(0);
  private sum: Float64Array = new Float64Array(0);
  private squares: Float64Array = new Float64Array(0);
  private shiftBy: Float64Array = new Float64Array(0);
  private prices: NumericView | undefined;

  constructor(
    private readonly column: string,
    private readonly window: number,
    private readonly log: boolean,
  ) {}

  ensureKeys(n: number): void {
    if (n <= this.last.length) return;
    this.last = growFloat(this.last, n, NaN);
    const cap = this.last.length;
    this.count = growFloat(this.count, cap);
    this.sum = growFloat(this.sum, cap);
    this.squares = growFloat(this.squares, cap);
    this.shiftBy = growFloat(this.shiftBy, cap);
    this.ring.ensureKeys(cap);
  }

  bind(b: Batch): void {
    this.prices = numericColumn(b, this.column);
  }

  read(k: number, t: number, out: Float64Array, at: number): void {
    const lower = t - this.window;
    const ring = this.ring;
    if (ring.size(k) > 0 && ring.time(k, ring.head(k)) < lower) {
      const shift = this.shiftBy[k]!;
      do {
        const x = ring.value(k, ring.head(k)) - shift;
        this.count[k]!--;
        this.sum[k]! -= x;
        this.squares[k]! -= x * x;
        ring.shift(k);
      } while (ring.size(k) > 0 && ring.time(k, ring.head(k)) < lower);
      if (this.count[k] === 0) {
        this.sum[k] = 0;
        this.squares[k] = 0;
      }
    }
    const n = this.count[k]!;
    if (n < 2) {
      out[at] = NaN;
      return;
    }
    const s = this.sum[k]!;
    out[at] = Math.sqrt(Math.max(0, (this.squares[k]! - (s * s) / n) / (n - 1)));
  }

  apply(k: number, t: number, i: number): void {
    const { values, validity } = this.prices!;
    const p = values[i]!;
    if (!valid(validity, i) || !Number.isFinite(p) || (this.log && p <= 0)) return;
    const prev = this.last[k]!;
    this.last[k] = p;
    if (prev !== prev) return;
    const r = this.log ? Math.log(p / prev) : p / prev - 1;
    if (!Number.isFinite(r)) return;
    if (this.count[k] === 0) this.shiftBy[k] = r;
    const x = r - this.shiftBy[k]!;
    this.count[k]!++;
    this.sum[k]! += x;
    this.squares[k]! += x * x;
    this.ring.push(k, t, r);
  }

  snapshot(): unknown {
    const n = this.last.length;
    return { ring: this.ring.snapshot(), last: this.last.slice(0, n), count: this.count.slice(0, n), sum: this.sum.slice(0, n), squares: this.squares.slice(0, n), shift: this.shiftBy.slice(0, n) };
  }

  restore(s: unknown): void {
    const snap = s as { ring: unknown; last: Float64Array; count: Float64Array; sum: Float64Array; squares: Float64Array; shift: Float64Array };
    this.last = snap.last.slice();
    this.count = snap.count.slice();
    this.sum = snap.sum.slice();
    this.squares = snap.squares.slice();
    this.shiftBy = snap.shift.slice();
    this.ring.restore(snap.ring);
    this.ring.ensureKeys(this.last.length);
  }
}
