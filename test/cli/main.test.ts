import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { readArrowRows, tempDir } from '../helpers/tables.js';

const CARS = resolve('../shared/conformance/arroyo/cars.json');
const tmp = tempDir();
afterAll(() => tmp.remove());

const config = join(tmp.dir, 'cars.yaml');
writeFileSync(
  config,
  `name: cars
data_dir: data
sources:
  cars:
    path: ${CARS}
    time: timestamp
    keys: [driver_id]
    columns: { driver_id: int64, event_type: string, location: string }
features:
  - { name: trips, source: cars, op: count, windows: [10m, 1h] }
  - { name: hourly, source: cars, key: event_type, op: count, window: { tumbling: 1h } }
`,
);

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['node', 'tributary', ...args], (l) => out.push(l), (l) => err.push(l));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('tributary CLI', () => {
  it('validate: says what the config holds', async () => {
    const r = await run('validate', config);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toContain('valid — 1 sources, 2 features, 2 output tables');
  });

  it('replay: writes the tables, reports late events as dead letters, and respects --from/--to', async () => {
    const r = await run('replay', config, '--json');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.out) as { tables: { name: string; rows: number; file: string }[]; events: Record<string, number>; deadLetters: Record<string, Record<string, number>> };
    expect(summary.events.cars).toBe(7932);
    // Sliding features need time order; with no lateness allowed, the out-of-order events are late.
    expect(summary.deadLetters.cars!.late).toBe(488);
    const cars = summary.tables.find((t) => t.name === 'cars')!;
    expect(cars.rows).toBe(7932 - 488);
    expect(readArrowRows(cars.file)[0]).toMatchObject({ driver_id: 155, event_type: 'pickup', trips_10m: 0, trips_1h: 0 });

    const part = await run('replay', config, '--json', '--from', '2023-09-19T00:00:00Z', '--to', '2023-09-19T01:00:00Z', '--out', join(tmp.dir, 'part'));
    const partial = JSON.parse(part.out) as typeof summary;
    expect(partial.tables.find((t) => t.name === 'hourly')!.rows).toBe(2);
  });

  it('inspect: sources, features, graph and row counts', async () => {
    const r = await run('inspect', config);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/cars\s+timestamp\s+driver_id\s+0s\s+3\s+7932/);
    expect(r.out).toContain('cars ─▶ reorder ─▶ trips ─▶ table cars');
    expect(r.out).toMatch(/hourly\s+windows\s+\d+/);
  });

  it('bad input: exit 2 with the place, never a stack trace', async () => {
    const bad = join(tmp.dir, 'bad.yaml');
    writeFileSync(bad, 'name: x\nsources: {}\nfeatures:\n  - { name: f, source: nope, op: count }\n');
    const r = await run('validate', bad);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`${bad}:4:24 features[0].source: unknown source "nope"`);
    expect((await run('replay', config, '--from', 'soon')).err).toMatch(/^error: --from "soon" is not a time/);
    expect((await run('nonsense')).code).toBe(2);
  });

  it('runs as a real process through the bin script', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [resolve('bin/tributary.mjs'), 'validate', config]);
    expect(stdout).toContain('valid');
  });
});
