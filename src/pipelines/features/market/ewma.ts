import { pipe } from 'rxjs';
import { z } from 'zod';
import { defineFeature } from '../../../sdk/defineFeature.js';
import type { Batch } from '../../data/batch.js';
import { keyBy } from '../../operators/keyBy.js';
import { pointInTime, type PointInTimeKernel } from './pointInTime.js';
import { durationParam, growFloat, numericColumn, valid, type NumericView } from './shared.js';

const EWMA_OUTPUTS = ['mean', 'sum', 'weight'] as const;
type EwmaOutput = (typeof EWMA_OUTPUTS)[number];

export const ewmaParams = z.strictObject({
  column: z.string().default('price').describe('the value column; null and non-finite values are skipped'),
  half_life: durationParam('half_life').prefault('1m').describe('an event\'s weight halves every half_life of event time that passes after it'),
  outputs: z
    .array(z.enum(EWMA_OUTPUTS))
    .min(1)
    .optional()
    .describe('omit for one column, the average (named as the feature); or list of mean, sum (the decayed sum) and weight (the decayed event count), one column each, <name>_<output>'),
  where: z.string().optional().describe('only events for which this is true contribute (every event still gets a row)'),
});

export type EwmaParams = z.infer<typeof ewmaParams>;

/**
 * Exponentially weighted moving average with a time-based half-life h: weights decay with the event
 * time that has passed, not with the number of events. Read at an event at time t, over the key's
 * earlier events (t_i, x_i) with t_i < t (strictly before: events at t itself are not seen):
 *
 *     w_i(t)    = 2^(−(t − t_i) / h)
 *     mean(t)   = Σ w_i(t) · x_i / Σ w_i(t)        (null before the key's first event)
 *     sum(t)    = Σ w_i(t) · x_i                   (0 before the first event)
 *     weight(t) = Σ w_i(t)                         (a decayed event count; 0 before the first event)
 *
 * That is the value after the previous event, decayed to t: the state after an event at τ is
 * S(τ) = Σ w_i(τ) x_i and W(τ) = Σ w_i(τ), updated per event by S ← S · 2^(−(t − τ)/h) + x, W ← W ·
 * 2^(−(t − τ)/h) + 1; a read at t gives S(τ)/W(τ) (the decay cancels in the mean), S(τ) · 2^(−(t − τ)/h)
 * and W(τ) · 2^(−(t − τ)/h). Events at one time weigh the same.
 *
 * @example
 * # configs/market.yaml
 * - name: mid_ewma_30s
 *   source: tickers
 *   definition: ewma
 *   params: { column: mid, half_life: 30s }   # outputs: [mean, weight] for several columns
 */
export const ewma = defineFeature<EwmaParams>({
  name: 'ewma',
  version: 1,
  doc: 'Exponentially weighted moving average with a time-based half-life, over the events strictly before each one.',
  kind: 'pointInTime',
  params: ewmaParams,
  inputs: (p) => [p.column],
  outputs: (p) =>
    p.outputs === undefined
      ? [{ name: '', type: 'float64', doc: `EWMA of ${p.column}` }]
      : p.outputs.map((o) => ({ name: o, type: 'float64' as const, doc: `decayed ${o} of ${p.column}` })),
  // Unbounded: every earlier event keeps a (decayed) weight.
  lookback: () => Infinity,
  build(p, ctx) {
    const where = p.where === undefined ? undefined : ctx.predicate(p.where);
    const outputs = p.outputs ?? ['mean'];
    return pipe(keyBy(ctx.step('keys'), ctx.key), pointInTime(ctx.step('ewma'), 'ewma', () => new EwmaKernel(p.column, p.half_life, outputs), ctx.columns, where));
  },
});

/** Per key: S and W as of the key's latest event time τ (NaN before any event). */
export class EwmaKernel implements PointInTimeKernel {
  readonly width: number;
  private readonly kinds: Int32Array;
  private s: Float64Array = new Float64Array(0);
  private w: Float64Array = new Float64Array(0);
  private tau: Float64Array = new Float64Array(0);
  private values: NumericView | undefined;

  constructor(
    private readonly column: string,
    private readonly halfLife: number,
    outputs: readonly EwmaOutput[],
  ) {
    this.width = outputs.length;
    this.kinds = Int32Array.from(outputs, (o) => EWMA_OUTPUTS.indexOf(o));
  }

  ensureKeys(n: number): void {
    if (n <= this.tau.length) return;
    this.tau = growFloat(this.tau, n, NaN);
    this.s = growFloat(this.s, this.tau.length);
    this.w = growFloat(this.w, this.tau.length);
  }

  bind(b: Batch): void {
    this.values = numericColumn(b, this.column);
  }

  read(k: number, t: number, out: Float64Array, at: number): void {
    const tau = this.tau[k]!;
    const none = tau !== tau;
    const decay = none ? 0 : Math.pow(2, -(t - tau) / this.halfLife);
    for (let j = 0; j < this.width; j++) {
      switch (this.kinds[j]) {
        case 0:
          out[at + j] = none ? NaN : this.s[k]! / this.w[k]!;
          break;
        case 1:
          out[at + j] = none ? 0 : this.s[k]! * decay;
          break;
        default:
          out[at + j] = none ? 0 : this.w[k]! * decay;
      }
    }
  }

  apply(k: number, t: number, i: number): void {
    const { values, validity } = this.values!;
    const x = values[i]!;
    if (!valid(validity, i) || !Number.isFinite(x)) return;
    const tau = this.tau[k]!;
    if (tau !== tau) {
      this.s[k] = x;
      this.w[k] = 1;
    } else {
      const decay = t === tau ? 1 : Math.pow(2, -(t - tau) / this.halfLife);
      this.s[k] = this.s[k]! * decay + x;
      this.w[k] = this.w[k]! * decay + 1;
    }
    this.tau[k] = t;
  }

  snapshot(): unknown {
    const n = this.tau.length;
    return { s: this.s.slice(0, n), w: this.w.slice(0, n), tau: this.tau.slice(0, n) };
  }

  restore(snap: unknown): void {
    const x = snap as { s: Float64Array; w: Float64Array; tau: Float64Array };
    this.s = x.s.slice();
    this.w = x.w.slice();
    this.tau = x.tau.slice();
  }
}
