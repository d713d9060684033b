import { appendFileSync, copyFileSync, existsSync, readFileSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeBatch, type Batch } from '../../../src/pipelines/data/batch.js';
import { dictColumn, float64Column } from '../../../src/pipelines/data/column.js';
import { EventLog } from '../../../src/store/log/eventLog.js';
import { JOURNAL_FILE } from '../../../src/store/log/journal.js';
import type { SourceLog } from '../../../src/store/log/sourceLog.js';
import type { SourceSpec } from '../../../src/store/log/sourceSpec.js';
import { rowsOf, tempDir } from './helpers.js';

// The log's durable append path (src/store/log/journal.ts), as live runs use it.
const spec: SourceSpec = {
  name: 'trips',
  time: 'ts',
  timeFormat: 'epoch_ms',
  keys: ['driver'],
  lateness: 0,
  columns: { driver: 'int64', zone: 'string', fare: 'float64', passengers: 'int32', paid: 'bool', pickup: 'timestamp' },
};

/** `n` rows from row `start`: new drivers and zones keep appearing, a null fare every 7th row. */
function trips(log: SourceLog, start: number, n: number): Batch {
  const driver = log.dictionaries.get('driver')!;
  const zone = log.dictionaries.get('zone')!;
  const time = new Float64Array(n);
  const drivers = new Int32Array(n);
  const zones = new Int32Array(n);
  const fares = new Float64Array(n);
  const valid = new Uint8Array((n + 7) >> 3);
  const passengers = new Int32Array(n);
  const paid = new Uint8Array(n);
  const pickup = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const i = start + j;
    time[j] = 1000 * i;
    drivers[j] = driver.encode(1000 + ((i * 7) % (i + 3)));
    zones[j] = zone.encode(`zone-${i % 11}-${Math.floor(i / 5)}`);
    fares[j] = i * 1.25;
    if (i % 7 !== 0) valid[j >> 3]! |= 1 << (j & 7);
    passengers[j] = (i % 4) - 1;
    paid[j] = i % 2;
    pickup[j] = 1000 * i - 1;
  }
  return makeBatch(time, {
    driver: dictColumn(drivers, driver),
    zone: dictColumn(zones, zone),
    fare: float64Column(fares, valid),
    passengers: { type: 'int32', values: passengers },
    paid: { type: 'bool', values: paid },
    pickup: float64Column(pickup, undefined, 'timestamp'),
  });
}

async function readAll(log: SourceLog): Promise<ReturnType<typeof rowsOf>> {
  const out: Batch[] = [];
  for await (const b of log.read()) out.push(b);
  return rowsOf(out);
}

/** Codes as stored, to check they survive a crash unchanged. */
async function codesOf(log: SourceLog): Promise<number[]> {
  const codes: number[] = [];
  for await (const b of log.read()) {
    const c = b.columns.zone!;
    if (c.type === 'dictionary') codes.push(...c.codes);
  }
  return codes;
}

let tmp: ReturnType<typeof tempDir>;
let dir: string;
beforeEach(() => {
  tmp = tempDir();
  dir = join(tmp.dir, 'log');
});
afterEach(() => tmp.remove());

async function writer(segmentRows?: number): Promise<SourceLog> {
  const log = await (await EventLog.open(dir)).openSource(spec, segmentRows === undefined ? {} : { segmentRows });
  await log.openJournal();
  return log;
}

describe('durable appends (the journal)', () => {
  it('rows appended are back after a crash, with the same offsets, values and dictionary codes', async () => {
    const log = await writer();
    expect(log.appendDurable(trips(log, 0, 10))).toBe(0);
    expect(log.appendDurable(trips(log, 10, 5))).toBe(10);
    const before = await readAll(log);
    const codes = await codesOf(log);
    // Crash: the process dies without flushing; nothing is in a segment.
    const reopened = (await EventLog.open(dir)).source('trips')!;
    expect(reopened.segments).toHaveLength(0);
    expect(reopened.rowCount).toBe(15);
    expect(await readAll(reopened)).toEqual(before);
    expect(await codesOf(reopened)).toEqual(codes);
    expect(reopened.dictionaries.get('zone')!.values).toEqual(log.dictionaries.get('zone')!.values);
    expect(reopened.dictionaries.get('driver')!.values).toEqual(log.dictionaries.get('driver')!.values);
  });

  it('keeps the journal about one segment long as segments are written, and loses or repeats nothing', async () => {
    const log = await writer(40);
    let at = 0;
    for (let k = 0; k < 30; k++) {
      log.appendDurable(trips(log, at, 7));
      at += 7;
      await new Promise((r) => setImmediate(r));
    }
    await new Promise((r) => setTimeout(r, 50));
    expect(log.segments.length).toBeGreaterThanOrEqual(4);
    const before = await readAll(log);
    expect(before).toHaveLength(210);
    const journalBytes = statSync(join(dir, 'trips', JOURNAL_FILE)).size;
    expect(journalBytes).toBeLessThan(40 * 60 + 4096); // the unflushed rows, not all 210
    const reopened = (await EventLog.open(dir)).source('trips')!;
    expect(await readAll(reopened)).toEqual(before);
  });

  it('a crash between a segment write and the journal rewrite skips the rows already in the segment', async () => {
    const log = await writer();
    log.appendDurable(trips(log, 0, 12));
    log.appendDurable(trips(log, 12, 12));
    const journal = join(dir, 'trips', JOURNAL_FILE);
    copyFileSync(journal, `${journal}.old`);
    await log.flush();
    copyFileSync(`${journal}.old`, journal); // as if the rewrite never happened
    const reopened = (await EventLog.open(dir)).source('trips')!;
    expect(reopened.rowCount).toBe(24);
    expect((await readAll(reopened)).map((r) => r.offset)).toEqual(Array.from({ length: 24 }, (_, i) => i));
  });

  it('a record cut short by a crash is not read; the next writer rewrites the journal and goes on', async () => {
    const log = await writer();
    log.appendDurable(trips(log, 0, 5));
    log.appendDurable(trips(log, 5, 5));
    const journal = join(dir, 'trips', JOURNAL_FILE);
    truncateSync(journal, statSync(journal).size - 10);
    appendFileSync(journal, Buffer.from('junk'));
    const readOnly = (await EventLog.open(dir)).source('trips')!;
    expect(readOnly.rowCount).toBe(5);
    // Reading does not touch the file; only a writer fixes it.
    expect(readFileSync(journal).subarray(-4).toString()).toBe('junk');
    await readOnly.openJournal();
    readOnly.appendDurable(trips(readOnly, 5, 3));
    const again = (await EventLog.open(dir)).source('trips')!;
    expect((await readAll(again)).map((r) => r.time)).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((i) => i * 1000));
  });

  it('close writes every row to segments and removes the journal; fsync mode works the same', async () => {
    const log = await (await EventLog.open(dir)).openSource(spec);
    await log.openJournal({ sync: true });
    log.appendDurable(trips(log, 0, 9));
    await log.append(trips(log, 9, 1)); // the ordinary append goes through the journal too
    await log.close();
    expect(existsSync(join(dir, 'trips', JOURNAL_FILE))).toBe(false);
    const reopened = (await EventLog.open(dir)).source('trips')!;
    expect(reopened.segments.map((s) => s.rows)).toEqual([10]);
  });

  it('a reader that flushes recovered rows (replay importing a file) leaves a journal that is skipped by offset', async () => {
    const log = await writer();
    log.appendDurable(trips(log, 0, 6));
    const other = (await EventLog.open(dir)).source('trips')!;
    await other.flush();
    expect(other.segments.map((s) => s.rows)).toEqual([6]);
    const third = (await EventLog.open(dir)).source('trips')!;
    expect(third.rowCount).toBe(6);
  });

  it('appendDurable needs openJournal', async () => {
    const log = await (await EventLog.open(dir)).openSource(spec);
    expect(() => log.appendDurable(trips(log, 0, 1))).toThrow(/openJournal/);
  });
});
