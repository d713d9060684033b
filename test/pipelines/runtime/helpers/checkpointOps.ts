/**
 * A config that exercises the operators with unusual state, and seeded out-of-order input for it:
 * k-lists, sketches, histograms, skew and kurtosis in sliding, bucketed, tumbling, hopping and session
 * windows; by columns, multi-column keys, a key on a computed string column (the expression language's
 * own output dictionary), where filters on strings; user period autofeatures across a day boundary;
 * EWMA and the payments definitions. Input arrives out of order, some of it later than the lateness,
 * with null keys, values and categories, categories first seen late, and watermark-only batches.
 */
import { makeBatch, watermarkBatch } from '../../../../src/pipelines/data/batch.js';
import type { Column } from '../../../../src/pipelines/data/column.js';
import { Dictionary } from '../../../../src/pipelines/data/dictionary.js';
import type { Step } from './checkpointHarness.js';
import { mulberry32 } from '../../aggregations/helpers/arbitraries.js';

export function opsConfig(): string {
  return `
name: ops
sources:
  ev:
    time: ts
    keys: [user]
    lateness: 2s
    columns: { user: string, cat: string, amount: float64, ok: bool, n: int64, u: float64 }
    derive:
      label: "if(amount > 6, 'big', cat)"
      tag: "if(ok, 'yes', 'no')"
      pick: "if(ok, cat, 'none')"
features:
  - name: klist
    source: ev
    ops: [first_k, last_k, top_k, bottom_k]
    k: 2
    column: amount
    windows: [10s, 1m]
  - name: pct
    source: ev
    op: approx_percentile
    percentiles: [0.5, 0.9]
    column: amount
    window: 30s
  - name: moments
    source: ev
    ops: [skew, kurtosis, std]
    column: amount
    window: 1m
  - name: cats_distinct
    source: ev
    ops: [approx_count_distinct, count_distinct]
    column: cat
    window: 1m
  - name: cat_hist
    source: ev
    op: histogram
    values: [a, b, zz]
    column: cat
    window: 30s
  - name: label_hist
    source: ev
    op: histogram
    top: 2
    column: label
    window: 1m
  - name: inclusive_sum
    source: ev
    ops: [sum, count, min, max, first, last]
    column: amount
    window: 20s
    inclusive: true
  - name: all_time
    source: ev
    ops: [count, mean]
    column: amount
  - name: bucketed
    source: ev
    ops: [count, sum, mean, std, min, max, first, last, count_distinct]
    column: amount
    windows: [20s, 1m]
    bucket: 5s
  - name: bucketed_sketch
    source: ev
    ops: [approx_percentile, approx_count_distinct, top_k, last_k, skew]
    percentile: 0.5
    k: 2
    column: amount
    window: 30s
    bucket: 5s
    inclusive: true
  - name: bucketed_hist
    source: ev
    op: histogram
    values: [a, zz]
    column: cat
    window: 30s
    bucket: 10s
  - name: by_cat
    source: ev
    op: count
    by: cat
    window: 30s
    default: 0
  - name: only_a
    source: ev
    op: sum
    column: amount
    where: "cat == 'a' or label == 'big'"
    window: 30s
    default: 0
  - name: user_cat_labels
    source: ev
    key: [user, cat]
    op: count_distinct
    column: label
    window: 1m
  - name: by_label
    source: ev
    key: label
    ops: [count, sum]
    column: amount
    window: 30s
  - name: by_tag_number
    source: ev
    key: [tag, n]
    op: count
    window: 30s
  - name: by_pick
    source: ev
    key: pick
    ops: [count, sum]
    column: amount
    window: 20s
  - name: pick_distinct
    source: ev
    ops: [count_distinct, approx_count_distinct]
    column: pick
    window: 1m
  - name: pick_sessions
    source: ev
    key: pick
    op: count
    window: { session: 1s }
  - name: ewma_amount
    source: ev
    definition: ewma
    params: { column: amount, half_life: 10s }
  - name: mode_amount
    source: ev
    definition: mode_sum
    params: { column: amount, category: cat, window: 1m, outputs: [sum, share] }
  - name: rate_by_cat
    source: ev
    definition: mean_group_rate
    params: { success: "ok", category: label, window: 1m }
  - name: tumbling
    source: ev
    ops: [count, sum, first_k, approx_percentile, approx_count_distinct, skew, kurtosis]
    k: 2
    percentile: 0.5
    column: amount
    window: { tumbling: 10s }
  - name: tumbling_hist
    source: ev
    key: []
    ops: [histogram, approx_count_distinct]
    values: [a, zz]
    column: cat
    window: { tumbling: 10s, offset: 3s }
  - name: hopping
    source: ev
    ops: [mean, max, last_k, top_k]
    k: 2
    column: amount
    window: { hopping: 20s, every: 5s }
    default: 0
  - name: hopping_by_label
    source: ev
    key: label
    op: count
    window: { hopping: 20s, every: 10s }
  - name: sessions
    source: ev
    ops: [count, sum, bottom_k, approx_percentile, min]
    k: 2
    percentile: 0.9
    column: amount
    window: { session: 3s }
  - name: label_sessions
    source: ev
    key: label
    ops: [count, histogram]
    top: 2
    column: cat
    window: { session: 2s }
  # One group and long windows: hundreds of values a sketch, so KLL compacts (its coin flips are
  # state) and HyperLogLog turns dense.
  - name: global_tumbling
    source: ev
    key: []
    ops: [approx_percentile, approx_count_distinct, count]
    percentiles: [0.1, 0.5, 0.99]
    column: u
    window: { tumbling: 1m }
  - name: global_hopping
    source: ev
    key: []
    ops: [approx_percentile, approx_count_distinct]
    percentile: 0.5
    column: u
    window: { hopping: 2m, every: 30s }
  - name: global_session
    source: ev
    key: []
    ops: [approx_percentile, approx_count_distinct, kurtosis]
    percentile: 0.25
    column: u
    window: { session: 5s }
  - name: periods
    source: ev
    definition: user_period_features
    params:
      period: day
      histograms: [{ column: cat, top: 2 }, { column: label, values: [big, a, zz] }]
      distinct: [tag]
      numeric: [amount]
      lags: 1
  - name: amount_z
    expr: "(amount - moments_std) / 2"
`;
}

/** Five minutes before a UTC midnight, so that day periods close in the middle of the input. */
export const OPS_START = Date.UTC(2024, 0, 2) - 300_000;

/**
 * `n` events of source `ev`, about 200 ms apart, arriving up to 1.5 s out of order, 2% of them 3 to
 * 20 s late; cut into batches of 1 to 2 * `avg` rows, with a watermark-only batch now and then.
 */
export function* opsSteps(seed: number, n: number, avg: number): Generator<Step> {
  const rnd = mulberry32(seed);
  // Values are encoded as they are generated, so the dictionaries grow along the input as a live one does.
  const users = new Dictionary();
  const cats = new Dictionary();
  let maxTime = -Infinity;
  let batches = 0;
  let i = 0;
  while (i < n) {
    const size = Math.min(n - i, 1 + Math.floor(rnd() * 2 * avg));
    const time = new Float64Array(size);
    const user = new Int32Array(size);
    const cat = new Int32Array(size);
    const amount = new Float64Array(size);
    const ok = new Uint8Array(size);
    const num = new Float64Array(size);
    const u = new Float64Array(size);
    const offsets = new Float64Array(size);
    const userValid = new Uint8Array((size + 7) >> 3).fill(255);
    const catValid = new Uint8Array((size + 7) >> 3).fill(255);
    const amountValid = new Uint8Array((size + 7) >> 3).fill(255);
    for (let r = 0; r < size; r++, i++) {
      const late = rnd() < 0.02 ? 3000 + rnd() * 17_000 : rnd() * 1500;
      time[r] = Math.round(OPS_START + i * 200 - late);
      if (time[r]! > maxTime) maxTime = time[r]!;
      // Users "v*" appear only in the second half: keys first seen after a checkpoint.
      user[r] = users.encode(`${i > n / 2 && rnd() < 0.3 ? 'v' : 'u'}${Math.floor(rnd() * 6)}`);
      // Category "zz" appears only in the second half: values first seen after a checkpoint.
      const c = i > n / 2 && rnd() < 0.2 ? 'zz' : 'abcde'[Math.floor(rnd() * rnd() * 5)]!;
      cat[r] = cats.encode(c);
      amount[r] = Math.round(rnd() * 40) / 4;
      ok[r] = rnd() < 0.7 ? 1 : 0;
      num[r] = Math.floor(rnd() * 3);
      u[r] = Math.floor(rnd() * 1e6);
      offsets[r] = i;
      if (rnd() < 0.01) userValid[r >> 3]! &= ~(1 << (r & 7));
      if (rnd() < 0.03) catValid[r >> 3]! &= ~(1 << (r & 7));
      if (rnd() < 0.03) amountValid[r >> 3]! &= ~(1 << (r & 7));
    }
    const columns: Record<string, Column> = {
      user: { type: 'dictionary', codes: user, dictionary: users, validity: userValid },
      cat: { type: 'dictionary', codes: cat, dictionary: cats, validity: catValid },
      amount: { type: 'float64', values: amount, validity: amountValid },
      ok: { type: 'bool', values: ok },
      n: { type: 'int64', values: num },
      u: { type: 'float64', values: u },
    };
    yield { source: 'ev', batch: makeBatch(time, columns, { offsets }) };
    // Every tenth batch the source announces a watermark a little ahead of the one implied by lateness.
    if (++batches % 10 === 0) yield { source: 'ev', batch: watermarkBatch(maxTime - 1000) };
  }
}

