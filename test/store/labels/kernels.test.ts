import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { asOfRows } from '../../../src/store/labels/asOf.js';
import { asOfJoin } from '../../../src/store/labels/asOfSweep.js';
import { KeyMatcher } from '../../../src/store/labels/keyCodes.js';
import { groupByKey } from '../../../src/store/labels/keyGroups.js';
import { groupLabelEvents, sweepEvents } from '../../../src/store/labels/labelEvents.js';
import { sweepAhead } from '../../../src/store/labels/labelSweep.js';
import { labelWindows } from '../../../src/store/labels/labelWindow.js';
import { aggregateAhead, aggregateAheadGrouped } from '../../../src/store/labels/lookahead.js';
import { batchOf } from './helpers.js';

describe('asOfRows', () => {
  const arb = fc.record({
    spine: fc.array(fc.tuple(fc.integer({ min: -1, max: 3 }), fc.integer({ min: 0, max: 30 })), { maxLength: 40 }),
    table: fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 30 })), { maxLength: 40 }),
    tolerance: fc.option(fc.integer({ min: 0, max: 10 }), { nil: undefined }),
  });
  /** Latest row of the key strictly before t, ties to the last in table order. */
  const naive = (table: [number, number][], k: number, t: number, tol: number | undefined): number => {
    let best = -1;
    table.forEach(([kk, tt], j) => {
      if (kk === k && tt < t && (best < 0 || tt >= table[best]![1])) best = j;
    });
    return best >= 0 && tol !== undefined && t - table[best]![1] > tol ? -1 : best;
  };

  it('matches a naive scan, for a spine in any order (binary search) and in time order (cursor)', () => {
    fc.assert(
      fc.property(arb, ({ spine, table, tolerance }) => {
        const groups = groupByKey(Int32Array.from(table, (r) => r[0]), Float64Array.from(table, (r) => r[1]), 4);
        for (const rows of [spine, [...spine].sort((a, b) => a[1] - b[1])]) {
          const got = asOfRows(Int32Array.from(rows, (r) => r[0]), Float64Array.from(rows, (r) => r[1]), groups, tolerance);
          expect(Array.from(got)).toEqual(rows.map(([k, t]) => (k < 0 ? -1 : naive(table, k, t, tolerance))));
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('asOfJoin (the sweep)', () => {
  it('matches a naive scan, for tables in or out of time order, with nulls and NaN values, keeping values or rows per key', () => {
    const arb = fc.record({
      spine: fc.array(fc.tuple(fc.integer({ min: -1, max: 3 }), fc.integer({ min: 0, max: 30 })), { maxLength: 40 }),
      table: fc.array(fc.tuple(fc.integer({ min: -1, max: 3 }), fc.integer({ min: 0, max: 30 }), fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constant(NaN), fc.constant(null))), { maxLength: 40 }),
      tolerance: fc.option(fc.integer({ min: 0, max: 10 }), { nil: undefined }),
      sortedTable: fc.boolean(),
    });
    fc.assert(
      fc.property(arb, ({ spine, table, tolerance, sortedTable }) => {
        const rows = sortedTable ? [...table].sort((a, b) => a[1] - b[1]) : table;
        const sorted = [...spine].sort((a, b) => a[1] - b[1]);
        const values = Float64Array.from(rows, (r) => (r[2] === null ? NaN : r[2]));
        const validity = new Uint8Array((rows.length + 7) >> 3);
        rows.forEach((r, j) => r[2] !== null && (validity[j >> 3]! |= 1 << (j & 7)));
        const expected = sorted.map(([k, t]) => {
          let best = -1;
          rows.forEach(([kk, tt], j) => {
            if (k >= 0 && kk === k && tt < t && (best < 0 || tt >= rows[best]![1])) best = j;
          });
          if (best < 0 || (tolerance !== undefined && t - rows[best]![1] > tolerance)) return null;
          return rows[best]![2];
        });
        for (const eager of [1 << 22, 0]) {
          const [got] = asOfJoin(
            Int32Array.from(sorted, (r) => r[0]),
            Float64Array.from(sorted, (r) => r[1]),
            Int32Array.from(rows, (r) => r[0]),
            Float64Array.from(rows, (r) => r[1]),
            [{ type: 'float64', values, validity }],
            4,
            tolerance,
            eager,
          );
          const out = Array.from(got!.values, (x, i) => (got!.validity !== undefined && ((got!.validity[i >> 3]! >> (i & 7)) & 1) === 0 ? null : x));
          expect(out).toEqual(expected);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('KeyMatcher', () => {
  it('gives equal keys equal codes across dictionaries, -1 to unknown and null keys, and folds composite keys', () => {
    const spine = batchOf([0, 0, 0, 0], { card: ['c1', 'c2', 'c1', null], merchant: ['m1', 'm1', 'm2', 'm1'] });
    const keys = new KeyMatcher(['card', 'merchant'], spine);
    const table = batchOf([0, 0, 0, 0], { card: ['c1', 'c1', 'c9', 'c2'], merchant: ['m2', 'm1', 'm1', 'm1'] }, ['c9', 'c2', 'c1']);
    const s = Array.from(keys.spineCodes);
    const t = Array.from(keys.codes(table));
    expect(s[3]).toBe(-1);
    expect(new Set(s.slice(0, 3)).size).toBe(3);
    expect(t).toEqual([s[2], s[0], -1, s[1]]);
  });
});

describe('aggregateAhead', () => {
  it('sums long windows from double-double prefix sums as accurately as summing them directly', () => {
    // One key; a huge value early makes plain prefix sums lose the small ones that follow.
    const n = 3000;
    const time = Array.from({ length: n }, (_, i) => i);
    const x = time.map((i) => (i === 0 ? 1e15 : 1 + ((i * 7919) % 1000) / 1000));
    const events = batchOf(time, { k: time.map(() => 'a'), x });
    const spineTimes = [10, 100, 700, 1500];
    const spine = batchOf(spineTimes, { k: spineTimes.map(() => 'a') });
    const keys = new KeyMatcher(['k'], spine);
    const h = 900;
    const w = labelWindows({ kind: 'lookahead', horizon: h, periods: 1, offset: 0 }, spine.time);
    for (const op of ['sum', 'mean'] as const) {
      const r = aggregateAhead(op, groupLabelEvents(op, 'x', events, keys), keys.spineCodes, w.from, w.to);
      spineTimes.forEach((t, i) => {
        let s = 0;
        for (let j = t + 1; j <= Math.min(n - 1, t + h); j++) s += x[j]!;
        const want = op === 'sum' ? s : s / Math.min(h, n - 1 - t);
        expect(Math.abs(r.values[i]! - want) / want).toBeLessThan(1e-12);
      });
    }
  });

  it('counts distinct numeric and string values in the window, and gives empty windows count 0 and null otherwise', () => {
    const events = batchOf([1, 2, 3, 4], { k: ['a', 'a', 'a', 'b'], x: [5, 5, 6, 7], s: ['p', 'q', 'p', 'p'] });
    const spine = batchOf([0, 3, 0], { k: ['a', 'a', 'zzz'] });
    const keys = new KeyMatcher(['k'], spine);
    const w = labelWindows({ kind: 'lookahead', horizon: 10, periods: 1, offset: 0 }, spine.time);
    const run = (op: 'count_distinct' | 'max', col: string) => aggregateAhead(op, groupLabelEvents(op, col, events, keys), keys.spineCodes, w.from, w.to);
    expect(Array.from(run('count_distinct', 'x').values)).toEqual([2, 0, 0]);
    expect(Array.from(run('count_distinct', 's').values)).toEqual([2, 0, 0]);
    const max = run('max', 'x');
    expect(max.values[0]).toBe(6);
    expect(max.validity).toBeDefined();
    expect(((max.validity![0]! >> 1) & 1) === 0 && ((max.validity![0]! >> 2) & 1) === 0).toBe(true);
  });
});

describe('aggregateAhead paths', () => {
  it('gives the same windows merged per key, with cursors, and with binary searches', () => {
    const arb = fc.record({
      spine: fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 0, max: 30 })), { maxLength: 30 }),
      events: fc.array(fc.tuple(fc.constantFrom('a', 'b', 'd'), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 9 })), { maxLength: 40 }),
      h: fc.integer({ min: 1, max: 12 }),
    });
    fc.assert(
      fc.property(arb, ({ spine, events, h }) => {
        const sorted = [...spine].sort((a, b) => a[1] - b[1]);
        const s = batchOf(sorted.map((r) => r[1]), { k: sorted.map((r) => r[0]) });
        const ev = batchOf(events.map((r) => r[1]), { k: events.map((r) => r[0]), x: events.map((r) => r[2]) });
        const keys = new KeyMatcher(['k'], s);
        const g = groupLabelEvents('sum', 'x', ev, keys);
        const w = labelWindows({ kind: 'lookahead', horizon: h, periods: 1, offset: 0 }, s.time);
        const spineGroups = groupByKey(keys.spineCodes, s.time, keys.size);
        const wg = labelWindows({ kind: 'lookahead', horizon: h, periods: 1, offset: 0 }, spineGroups.times);
        const merged = aggregateAheadGrouped('sum', g, spineGroups, wg.from, wg.to, s.length);
        const cursors = aggregateAhead('sum', g, keys.spineCodes, w.from, w.to);
        // Reversed rows force the binary searches.
        const rev = (x: Float64Array) => Float64Array.from(x).reverse();
        const binary = aggregateAhead('sum', g, Int32Array.from(keys.spineCodes).reverse(), rev(w.from), rev(w.to));
        expect(Array.from(merged.counts)).toEqual(Array.from(cursors.counts));
        expect(Array.from(merged.counts)).toEqual(Array.from(binary.counts).reverse());
        expect(Array.from(merged.values)).toEqual(Array.from(cursors.values));
        expect(Array.from(merged.values)).toEqual(Array.from(binary.values).reverse());
        sorted.forEach(([k, t], i) => {
          expect(merged.counts[i]).toBe(events.filter(([ek, et]) => ek === k && et > t && et <= t + h).length);
        });
      }),
      { numRuns: 300 },
    );
  });
});

describe('sweepAhead', () => {
  it('equals the grouped path for count, sum, mean, first and last, with ties, nulls, a where mask and events out of order', () => {
    const arb = fc.record({
      spine: fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 0, max: 30 })), { maxLength: 30 }),
      events: fc.array(fc.tuple(fc.constantFrom('a', 'b', 'd'), fc.integer({ min: 0, max: 40 }), fc.option(fc.integer({ min: -9, max: 9 }), { nil: null }), fc.boolean()), { maxLength: 50 }),
      h: fc.integer({ min: 1, max: 12 }),
      op: fc.constantFrom('count', 'sum', 'mean', 'first', 'last' as const),
    });
    fc.assert(
      fc.property(arb, ({ spine, events, h, op }) => {
        const sorted = [...spine].sort((a, b) => a[1] - b[1]);
        const s = batchOf(sorted.map((r) => r[1]), { k: sorted.map((r) => r[0]) });
        const ev = batchOf(events.map((r) => r[1]), { k: events.map((r) => r[0]), x: events.map((r) => r[2]) });
        const where = Uint8Array.from(events, (r) => (r[3] ? 1 : 0));
        const keys = new KeyMatcher(['k'], s);
        const column = op === 'count' ? undefined : 'x';
        const w = labelWindows({ kind: 'lookahead', horizon: h, periods: 1, offset: 0 }, s.time);
        const swept = sweepAhead(op, sweepEvents(op, column, ev, keys, where), keys.spineCodes, w.from, w.to, keys.size)!;
        const g = groupByKey(keys.spineCodes, s.time, keys.size);
        const wg = labelWindows({ kind: 'lookahead', horizon: h, periods: 1, offset: 0 }, g.times);
        const grouped = aggregateAheadGrouped(op, groupLabelEvents(op, column, ev, keys, where), g, wg.from, wg.to, s.length);
        expect(Array.from(swept.counts)).toEqual(Array.from(grouped.counts));
        swept.values.forEach((v, i) => {
          const u = grouped.values[i]!;
          if (Number.isNaN(u)) expect(v).toBeNaN();
          else expect(Math.abs(v - u)).toBeLessThan(1e-9);
        });
      }),
      { numRuns: 500 },
    );
  });
});

describe('labelWindows', () => {
  it('next_period: the period after the one holding t, or after t itself on an edge', () => {
    const day = 86_400_000;
    const w = labelWindows({ kind: 'next_period', period: 7 * day, periods: 1, offset: 4 * day }, Float64Array.of(11 * day, 11 * day + 1, 12 * day));
    // Weeks start at 4d + 7d·k: 4d, 11d, 18d, ...
    expect(Array.from(w.from)).toEqual([11 * day, 18 * day, 18 * day]);
    expect(Array.from(w.to)).toEqual([18 * day, 25 * day, 25 * day]);
  });
});
