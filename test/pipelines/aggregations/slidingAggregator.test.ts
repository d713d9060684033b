import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BASIC_OP_NAMES as OP_NAMES, type OpName } from '../../../src/pipelines/aggregations/catalog.js';
import { SlidingAggregator, type SlidingResult } from '../../../src/pipelines/aggregations/slidingAggregator.js';
import { close, naiveAggregate } from './helpers/naiveWindow.js';

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

/** Naive: for each event, scan every earlier (or tied, when inclusive) event of its key. */
function naive(events: Ev[], op: OpName, size: number, inclusive: boolean, fallback?: number): (number | null)[] {
  return events.map((e) => {
    const inWindow = events.filter((x, j) => {
      if (x.k !== e.k || !x.on) return false;
      if (x.t < e.t - size) return false;
      if (x.t < e.t) return true;
      return inclusive && x.t === e.t && j >= 0;
    });
    return naiveAggregate(op, inWindow.map((x) => x.v), fallback);
  });
}

function run(events: Ev[], outputs: { op: OpName; size: number }[], inclusive: boolean, chunks: number[], defaults: (number | undefined)[] = []) {
  const agg = new SlidingAggregator(outputs, inclusive, defaults);
  const got: (number | null)[][] = outputs.map(() => []);
  let at = 0;
  for (const len of [...chunks, events.length]) {
    // Never split a run of equal timestamps across calls, as the operator guarantees.
    let end = Math.min(events.length, at + len);
    while (end < events.length && end > at && events[end]!.t === events[end - 1]!.t) end++;
    if (end <= at) continue;
    const part = events.slice(at, end);
    const res = agg.process(
      Float64Array.from(part, (e) => e.t),
      Int32Array.from(part, (e) => e.k),
      Float64Array.from(part, (e) => e.v),
      Uint8Array.from(part, (e) => (e.on ? 1 : 0)),
      4,
    );
    res.forEach((r, o) => part.forEach((_, i) => got[o]!.push(valueOf(r, i))));
    at = end;
    if (at >= events.length) break;
  }
  return got;
}

const eventsArb = fc
  .array(fc.record({ dt: fc.integer({ min: 0, max: 5 }), k: fc.integer({ min: 0, max: 3 }), v: fc.integer({ min: -50, max: 50 }), on: fc.boolean() }), { maxLength: 80 })
  .map((xs) => {
    let t = 1000;
    return xs.map((x) => ({ t: (t += x.dt), k: x.k, v: x.v / 4, on: x.on }));
  });

describe('SlidingAggregator', () => {
  it('reads [t - w, t) at every event: a worked example', () => {
    const events: Ev[] = [
      { t: 0, k: 0, v: 1, on: true },
      { t: 5, k: 0, v: 2, on: true },
      { t: 5, k: 0, v: 3, on: true },
      { t: 10, k: 0, v: 4, on: true },
      { t: 16, k: 0, v: 5, on: true },
    ];
    const [count, sum] = run(events, [{ op: 'count', size: 10 }, { op: 'sum', size: 10 }], false, []);
    // At t=10 the window is [0, 10): events at 0 and both at 5. At t=16: [6, 16): only t=10.
    expect(count).toEqual([0, 1, 1, 3, 1]);
    expect(sum).toEqual([null, 1, 1, 6, 4]);
    const [inclusiveCount] = run(events, [{ op: 'count', size: 10 }], true, []);
    expect(inclusiveCount).toEqual([1, 3, 3, 4, 2]);
  });

  it('gives the default for an empty window', () => {
    const events: Ev[] = [{ t: 0, k: 1, v: 1, on: true }, { t: 100, k: 1, v: 2, on: true }];
    const [mean] = run(events, [{ op: 'mean', size: 10 }], false, [], [-1]);
    expect(mean).toEqual([-1, -1]);
  });

  it('matches a naive scan for every op, window, tie and chunking', () => {
    fc.assert(
      fc.property(
        eventsArb,
        fc.constantFrom(...OP_NAMES),
        fc.constantFrom(3, 7, 20, Infinity),
        fc.boolean(),
        fc.array(fc.integer({ min: 1, max: 10 }), { maxLength: 5 }),
        (events, op, size, inclusive, chunks) => {
          const [got] = run(events, [{ op, size }, { op: 'count', size: 2 }], inclusive, chunks);
          const want = naive(events, op, size, inclusive);
          for (let i = 0; i < events.length; i++) {
            if (!close(got![i]!, want[i]!)) throw new Error(`row ${i}: got ${got![i]} want ${want[i]} (${op}, ${size})`);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('restores from a snapshot and continues exactly', () => {
    fc.assert(
      fc.property(eventsArb, fc.integer({ min: 0, max: 80 }), (events, cutAt) => {
        const outputs = OP_NAMES.map((op) => ({ op, size: 6 }));
        const whole = run(events, outputs, false, []);
        let cut = Math.min(cutAt, events.length);
        while (cut > 0 && cut < events.length && events[cut]!.t === events[cut - 1]!.t) cut++;
        const first = new SlidingAggregator(outputs);
        const feed = (agg: SlidingAggregator, part: Ev[]) =>
          agg.process(Float64Array.from(part, (e) => e.t), Int32Array.from(part, (e) => e.k), Float64Array.from(part, (e) => e.v), Uint8Array.from(part, (e) => (e.on ? 1 : 0)), 4);
        feed(first, events.slice(0, cut));
        const snap = structuredClone(first.snapshot());
        const second = new SlidingAggregator(outputs);
        second.restore(snap);
        const tail = feed(second, events.slice(cut));
        tail.forEach((r, o) => {
          for (let i = 0; i < events.length - cut; i++) expect(valueOf(r, i)).toBe(whole[o]![cut + i]);
        });
      }),
      { numRuns: 200 },
    );
  });
});
