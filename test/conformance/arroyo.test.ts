/**
 * The Arroyo SQL smoke-test cases in ../shared/conformance/arroyo, reproduced row for row.
 * Each case is written as a Tributary config (plus one SDK operator for "the top row per window"),
 * replayed from the raw input file, and compared with the golden rows in any order.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Subject } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileFeatureSet } from '../../src/pipelines/compile/compileFeatureSet.js';
import type { Batch } from '../../src/pipelines/data/batch.js';
import { valueAt } from '../../src/pipelines/data/column.js';
import { parseIsoTime } from '../../src/pipelines/data/time.js';
import { BUILTIN_DEFINITIONS } from '../../src/pipelines/features/index.js';
import { topPerWindow } from '../../src/pipelines/operators/topPerWindow.js';
import { createRuntime } from '../../src/pipelines/runtime/context.js';
import { parseConfig } from '../../src/sdk/config/loadConfig.js';
import { FeatureRegistry } from '../../src/sdk/registry.js';
import { replay, type ReplaySummary } from '../../src/sdk/replay.js';
import { ARROYO_DIR as ARROYO, CARS, IMPULSE } from '../fixtures/arroyoConfigs.js';
import { readArrowRows, sortRows, tempDir } from '../helpers/tables.js';

function golden(name: string): Record<string, unknown>[] {
  return readFileSync(resolve(ARROYO, name), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}
const ms = (text: unknown) => parseIsoTime(String(text));

describe('Arroyo conformance: cars.json', () => {
  const tmp = tempDir();
  let summary: ReplaySummary;
  const rows = (table: string) => readArrowRows(summary.tables.find((t) => t.name === table)!.file);

  beforeAll(async () => {
    summary = await replay(parseConfig(CARS, { dir: ARROYO, dataDir: tmp.dir }));
  });
  afterAll(() => tmp.remove());

  it('imports every event and drops none as late', () => {
    expect(summary.events.cars).toBe(7932);
    expect(summary.deadLetters).toEqual({});
  });

  it('hourly_by_event_type: 1-hour tumbling counts per event_type', () => {
    const got = rows('hourly_by_event_type').map((r) => ({ event_type: r.event_type, hour: r.window_start, count: r.hourly_by_event_type }));
    const want = golden('hourly_by_event_type.json').map((g) => ({ event_type: g.event_type, hour: ms(g.hour), count: g.count }));
    expect(sortRows(got)).toEqual(sortRows(want));
  });

  it('tight_watermark: 1-hour tumbling counts with zero lateness, nothing dropped', () => {
    const got = rows('hourly').map((r) => ({ timestamp: r.window_end, count: r.hourly }));
    const want = golden('tight_watermark.json').map((g) => ({ timestamp: ms(g.timestamp), count: g.count }));
    expect(sortRows(got)).toEqual(sortRows(want));
  });

  it('most_active_driver_last_hour: 1h windows every minute, top driver by count then larger id', async () => {
    // The same config, compiled through the SDK, with topPerWindow after the per-driver counts.
    const config = parseConfig(CARS, { dir: ARROYO, dataDir: tmp.dir });
    const compiled = compileFeatureSet(config, FeatureRegistry.withBuiltins(BUILTIN_DEFINITIONS));
    const { EventLog } = await import('../../src/store/log/eventLog.js');
    const log = (await EventLog.open(resolve(tmp.dir, 'log'))).source('cars')!;
    const input = new Subject<Batch>();
    const top: Batch[] = [];
    compiled
      .build(createRuntime(), { cars: input })
      .driver_hourly!.pipe(topPerWindow({ orderBy: [{ column: 'driver_hourly', descending: true }, { column: 'driver_id', descending: true }], limit: 1 }))
      .subscribe((b) => top.push(b));
    for await (const b of log.read()) input.next(b);
    input.complete();
    const got = top.flatMap((b) =>
      Array.from({ length: b.length }, (_, i) => ({
        start: valueAt(b.columns.window_start!, i),
        end: b.time[i],
        driver_id: valueAt(b.columns.driver_id!, i),
        count: valueAt(b.columns.driver_hourly!, i),
        row_number: 1,
      })),
    );
    const want = golden('most_active_driver_last_hour.json').map((g) => ({ start: ms(g.start), end: ms(g.end), driver_id: g.driver_id, count: g.count, row_number: g.row_number }));
    expect(want).toHaveLength(1557);
    expect(sortRows(got)).toEqual(sortRows(want));
  });
});

describe('Arroyo conformance: impulse.json', () => {
  const tmp = tempDir();
  let summary: ReplaySummary;
  const rows = (table: string) => readArrowRows(summary.tables.find((t) => t.name === table)!.file);

  beforeAll(async () => {
    summary = await replay(parseConfig(IMPULSE, { dir: ARROYO, dataDir: tmp.dir }));
  });
  afterAll(() => tmp.remove());

  it('sliding_window_end: 10 s windows every 2 s, count/min/max, partial windows at both ends', () => {
    const got = rows('w').map((r) => ({ count: r.w_count, min: r.w_min, max: r.w_max, start: r.window_start, end: r.window_end }));
    const want = golden('sliding_window_end.json').map((g) => ({ count: g.count, min: g.min, max: g.max, start: ms(g.start), end: ms(g.end) }));
    expect(sortRows(got)).toEqual(sortRows(want));
  });

  it('session_window: 20 s gap sessions per computed user id', () => {
    const got = rows('sessions').map((r) => ({ start: r.window_start, end: r.window_end, user_id: r.user_id, rows: r.sessions }));
    const want = golden('session_window.json').map((g) => ({ start: ms(g.start), end: ms(g.end), user_id: g.user_id, rows: g.rows }));
    expect(sortRows(got)).toEqual(sortRows(want));
  });
});
