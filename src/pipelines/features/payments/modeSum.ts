import { pipe } from 'rxjs';
import { z } from 'zod';
import { defineFeature } from '../../../sdk/defineFeature.js';
import type { Batch } from '../../data/batch.js';
import { keyBy } from '../../operators/keyBy.js';
import { KeyedRing } from '../market/keyedRing.js';
import { pointInTime, type PointInTimeKernel } from '../market/pointInTime.js';
import { durationParam, growFloat, growInt, numericColumn, valid, type NumericView } from '../market/shared.js';
import { KeyedGroups, categoryCodes, growF, type GroupsSnapshot } from './keyedGroups.js';

const MODE_SUM_OUTPUTS = ['sum', 'count', 'share', 'distinct'] as const;
type ModeSumOutput = (typeof MODE_SUM_OUTPUTS)[number];

export const modeSumParams = z.strictObject({
  column: z.string().default('amount').describe('the value summed at the most common category (a spend amount); rows where it is null or not finite are skipped'),
  category: z.string().default('merchant_id').describe('the categorical (string) column whose most common value is found per key; rows where it is null are skipped'),
  window: durationParam('window').prefault('30d').describe('sliding window: the events of [t - window, t) are counted'),
  outputs: z
    .array(z.enum(MODE_SUM_OUTPUTS))
    .min(1)
    .optional()
    .describe('omit for one column, the sum at the mode (named as the feature); or a list of sum, count (events at the mode), share (those events over all events in the window) and distinct (values of the category in the window), one column each, <name>_<output>'),
  where: z.string().optional().describe('only events for which this is true are counted (every event still gets a row)'),
});

export type ModeSumParams = z.infer<typeof modeSumParams>;

/**
 * The sum of a column at the key's most common category: per key (a user), the spend at the merchant
 * it used most often in a sliding window. Read at an event at time t, over the key's events with
 * t − window ≤ t_i < t (half-open, like every sliding feature):
 *
 * - the mode is the category with the most events; ties go to the category whose latest event is
 *   the latest (ties in time: the last to arrive);
 * - `sum` is the sum of `column` over the mode's events, `count` their number, `share` = count / all
 *   events in the window, `distinct` the number of categories in the window.
 *
 * Null (`distinct`: 0) when the window is empty. Rows with a null category or a null or non-finite
 * value are not events of the window.
 *
 * @example
 * - name: spend_top_merchant
 *   source: transactions
 *   key: user_id
 *   definition: mode_sum
 *   params: { column: amount, category: merchant_id, window: 90d }
 */
export const modeSum = defineFeature<ModeSumParams>({
  name: 'mode_sum',
  version: 1,
  doc: 'Sum of a column over the events of the key\'s most common category (for example the spend at a user\'s most used merchant) in a sliding window [t - w, t).',
  kind: 'pointInTime',
  params: modeSumParams,
  inputs: (p) => [p.column, p.category],
  outputs: (p) =>
    p.outputs === undefined
      ? [{ name: '', type: 'float64', doc: `sum of ${p.column} at the most common ${p.category}` }]
      : p.outputs.map((o) => ({ name: o, type: 'float64' as const, doc: `${o} at the most common ${p.category}` })),
  // The events of [t - window, t); the sums per category are running sums (rounding carries over).
  lookback: (p) => ({ ms: p.window, rounding: true }),
  build(p, ctx) {
    const where = p.where === undefined ? undefined : ctx.predicate(p.where);
    const outputs = p.outputs ?? ['sum'];
    return pipe(keyBy(ctx.step('keys'), ctx.key), pointInTime(ctx.step('mode_sum'), 'mode_sum', () => new ModeSumKernel(p.column, p.category, p.window, outputs), ctx.columns, where));
  },
});

/**
 * Per key: a ring of (time, group, value) for the window; per group (key, category): its events in
 * the window, their sum (restarting from exact zero when the group empties) and the key's sequence
 * number of its latest event. The mode is kept up to date on every add (the added group is the
 * newest, so it takes the mode when its count reaches the mode's) and recomputed over the key's active
 * groups only when an event of the mode itself leaves the window: other groups losing events never
 * overtake it, and their latest event does not change while they have any.
 */
export class ModeSumKernel implements PointInTimeKernel {
  readonly width: number;
  private readonly ring = new KeyedRing(2);
  private readonly groups = new KeyedGroups();
  // Per key.
  private keys = 0;
  private mode: Int32Array = new Int32Array(0);
  private dirty: Uint8Array = new Uint8Array(0);
  private seq: Float64Array = new Float64Array(0);
  private total: Float64Array = new Float64Array(0);
  private distinct: Float64Array = new Float64Array(0);
  // Per group.
  private count: Float64Array = new Float64Array(0);
  private sum: Float64Array = new Float64Array(0);
  private latest: Float64Array = new Float64Array(0);
  private values: NumericView | undefined;
  private cats: Int32Array = new Int32Array(0);
  private readonly outs: Uint8Array;

  constructor(
    private readonly column: string,
    private readonly category: string,
    private readonly window: number,
    outputs: readonly ModeSumOutput[],
  ) {
    this.width = outputs.length;
    this.outs = Uint8Array.from(outputs, (o) => MODE_SUM_OUTPUTS.indexOf(o));
  }

  ensureKeys(n: number): void {
    if (n <= this.keys) return;
    this.mode = growInt(this.mode, n, -1);
    const cap = this.mode.length;
    const d = new Uint8Array(cap);
    d.set(this.dirty);
    this.dirty = d;
    this.seq = growFloat(this.seq, cap);
    this.total = growFloat(this.total, cap);
    this.distinct = growFloat(this.distinct, cap);
    this.ring.ensureKeys(cap);
    this.groups.ensureKeys(cap);
    this.keys = cap;
  }

  private ensureGroups(n: number): void {
    if (n <= this.count.length) return;
    this.count = growF(this.count, n);
    this.sum = growF(this.sum, this.count.length);
    this.latest = growF(this.latest, this.count.length);
  }

  bind(b: Batch): void {
    this.values = numericColumn(b, this.column);
    this.cats = categoryCodes(b, this.category);
  }

  read(k: number, t: number, out: Float64Array, at: number): void {
    const lower = t - this.window;
    const ring = this.ring;
    while (ring.size(k) > 0 && ring.time(k, ring.head(k)) < lower) {
      const pos = ring.head(k);
      const g = ring.value(k, pos, 0);
      this.count[g]!--;
      this.total[k]!--;
      if (this.count[g] === 0) {
        this.sum[g] = 0;
        this.groups.unlink(g);
        this.distinct[k]!--;
      } else this.sum[g]! -= ring.value(k, pos, 1);
      if (g === this.mode[k]) this.dirty[k] = 1;
      ring.shift(k);
    }
    if (this.dirty[k] === 1) {
      let best = -1;
      for (let g = this.groups.head(k); g >= 0; g = this.groups.after(g)) {
        if (best < 0 || this.count[g]! > this.count[best]! || (this.count[g] === this.count[best] && this.latest[g]! > this.latest[best]!)) best = g;
      }
      this.mode[k] = best;
      this.dirty[k] = 0;
    }
    const m = this.mode[k]!;
    for (let j = 0; j < this.width; j++) {
      const o = this.outs[j]!;
      out[at + j] = o === 3 ? this.distinct[k]! : m < 0 ? NaN : o === 0 ? this.sum[m]! : o === 1 ? this.count[m]! : this.count[m]! / this.total[k]!;
    }
  }

  apply(k: number, t: number, i: number): void {
    const c = this.cats[i]!;
    const { values, validity } = this.values!;
    const x = values[i]!;
    if (c < 0 || !valid(validity, i) || !Number.isFinite(x)) return;
    const g = this.groups.slot(k, c);
    this.ensureGroups(this.groups.capacity);
    if (this.count[g] === 0) {
      this.groups.link(g);
      this.distinct[k]!++;
    }
    this.count[g]!++;
    this.sum[g]! += x;
    this.total[k]!++;
    this.latest[g] = ++this.seq[k]!;
    const m = this.mode[k]!;
    if (this.dirty[k] === 0 && (m < 0 || this.count[g]! >= this.count[m]!)) this.mode[k] = g;
    this.ring.push(k, t, g, x);
  }

  snapshot(): unknown {
    const n = this.keys;
    const gs = this.groups.size;
    return {
      ring: this.ring.snapshot(),
      groups: this.groups.snapshot(),
      keys: n,
      mode: this.mode.slice(0, n),
      dirty: this.dirty.slice(0, n),
      seq: this.seq.slice(0, n),
      total: this.total.slice(0, n),
      distinct: this.distinct.slice(0, n),
      count: this.count.slice(0, gs),
      sum: this.sum.slice(0, gs),
      latest: this.latest.slice(0, gs),
    };
  }

  restore(s: unknown): void {
    const snap = s as { ring: unknown; groups: GroupsSnapshot; keys: number; mode: Int32Array; dirty: Uint8Array; seq: Float64Array; total: Float64Array; distinct: Float64Array; count: Float64Array; sum: Float64Array; latest: Float64Array };
    this.keys = 0;
    this.mode = new Int32Array(0);
    this.dirty = new Uint8Array(0);
    this.seq = new Float64Array(0);
    this.total = new Float64Array(0);
    this.distinct = new Float64Array(0);
    this.groups.restore(snap.groups, 0);
    this.ensureKeys(snap.keys);
    this.mode.set(snap.mode);
    this.dirty.set(snap.dirty);
    this.seq.set(snap.seq);
    this.total.set(snap.total);
    this.distinct.set(snap.distinct);
    this.count = new Float64Array(0);
    this.sum = new Float64Array(0);
    this.latest = new Float64Array(0);
    this.ensureGroups(this.groups.capacity);
    this.count.set(snap.count);
    this.sum.set(snap.sum);
    this.latest.set(snap.latest);
    this.ring.restore(snap.ring);
    this.ring.ensureKeys(this.keys);
  }
}
