import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { closeSharedTaskPools } from '../../../../src/actors/pool/taskPool.js';
import { backfill } from '../../../../src/sdk/backfill.js';
import { parseConfig } from '../../../../src/sdk/config/loadConfig.js';
import { replay } from '../../../../src/sdk/replay.js';
import { tempDir } from '../../../helpers/tables.js';
import { expectSameAsReplay } from './helpers/compare.js';
import { deadLettersInRange, sourceYaml, writeEvents, type TestEvent } from './helpers/eventLogs.js';

/**
 * Out-of-order and late events around partition boundaries: an event every 100 ms, plus stragglers
 * every 300 ms that arrive 500 ms after their time (within the 1 s lateness: accepted, and out of
 * order), and every 700 ms ones that arrive 1.6 s after (late: dead letters). Every partition
 * boundary then has events of the partition before it arriving after events of the one after it.
 * The backfill gives the full replay's rows and counts the same late events in the range.
 */

const tmp = tempDir('tributary-backfill-late-');
afterAll(async () => {
  await closeSharedTaskPools();
  tmp.remove();
});

const T0 = 1_700_000_000_000;
const SPAN = 60_000;

function stream(): TestEvent[] {
  const timed: { e: TestEvent; arrives: number }[] = [];
  const users = ['a', 'b', 'c'];
  const add = (time: number, delay: number, i: number) =>
    timed.push({ e: { time: T0 + time, user: users[i % 3]!, kind: i % 2 === 0 ? 'x' : 'y', amount: (i * 37) % 101 }, arrives: T0 + time + delay });
  let i = 0;
  for (let t = 0; t < SPAN; t += 100) add(t, 0, i++);
  for (let t = 50; t < SPAN; t += 300) add(t, 500, i++);
  for (let t = 20; t < SPAN; t += 700) add(t, 1600, i++);
  return timed.sort((a, b) => a.arrives - b.arrives).map((x) => x.e);
}

const CONFIG = `
name: late
${sourceYaml('1s')}
features:
  - { name: cnt, source: ev, op: count, windows: [2s, 5s] }
  - { name: amt, source: ev, ops: [max, last], column: amount, window: 3s }
  - { name: big, source: ev, op: count, where: "size == 'big'", window: 2s }
  - { name: per2s, source: ev, ops: [count, max], column: amount, window: { tumbling: 2s } }
  - { name: hop, source: ev, key: kind, op: count, window: { hopping: 4s, every: 1s } }
`;

describe('backfill with late and out-of-order events around partition boundaries', () => {
  it('gives the full replay rows and its late events in range, for several partition counts', async () => {
    const events = stream();
    const dataDir = join(tmp.dir, 'data');
    await writeEvents(dataDir, events, 1000, 97);
    const config = parseConfig(CONFIG, { dir: tmp.dir, dataDir });
    const full = await replay(config, { out: join(tmp.dir, 'full'), store: false });
    expect(full.deadLetters.ev!.late).toBeGreaterThan(50);

    const from = T0 + 7_345;
    const to = T0 + 51_210;
    for (const partitions of [2, 3, 5, 8]) {
      const got = await backfill(config, { from, to, threads: 2, partitions, minEvents: 0, out: join(tmp.dir, `bf-${partitions}`) });
      const bounds = got.tasks.filter((t) => t.tables.includes('ev')).map((t) => t.from).slice(1);
      expect(bounds).toHaveLength(partitions - 1);
      // What this test is about: at every boundary, an event older than it arrives after a newer one
      // and is still accepted (within the lateness of the newest event before it).
      for (const b of bounds) {
        let newest = -Infinity;
        const crosses = events.some((e) => {
          const accepted = e.time >= newest - 1000;
          const crossing = e.time < b && newest >= b && accepted;
          newest = Math.max(newest, e.time);
          return crossing;
        });
        expect(crosses, `an accepted straggler crosses ${b - T0}`).toBe(true);
      }
      expectSameAsReplay(config, full, got, from, to);
      const late = deadLettersInRange(dataDir, from, to);
      expect(late.ev!.late).toBeGreaterThan(20);
      expect(got.deadLetters).toEqual(late);
    }
  }, 60_000);
});
