import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { closeSharedTaskPools } from '../../../../src/actors/pool/taskPool.js';
import { backfill } from '../../../../src/sdk/backfill.js';
import { ConfigError } from '../../../../src/sdk/config/configError.js';
import { parseConfig } from '../../../../src/sdk/config/loadConfig.js';
import { replay } from '../../../../src/sdk/replay.js';
import { tempDir } from '../../../helpers/tables.js';
import { expectSameAsReplay } from './helpers/compare.js';
import { deadLettersInRange, sourceYaml, writeEvents, type TestEvent } from './helpers/eventLogs.js';

/**
 * Property: on a small generated log (out-of-order arrivals, ties, late events, small segments) and a
 * config mixing sliding features, a `by` grouping, a filter, a computed column, a derived feature and
 * tumbling and hopping windows, a backfill of a random range with a random partition count gives the
 * reference's rows: a full replay of the log, filtered to the range. And it counts the same rejected
 * events in the range.
 */

const tmp = tempDir('tributary-backfill-prop-');
afterAll(async () => {
  await closeSharedTaskPools();
  tmp.remove();
});

const T0 = 1_700_000_000_000;
const LATENESS_MS = 2000;

const CONFIG = `
name: prop
${sourceYaml('2s')}
features:
  - { name: cnt, source: ev, op: count, windows: [3s, 20s] }
  - { name: amt, source: ev, ops: [max, min, last, first], column: amount, window: 10s }
  - { name: kinds, source: ev, op: count_distinct, column: kind, window: 15s }
  - { name: bigs, source: ev, op: count, where: "size == 'big'", window: 8s }
  - { name: per_kind, source: ev, op: count, by: kind, window: 6s }
  - { name: spread, expr: "amt_max - amt_min" }
  - { name: tumble, source: ev, ops: [count, sum, mean], column: amount, window: { tumbling: 7s } }
  - { name: hop, source: ev, key: kind, ops: [count, max], column: amount, window: { hopping: 12s, every: 4s } }
`;

/** Events in arrival order: time-ordered, with some held back (a few beyond the lateness: late). */
const logArb = fc
  .array(
    fc.record({
      gap: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1500 })),
      delay: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 * LATENESS_MS }) }),
      user: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
      kind: fc.constantFrom('x', 'y', 'z'),
      amount: fc.oneof(fc.integer({ min: 0, max: 100 }), fc.double({ min: 0, max: 100, noNaN: true })),
    }),
    { minLength: 30, maxLength: 300, size: 'max' },
  )
  .map((rows) => {
    let t = T0;
    const timed = rows.map((r) => ({ time: (t += r.gap), arrives: t + r.delay, user: r.user, kind: r.kind, amount: r.amount }));
    // Arrival order: by arrival time, stable.
    return timed
      .map((e, i) => ({ e, i }))
      .sort((a, b) => a.e.arrives - b.e.arrives || a.i - b.i)
      .map(({ e }): TestEvent => ({ time: e.time, user: e.user, kind: e.kind, amount: e.amount }));
  });

const caseArb = fc.record({
  events: logArb,
  segmentRows: fc.integer({ min: 8, max: 64 }),
  ranges: fc.array(
    fc.record({
      // Per mille of the log's time span: where the range starts, and how long it is.
      lo: fc.integer({ min: -50, max: 900 }),
      width: fc.integer({ min: 20, max: 1200 }),
      partitions: fc.integer({ min: 1, max: 6 }),
      threads: fc.constantFrom(1, 2),
    }),
    { minLength: 1, maxLength: 2 },
  ),
});

describe('backfill property: any range, any partition count, equals the full replay filtered', () => {
  it('holds on generated logs', async () => {
    let run = 0;
    // endOnFailure: every case writes a log and replays it, so shrinking would take minutes; the
    // counterexample is printed as found.
    await fc.assert(
      fc.asyncProperty(caseArb, async ({ events, segmentRows, ranges }) => {
        const dataDir = join(tmp.dir, `run-${run++}`);
        await writeEvents(dataDir, events, LATENESS_MS, segmentRows);
        const config = parseConfig(CONFIG, { dir: tmp.dir, dataDir });
        const full = await replay(config, { out: join(dataDir, 'full'), store: false });
        const min = Math.min(...events.map((e) => e.time));
        const span = Math.max(...events.map((e) => e.time)) + 1 - min;
        for (const r of ranges) {
          const from = Math.round(min + (r.lo * span) / 1000);
          const to = Math.round(from + (r.width * span) / 1000);
          const opts = { from, to, threads: r.threads, partitions: r.partitions, minEvents: 0, out: join(dataDir, `bf-${from}-${to}`) };
          if (to <= min || from >= min + span) {
            // Wholly outside the log: refused, not an empty result.
            await expect(backfill(config, opts)).rejects.toThrow(ConfigError);
            continue;
          }
          const got = await backfill(config, opts);
          expectSameAsReplay(config, full, got, from, to);
          expect(got.deadLetters).toEqual(deadLettersInRange(dataDir, from, to));
        }
      }),
      { numRuns: 15, seed: 20240611, endOnFailure: true },
    );
  }, 120_000);
});
