import { copyFile, readdir, readFile, stat, truncate, utimes, writeFile } from 'node:fs/promises';
import { parquetMetadata } from 'hyparquet';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeadLetterSink, type DeadLetterRecord } from '../../../src/store/deadLetter.js';
import { formatFromPath, importFile } from '../../../src/store/ingest/importFile.js';
import { EventLog } from '../../../src/store/log/eventLog.js';
import type { SourceLog } from '../../../src/store/log/sourceLog.js';
import { collect, readRows, tempDir } from '../log/testUtil.js';
import { events, expectedRows, spec, writeArrow, writeCsv, writeJsonLines, writeParquet } from './fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(() => cleanup());

async function openLog(segmentRows?: number): Promise<SourceLog> {
  const log = await EventLog.open(join(dir, 'log'));
  return log.openSource(spec, segmentRows === undefined ? {} : { segmentRows });
}

/** A small good CSV of `n` rows, times 0..n-1 s. */
async function csvOf(where: string, name: string, n: number): Promise<string> {
  const file = join(where, name);
  await writeFile(file, ['ts,user', ...Array.from({ length: n }, (_, i) => `${i * 1000},u${i}`)].join('\n'));
  return file;
}

async function deadLetterLines(): Promise<DeadLetterRecord[]> {
  const text = await readFile(join(dir, 'dead', 'events.jsonl'), 'utf8');
  return text.trim().split('\n').map((l) => JSON.parse(l) as DeadLetterRecord);
}

describe('formatFromPath', () => {
  it('knows the extensions, in any case', () => {
    expect(['a.csv', 'a.JSONL', 'a.ndjson', 'a.json', 'a.parquet', 'a.arrow', 'a.ipc', 'a.feather', 'a.txt'].map(formatFromPath)).toEqual([
      'csv', 'jsonl', 'jsonl', 'jsonl', 'parquet', 'arrow', 'arrow', 'arrow', undefined,
    ]);
  });
});

describe('importFile reads every format back exactly', () => {
  // CSV cannot tell an empty string from a null: leave the empty page out of its data set.
  const csvEvents = events.map((e) => (e.page === '' ? { ...e, page: 'x' } : e));

  it('CSV: quoted fields, CRLF, nulls, bools in several spellings, ignored extra column', async () => {
    const log = await openLog();
    const file = join(dir, 'events.csv');
    await writeCsv(file, csvEvents);
    const report = await importFile(log, file);
    expect(report).toEqual({ source: 'events', file, rows: 5, deadLetters: 0, reasons: {}, skipped: false });
    expect(await readRows(log)).toEqual(expectedRows(csvEvents));
    expect(log.segments).toHaveLength(1);
  });

  it('JSON lines: a dotted path into a nested object, absent and null fields, a blank line', async () => {
    const log = await openLog();
    const file = join(dir, 'events.jsonl');
    await writeJsonLines(file, events);
    const report = await importFile(log, file);
    expect(report.rows).toBe(5);
    expect(report.deadLetters).toBe(0);
    expect(await readRows(log)).toEqual(expectedRows());
  });

  it('Parquet, written by hyparquet-writer with several row groups', async () => {
    const log = await openLog();
    const file = join(dir, 'events.parquet');
    writeParquet(file, events);
    const report = await importFile(log, file);
    expect(report.rows).toBe(5);
    expect(await readRows(log)).toEqual(expectedRows());
  });

  it('Arrow IPC file and stream, with a struct column reached by a dotted path', async () => {
    const log = await openLog();
    await writeArrow(join(dir, 'events.arrow'), events, 'file');
    await writeArrow(join(dir, 'events-stream.ipc'), events, 'stream');
    expect((await importFile(log, join(dir, 'events.arrow'))).rows).toBe(5);
    expect((await importFile(log, join(dir, 'events-stream.ipc'))).rows).toBe(5);
    expect(await readRows(log)).toEqual([...expectedRows(), ...expectedRows(events, 5)]);
  });

  it('reads an epoch-seconds time column per the source time format', async () => {
    const log = await (await EventLog.open(join(dir, 'log'))).openSource({ ...spec, name: 'secs', timeFormat: 'epoch_s' });
    const file = join(dir, 'secs.csv');
    await writeFile(file, 'ts,user\n1700000000,a\n1700000000.5,b\n');
    await importFile(log, file);
    expect((await readRows(log)).map((r) => [r.time, r.user])).toEqual([
      [1_700_000_000_000, 'a'],
      [1_700_000_000_500, 'b'],
    ]);
  });

  it('keeps an int64 key as a dictionary of numbers', async () => {
    const log = await (await EventLog.open(join(dir, 'log'))).openSource({
      name: 'drivers', time: 'ts', timeFormat: 'epoch_ms', keys: ['driver_id'], lateness: 0, columns: { driver_id: 'int64' },
    });
    const file = join(dir, 'drivers.jsonl');
    await writeFile(file, ['{"ts":1,"driver_id":42}', '{"ts":2,"driver_id":"7"}', '{"ts":3,"driver_id":42}'].join('\n'));
    await importFile(log, file);
    expect(log.dictionaries.get('driver_id')!.values).toEqual([42, 7]);
    const [b] = await collect(log);
    expect(b!.columns.driver_id).toMatchObject({ type: 'dictionary', codes: Int32Array.of(0, 1, 0) });
    const reopened = (await EventLog.open(join(dir, 'log'))).source('drivers')!;
    expect(reopened.dictionaries.get('driver_id')!.values).toEqual([42, 7]);
  });
});

describe('importFile sends bad rows to dead letters and keeps the good ones', () => {
  it('CSV: bad timestamp, missing key, wrong type, wrong field count', async () => {
    const log = await openLog();
    const sink = new DeadLetterSink(join(dir, 'dead'));
    const file = join(dir, 'bad.csv');
    await writeFile(
      file,
      [
        'ts,user,amount,n32,ok',
        '2024-01-01T00:00:00Z,u1,1.5,1,true', // row 1: good
        'abc,u1,1,1,true', // row 2: bad timestamp
        '2024-01-01T00:00:01Z,,1,1,true', // row 3: missing key
        '2024-01-01T00:00:02Z,u2,abc,1,true', // row 4: wrong type
        '2024-01-01T00:00:03Z,u2,2,1,yes', // row 5: wrong type (bool)
        '2024-01-01T00:00:04Z,u2,2,2147483648,false', // row 6: wrong type (int32 range)
        '2024-01-01T00:00:05Z,u2', // row 7: malformed
        '2024-01-01T00:00:06Z,u3,,,', // row 8: good, nulls
      ].join('\n'),
    );
    const report = await importFile(log, file, { deadLetters: sink });
    expect(report.rows).toBe(2);
    expect(report.deadLetters).toBe(6);
    expect(report.reasons).toEqual({ 'bad timestamp': 1, 'missing key': 1, 'wrong type': 3, 'malformed line': 1 });
    expect(sink.counts()).toEqual({ events: report.reasons });
    const dead = await deadLetterLines();
    expect(dead.map((d) => [d.row, d.reason])).toEqual([
      [2, 'bad timestamp: "abc"'],
      [3, 'missing key: user'],
      [4, 'wrong type: amount expected float64, got "abc"'],
      [5, 'wrong type: ok expected bool, got "yes"'],
      [6, 'wrong type: n32 expected int32, got "2147483648"'],
      [7, 'malformed line: expected 5 fields, got 2'],
    ]);
    expect(dead.every((d) => d.source === 'events' && d.file === file)).toBe(true);
    expect(dead[0]!.raw).toBe('abc,u1,1,1,true');
    const rows = await readRows(log);
    expect(rows.map((r) => [r.time, r.user, r.amount, r.n32, r.ok])).toEqual([
      [Date.UTC(2024, 0, 1), 'u1', 1.5, 1, true],
      [Date.UTC(2024, 0, 1, 0, 0, 6), 'u3', null, null, null],
    ]);
    await sink.close();
  });

  it('JSON lines: malformed line, not an object, missing time column, null key; rows are line numbers', async () => {
    const log = await openLog();
    const sink = new DeadLetterSink(join(dir, 'dead'));
    const file = join(dir, 'bad.jsonl');
    await writeFile(
      file,
      [
        '{"ts": 1000, "user": "a", "amount": 1}', // line 1: good
        '', // line 2: blank, skipped
        '{"ts": 2000, "user": ', // line 3: malformed
        '[1, 2]', // line 4: not an object
        '{"user": "b"}', // line 5: no time
        '{"ts": 3000, "user": null}', // line 6: null key
        '{"ts": 4000, "user": "c", "amount": "12.5"}', // line 7: good (numeric text)
        '{"ts": 5000, "user": "d", "amount": true}', // line 8: wrong type
      ].join('\r\n'),
    );
    const report = await importFile(log, file, { deadLetters: sink });
    expect(report.rows).toBe(2);
    expect(report.deadLetters).toBe(5);
    await sink.close();
    const dead = await deadLetterLines();
    expect(dead.map((d) => [d.row, d.reason.replace(/^(malformed line): (?!not a JSON object).*$/, '$1: <json error>')])).toEqual([
      [3, 'malformed line: <json error>'],
      [4, 'malformed line: not a JSON object'],
      [5, 'missing time column'],
      [6, 'missing key: user'],
      [8, 'wrong type: amount expected float64, got true'],
    ]);
    expect(dead[0]!.raw).toBe('{"ts": 2000, "user": ');
    expect((await readRows(log)).map((r) => [r.time, r.user, r.amount])).toEqual([
      [1000, 'a', 1],
      [4000, 'c', 12.5],
    ]);
  });

  it('Parquet: a null key and a null time become dead letters with their row numbers', async () => {
    const log = await openLog();
    const sink = new DeadLetterSink(join(dir, 'dead'));
    const file = join(dir, 'bad.parquet');
    const { parquetWriteFile } = await import('hyparquet-writer');
    parquetWriteFile({
      filename: file,
      columnData: [
        { name: 'ts', data: [1000, null, 3000, 4000].map((t) => (t === null ? null : new Date(t))), type: 'TIMESTAMP' },
        { name: 'user', data: ['a', 'b', null, 'd'], type: 'STRING' },
      ],
    });
    const report = await importFile(log, file, { deadLetters: sink });
    await sink.close();
    expect(report.rows).toBe(2);
    expect((await deadLetterLines()).map((d) => [d.row, d.reason])).toEqual([
      [2, 'bad timestamp: null'],
      [3, 'missing key: user'],
    ]);
    expect((await readRows(log)).map((r) => [r.time, r.user])).toEqual([
      [1000, 'a'],
      [4000, 'd'],
    ]);
  });
});

describe('importFile at scale and across restarts', () => {
  it('streams a CSV of many chunks into many batches and segments, with progress', async () => {
    const n = 40_000;
    const lines = ['ts,user,attributes.page,amount'];
    // A quoted line break in every 1000th row makes records cross the reader's 1 MiB pieces in all states.
    for (let i = 0; i < n; i++) lines.push(`${i},u${i % 97},${i % 1000 === 0 ? '"multi\nline, page"' : `p${i % 13}`},${i / 4}`);
    const file = join(dir, 'big.csv');
    await writeFile(file, lines.join('\n'));
    const size = (await stat(file)).size;
    const log = await openLog(15_000);
    const progress: number[][] = [];
    const report = await importFile(log, file, { batchRows: 4096, onProgress: (rows, bytes, total) => progress.push([rows, bytes, total]) });
    expect(report.rows).toBe(n);
    expect(log.segments.map((s) => s.rows)).toEqual([15_000, 15_000, 10_000]);
    expect(progress.at(-1)).toEqual([n, size, size]);
    let count = 0;
    for await (const b of log.read({ batchRows: 10_000 })) {
      for (let j = 0; j < b.length; j++, count++) {
        if (b.time[j] !== count || b.offsets![j] !== count) throw new Error(`row ${count} read back wrong`);
      }
    }
    expect(count).toBe(n);
    const rows = await readRows(log, { from: 2000, to: 2001 });
    expect(rows).toEqual([{ time: 2000, offset: 2000, user: `u${2000 % 97}`, 'attributes.page': 'multi\nline, page', amount: 500, count: null, n32: null, ok: null, seen: null }]);
  });

  it('skips a file imported before, unchanged (even if touched); imports it again when forced', async () => {
    const file = join(dir, 'events.parquet');
    writeParquet(file, events);
    const log = await openLog();
    expect((await importFile(log, file)).skipped).toBe(false);
    expect(log.importedFingerprint(file)).toMatchObject({ path: file, size: (await stat(file)).size, rows: 5, deadLetters: 0 });

    // After a restart, the fingerprint is still known.
    const again = (await EventLog.open(join(dir, 'log'))).source('events')!;
    expect(await importFile(again, file)).toEqual({ source: 'events', file, rows: 0, deadLetters: 0, reasons: {}, skipped: true });
    expect(again.rowCount).toBe(5);

    expect((await importFile(again, file, { force: true })).rows).toBe(5);
    expect(again.rowCount).toBe(10);
    // Touched but not changed: the content hash tells.
    const later = new Date(Date.now() + 60_000);
    await utimes(file, later, later);
    expect((await importFile(again, file)).skipped).toBe(true);
    expect(again.rowCount).toBe(10);
  });
});

describe('importFile refuses broken files with a clear one-line error', () => {
  it('a missing file, an unknown extension', async () => {
    const log = await openLog();
    await expect(importFile(log, join(dir, 'nope.csv'))).rejects.toThrow(`${join(dir, 'nope.csv')}: file not found`);
    await writeFile(join(dir, 'data.txt'), 'x');
    await expect(importFile(log, join(dir, 'data.txt'))).rejects.toThrow(/cannot tell the format/);
  });

  it('a CSV header without the time column or a key, an empty CSV', async () => {
    const log = await openLog();
    await writeFile(join(dir, 'a.csv'), 'time,user\n1,a\n');
    await expect(importFile(log, join(dir, 'a.csv'))).rejects.toThrow(/a\.csv: the CSV header has no time column "ts"/);
    await writeFile(join(dir, 'b.csv'), 'ts,who\n1,a\n');
    await expect(importFile(log, join(dir, 'b.csv'))).rejects.toThrow(/b\.csv: the CSV header has no key column "user"/);
    await writeFile(join(dir, 'c.csv'), '');
    await expect(importFile(log, join(dir, 'c.csv'))).rejects.toThrow(/c\.csv: the CSV file is empty/);
  });

  it('a truncated Parquet file and a text file named .parquet', async () => {
    const log = await openLog();
    const file = join(dir, 'cut.parquet');
    writeParquet(file, events);
    await truncate(file, Math.floor((await stat(file)).size / 2));
    const err = (await importFile(log, file).then(
      () => undefined,
      (e: unknown) => e,
    )) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(/cut\.parquet: not a readable Parquet file/);
    expect(err.message).not.toContain('\n');
    await writeFile(join(dir, 'text.parquet'), 'ts,user\n1,a\n');
    await expect(importFile(log, join(dir, 'text.parquet'))).rejects.toThrow(/text\.parquet: not a readable Parquet file/);
    expect(log.rowCount).toBe(0);
  });

  it('a truncated Arrow file, a truncated Arrow stream and garbage', async () => {
    const log = await openLog();
    await writeArrow(join(dir, 'cut.arrow'), events, 'file');
    await truncate(join(dir, 'cut.arrow'), Math.floor((await stat(join(dir, 'cut.arrow'))).size * 0.6));
    await expect(importFile(log, join(dir, 'cut.arrow'))).rejects.toThrow(/cut\.arrow: truncated Arrow IPC file/);

    await writeArrow(join(dir, 'cut.ipc'), events, 'stream');
    await truncate(join(dir, 'cut.ipc'), Math.floor((await stat(join(dir, 'cut.ipc'))).size * 0.6));
    await expect(importFile(log, join(dir, 'cut.ipc'))).rejects.toThrow(/cut\.ipc: not a readable Arrow IPC/);

    await writeFile(join(dir, 'junk.arrow'), 'this is not arrow at all, not even close');
    await expect(importFile(log, join(dir, 'junk.arrow'))).rejects.toThrow(/junk\.arrow: not a readable Arrow IPC/);
    expect(log.rowCount).toBe(0);
  });

  it('a Parquet file broken in a later row group leaves the log as it was, segments included', async () => {
    const log = await openLog(4);
    await importFile(log, await csvOf(dir, 'first.csv', 3));
    const before = { rows: log.rowCount, segments: [...log.segments], data: await readRows(log) };
    const many = Array.from({ length: 20 }, (_, i) => ({ ...events[i % events.length]!, ts: 1000 * i }));
    const file = join(dir, 'broken.parquet');
    writeParquet(file, many, 2);
    // Garble the first page header of the last row group: the first 18 rows read fine, then it fails.
    const bytes = await readFile(file);
    const last = parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)).row_groups.at(-1)!;
    const at = Number(last.columns[0]!.meta_data!.data_page_offset);
    bytes.fill(0xff, at, at + 16);
    await writeFile(file, bytes);
    const seen: number[] = [];
    await expect(importFile(log, file, { batchRows: 2, onProgress: (rows) => seen.push(rows) })).rejects.toThrow(/broken\.parquet: cannot read Parquet data/);
    expect(Math.max(...seen)).toBe(18); // rows were appended, and segments written, before the failure
    expect(log.rowCount).toBe(before.rows);
    expect(log.segments).toEqual(before.segments);
    expect(await readRows(log)).toEqual(before.data);
    expect(log.importedFingerprint(file)).toBeUndefined();
    const reopened = (await EventLog.open(join(dir, 'log'))).source('events')!;
    expect(await readRows(reopened)).toEqual(before.data);
    expect((await readdir(join(dir, 'log', 'events'))).filter((f) => f.endsWith('.arrow'))).toEqual(before.segments.map((s) => s.file));
  });

  it('an Arrow file whose schema lacks a key column', async () => {
    const log = await openLog();
    const other = await (await EventLog.open(join(dir, 'log'))).openSource({ ...spec, name: 'other', keys: ['n32'] });
    await writeArrow(join(dir, 'ok.arrow'), events);
    await copyFile(join(dir, 'ok.arrow'), join(dir, 'ok2.arrow'));
    expect((await importFile(log, join(dir, 'ok.arrow'))).rows).toBe(5);
    // n32 is null in one row: that row is a dead letter, the rest land.
    const report = await importFile(other, join(dir, 'ok2.arrow'));
    expect([report.rows, report.reasons]).toEqual([4, { 'missing key': 1 }]);
    const noKey = await (await EventLog.open(join(dir, 'log'))).openSource({ ...spec, name: 'nokey', keys: ['region'], columns: { ...spec.columns, region: 'string' } });
    await expect(importFile(noKey, join(dir, 'ok.arrow'))).rejects.toThrow(/ok\.arrow: the Arrow schema has no key column "region"/);
  });
});
