import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MOMENT_OPS, SlidingMoments, type MomentOp } from '../../../src/pipelines/aggregations/slidingMoments.js';
import type { SlidingResult } from '../../../src/pipelines/aggregations/slidingAggregator.js';
import { close, naiveAggregate } from './helpers/naiveWindow.js';

interface Ev {
  t: number;
  k: number;
  v: number;
  on: boolean;
}

const valueOf = (r: SlidingResult, i: number) => (r.validity && ((r.validity[i >> 3]! >> (i & 7)) & 1) === 0 ? null : r.values[i]!);

/** Feed `events` in chunks that never split a timestamp; optionally restart from a snapshot after `restartAt` chunks. */
function run(events: Ev[], outputs: { op: MomentOp; size: number }[], inclusive: boolean, chunk: number, keys: number, restartAt = -1, defaults: (number | undefined)[] = []) {
  let agg = new SlidingMoments(outputs, inclusive, defaults);
  const got: (number | null)[][] = outputs.map(() => []);
  let at = 0;
  let chunks = 0;
  while (at < events.length) {
    let end = Math.min(events.length, at + chunk);
    while (end < events.length && events[end]!.t === events[end - 1]!.t) end++;
    const part = events.slice(at, end);
    const res = agg.process(Float64Array.from(part, (e) => e.t), Int32Array.from(part, (e) => e.k), Float64Array.from(part, (e) => e.v), Uint8Array.from(part, (e) => (e.on ? 1 : 0)), keys);
    res.forEach((r, o) => part.forEach((_, i) => got[o]!.push(valueOf(r, i))));
    at = end;
    if (++chunks === restartAt) {
      const snap = structuredClone(agg.snapshot());
      agg = new SlidingMoments(outputs, inclusive, defaults);
      agg.restore(snap);
    }
  }
  return got;
}

function naive(events: Ev[], op: MomentOp, size: number, inclusive: boolean, fallback?: number): (number | null)[] {
  return events.map((e) => {
    const seen = events.filter((x) => x.k === e.k && x.on && x.t >= e.t - size && (x.t < e.t || (inclusive && x.t === e.t)));
    return naiveAggregate(op, seen.map((x) => x.v), fallback);
  });
}

const eventsArb = (keys: number) =>
  fc
    .array(fc.record({ dt: fc.integer({ min: 0, max: 6 }), k: fc.integer({ min: -1, max: keys - 1 }), v: fc.integer({ min: -40, max: 40 }), on: fc.boolean() }), { maxLength: 120 })
    .map((xs) => {
      let t = 5000;
      return xs.map((x) => ({ t: (t += x.dt), k: x.k, v: x.v / 8 + 1e6, on: x.on }));
    });

describe('SlidingMoments', () => {
  it('a worked example: half-open reads exclude ties, inclusive reads see them all', () => {
    const ev: Ev[] = [0, 5, 5, 10, 16].map((t, i) => ({ t, k: 0, v: i + 1, on: true }));
    expect(run(ev, [{ op: 'count', size: 10 }, { op: 'sum', size: 10 }], false, 100, 1)).toEqual([[0, 1, 1, 3, 1], [null, 1, 1, 6, 4]]);
    expect(run(ev, [{ op: 'count', size: 10 }], true, 100, 1)).toEqual([[1, 3, 3, 4, 2]]);
    // The lower edge is included: at t = 11 the window [1, 11) holds the event at 1 but not the one at 0.
    const edge: Ev[] = [0, 1, 11].map((t) => ({ t, k: 0, v: 1, on: true }));
    expect(run(edge, [{ op: 'count', size: 10 }], false, 100, 1)).toEqual([[0, 1, 1]]);
    // All history keeps no events yet counts everything before t.
    expect(run(ev, [{ op: 'count', size: Infinity }, { op: 'mean', size: 10 }], false, 2, 1, 2, [undefined, -1])).toEqual([[0, 1, 1, 3, 4], [-1, 1, 1, 2, 4]]);
  });

  it('matches a naive scan for every op, several windows, all history, ties, null keys, chunking and restarts', () => {
    fc.assert(
      fc.property(
        eventsArb(5),
        fc.subarray([...MOMENT_OPS], { minLength: 1 }),
        fc.subarray([3, 8, 25, Infinity], { minLength: 1 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: -1, max: 5 }),
        (events, ops, sizes, inclusive, chunk, restartAt) => {
          const outputs = sizes.flatMap((size) => ops.map((op) => ({ op, size })));
          const got = run(events, outputs, inclusive, chunk, 5, restartAt);
          outputs.forEach((o, i) => {
            const want = naive(events, o.op, o.size, inclusive).map((v, r) => (events[r]!.k < 0 ? null : v));
            want.forEach((w, r) => {
              if (!close(got[i]![r]!, w, 1e-7)) throw new Error(`${o.op}/${o.size} row ${r}: got ${got[i]![r]} want ${w}`);
            });
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps every key right while the arena grows and compacts across thousands of keys', () => {
    const events: Ev[] = [];
    let t = 0;
    for (let i = 0; i < 60_000; i++) events.push({ t: (t += i % 3 === 0 ? 1 : 0), k: (i * 7919) % 3000, v: i % 17, on: true });
    const outputs = [{ op: 'count' as const, size: 400 }, { op: 'sum' as const, size: 400 }];
    const got = run(events, outputs, false, 4096, 3000, 7);
    // Reference: per key, a plain array of (t, v) scanned from a moving start.
    const perKey = new Map<number, { t: number; v: number }[]>();
    const starts = new Map<number, number>();
    events.forEach((e, r) => {
      const list = perKey.get(e.k) ?? [];
      let s = starts.get(e.k) ?? 0;
      while (s < list.length && list[s]!.t < e.t - 400) s++;
      starts.set(e.k, s);
      const inWindow = list.slice(s).filter((x) => x.t < e.t);
      expect(got[0]![r]).toBe(inWindow.length);
      expect(got[1]![r]).toBe(inWindow.length === 0 ? null : inWindow.reduce((a, x) => a + x.v, 0));
      list.push({ t: e.t, v: e.v });
      perKey.set(e.k, list);
    });
  });
});
