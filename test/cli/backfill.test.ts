import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { BackfillSummary } from '../../src/sdk/backfill.js';
import { loadConfig } from '../../src/sdk/config/loadConfig.js';
import { replay, type ReplaySummary } from '../../src/sdk/replay.js';
import { expectSameAsReplay } from '../actors/pool/backfill/helpers/compare.js';
import { sourceYaml, writeEvents, type TestEvent } from '../actors/pool/backfill/helpers/eventLogs.js';
import { tempDir } from '../helpers/tables.js';

/** `tributary backfill`, as a child process (the real binary) and through `main` for the text output and errors. */

const tmp = tempDir('tributary-cli-backfill-');
const T0 = Date.parse('2024-03-01T00:00:00Z');
const config = join(tmp.dir, 'clicks.yaml');
let full: ReplaySummary;

beforeAll(async () => {
  writeFileSync(
    config,
    `name: clicks
data_dir: data
${sourceYaml('1s')}
features:
  - { name: cnt, source: ev, op: count, windows: [1m, 10m] }
  - { name: top, source: ev, op: max, column: amount, window: 5m }
  - { name: hourly, source: ev, key: kind, op: count, window: { tumbling: 1h } }
`,
  );
  const events: TestEvent[] = [];
  for (let t = 0, i = 0; t < 6 * 3_600_000; t += 1_000, i++) events.push({ time: T0 + t, user: `u${i % 11}`, kind: i % 4 === 0 ? 'x' : 'y', amount: i % 97 });
  await writeEvents(join(tmp.dir, 'data'), events, 1000, 4096);
  full = await replay(loadConfig(config), { out: join(tmp.dir, 'full'), store: false });
});
afterAll(() => tmp.remove());

const exec = promisify(execFile);
const BIN = resolve('bin/tributary.mjs');

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['node', 'tributary', ...args], (l) => out.push(l), (l) => err.push(l));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('tributary backfill', () => {
  it('as a child process: writes the range of every table, equal to a replay, and prints a JSON summary', async () => {
    const { stdout } = await exec(process.execPath, [BIN, 'backfill', config, '--from', '2024-03-01T01:30:00Z', '--to', '2024-03-01T04:00:00Z', '--threads', '2', '--partitions', '2', '--json']);
    const summary = JSON.parse(stdout) as BackfillSummary;
    expect(summary.out).toBe(join(tmp.dir, 'data', 'backfill', 'clicks'));
    expect(summary.tables.map((t) => [t.name, t.rows])).toEqual([
      ['ev', 9000],
      ['hourly', 4], // windows ending at 02:00, 03:00 (x and y each); the one ending at 04:00 is outside
    ]);
    expectSameAsReplay(loadConfig(config), full, summary, T0 + 5_400_000, T0 + 4 * 3_600_000);
  }, 60_000);

  it('as a child process: a bad time is a command-line error, exit code 2', async () => {
    const failed = await exec(process.execPath, [BIN, 'backfill', config, '--from', 'yesterday', '--to', '2024-03-01T04:00:00Z']).catch((e: { code: number; stderr: string }) => e);
    expect(failed).toMatchObject({ code: 2 });
    expect((failed as { stderr: string }).stderr).toMatch(/--from: "yesterday" is not a time/);
  }, 60_000);

  it('prints the tasks, tables and where each read started', async () => {
    const r = await run('backfill', config, '--from', String(T0 + 3_600_000), '--to', String(T0 + 7_200_000), '--out', join(tmp.dir, 'text'));
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toMatch(/^feature set clicks: backfill \[2024-03-01T01:00:00.000Z, 2024-03-01T02:00:00.000Z\) in [\d.]+ s, \d+ tasks on the calling thread \(small range\)/);
    // One task per table group on the calling thread: the events table warms up over 10 minutes, the hourly windows over an hour.
    expect(r.out).toMatch(/ev\s+ev\s+2024-03-01T01:00:00.000Z\s+2024-03-01T02:00:00.000Z\s+2024-03-01T00:50:00.000Z/);
    expect(r.out).toMatch(/ev\s+hourly\s+2024-03-01T01:00:00.000Z\s+2024-03-01T02:00:00.000Z\s+2024-03-01T00:00:00.000Z/);
    expect(r.out).toContain(join(tmp.dir, 'text', 'hourly.arrow'));
  });

  it('refuses a missing or empty range, bad counts and unknown configs (exit code 2)', async () => {
    expect(await run('backfill', config, '--from', '2024-03-01T01:00:00Z')).toMatchObject({ code: 2, err: expect.stringMatching(/--to: a backfill needs --to <time>/) });
    expect(await run('backfill', config, '--from', '2024-03-01T02:00:00Z', '--to', '2024-03-01T01:00:00Z')).toMatchObject({ code: 2, err: expect.stringMatching(/the backfill range is empty/) });
    expect(await run('backfill', config, '--from', '2030-01-01', '--to', '2030-02-01')).toMatchObject({ code: 2, err: expect.stringMatching(/no event falls in/) });
    expect(await run('backfill', config, '--from', '2024-03-01', '--to', '2024-03-02', '--threads', 'two')).toMatchObject({ code: 2, err: expect.stringMatching(/--threads: "two" must be a whole number/) });
    expect(await run('backfill', join(tmp.dir, 'nope.yaml'), '--from', '2024-03-01', '--to', '2024-03-02')).toMatchObject({ code: 2 });
  });
});
