/**
 * The ops added after the basic ten (first_k, last_k, top_k, bottom_k, histogram,
 * approx_count_distinct, approx_percentile, skew, kurtosis) in sliding windows, against a naive
 * scan of each event's window: half-open and inclusive, ties, several windows at once, any
 * chunking, and through snapshot / restore.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { opWidth } from '../../../src/pipelines/aggregations/catalog.js';
import { SlidingAggregator, type SlidingOutputSpec, type SlidingResult } from '../../../src/pipelines/aggregations/slidingAggregator.js';
import { mulberry32, newOpArb } from './helpers/arbitraries.js';
import { close, naiveColumns } from './helpers/naiveWindow.js';

interface Ev {
  t: number;
  k: number;
  v: number;
  on: boolean;
}

function valueOf(r: SlidingResult, i: number): number | null {
  if (r.validity && ((r.validity[i >> 3]! >> (i & 7)) & 1) === 0) return null;
  return r.values[i]!;
}

/** Every output column of every event, by a naive scan of each event's window. */
function naive(events: Ev[], outputs: readonly SlidingOutputSpec[], inclusive: boolean, defaults: (number | undefined)[] = []): (number | null)[][] {
  const cols: (number | null)[][] = outputs.flatMap((o) => Array.from({ length: opWidth(o) }, () => []));
  for (const e of events) {
    let c = 0;
    outputs.forEach((o, oi) => {
      // Events are in time order with ties in arrival order: the window's values in that order.
      const inWindow = events.filter((x) => x.k === e.k && x.on && x.t >= e.t - o.size && (x.t < e.t || (inclusive && x.t === e.t)));
      const want = naiveColumns(o, inWindow.map((x) => x.v), defaults[oi]);
      for (const w of want) cols[c++]!.push(w);
    });
  }
  return cols;
}

function feed(agg: SlidingAggregator, part: Ev[]): SlidingResult[] {
  return agg.process(
    Float64Array.from(part, (e) => e.t),
    Int32Array.from(part, (e) => e.k),
    Float64Array.from(part, (e) => e.v),
    Uint8Array.from(part, (e) => (e.on ? 1 : 0)),
    4,
  );
}

/** Run in chunks (never splitting a run of equal times); every output column of every event. */
function run(events: Ev[], outputs: SlidingOutputSpec[], inclusive: boolean, chunks: number[], defaults: (number | undefined)[] = []): (number | null)[][] {
  const agg = new SlidingAggregator(outputs, inclusive, defaults);
  const width = outputs.reduce((a, o) => a + opWidth(o), 0);
  const got: (number | null)[][] = Array.from({ length: width }, () => []);
  let at = 0;
  for (const len of [...chunks, events.length]) {
    let end = Math.min(events.length, at + len);
    while (end < events.length && end > at && events[end]!.t === events[end - 1]!.t) end++;
    if (end <= at) continue;
    const part = events.slice(at, end);
    const res = feed(agg, part);
    expect(res.length).toBe(width);
    res.forEach((r, c) => part.forEach((_, i) => got[c]!.push(valueOf(r, i))));
    at = end;
    if (at >= events.length) break;
  }
  return got;
}

/** Events over 4 keys with many equal times, and values on a small 0.25 grid (repeats and exact sums). */
const eventsArb = fc
  .array(fc.record({ dt: fc.integer({ min: 0, max: 4 }), k: fc.integer({ min: 0, max: 3 }), v: fc.integer({ min: -8, max: 8 }), on: fc.boolean() }), { maxLength: 90 })
  .map((xs) => {
    let t = 1000;
    return xs.map((x) => ({ t: (t += x.dt), k: x.k, v: x.v / 4, on: x.on }));
  });

function compare(got: (number | null)[][], want: (number | null)[][], what: string): void {
  expect(got.length).toBe(want.length);
  got.forEach((col, c) =>
    col.forEach((g, i) => {
      if (!close(g, want[c]![i]!, 1e-9)) throw new Error(`${what}: column ${c} row ${i}: got ${g}, want ${want[c]![i]}`);
    }),
  );
}

describe('SlidingAggregator: first_k, last_k, top_k, bottom_k, histogram, approx ops, skew, kurtosis', () => {
  it('a worked example: [t - 10, t) at every event, ties, k past the window size', () => {
    const events: Ev[] = [
      { t: 0, k: 0, v: 1, on: true },
      { t: 5, k: 0, v: 3, on: true },
      { t: 5, k: 0, v: 2, on: true },
      { t: 10, k: 0, v: 3, on: true },
      { t: 16, k: 0, v: 5, on: true },
    ];
    const outputs: SlidingOutputSpec[] = [
      { op: 'first_k', k: 2, size: 10 },
      { op: 'last_k', k: 2, size: 10 },
      { op: 'top_k', k: 2, size: 10 },
      { op: 'histogram', values: [3, 1], size: 10 },
      { op: 'approx_percentile', percentile: 0.5, size: 10 },
    ];
    const [f1, f2, l1, l2, t1, t2, h3, h1, hOther, p50] = run(events, outputs, false, []);
    // At t=10 the window is [0, 10): 1, 3, 2 (time order, ties by arrival). At 16: [6, 16): only 3.
    expect(f1).toEqual([null, 1, 1, 1, 3]);
    expect(f2).toEqual([null, null, null, 3, null]);
    expect(l1).toEqual([null, 1, 1, 2, 3]);
    expect(l2).toEqual([null, null, null, 3, null]);
    expect(t1).toEqual([null, 1, 1, 3, 3]);
    expect(t2).toEqual([null, null, null, 2, null]);
    expect(h3).toEqual([0, 0, 0, 1, 1]);
    expect(h1).toEqual([0, 1, 1, 1, 0]);
    expect(hOther).toEqual([0, 0, 0, 1, 0]);
    // The median of 1, 2, 3 (nearest rank: the 2nd) and of 1 alone.
    expect(p50).toEqual([null, 1, 1, 2, 3]);
    const [inclusiveLast] = run(events, [{ op: 'last_k', k: 1, size: 10 }], true, []);
    expect(inclusiveLast).toEqual([1, 2, 2, 3, 5]);
  });

  it('skew and kurtosis: DuckDB formulas on a worked example', () => {
    const events: Ev[] = [1, 2, 4, 8].map((v, i) => ({ t: i, k: 0, v, on: true }));
    const [skew, kurt] = run(events, [{ op: 'skew', size: Infinity }, { op: 'kurtosis', size: Infinity }], true, []);
    // DuckDB: skewness([1, 2, 4]) = 0.935219529582821, skewness([1, 2, 4, 8]) = 1.1376243669576889,
    // kurtosis([1, 2, 4, 8]) = 0.7576559546313808; null below 3 (skew) and 4 (kurtosis) values.
    expect(skew!.slice(0, 2)).toEqual([null, null]);
    expect(skew![2]).toBeCloseTo(0.935219529582821, 12);
    expect(skew![3]).toBeCloseTo(1.1376243669576889, 12);
    expect(kurt!.slice(0, 3)).toEqual([null, null, null]);
    expect(kurt![3]).toBeCloseTo(0.7576559546313808, 12);
    const flat = run([5, 5, 5, 5].map((v, i) => ({ t: i, k: 0, v, on: true })), [{ op: 'skew', size: Infinity }, { op: 'kurtosis', size: Infinity }], true, []);
    expect(flat).toEqual([[null, null, null, null], [null, null, null, null]]);
  });

  it('matches a naive scan for every new op, window, tie and chunking (half-open and inclusive)', () => {
    fc.assert(
      fc.property(
        eventsArb,
        newOpArb,
        fc.constantFrom(3, 7, 20, Infinity),
        fc.boolean(),
        fc.array(fc.integer({ min: 1, max: 10 }), { maxLength: 5 }),
        fc.option(fc.constantFrom(-1, 0), { nil: undefined }),
        (events, spec, size, inclusive, chunks, fallback) => {
          // The op in two windows at once, next to a count: windows share one ring per key.
          const outputs: SlidingOutputSpec[] = [{ ...spec, size }, { ...spec, size: 4 }, { op: 'count', size: 2 }];
          const defaults = [fallback, undefined, undefined];
          compare(run(events, outputs, inclusive, chunks, defaults), naive(events, outputs, inclusive, defaults), `${JSON.stringify(spec)} size ${size} inclusive ${inclusive}`);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('many ops of one feature together, against the naive scan', () => {
    fc.assert(
      fc.property(eventsArb, fc.array(newOpArb, { minLength: 1, maxLength: 6 }), fc.boolean(), (events, specs, inclusive) => {
        const outputs: SlidingOutputSpec[] = specs.flatMap((s, i) => [{ ...s, size: [5, 11, Infinity][i % 3]! }]);
        compare(run(events, outputs, inclusive, [7, 3]), naive(events, outputs, inclusive), JSON.stringify(specs));
      }),
      { numRuns: 200 },
    );
  });

  it('restores from a structuredClone of a snapshot and continues exactly', () => {
    fc.assert(
      fc.property(eventsArb, fc.array(newOpArb, { minLength: 1, maxLength: 5 }), fc.integer({ min: 0, max: 90 }), fc.boolean(), (events, specs, cutAt, inclusive) => {
        const outputs: SlidingOutputSpec[] = specs.map((s, i) => ({ ...s, size: i % 2 === 0 ? 6 : 13 }));
        const whole = run(events, outputs, inclusive, []);
        let cut = Math.min(cutAt, events.length);
        while (cut > 0 && cut < events.length && events[cut]!.t === events[cut - 1]!.t) cut++;
        const first = new SlidingAggregator(outputs, inclusive);
        feed(first, events.slice(0, cut));
        const second = new SlidingAggregator(outputs, inclusive);
        second.restore(structuredClone(first.snapshot()));
        feed(second, events.slice(cut)).forEach((r, c) => {
          for (let i = 0; i < events.length - cut; i++) expect(valueOf(r, i)).toBe(whole[c]![cut + i]);
        });
      }),
      { numRuns: 200 },
    );
  });

  it('restores skew and kurtosis bit for bit on rough data (outliers, drift: the re-centring state is in the snapshot)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 1999 }), (seed, cut0) => {
        const rand = mulberry32(seed);
        const events: Ev[] = [];
        let t = 0;
        for (let i = 0; i < 2000; i++) {
          t += Math.floor(rand() * 3);
          const v = rand() < 0.01 ? 1e9 * rand() : 1e5 + i * 0.5 + rand() * 7;
          events.push({ t, k: Math.floor(rand() * 2), v, on: true });
        }
        const outputs: SlidingOutputSpec[] = [
          { op: 'skew', size: 40 },
          { op: 'kurtosis', size: 300 },
        ];
        const whole = run(events, outputs, false, []);
        let cut = cut0;
        while (cut < events.length && events[cut]!.t === events[cut - 1]!.t) cut++;
        const first = new SlidingAggregator(outputs);
        feed(first, events.slice(0, cut));
        const second = new SlidingAggregator(outputs);
        second.restore(structuredClone(first.snapshot()));
        feed(second, events.slice(cut)).forEach((r, c) => {
          for (let i = 0; i < events.length - cut; i++) expect(valueOf(r, i)).toBe(whole[c]![cut + i]);
        });
      }),
      { numRuns: 20 },
    );
  });

  it('skew and kurtosis stay accurate over long streams with drifting means and outliers passing through', () => {
    // Values far from the first value (the initial shift), a huge outlier entering and leaving the
    // window, then a narrow spread: the running power sums would cancel without re-centring.
    const events: Ev[] = [];
    let t = 0;
    const rand = mulberry32(7);
    for (let i = 0; i < 4000; i++) {
      const base = i < 1000 ? 0 : i < 2000 ? 1e6 : 1e6 + 0.001 * i;
      const v = i === 1500 ? 1e12 : base + (i >= 2000 ? rand() * 1e-3 : rand() * 10);
      events.push({ t: (t += 1), k: 0, v, on: true });
    }
    const outputs: SlidingOutputSpec[] = [{ op: 'skew', size: 200 }, { op: 'kurtosis', size: 200 }];
    const [skew, kurt] = run(events, outputs, false, [997]);
    const [wantSkew, wantKurt] = naive(events, outputs, false);
    for (let i = 0; i < events.length; i++) {
      if (!close(skew![i]!, wantSkew![i]!, 1e-6)) throw new Error(`skew row ${i}: got ${skew![i]}, want ${wantSkew![i]}`);
      if (!close(kurt![i]!, wantKurt![i]!, 1e-6)) throw new Error(`kurtosis row ${i}: got ${kurt![i]}, want ${wantKurt![i]}`);
    }
  });
});
