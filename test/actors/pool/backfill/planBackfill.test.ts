import { describe, expect, it } from 'vitest';
import { cutRange, eventsIn, groupTables, planBackfill, skippedSegments, type SegmentStats } from '../../../../src/actors/pool/backfill/planBackfill.js';

/** `n` segments of `rows` events each, evenly over [0, n * span). */
const evenSegments = (n: number, rows: number, span: number): SegmentStats[] =>
  Array.from({ length: n }, (_, i) => ({ rows, minTime: i * span, maxTime: (i + 1) * span - 1 }));

describe('eventsIn', () => {
  const segs = evenSegments(4, 1000, 1000); // 4000 events over [0, 4000)

  it('counts whole segments, and spreads a segment evenly over its time bounds', () => {
    expect(eventsIn(segs, 0, 4000)).toBe(4000);
    expect(eventsIn(segs, 1000, 2000)).toBe(1000);
    expect(eventsIn(segs, 500, 1500)).toBe(1000);
    expect(eventsIn(segs, 3500, 10_000)).toBe(500);
  });

  it('is 0 outside the log, and takes a segment of one timestamp whole or not at all', () => {
    expect(eventsIn(segs, 5000, 6000)).toBe(0);
    expect(eventsIn(segs, -10, 0)).toBe(0);
    const point = [{ rows: 7, minTime: 100, maxTime: 100 }];
    expect(eventsIn(point, 100, 101)).toBe(7);
    expect(eventsIn(point, 101, 200)).toBe(0);
  });
});

describe('skippedSegments', () => {
  it('counts the leading segments wholly before the read start', () => {
    const segs = evenSegments(4, 10, 1000);
    expect(skippedSegments(segs, -Infinity)).toBe(0);
    expect(skippedSegments(segs, 999)).toBe(0);
    expect(skippedSegments(segs, 1000)).toBe(1);
    expect(skippedSegments(segs, 2500)).toBe(2);
    expect(skippedSegments(segs, 10_000)).toBe(4);
  });
});

describe('cutRange', () => {
  it('cuts into parts of about equal events, whole ms, strictly increasing', () => {
    const segs = evenSegments(4, 1000, 1000);
    expect(cutRange(segs, 0, 4000, 4)).toEqual([0, 1000, 2000, 3000, 4000]);
    // Dense first half (3000 events), sparse second half (1000): cuts crowd into the dense part.
    const skewed = [{ rows: 3000, minTime: 0, maxTime: 999 }, { rows: 1000, minTime: 1000, maxTime: 1999 }];
    expect(cutRange(skewed, 0, 2000, 2)).toEqual([0, 667, 2000]);
  });

  it('gives one part when the range holds no events, and fewer parts than asked when it is too short', () => {
    expect(cutRange(evenSegments(1, 10, 100), 500, 900, 4)).toEqual([500, 900]);
    const cuts = cutRange([{ rows: 1000, minTime: 0, maxTime: 2 }], 0, 3, 8);
    expect(cuts[0]).toBe(0);
    expect(cuts.at(-1)).toBe(3);
    expect(cuts.length).toBeLessThanOrEqual(4);
    for (let i = 1; i < cuts.length; i++) expect(cuts[i]!).toBeGreaterThan(cuts[i - 1]!);
  });
});

describe('planBackfill', () => {
  const segments = { logins: evenSegments(8, 10_000, 1000), trades: evenSegments(8, 50_000, 1000) };

  it('groups a source\'s bounded tables by warm-up, apart from its unbounded ones, and plans each read', () => {
    const plan = planBackfill({
      from: 4000,
      to: 8000,
      threads: 2,
      partitions: 2,
      segments,
      tables: [
        { table: 'logins', source: 'logins', ms: 500 },
        { table: 'trades', source: 'trades', ms: Infinity },
        { table: 'bars_5', source: 'trades', ms: 300 },
        { table: 'bars', source: 'trades', ms: 200 },
        { table: 'bars_60', source: 'trades', ms: 6000 },
      ],
    });
    expect(plan.groups).toEqual([
      { source: 'logins', tables: ['logins'], warmUp: 500, partitions: 2 },
      // Partitions of 2 s: 200 and 300 ms warm up together (100 ms more for one of them); 6 s would
      // make the others read three times their partition.
      { source: 'trades', tables: ['bars', 'bars_5'], warmUp: 300, partitions: 2 },
      { source: 'trades', tables: ['bars_60'], warmUp: 6000, partitions: 2 },
      { source: 'trades', tables: ['trades'], warmUp: Infinity, partitions: 1 },
    ]);
    expect(plan.tasks.map((t) => [t.group, t.partition, t.from, t.to, t.readFrom, t.skippedSegments])).toEqual([
      [0, 0, 4000, 6000, 3500, 3],
      [0, 1, 6000, 8000, 5500, 5],
      [1, 0, 4000, 6000, 3700, 3],
      [1, 1, 6000, 8000, 5700, 5],
      [2, 0, 4000, 6000, -2000, 0],
      [2, 1, 6000, 8000, 0, 0],
      // Unbounded: one task, from the start of the log, whatever `partitions` says.
      [3, 0, 4000, 8000, -Infinity, 0],
    ]);
    expect(plan.tasks[0]!.rangeEvents).toBe(20_000);
    expect(plan.tasks[0]!.readEvents).toBe(25_000); // 500 ms of warm-up at 10 events/ms
    expect(plan.tasks[6]!.readEvents).toBe(400_000); // the whole log up to the range's end
    expect(plan.readEvents).toBe(plan.tasks.reduce((n, t) => n + t.readEvents, 0));
  });

  it('groupTables: a group per source and warm-up class, tables in growing warm-up, weights summed', () => {
    const tables = [
      { table: 'a', source: 's', ms: 0 },
      { table: 'b', source: 's', ms: 10, weight: 3 },
      { table: 'c', source: 't', ms: 10 },
      { table: 'd', source: 's', ms: 20 },
      { table: 'e', source: 's', ms: 41 },
      { table: 'f', source: 's', ms: Infinity, weight: 2 },
    ];
    // Partitions of 40 ms: a group's tables may warm up 10 ms longer than they need.
    expect(groupTables(tables, 40)).toEqual([
      { source: 's', tables: ['a', 'b'], warmUp: 10, weight: 4 },
      { source: 's', tables: ['d'], warmUp: 20, weight: 1 },
      { source: 's', tables: ['e'], warmUp: 41, weight: 1 },
      { source: 's', tables: ['f'], warmUp: Infinity, weight: 2 },
      { source: 't', tables: ['c'], warmUp: 10, weight: 1 },
    ]);
    // Partitions of a day: every bounded table of a source in one group.
    expect(groupTables(tables, 86_400_000).map((g) => g.tables)).toEqual([['a', 'b', 'd', 'e'], ['f'], ['c']]);
  });

  it('orders nothing itself, but gives each task a cost: events read times the group\'s weight', () => {
    const plan = planBackfill({ from: 4000, to: 8000, threads: 2, partitions: 2, segments, tables: [{ table: 'logins', source: 'logins', ms: 0, weight: 5 }] });
    expect(plan.tasks.map((t) => t.cost)).toEqual([100_000, 100_000]);
  });

  it('sizes partitions by work: one per thread, none under ~1 ms, one for a small range', () => {
    const tables = [{ table: 'trades', source: 'trades', ms: 100 }];
    // 200k events at 250 events/ms: 800 ms of work, so one partition per thread.
    expect(planBackfill({ from: 4000, to: 8000, threads: 4, segments, tables }).groups[0]!.partitions).toBe(4);
    // 250 events: under 1 ms of work on a thread, not worth a second task.
    expect(planBackfill({ from: 4000, to: 4005, threads: 4, segments, tables }).groups[0]!.partitions).toBe(1);
    expect(planBackfill({ from: 4000, to: 8000, threads: 2, segments, tables, eventsPerMs: 1e9 }).groups[0]!.partitions).toBe(1);
  });

  it('covers the range with partitions end to end, in time order', () => {
    const plan = planBackfill({ from: 1234, to: 7777, threads: 2, partitions: 7, segments, tables: [{ table: 'logins', source: 'logins', ms: 0 }] });
    const tasks = plan.tasks;
    expect(tasks[0]!.from).toBe(1234);
    expect(tasks.at(-1)!.to).toBe(7777);
    for (let i = 1; i < tasks.length; i++) expect(tasks[i]!.from).toBe(tasks[i - 1]!.to);
    expect(tasks).toHaveLength(7);
    for (const t of tasks) expect(t.readFrom).toBe(t.from);
  });

  it('plans a source with no segments as one empty task', () => {
    const plan = planBackfill({ from: 0, to: 100, threads: 2, segments: {}, tables: [{ table: 'x', source: 'x', ms: 10 }] });
    expect(plan.tasks).toHaveLength(1);
    expect(plan.tasks[0]).toMatchObject({ from: 0, to: 100, readFrom: -10, rangeEvents: 0, readEvents: 0 });
  });

  it('refuses an empty range and bad thread or partition counts', () => {
    const base = { threads: 2, segments, tables: [] };
    expect(() => planBackfill({ ...base, from: 10, to: 10 })).toThrow(/from < to/);
    expect(() => planBackfill({ ...base, from: 10, to: 20, threads: 0 })).toThrow(/threads/);
    expect(() => planBackfill({ ...base, from: 10, to: 20, partitions: 1.5 })).toThrow(/partitions/);
  });
});
