import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeBatch, type Batch } from '../../../src/pipelines/data/batch.js';
import { dictColumn, float64Column } from '../../../src/pipelines/data/column.js';
import { Dictionary } from '../../../src/pipelines/data/dictionary.js';
import { EventLog } from '../../../src/store/log/eventLog.js';
import type { SourceLog } from '../../../src/store/log/sourceLog.js';
import type { SourceSpec } from '../../../src/store/log/sourceSpec.js';
import { collect, readRows, rowsOf, tempDir } from './testUtil.js';

const spec: SourceSpec = {
  name: 'trips',
  time: 'ts',
  timeFormat: 'epoch_ms',
  keys: ['driver'],
  lateness: 5000,
  columns: { driver: 'int64', zone: 'string', fare: 'float64', passengers: 'int32', paid: 'bool', pickup: 'timestamp' },
};

/** `n` rows starting at row `start`: times 1000*i, a few drivers and zones, a null fare every 7th row. */
function tripBatch(log: SourceLog, start: number, n: number): Batch {
  const driver = log.dictionaries.get('driver')!;
  const zone = log.dictionaries.get('zone')!;
  const time = new Float64Array(n);
  const drivers = new Int32Array(n);
  const zones = new Int32Array(n);
  const fares = new Float64Array(n);
  const fareValid = new Uint8Array((n + 7) >> 3);
  const passengers = new Int32Array(n);
  const paid = new Uint8Array(n);
  const pickup = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const i = start + j;
    time[j] = 1000 * i;
    drivers[j] = driver.encode(100 + (i % 5));
    zones[j] = zone.encode(`z${i % 3}`);
    fares[j] = i * 1.5;
    if (i % 7 !== 0) fareValid[j >> 3]! |= 1 << (j & 7);
    passengers[j] = i % 4;
    paid[j] = i % 2;
    pickup[j] = 1000 * i - 500;
  }
  return makeBatch(time, {
    driver: dictColumn(drivers, driver),
    zone: dictColumn(zones, zone),
    fare: float64Column(fares, fareValid),
    passengers: { type: 'int32', values: passengers },
    paid: { type: 'bool', values: paid },
    pickup: float64Column(pickup, undefined, 'timestamp'),
  });
}

function expectedRow(i: number) {
  return {
    time: 1000 * i,
    offset: i,
    driver: 100 + (i % 5),
    zone: `z${i % 3}`,
    fare: i % 7 === 0 ? null : i * 1.5,
    passengers: i % 4,
    paid: i % 2 === 1,
    pickup: 1000 * i - 500,
  };
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);

describe('EventLog', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(() => cleanup());

  it('rolls segments over at segmentRows, with contiguous offsets and a time index per segment', async () => {
    const log = await EventLog.open(dir);
    const trips = await log.openSource(spec, { segmentRows: 10 });
    await trips.append(tripBatch(trips, 0, 7));
    await trips.append(tripBatch(trips, 7, 18)); // crosses two segment boundaries inside one batch
    expect(trips.segments.map((s) => s.rows)).toEqual([10, 20 - 10]);
    expect(trips.rowCount).toBe(25);
    await trips.flush();
    const segs = trips.segments;
    expect(segs.map((s) => [s.file, s.rows, s.firstOffset, s.minTime, s.maxTime])).toEqual([
      ['segment-000000.arrow', 10, 0, 0, 9000],
      ['segment-000001.arrow', 10, 10, 10_000, 19_000],
      ['segment-000002.arrow', 5, 20, 20_000, 24_000],
    ]);
    expect((await readdir(join(dir, 'trips'))).sort()).toEqual(['manifest.json', ...segs.map((s) => s.file)]);
    expect(await readRows(trips)).toEqual(range(0, 25).map(expectedRow));
    expect(trips.timeRange).toEqual({ min: 0, max: 24_000 });
  });

  it('reads rows appended but not yet flushed, after the segments, with their offsets', async () => {
    const trips = await (await EventLog.open(dir)).openSource(spec, { segmentRows: 10 });
    await trips.append(tripBatch(trips, 0, 13));
    expect(trips.segments).toHaveLength(1);
    expect(await readRows(trips)).toEqual(range(0, 13).map(expectedRow));
    expect(await readRows(trips, { fromOffset: 11 })).toEqual(range(11, 13).map(expectedRow));
  });

  it('reads a time range without opening segments that miss it', async () => {
    const trips = await (await EventLog.open(dir)).openSource(spec, { segmentRows: 10 });
    await trips.append(tripBatch(trips, 0, 30));
    await trips.flush();
    // Remove the segments outside [12s, 18s): a read that opened them would fail.
    await rm(join(dir, 'trips', 'segment-000000.arrow'));
    await rm(join(dir, 'trips', 'segment-000002.arrow'));
    expect(await readRows(trips, { from: 12_000, to: 18_000 })).toEqual(range(12, 18).map(expectedRow));
    await expect(collect(trips, { from: 12_000 })).rejects.toThrow(/segment-000002/);
  });

  it('filters rows by time inside a segment when arrival order is not time order', async () => {
    const trips = await (await EventLog.open(dir)).openSource(spec, { segmentRows: 100 });
    const order = [5, 1, 9, 3, 7, 0, 8, 2, 6, 4];
    for (const i of order) await trips.append(tripBatch(trips, i, 1));
    await trips.flush();
    const rows = await readRows(trips, { from: 3000, to: 7000 });
    expect(rows.map((r) => r.time)).toEqual([5000, 3000, 6000, 4000]);
    expect(rows.map((r) => r.offset)).toEqual([0, 3, 8, 9]);
  });

  it('starts at fromOffset and cuts batches at batchRows', async () => {
    const trips = await (await EventLog.open(dir)).openSource(spec, { segmentRows: 10 });
    await trips.append(tripBatch(trips, 0, 30));
    await trips.flush();
    const batches = await collect(trips, { fromOffset: 13, batchRows: 4 });
    expect(batches.map((b) => b.length)).toEqual([4, 3, 4, 4, 2]);
    expect(rowsOf(batches)).toEqual(range(13, 30).map(expectedRow));
    expect(await readRows(trips, { fromOffset: 30 })).toEqual([]);
  });

  it('reads back identically after a restart, with the same codes, and keeps appending codes stable', async () => {
    const first = await (await EventLog.open(dir)).openSource(spec, { segmentRows: 8 });
    await first.append(tripBatch(first, 0, 20));
    await first.flush();
    const before = await collect(first);
    const codesBefore = [...first.dictionaries.get('zone')!.values];

    const reopened = await EventLog.open(dir);
    expect(reopened.sources()).toEqual(['trips']);
    const again = reopened.source('trips')!;
    expect(again.rowCount).toBe(20);
    expect(again.segments).toEqual(first.segments);
    expect(again.dictionaries.get('zone')!.values).toEqual(codesBefore);
    expect(again.dictionaries.get('driver')!.values).toEqual(first.dictionaries.get('driver')!.values);
    const after = await collect(again);
    expect(rowsOf(after)).toEqual(rowsOf(before));
    expect(after.map((b) => Array.from((b.columns.zone as { codes: Int32Array }).codes))).toEqual(
      before.map((b) => Array.from((b.columns.zone as { codes: Int32Array }).codes)),
    );

    // A new value gets the next code; the old ones keep theirs.
    const zone = again.dictionaries.get('zone')!;
    const driver = again.dictionaries.get('driver')!;
    expect(zone.encode('z-new')).toBe(codesBefore.length);
    await again.append(
      makeBatch(Float64Array.of(99_000), {
        driver: dictColumn(Int32Array.of(driver.encode(100)), driver),
        zone: dictColumn(Int32Array.of(zone.encode('z-new')), zone),
        fare: float64Column(Float64Array.of(1)),
        passengers: { type: 'int32', values: Int32Array.of(1) },
        paid: { type: 'bool', values: Uint8Array.of(0) },
        pickup: float64Column(Float64Array.of(0), undefined, 'timestamp'),
      }),
    );
    await again.flush();
    const third = (await EventLog.open(dir)).source('trips')!;
    const rows = await readRows(third, { fromOffset: 19 });
    expect(rows.map((r) => [r.offset, r.zone, r.driver])).toEqual([
      [19, 'z1', 104],
      [20, 'z-new', 100],
    ]);
  });

  it('re-codes a batch built on another dictionary onto the log’s own', async () => {
    const trips = await (await EventLog.open(dir)).openSource(spec);
    const mine = new Dictionary(['z9', 'z1']);
    const drivers = new Dictionary([7]);
    await trips.append(
      makeBatch(Float64Array.of(1, 2), {
        driver: dictColumn(Int32Array.of(0, 0), drivers),
        zone: dictColumn(Int32Array.of(1, 0), mine),
        fare: float64Column(Float64Array.of(1, 2)),
        passengers: { type: 'int32', values: Int32Array.of(1, 2) },
        paid: { type: 'bool', values: Uint8Array.of(0, 1) },
        pickup: float64Column(Float64Array.of(0, 0), undefined, 'timestamp'),
      }),
    );
    const [b] = await collect(trips);
    expect(b!.columns.zone).toMatchObject({ dictionary: trips.dictionaries.get('zone') });
    expect(rowsOf([b!]).map((r) => r.zone)).toEqual(['z1', 'z9']);
  });

  it('rejects a batch that does not match the schema', async () => {
    const trips = await (await EventLog.open(dir)).openSource(spec);
    const good = tripBatch(trips, 0, 2);
    const { fare: _fare, ...withoutFare } = good.columns;
    await expect(trips.append({ ...good, columns: withoutFare })).rejects.toThrow(/no column fare/);
    await expect(trips.append({ ...good, columns: { ...good.columns, extra: float64Column(Float64Array.of(1, 2)) } })).rejects.toThrow(
      /extra is not in the source's schema/,
    );
    await expect(trips.append({ ...good, columns: { ...good.columns, fare: float64Column(Float64Array.of(1, 2), undefined, 'int64') } })).rejects.toThrow(
      /fare must be float64, got int64/,
    );
    await expect(trips.append({ ...good, time: Float64Array.of(1, NaN) })).rejects.toThrow(/event time NaN/);
    expect(trips.rowCount).toBe(0);
  });

  it('refuses to open a source with a different spec, saying what differs', async () => {
    const log = await EventLog.open(dir);
    await log.openSource(spec);
    await expect(log.openSource({ ...spec, columns: { ...spec.columns, fare: 'int64' } })).rejects.toThrow(
      /column fare is float64 in the log but int64 in the new spec/,
    );
    const fresh = await EventLog.open(dir);
    await expect(fresh.openSource({ ...spec, keys: ['zone'] })).rejects.toThrow(/keys are \[driver\] in the log but \[zone\]/);
    await expect(fresh.openSource({ ...spec, time: 'pickup' })).rejects.toThrow(/time column is "ts" in the log but "pickup"/);
    const { zone: _zone, ...noZone } = spec.columns;
    await expect(fresh.openSource({ ...spec, columns: noZone })).rejects.toThrow(/column zone \(string\) is in the log but missing/);
    // Lateness and time format may change, and the change is kept.
    const ok = await fresh.openSource({ ...spec, lateness: 60_000 });
    expect(ok.spec.lateness).toBe(60_000);
    expect((await EventLog.open(dir)).source('trips')!.spec.lateness).toBe(60_000);
  });

  it('validates a new spec', async () => {
    const log = await EventLog.open(dir);
    await expect(log.openSource({ ...spec, keys: ['nope'] })).rejects.toThrow(/key nope is not in columns/);
    await expect(log.openSource({ ...spec, name: '../escape' })).rejects.toThrow(/source name/);
    await expect(log.openSource({ ...spec, columns: { ...spec.columns, x: 'decimal' as never } })).rejects.toThrow(/column x has type "decimal"/);
  });

  it('records import fingerprints in the manifest, across a restart', async () => {
    const trips = await (await EventLog.open(dir)).openSource(spec);
    expect(trips.importedFingerprint('a.csv')).toBeUndefined();
    await trips.recordImport({ path: 'a.csv', size: 10, mtimeMs: 5, rows: 3, deadLetters: 1 });
    await trips.recordImport({ path: 'a.csv', size: 12, mtimeMs: 6, rows: 4, deadLetters: 0 });
    const again = (await EventLog.open(dir)).source('trips')!;
    expect(again.importedFingerprint('a.csv')).toEqual({ path: join(process.cwd(), 'a.csv'), size: 12, mtimeMs: 6, rows: 4, deadLetters: 0 });
  });

  it('writes the manifest atomically: no temporary file is left behind', async () => {
    const trips = await (await EventLog.open(dir)).openSource(spec, { segmentRows: 5 });
    await trips.append(tripBatch(trips, 0, 12));
    await trips.flush();
    const files = await readdir(join(dir, 'trips'));
    expect(files.filter((f) => f.includes('tmp'))).toEqual([]);
    expect((await stat(join(dir, 'trips', 'manifest.json'))).size).toBeGreaterThan(0);
  });

  it('truncates among unflushed rows or at a segment boundary, and refuses inside a segment', async () => {
    const trips = await (await EventLog.open(dir)).openSource(spec, { segmentRows: 10 });
    await trips.append(tripBatch(trips, 0, 26)); // segments [0,10) [10,20), rows 20..25 pending
    await trips.truncate(23);
    expect(await readRows(trips)).toEqual(range(0, 23).map(expectedRow));
    await expect(trips.truncate(15)).rejects.toThrow(/inside a segment/);
    await trips.truncate(10);
    expect(trips.rowCount).toBe(10);
    expect(trips.segments.map((s) => s.file)).toEqual(['segment-000000.arrow']);
    expect((await readdir(join(dir, 'trips'))).sort()).toEqual(['manifest.json', 'segment-000000.arrow']);
    await trips.append(tripBatch(trips, 10, 10));
    await trips.flush();
    const reopened = (await EventLog.open(dir)).source('trips')!;
    expect(await readRows(reopened)).toEqual(range(0, 20).map(expectedRow));
  });

  it('opens an empty or missing directory as an empty log', async () => {
    const log = await EventLog.open(join(dir, 'not-yet'));
    expect(log.sources()).toEqual([]);
    const trips = await log.openSource(spec);
    expect(trips.rowCount).toBe(0);
    expect(trips.timeRange).toBeUndefined();
    expect(await readRows(trips)).toEqual([]);
    await trips.flush();
    expect(trips.segments).toEqual([]);
  });
});
