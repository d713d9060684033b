import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Field, Float64, Int32, List, Table, tableFromArrays, tableToIPC, TimestampMillisecond, Utf8, vectorFromArray, Dictionary as ArrowDictionary } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { messageDecoder } from '../../../src/actors/live/decode/message.js';
import { LiveRows } from '../../../src/actors/live/liveRows.js';
import { Dictionary } from '../../../src/pipelines/data/dictionary.js';
import { importFile } from '../../../src/store/ingest/importFile.js';
import { EventLog } from '../../../src/store/log/eventLog.js';
import { storedColumns, type SourceSpec } from '../../../src/store/log/sourceSpec.js';
import { rowsOf, tempDir } from './helpers.js';

const spec: SourceSpec = {
  name: 'clicks',
  time: 'ts',
  timeFormat: 'auto',
  keys: ['user'],
  lateness: 0,
  columns: { user: 'string', amount: 'float64', n: 'int32', ok: 'bool', at: 'timestamp', 'attributes.page': 'string' },
};

function fresh(capacity = 1024): { rows: LiveRows; dictionaries: Map<string, Dictionary> } {
  const dictionaries = new Map(storedColumns(spec).filter((c) => c.dictionary).map((c) => [c.name, new Dictionary()]));
  return { rows: new LiveRows(spec, dictionaries, capacity), dictionaries };
}

/** Decode one message; returns the message verdict, the bad rows and the good rows. */
function decode(format: 'jsonl' | 'arrow', payload: Uint8Array | string, maxBytes = 1 << 20) {
  const { rows } = fresh();
  const bad: { row: number; reason: string; raw?: string }[] = [];
  const bytes = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const rejected = messageDecoder(format, rows, maxBytes)(bytes, (row, reason, raw) => bad.push({ row, reason, ...(raw !== undefined && { raw }) }));
  return { rejected, bad, good: rowsOf([rows.take()]) };
}

const tmp = tempDir();
afterAll(() => tmp.remove());

describe('JSON lines messages', () => {
  it('reads one or many events a message, nested fields, CRLF and blank lines', () => {
    const r = decode('jsonl', '{"ts":1000,"user":"u1","amount":2.5,"n":3,"ok":true,"at":"2024-01-01T00:00:00Z","attributes":{"page":"home"}}\r\n\n{"ts":"2024-01-01T00:00:01Z","user":7}\n');
    expect(r.rejected).toBeUndefined();
    expect(r.bad).toEqual([]);
    expect(r.good).toEqual([
      { time: 1000, user: 'u1', amount: 2.5, n: 3, ok: true, at: Date.UTC(2024, 0, 1), 'attributes.page': 'home' },
      { time: Date.UTC(2024, 0, 1, 0, 0, 1), user: '7', amount: null, n: null, ok: null, at: null, 'attributes.page': null },
    ]);
  });

  it('rejects bad rows one by one, with import\'s reasons, and keeps the rest', () => {
    const lines = [
      '{"ts":1,"user":"a"}',
      '{"ts":"yesterday","user":"a"}',
      '{"user":"a"}',
      '{"ts":2}',
      '{"ts":3,"user":null}',
      '{"ts":4,"user":""}',
      '{"ts":5,"user":"a","amount":"lots"}',
      '{"ts":6,"user":"a","n":1.5}',
      '{"ts":7,"user":"a","ok":"maybe"}',
      '{"ts":8,"user":{"id":1}}',
      '{"ts":9,',
      '[1,2]',
      '{"ts":10,"user":"b"}',
    ];
    const r = decode('jsonl', lines.join('\n'));
    expect(r.rejected).toBeUndefined();
    expect(r.good.map((g) => g.time)).toEqual([1, 10]);
    expect(r.bad.map((b) => [b.row, b.reason.replace(/:.*$/, '')])).toEqual([
      [2, 'bad timestamp'],
      [3, 'missing time column'],
      [4, 'missing key'],
      [5, 'missing key'],
      [6, 'missing key'],
      [7, 'wrong type'],
      [8, 'wrong type'],
      [9, 'wrong type'],
      [10, 'wrong type'],
      [11, 'malformed line'],
      [12, 'malformed line'],
    ]);
    expect(r.bad[0]).toMatchObject({ reason: 'bad timestamp: "yesterday"', raw: lines[1] });
    expect(r.bad[5]!.reason).toBe('wrong type: amount expected float64, got "lots"');
  });

  it('rejects a whole message that is not JSON lines, not text, empty or too large', () => {
    expect(decode('jsonl', 'hello there\nnot json either').rejected).toMatch(/^malformed message: not JSON lines/);
    expect(decode('jsonl', Uint8Array.of(0x7b, 0xff, 0xfe, 0x7d)).rejected).toBe('malformed message: not UTF-8 text');
    expect(decode('jsonl', '\n \n').rejected).toBe('malformed message: no events in it');
    const big = decode('jsonl', `{"ts":1,"user":"${'x'.repeat(200)}"}`, 100);
    expect(big.rejected).toMatch(/^message too large: \d+ bytes, max_message_bytes is 100$/);
    expect(big.good).toEqual([]);
  });

  it('accepts and rejects exactly what import accepts and rejects, with the same values and reasons', async () => {
    const odd = [
      { ts: 1, user: 'a', amount: '3.5', n: '7', ok: 'TRUE', at: 1700000000000 },
      { ts: '1970-01-01T00:00:00.002Z', user: 12, amount: 1e308, n: 2147483647, ok: 0, at: '2024-02-29T12:00:00+01:00' },
      { ts: 3, user: true, amount: 'NaN', n: 2147483648 },
      { ts: 4, user: 'b', n: -2147483648, ok: 1, at: '2024-02-30T00:00:00Z' },
      { ts: 5.9, user: 'c', amount: '', attributes: { page: 42 } },
      { ts: -1, user: 'd', 'attributes.page': 'flat wins', attributes: { page: 'nested' } },
      { ts: null, user: 'e' },
      { ts: 6, user: ' ', amount: ' 12 ' },
      { ts: 7, user: 'f', at: true },
    ];
    const text = odd.map((o) => JSON.stringify(o)).join('\n') + '\n{oops}\n';
    const file = join(tmp.dir, 'odd.jsonl');
    writeFileSync(file, text);
    const log = await (await EventLog.open(join(tmp.dir, 'log'))).openSource(spec);
    const report = await importFile(log, file);
    const imported: unknown[] = [];
    for await (const b of log.read()) imported.push(...rowsOf([b]).map(({ offset: _, ...r }) => r));

    const live = decode('jsonl', text);
    expect(live.good).toEqual(imported);
    const liveReasons: Record<string, number> = {};
    for (const b of live.bad) liveReasons[b.reason.replace(/:.*$/, '')] = (liveReasons[b.reason.replace(/:.*$/, '')] ?? 0) + 1;
    expect(liveReasons).toEqual(report.reasons);
  });

  it('codes strings on the dictionaries it is given, so codes are the log\'s', () => {
    const { rows, dictionaries } = fresh();
    dictionaries.get('user')!.encode('zed');
    messageDecoder('jsonl', rows, 1 << 20)(Buffer.from('{"ts":1,"user":"a"}\n{"ts":2,"user":"zed"}'), () => {});
    const b = rows.take();
    const user = b.columns.user!;
    expect(user.type === 'dictionary' && [...user.codes]).toEqual([1, 0]);
    expect(user.type === 'dictionary' && user.dictionary).toBe(dictionaries.get('user'));
  });
});

describe('Arrow IPC messages', () => {
  const good = (): Table =>
    new Table({
      ts: vectorFromArray([new Date(1000), new Date(2000), new Date(3000)], new TimestampMillisecond()),
      user: vectorFromArray(['u1', null, 'u2'], new ArrowDictionary(new Utf8(), new Int32())),
      amount: vectorFromArray([1.5, 2.5, null], new Float64()),
      extra: vectorFromArray(['x', 'y', 'z'], new Utf8()),
    });

  it('reads a stream (or file), typed timestamps as epoch ms, dictionary columns as values; extra columns ignored', () => {
    for (const kind of ['stream', 'file'] as const) {
      const r = decode('arrow', tableToIPC(good(), kind));
      expect(r.rejected).toBeUndefined();
      expect(r.good).toEqual([
        { time: 1000, user: 'u1', amount: 1.5, n: null, ok: null, at: null, 'attributes.page': null },
        { time: 3000, user: 'u2', amount: null, n: null, ok: null, at: null, 'attributes.page': null },
      ]);
      expect(r.bad).toEqual([{ row: 2, reason: 'missing key: user' }]);
    }
  });

  it('rejects a stream with the wrong schema as a whole', () => {
    const noTime = tableToIPC(tableFromArrays({ user: ['a'], amount: [1] }), 'stream');
    expect(decode('arrow', noTime).rejected).toBe('wrong schema: no time column "ts" (columns: user, amount)');
    const noKey = tableToIPC(tableFromArrays({ ts: [1], amount: [1] }), 'stream');
    expect(decode('arrow', noKey).rejected).toMatch(/^wrong schema: no key column "user"/);
    const listy = new Table({
      ts: vectorFromArray([1], new Float64()),
      user: vectorFromArray(['a'], new Utf8()),
      amount: vectorFromArray([[1, 2]], new List(new Field('item', new Float64()))),
    });
    expect(decode('arrow', tableToIPC(listy, 'stream')).rejected).toMatch(/^wrong schema: column "amount" is List.*cannot hold a float64$/);
  });

  it('rejects bytes that are not Arrow IPC', () => {
    expect(decode('arrow', '{"ts":1,"user":"a"}').rejected).toMatch(/^malformed message: not an Arrow IPC stream/);
    expect(decode('arrow', new Uint8Array(0)).rejected).toMatch(/^malformed message: not an Arrow IPC stream/);
  });

  it('validates values row by row, as import does', () => {
    const t = tableFromArrays({ ts: ['2024-01-01T00:00:00Z', 'soon'], user: ['a', 'b'], n: Float64Array.of(1, 2.5) });
    const r = decode('arrow', tableToIPC(t, 'stream'));
    expect(r.good.map((g) => g.time)).toEqual([Date.UTC(2024, 0, 1)]);
    expect(r.bad).toEqual([{ row: 2, reason: 'bad timestamp: "soon"' }]);
  });
});
