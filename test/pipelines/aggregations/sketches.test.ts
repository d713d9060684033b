/**
 * The approximate ops within their stated error bounds, on many random sets:
 * - approx_count_distinct (HyperLogLog, p = 12): standard error 1.04 / sqrt(4096) = 1.625 %;
 * - approx_percentile (KLL, k = 200): rank error under 1.65 % of n (99 % confidence; 1.33 % for
 *   one quantile at a time).
 * The data and the sketches are deterministic (seeded), so these tests do not flake; they fail if
 * the estimator or the sketch gets worse than its bound.
 */
import { pipe } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { quantileRank } from '../../../src/pipelines/aggregations/catalog.js';
import { HyperLogLog } from '../../../src/pipelines/aggregations/hyperLogLog.js';
import { KllSketch } from '../../../src/pipelines/aggregations/kll.js';
import { makeBatch } from '../../../src/pipelines/data/batch.js';
import { Dictionary } from '../../../src/pipelines/data/dictionary.js';
import { keyBy } from '../../../src/pipelines/operators/keyBy.js';
import { windowAggregate } from '../../../src/pipelines/operators/windowAggregate.js';
import type { RuntimeContext } from '../../../src/pipelines/runtime/context.js';
import { allRows, runOp } from '../operators/helpers.js';
import { mulberry32 } from './helpers/arbitraries.js';

const SIGMA = 1.04 / Math.sqrt(4096);
const KLL_BOUND = 0.0165;

/** How far (as a fraction of n) the rank of `v` in `sorted` is from q·n: 0 when some copy of v has that rank. */
function rankError(sorted: Float64Array, q: number, v: number): number {
  const n = sorted.length;
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  let end = lo;
  while (end < n && sorted[end] === v) end++;
  const want = q * n;
  return want < lo ? (lo - want) / n : want > end ? (want - end) / n : 0;
}

describe('HyperLogLog (approx_count_distinct)', () => {
  it('estimates within 3 standard errors (1.625 % at p = 12), unbiased, over many sets', () => {
    const rel: number[] = [];
    for (let trial = 0; trial < 240; trial++) {
      const rand = mulberry32(1000 + trial);
      const n = [50, 500, 2000, 10_000, 40_000, 120_000][trial % 6]!;
      const h = new HyperLogLog();
      // Dictionary-code-like integers, random floats, and each value several times.
      for (let i = 0; i < n; i++) {
        const v = trial % 3 === 0 ? i + trial * 1_000_000 : trial % 3 === 1 ? rand() * 1e9 : Math.floor(i / 3) + 0.5;
        h.add(v);
      }
      const distinct = trial % 3 === 2 ? Math.ceil(n / 3) : n;
      rel.push((h.estimate() - distinct) / distinct);
    }
    const beyond = rel.filter((e) => Math.abs(e) > 3 * SIGMA);
    const rms = Math.sqrt(rel.reduce((a, e) => a + e * e, 0) / rel.length);
    const bias = rel.reduce((a, e) => a + e, 0) / rel.length;
    // 3σ is exceeded 0.27 % of the time by a normal error: allow 1 % of the sets.
    expect(beyond.length / rel.length).toBeLessThanOrEqual(0.01);
    expect(rms).toBeLessThan(1.15 * SIGMA);
    expect(Math.abs(bias)).toBeLessThan(0.4 * SIGMA);
  });

  it('is exact-ish on small sets and 0 on none; -0 and 0 are one value', () => {
    const h = new HyperLogLog();
    expect(h.estimate()).toBe(0);
    h.add(0);
    h.add(-0);
    expect(Math.round(h.estimate())).toBe(1);
    for (let i = 1; i < 20; i++) h.add(i);
    expect(Math.round(h.estimate())).toBe(20);
  });

  it('merges exactly (the sketch of the union), sparse or dense, through a checkpoint', () => {
    const a = new HyperLogLog();
    const b = new HyperLogLog();
    const all = new HyperLogLog();
    for (let i = 0; i < 30_000; i++) {
      const v = (i * 7919) % 50_000;
      (i % 5 === 0 ? a : b).add(v);
      all.add(v);
    }
    const small = new HyperLogLog();
    for (let i = 0; i < 10; i++) small.add(-i);
    all.add(0);
    for (let i = 1; i < 10; i++) all.add(-i);
    const merged = HyperLogLog.fromJSON(structuredClone(a.toJSON()));
    merged.merge(b);
    merged.merge(HyperLogLog.fromJSON(structuredClone(small.toJSON())));
    expect(merged.estimate()).toBe(all.estimate());
    const sparseIntoSparse = new HyperLogLog();
    sparseIntoSparse.merge(small);
    expect(sparseIntoSparse.estimate()).toBe(small.estimate());
  });
});

describe('KLL (approx_percentile)', () => {
  it('stays within its rank-error bound on random, sorted and reversed streams, added or merged', () => {
    const errors: number[] = [];
    for (let trial = 0; trial < 48; trial++) {
      const rand = mulberry32(trial + 1);
      const n = [700, 5000, 30_000, 100_000][trial % 4]!;
      const xs = Array.from({ length: n }, () => (trial % 5 === 0 ? Math.floor(rand() * 50) : rand() ** 3 * 1000));
      if (trial % 3 === 1) xs.sort((a, b) => a - b);
      if (trial % 3 === 2) xs.sort((a, b) => b - a);
      const s = new KllSketch();
      if (trial % 2 === 0) for (const x of xs) s.add(x);
      else {
        // Panes of 137 values, merged as hopping windows merge them, through checkpoints.
        for (let i = 0; i < n; i += 137) {
          const pane = new KllSketch();
          for (const x of xs.slice(i, i + 137)) pane.add(x);
          s.merge(KllSketch.fromJSON(structuredClone(pane.toJSON())));
        }
      }
      expect(s.n).toBe(n);
      const sorted = Float64Array.from(xs).sort();
      const qs = Array.from({ length: 99 }, (_, i) => (i + 1) / 100);
      s.quantiles(qs).forEach((v, i) => errors.push(rankError(sorted, qs[i]!, v)));
    }
    errors.sort((a, b) => a - b);
    expect(errors[errors.length - 1]!).toBeLessThanOrEqual(KLL_BOUND);
    expect(errors[Math.floor(errors.length * 0.99)]!).toBeLessThanOrEqual(0.0133);
  });

  it('is exact (nearest rank) until it first compacts', () => {
    const rand = mulberry32(9);
    const xs = Array.from({ length: 150 }, () => Math.floor(rand() * 40));
    const s = new KllSketch();
    for (const x of xs) s.add(x);
    const sorted = [...xs].sort((a, b) => a - b);
    for (const q of [0, 0.1, 0.25, 0.5, 0.9, 0.99, 1]) expect(s.quantile(q)).toBe(sorted[quantileRank(q, xs.length)]);
    expect(new KllSketch().quantile(0.5)).toBeNaN();
  });

  it('quantileRank is the nearest rank: max(1, ceil(q·n)) - 1, robust to rounding of q·n', () => {
    expect(quantileRank(0.9, 10)).toBe(8);
    expect(quantileRank(0.5, 10)).toBe(4);
    expect(quantileRank(0.25, 10)).toBe(2);
    expect(quantileRank(0, 10)).toBe(0);
    expect(quantileRank(1, 10)).toBe(9);
    expect(quantileRank(0.5, 3)).toBe(1);
    expect(quantileRank(0.7, 10)).toBe(6);
  });
});

describe('approximate ops through windowAggregate: hopping panes merged at close', () => {
  it('approx_count_distinct and approx_percentile of big windows stay within their bounds', async () => {
    const rand = mulberry32(42);
    const n = 60_000;
    const time = new Float64Array(n);
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      time[i] = Math.floor((i / n) * 100);
      v[i] = Math.floor(rand() * 20_000) + (rand() < 0.5 ? 0.5 : 0);
    }
    const dict = new Dictionary(['k']);
    const batch = makeBatch(time, { key: { type: 'dictionary', codes: new Int32Array(n), dictionary: dict }, v: { type: 'float64', values: v } });
    const qs = [0.05, 0.5, 0.95];
    const build = (rt: RuntimeContext) =>
      pipe(
        keyBy(rt.step('k', 's'), ['key']),
        windowAggregate(rt.step('w', 's'), {
          size: 50,
          every: 10,
          lateness: 0,
          valueColumn: 'v',
          outputs: [
            { column: 'u', op: 'approx_count_distinct' },
            { column: 'p', op: 'approx_percentile', percentiles: qs },
          ],
        }),
      );
    const { out } = await runOp([batch], build);
    const rows = allRows(out, ['window_start', 'u', 'p_p5', 'p_p50', 'p_p95']);
    expect(rows.length).toBe(14);
    for (const r of rows) {
      const start = r.window_start as number;
      const inWindow = Float64Array.from(v.filter((_, i) => time[i]! >= start && time[i]! < start + 50)).sort();
      if (inWindow.length < 20_000) continue; // the ragged windows at the edges
      const distinct = new Set(inWindow).size;
      expect(Math.abs((r.u as number) - distinct) / distinct).toBeLessThan(3 * SIGMA);
      qs.forEach((q, i) => expect(rankError(inWindow, q, r[['p_p5', 'p_p50', 'p_p95'][i]!] as number)).toBeLessThanOrEqual(KLL_BOUND));
    }
  });
});
