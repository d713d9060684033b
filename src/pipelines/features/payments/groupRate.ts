import { pipe } from 'rxjs';
import { z } from 'zod';
import { defineFeature } from '../../../sdk/defineFeature.js';
import type { Batch } from '../../data/batch.js';
import { parseExpression } from '../../expressions/index.js';
import { keyBy } from '../../operators/keyBy.js';
import { KeyedRing } from '../market/keyedRing.js';
import { pointInTime, type PointInTimeKernel } from '../market/pointInTime.js';
import { durationParam, growFloat } from '../market/shared.js';
import { KeyedGroups, categoryCodes, growF, type GroupsSnapshot } from './keyedGroups.js';

const GROUP_RATE_OUTPUTS = ['mean', 'groups'] as const;
type GroupRateOutput = (typeof GROUP_RATE_OUTPUTS)[number];

export const groupRateParams = z.strictObject({
  success: z.string().default("status == 'approved'").describe('an expression over the source\'s columns, true when an event is a success (null counts as a failure)'),
  category: z.string().default('ip').describe('the categorical (string) column of the inner level: a rate per key and value of it; rows where it is null are skipped'),
  window: durationParam('window').prefault('30d').describe('sliding window: the events of [t - window, t) are counted'),
  outputs: z
    .array(z.enum(GROUP_RATE_OUTPUTS))
    .min(1)
    .optional()
    .describe('omit for one column, the mean rate (named as the feature); or a list of mean and groups (the values of `category` seen in the window), one column each, <name>_<output>'),
  where: z.string().optional().describe('only events for which this is true are attempts (every event still gets a row)'),
});

export type GroupRateParams = z.infer<typeof groupRateParams>;

/**
 * A two-level aggregation: the success rate per (key, `category` value), averaged over the key's `category`
 * values, in a sliding window. For a merchant, the approval rate from each IP, averaged over the IPs
 * it saw, so that one IP hammering the merchant weighs as much as any other. Read at an event at time
 * t, over the key's events with t − window ≤ t_i < t:
 *
 *     rate(ip) = successes(ip) / attempts(ip)     for each ip with attempts in the window
 *     mean     = Σ rate(ip) / (number of such ips)   (null when there are none)
 *
 * The sum of rates is kept with each change (the group's old rate out, its new rate in) and
 * recomputed from the groups once as many changes have happened as the key has groups, so rounding
 * cannot build up (amortised O(1) a change); it restarts from exact zero when the key has no groups.
 *
 * @example
 * - name: merchant_ip_success_rate
 *   source: transactions
 *   key: merchant_id
 *   definition: mean_group_rate
 *   params: { success: "status == 'approved'", category: ip, window: 30d }
 */
export const meanGroupRate = defineFeature<GroupRateParams>({
  name: 'mean_group_rate',
  version: 1,
  doc: 'Two-level aggregation: the success rate per key and value of a second column (a merchant and an IP), averaged over those values, in a sliding window [t - w, t).',
  kind: 'pointInTime',
  params: groupRateParams,
  inputs: (p) => {
    let ids: readonly string[] = [];
    try {
      ids = parseExpression(p.success).identifiers;
    } catch {
      // Reported when the feature is built.
    }
    return [...new Set([p.category, ...ids])];
  },
  outputs: (p) =>
    p.outputs === undefined
      ? [{ name: '', type: 'float64', doc: `success rate averaged over ${p.category}` }]
      : p.outputs.map((o) => ({ name: o, type: 'float64' as const, doc: o === 'mean' ? `success rate averaged over ${p.category}` : `distinct ${p.category} in the window` })),
  // The events of [t - window, t); the sum of rates is kept incrementally (rounding carries over).
  lookback: (p) => ({ ms: p.window, rounding: true }),
  build(p, ctx) {
    const where = p.where === undefined ? undefined : ctx.predicate(p.where);
    const success = ctx.predicate(p.success);
    const outputs = p.outputs ?? ['mean'];
    return pipe(keyBy(ctx.step('keys'), ctx.key), pointInTime(ctx.step('group_rate'), 'mean_group_rate', () => new GroupRateKernel(success, p.category, p.window, outputs), ctx.columns, where));
  },
});

export class GroupRateKernel implements PointInTimeKernel {
  readonly width: number;
  private readonly ring = new KeyedRing(2);
  private readonly groups = new KeyedGroups();
  // Per key.
  private keys = 0;
  private active: Float64Array = new Float64Array(0);
  private rateSum: Float64Array = new Float64Array(0);
  private changes: Float64Array = new Float64Array(0);
  // Per group.
  private attempts: Float64Array = new Float64Array(0);
  private successes: Float64Array = new Float64Array(0);
  private ok: Uint8Array = new Uint8Array(0);
  private cats: Int32Array = new Int32Array(0);
  private readonly outs: Uint8Array;

  constructor(
    private readonly success: (b: Batch) => Uint8Array,
    private readonly category: string,
    private readonly window: number,
    outputs: readonly GroupRateOutput[],
  ) {
    this.width = outputs.length;
    this.outs = Uint8Array.from(outputs, (o) => GROUP_RATE_OUTPUTS.indexOf(o));
  }

  ensureKeys(n: number): void {
    if (n <= this.keys) return;
    this.active = growFloat(this.active, n);
    const cap = this.active.length;
    this.rateSum = growFloat(this.rateSum, cap);
    this.changes = growFloat(this.changes, cap);
    this.ring.ensureKeys(cap);
    this.groups.ensureKeys(cap);
    this.keys = cap;
  }

  private ensureGroups(n: number): void {
    if (n <= this.attempts.length) return;
    this.attempts = growF(this.attempts, n);
    this.successes = growF(this.successes, this.attempts.length);
  }

  bind(b: Batch): void {
    this.ok = this.success(b);
    this.cats = categoryCodes(b, this.category);
  }

  /** Move group `g` of key `k` by (da attempts, ds successes), keeping the key's sum of rates. */
  private change(k: number, g: number, da: number, ds: number): void {
    const a0 = this.attempts[g]!;
    if (a0 > 0) this.rateSum[k]! -= this.successes[g]! / a0;
    const a = a0 + da;
    this.attempts[g] = a;
    this.successes[g]! += ds;
    if (a > 0) this.rateSum[k]! += this.successes[g]! / a;
    if (a0 === 0 && a > 0) {
      this.groups.link(g);
      this.active[k]!++;
    } else if (a === 0) {
      this.successes[g] = 0;
      this.groups.unlink(g);
      this.active[k]!--;
      if (this.active[k] === 0) {
        this.rateSum[k] = 0;
        this.changes[k] = 0;
        return;
      }
    }
    if (++this.changes[k]! >= Math.max(16, this.active[k]!)) {
      let s = 0;
      for (let h = this.groups.head(k); h >= 0; h = this.groups.after(h)) s += this.successes[h]! / this.attempts[h]!;
      this.rateSum[k] = s;
      this.changes[k] = 0;
    }
  }

  read(k: number, t: number, out: Float64Array, at: number): void {
    const lower = t - this.window;
    const ring = this.ring;
    while (ring.size(k) > 0 && ring.time(k, ring.head(k)) < lower) {
      const pos = ring.head(k);
      this.change(k, ring.value(k, pos, 0), -1, -ring.value(k, pos, 1));
      ring.shift(k);
    }
    const n = this.active[k]!;
    for (let j = 0; j < this.width; j++) out[at + j] = this.outs[j] === 1 ? n : n === 0 ? NaN : this.rateSum[k]! / n;
  }

  apply(k: number, t: number, i: number): void {
    const c = this.cats[i]!;
    if (c < 0) return;
    const g = this.groups.slot(k, c);
    this.ensureGroups(this.groups.capacity);
    const s = this.ok[i] === 1 ? 1 : 0;
    this.change(k, g, 1, s);
    this.ring.push(k, t, g, s);
  }

  snapshot(): unknown {
    const n = this.keys;
    const gs = this.groups.size;
    return {
      ring: this.ring.snapshot(),
      groups: this.groups.snapshot(),
      keys: n,
      active: this.active.slice(0, n),
      rateSum: this.rateSum.slice(0, n),
      changes: this.changes.slice(0, n),
      attempts: this.attempts.slice(0, gs),
      successes: this.successes.slice(0, gs),
    };
  }

  restore(s: unknown): void {
    const snap = s as { ring: unknown; groups: GroupsSnapshot; keys: number; active: Float64Array; rateSum: Float64Array; changes: Float64Array; attempts: Float64Array; successes: Float64Array };
    this.keys = 0;
    this.active = new Float64Array(0);
    this.rateSum = new Float64Array(0);
    this.changes = new Float64Array(0);
    this.groups.restore(snap.groups, 0);
    this.ensureKeys(snap.keys);
    this.active.set(snap.active);
    this.rateSum.set(snap.rateSum);
    this.changes.set(snap.changes);
    this.attempts = new Float64Array(0);
    this.successes = new Float64Array(0);
    this.ensureGroups(this.groups.capacity);
    this.attempts.set(snap.attempts);
    this.successes.set(snap.successes);
    this.ring.restore(snap.ring);
    this.ring.ensureKeys(this.keys);
  }
}
