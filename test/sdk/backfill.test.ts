import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeSharedTaskPools } from '../../src/actors/pool/taskPool.js';
import { backfill } from '../../src/sdk/backfill.js';
import { ConfigError } from '../../src/sdk/config/configError.js';
import { parseConfig } from '../../src/sdk/config/loadConfig.js';
import type { FeatureSetConfig } from '../../src/sdk/config/types.js';
import { replay, type ReplaySummary } from '../../src/sdk/replay.js';
import { expectSameAsReplay, replayRowsInRange } from '../actors/pool/backfill/helpers/compare.js';
import { sourceYaml, writeEvents, type TestEvent } from '../actors/pool/backfill/helpers/eventLogs.js';
import { readArrowRows, tempDir } from '../helpers/tables.js';

/**
 * The SDK's `backfill`: unbounded features (a decay, running sums) make their table read from the
 * start of the log, with a notice, and stay exact; `approximate` warms running sums over their window
 * and stays within rounding; bad ranges are ConfigErrors.
 */

const tmp = tempDir('tributary-sdk-backfill-');
const T0 = 1_700_000_000_000;
const SPAN = 600_000;

const CONFIG = `
name: mixed
${sourceYaml('0s')}
features:
  - { name: cnt, source: ev, op: count, window: 30s }
  - { name: spend, source: ev, op: sum, column: amount, window: 1m }
  - { name: avg, source: ev, ops: [mean, std], column: amount, window: 45s }
  - { name: decayed, source: ev, definition: ewma, params: { column: amount, half_life: 20s } }
  - { name: bars, source: ev, ops: [count, sum], column: amount, window: { tumbling: 30s } }
`;

let config: FeatureSetConfig;
let full: ReplaySummary;

beforeAll(async () => {
  // A time-ordered stream, amounts with cents (so running sums round), an event every 250 ms.
  const events: TestEvent[] = [];
  for (let t = 0, i = 0; t < SPAN; t += 250, i++) events.push({ time: T0 + t, user: `u${i % 7}`, kind: i % 3 === 0 ? 'x' : 'y', amount: ((i * 7919) % 10_000) / 100 });
  await writeEvents(join(tmp.dir, 'data'), events, 0, 512);
  config = parseConfig(CONFIG, { dir: tmp.dir, dataDir: join(tmp.dir, 'data') });
  full = await replay(config, { out: join(tmp.dir, 'full'), store: false });
});
afterAll(async () => {
  await closeSharedTaskPools();
  tmp.remove();
});

describe('backfill (SDK)', () => {
  const from = T0 + 200_000;
  const to = T0 + 450_000;

  it('reads tables with unbounded state from the start of the log, says so, and stays exact', async () => {
    const notices: string[] = [];
    const got = await backfill(config, { from, to, threads: 2, partitions: 3, minEvents: 0, out: join(tmp.dir, 'exact'), onNotice: (m) => notices.push(m) });
    expect(notices).toEqual([expect.stringContaining('table ev is computed from the start of the log: decayed (ewma) keeps state with no time bound')]);
    expect(got.notices).toEqual(notices);
    const ev = got.tasks.filter((t) => t.tables.includes('ev'));
    expect(ev.map((t) => t.readFrom)).toEqual([null]);
    // The tumbling table is bounded: its partitions warm up over one window only.
    expect(got.tasks.filter((t) => t.tables.includes('bars')).map((t) => t.readFrom)).toEqual([from - 30_000, expect.any(Number), expect.any(Number)]);
    expect(got.warmUps.find((w) => w.table === 'ev')).toMatchObject({ warmUpMs: null, unbounded: ['decayed'], rounding: ['spend', 'avg'] });
    expectSameAsReplay(config, full, got, from, to);
  });

  it('running sums alone also read from the start for bit-exact values; approximate warms them over their window', async () => {
    const sums = parseConfig(CONFIG.replace(/^ {2}- \{ name: decayed.*$/m, ''), { dir: tmp.dir, dataDir: join(tmp.dir, 'data') });
    const reference = await replay(sums, { out: join(tmp.dir, 'full-sums'), store: false });
    const exact = await backfill(sums, { from, to, threads: 2, partitions: 2, minEvents: 0, out: join(tmp.dir, 'sums-exact') });
    expect(exact.notices).toEqual([expect.stringMatching(/table ev is computed from the start of the log for bit-exact values: spend \(aggregate\), avg \(aggregate\) keep running sums; --approximate/)]);
    expectSameAsReplay(sums, reference, exact, from, to);

    const approx = await backfill(sums, { from, to, threads: 2, partitions: 2, minEvents: 0, approximate: true, out: join(tmp.dir, 'sums-approx') });
    expect(approx.notices).toEqual([expect.stringMatching(/table ev: spend \(aggregate\), avg \(aggregate\) warmed over their window only/)]);
    expect(approx.tasks.filter((t) => t.tables.includes('ev')).map((t) => t.readFrom)).toEqual([from - 60_000, expect.any(Number)]);
    const want = replayRowsInRange(sums, reference, from, to).ev!;
    const got = readArrowRows(approx.tables.find((t) => t.name === 'ev')!.file);
    expect(got).toHaveLength(want.length);
    let differ = 0;
    got.forEach((row, i) => {
      for (const [k, v] of Object.entries(want[i]!)) {
        if (typeof v === 'number' && typeof row[k] === 'number') {
          if (v !== row[k]) differ++;
          expect(Math.abs((row[k] as number) - v), `${k} at row ${i}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(v)));
        } else expect(row[k]).toEqual(v);
      }
    });
    // Rounding does show (else this would not test the tolerance): sums of cents differ in the last bits.
    expect(differ).toBeGreaterThan(0);
  });

  it('runs small ranges on the calling thread, with the same rows, and writes to <data_dir>/backfill/<set>', async () => {
    const got = await backfill(config, { from, to: from + 30_000 });
    expect(got.onPool).toBe(false);
    expect(got.out).toBe(join(tmp.dir, 'data', 'backfill', 'mixed'));
    expect(existsSync(join(got.out, 'ev.arrow'))).toBe(true);
    expectSameAsReplay(config, full, got, from, from + 30_000);
  });

  it('refuses to split a table whose rows do not come out in time order (a custom definition), and computes it whole', async () => {
    const text = `name: reversed\nmodules: [${join(import.meta.dirname, '..', 'actors', 'pool', 'backfill', 'fixtures', 'reversedRows.ts')}]\n${sourceYaml('0s')}\nfeatures:\n  - { name: rev, source: ev, definition: reversed_rows }\n`;
    const reversed = parseConfig(text, { dir: tmp.dir, dataDir: join(tmp.dir, 'data') });
    await expect(backfill(reversed, { from, to, threads: 2, partitions: 2, minEvents: 0, out: join(tmp.dir, 'rev2') })).rejects.toThrow(/table rev emits rows out of time order/);
    const reference = await replay(reversed, { out: join(tmp.dir, 'rev-full'), store: false });
    const whole = await backfill(reversed, { from, to, threads: 2, partitions: 1, minEvents: 0, out: join(tmp.dir, 'rev1') });
    expectSameAsReplay(reversed, reference, whole, from, to);
  });

  it('refuses an empty, unreadable or out-of-log range, and bad thread counts, as ConfigErrors', async () => {
    await expect(backfill(config, { from: to, to: from })).rejects.toThrow(ConfigError);
    await expect(backfill(config, { from, to: from })).rejects.toThrow(/the backfill range is empty/);
    await expect(backfill(config, { from: Number.NaN, to })).rejects.toThrow(/needs a start time/);
    await expect(backfill(config, { from: T0 + 2 * SPAN, to: T0 + 3 * SPAN })).rejects.toThrow(/no event falls in \[.*\): the log of ev holds 2023-11-14T22:13:20.000Z \.\. /);
    await expect(backfill(config, { from: 0, to: T0 })).rejects.toThrow(ConfigError);
    await expect(backfill(config, { from, to, threads: 0 })).rejects.toThrow(/threads must be a whole number/);
  });
});
