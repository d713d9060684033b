/**
 * Materialized buckets (`bucket:` on a sliding feature): every op over a window whose lower edge is
 * rounded down to a bucket edge, against a naive scan; snapshot / restore; bounded memory; config.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BucketedSlidingAggregator } from '../../../src/pipelines/aggregations/bucketedSliding.js';
import { BASIC_OP_NAMES, opWidth, type OpSpec } from '../../../src/pipelines/aggregations/catalog.js';
import { HyperLogLog } from '../../../src/pipelines/aggregations/hyperLogLog.js';
import type { SlidingOutputSpec, SlidingResult } from '../../../src/pipelines/aggregations/slidingAggregator.js';
import { bucketStart } from '../../../src/pipelines/windows/align.js';
import { ConfigError } from '../../../src/sdk/config/configError.js';
import { parseConfig } from '../../../src/sdk/config/loadConfig.js';
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

/** The answer of an op over values in (time, arrival) order; sketches as the sketch of those values. */
function expected(spec: OpSpec, values: number[], fallback?: number): (number | null)[] {
  if (spec.op === 'approx_count_distinct' && values.length > 0) {
    const h = new HyperLogLog();
    for (const v of values) h.add(v);
    return [Math.round(h.estimate())];
  }
  // KLL holds every value below ~200 (these windows are smaller): exact.
  return naiveColumns(spec, values, fallback);
}

function naive(events: Ev[], outputs: readonly SlidingOutputSpec[], bucket: number, inclusive: boolean, defaults: (number | undefined)[] = []): (number | null)[][] {
  const cols: (number | null)[][] = outputs.flatMap((o) => Array.from({ length: opWidth(o) }, () => []));
  for (const e of events) {
    let c = 0;
    outputs.forEach((o, oi) => {
      const lower = o.size === Infinity ? -Infinity : bucketStart(e.t - o.size, bucket);
      const inWindow = events.filter((x) => x.k === e.k && x.on && bucketStart(x.t, bucket) >= lower && (x.t < e.t || (inclusive && x.t === e.t)));
      for (const w of expected(o, inWindow.map((x) => x.v), defaults[oi])) cols[c++]!.push(w);
    });
  }
  return cols;
}

function feed(agg: BucketedSlidingAggregator, part: Ev[]): SlidingResult[] {
  return agg.process(
    Float64Array.from(part, (e) => e.t),
    Int32Array.from(part, (e) => e.k),
    Float64Array.from(part, (e) => e.v),
    Uint8Array.from(part, (e) => (e.on ? 1 : 0)),
    4,
  );
}

function run(events: Ev[], outputs: SlidingOutputSpec[], bucket: number, inclusive: boolean, chunks: number[], defaults: (number | undefined)[] = []) {
  const agg = new BucketedSlidingAggregator(outputs, bucket, inclusive, defaults);
  const got: (number | null)[][] = outputs.flatMap((o) => Array.from({ length: opWidth(o) }, () => []));
  let at = 0;
  for (const len of [...chunks, events.length]) {
    let end = Math.min(events.length, at + len);
    while (end < events.length && end > at && events[end]!.t === events[end - 1]!.t) end++;
    if (end <= at) continue;
    const part = events.slice(at, end);
    feed(agg, part).forEach((r, c) => part.forEach((_, i) => got[c]!.push(valueOf(r, i))));
    at = end;
    if (at >= events.length) break;
  }
  return { got, agg };
}

const eventsArb = fc
  .array(fc.record({ dt: fc.integer({ min: 0, max: 4 }), k: fc.integer({ min: 0, max: 3 }), v: fc.integer({ min: -8, max: 8 }), on: fc.boolean() }), { maxLength: 90 })
  .map((xs) => {
    let t = 997;
    return xs.map((x) => ({ t: (t += x.dt), k: x.k, v: x.v / 4, on: x.on }));
  });

const anyOpArb: fc.Arbitrary<OpSpec> = fc.oneof(fc.constantFrom(...BASIC_OP_NAMES).map((op) => ({ op })), newOpArb);

function compare(got: (number | null)[][], want: (number | null)[][], what: string): void {
  expect(got.length).toBe(want.length);
  got.forEach((col, c) =>
    col.forEach((g, i) => {
      if (!close(g, want[c]![i]!, 1e-9)) throw new Error(`${what}: column ${c} row ${i}: got ${g}, want ${want[c]![i]}`);
    }),
  );
}

describe('BucketedSlidingAggregator (materialized buckets)', () => {
  it('a worked example: the window start rounds down to a bucket edge', () => {
    const events: Ev[] = [0, 3, 4, 7, 9, 12, 13].map((t, i) => ({ t, k: 0, v: i + 1, on: true }));
    const { got } = run(events, [{ op: 'count', size: 5 }, { op: 'sum', size: 5 }, { op: 'first', size: 5 }], 4, false, []);
    // At t=7 the exact window is [2, 7); rounded down to the bucket edge 0: events at 0, 3 and 4.
    // At t=9: [4, 9), on an edge: 4 and 7. At t=12: [7, 12) -> [4, 12): 4, 7, 9. At t=13: [8, 13): 9, 12.
    expect(got[0]).toEqual([0, 1, 2, 3, 2, 3, 2]);
    expect(got[1]).toEqual([null, 1, 3, 6, 7, 12, 11]);
    expect(got[2]).toEqual([null, 1, 1, 1, 3, 3, 5]);
  });

  it('matches a naive scan of the bucketed window for every op, window, bucket, tie and chunking', () => {
    fc.assert(
      fc.property(
        eventsArb,
        fc.array(anyOpArb, { minLength: 1, maxLength: 4 }),
        fc.constantFrom(1, 2, 3, 5),
        fc.array(fc.constantFrom(5, 6, 13, 40, Infinity), { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        fc.array(fc.integer({ min: 1, max: 10 }), { maxLength: 5 }),
        fc.option(fc.constantFrom(-1, 0), { nil: undefined }),
        (events, specs, bucket, sizes, inclusive, chunks, fallback) => {
          const outputs: SlidingOutputSpec[] = specs.flatMap((s, i) => [{ ...s, size: sizes[i % sizes.length]! }]);
          const defaults = outputs.map((_, i) => (i === 0 ? fallback : undefined));
          compare(run(events, outputs, bucket, inclusive, chunks, defaults).got, naive(events, outputs, bucket, inclusive, defaults), `${JSON.stringify(outputs)} bucket ${bucket}`);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('with bucket 1 ms and whole-ms times, equals the exact sliding window', () => {
    fc.assert(
      fc.property(eventsArb, anyOpArb, fc.constantFrom(3, 7, 20), fc.boolean(), (events, spec, size, inclusive) => {
        const outputs = [{ ...spec, size }];
        const exact = events.map((e) => events.filter((x) => x.k === e.k && x.on && x.t >= e.t - size && (x.t < e.t || (inclusive && x.t === e.t))).map((x) => x.v));
        const want = outputs.flatMap((o) => Array.from({ length: opWidth(o) }, (_, j) => exact.map((vs) => expected(o, vs)[j]!)));
        compare(run(events, outputs, 1, inclusive, []).got, want, JSON.stringify(spec));
      }),
      { numRuns: 200 },
    );
  });

  it('restores from a structuredClone of a snapshot and continues exactly', () => {
    fc.assert(
      fc.property(eventsArb, fc.array(anyOpArb, { minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: 90 }), fc.constantFrom(1, 2, 4), fc.boolean(), (events, specs, cutAt, bucket, inclusive) => {
        const outputs: SlidingOutputSpec[] = specs.map((s, i) => ({ ...s, size: [8, 20, Infinity][i % 3]! }));
        const whole = run(events, outputs, bucket, inclusive, []).got;
        let cut = Math.min(cutAt, events.length);
        while (cut > 0 && cut < events.length && events[cut]!.t === events[cut - 1]!.t) cut++;
        const first = new BucketedSlidingAggregator(outputs, bucket, inclusive);
        feed(first, events.slice(0, cut));
        const second = new BucketedSlidingAggregator(outputs, bucket, inclusive);
        second.restore(structuredClone(first.snapshot()));
        feed(second, events.slice(cut)).forEach((r, c) => {
          for (let i = 0; i < events.length - cut; i++) expect(valueOf(r, i)).toBe(whole[c]![cut + i]);
        });
      }),
      { numRuns: 200 },
    );
  });

  it('restores at every 37th event of a long stream and continues exactly (queues mid-flip included)', () => {
    const rand = mulberry32(11);
    let t = 0;
    const events: Ev[] = Array.from({ length: 1500 }, () => ({ t: (t += Math.floor(rand() * 4)), k: Math.floor(rand() * 2), v: Math.floor(rand() * 40) / 4, on: rand() < 0.8 }));
    const outputs: SlidingOutputSpec[] = [
      { op: 'sum', size: 30 },
      { op: 'top_k', k: 2, size: 30 },
      { op: 'count', size: 100 },
    ];
    const whole = run(events, outputs, 3, false, []).got;
    for (let cut = 37; cut < events.length; cut += 37) {
      if (events[cut]!.t === events[cut - 1]!.t) continue;
      const first = new BucketedSlidingAggregator(outputs, 3);
      feed(first, events.slice(0, cut));
      const second = new BucketedSlidingAggregator(outputs, 3);
      second.restore(structuredClone(first.snapshot()));
      feed(second, events.slice(cut)).forEach((r, c) => {
        for (let i = 0; i < events.length - cut; i++) if (!Object.is(valueOf(r, i), whole[c]![cut + i])) throw new Error(`cut ${cut}, column ${c}, row ${cut + i}: ${valueOf(r, i)} vs ${whole[c]![cut + i]}`);
      });
    }
  });

  it('keeps O(window / bucket) summaries a key, whatever the number of events', () => {
    const events: Ev[] = Array.from({ length: 50_000 }, (_, i) => ({ t: i * 10, k: i % 2, v: i % 97, on: true }));
    const { agg } = run(events, [{ op: 'sum', size: 60_000 }, { op: 'top_k', k: 2, size: 10_000 }, { op: 'count', size: Infinity }], 1000, false, [4096]);
    const snap = agg.snapshot() as { keys: [number, { starts: number[]; windows: { front: unknown[] }[] }][] };
    for (const [, ks] of snap.keys) {
      expect(ks.starts.length).toBeLessThanOrEqual(62);
      for (const q of ks.windows) expect(q.front.length).toBeLessThanOrEqual(62);
    }
  });

  it('rejects a bucket longer than a window', () => {
    expect(() => new BucketedSlidingAggregator([{ op: 'sum', size: 10 }], 20)).toThrow(/must not be longer/);
  });
});

describe('bucket: in configs', () => {
  const HEAD = `name: b
sources:
  txns:
    time: ts
    keys: [card_id]
    columns: { card_id: string, amount: float64 }
features:
  - name: spend
    source: txns
    op: sum
    column: amount
`;
  const problems = (text: string): string[] => {
    try {
      parseConfig(text, { file: 'x.yaml' });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      return err.problems.map((p) => `${p.line}:${p.column} ${p.path}: ${p.message}`);
    }
    return [];
  };

  it('puts the bucket on every sliding window of the feature', () => {
    const cfg = parseConfig(`${HEAD}    windows: [30d, 90d]\n    bucket: 1d\n`, { file: 'x.yaml' });
    expect(cfg.features[0]).toMatchObject({
      windows: [
        { type: 'sliding', size: 30 * 86_400_000, bucket: 86_400_000 },
        { type: 'sliding', size: 90 * 86_400_000, bucket: 86_400_000 },
      ],
    });
  });

  it('reports a bucket on other windows, longer than a window, or not a duration, at the bucket', () => {
    expect(problems(`${HEAD}    window: { tumbling: 1d }\n    bucket: 1h\n`)).toEqual([
      '13:13 features[0].bucket: bucket applies to sliding windows (tumbling, hopping and session windows are summarised per pane already)',
    ]);
    expect(problems(`${HEAD}    windows: [1h, 1d]\n    bucket: 2h\n`)).toEqual(['13:13 features[0].bucket: a bucket must not be longer than its window (1h)']);
    expect(problems(`${HEAD}    window: 1h\n    bucket: often\n`)[0]).toMatch(/^13:13 features\[0\]\.bucket: /);
  });
});
