/**
 * One small data set, written in every input format, and the rows the log must hold after importing it.
 */
import { writeFile } from 'node:fs/promises';
import {
  Bool,
  Field,
  Float64,
  Int32,
  Int64,
  makeData,
  RecordBatchFileWriter,
  RecordBatchStreamWriter,
  Struct,
  Table,
  TimestampMillisecond,
  Utf8,
  vectorFromArray,
  makeVector,
} from 'apache-arrow';
import { parquetWriteFile } from 'hyparquet-writer';
import type { SourceSpec } from '../../../src/store/log/sourceSpec.js';

export const spec: SourceSpec = {
  name: 'events',
  time: 'ts',
  timeFormat: 'auto',
  keys: ['user'],
  lateness: 0,
  columns: {
    user: 'string',
    amount: 'float64',
    count: 'int64',
    n32: 'int32',
    ok: 'bool',
    'attributes.page': 'string',
    seen: 'timestamp',
  },
};

export interface Event {
  ts: number;
  user: string;
  amount: number | null;
  count: number | null;
  n32: number | null;
  ok: boolean | null;
  page: string | null;
  seen: number | null;
}

const T0 = Date.UTC(2024, 0, 15, 8, 30, 0);

/** Arrival order is not time order on purpose. */
export const events: Event[] = [
  { ts: T0, user: 'u1', amount: 9.5, count: 3, n32: -2, ok: true, page: 'home', seen: Date.UTC(2023, 11, 31) },
  { ts: T0 + 1500, user: 'u2', amount: null, count: null, n32: 7, ok: false, page: null, seen: null },
  { ts: T0 - 60_000, user: 'u1', amount: -0.25, count: 9007199254740991, n32: 2147483647, ok: null, page: 'cart, "big"\nsale', seen: T0 },
  { ts: T0 + 2, user: 'ü 😀', amount: 1e-7, count: -42, n32: null, ok: true, page: 'home', seen: 0 },
  { ts: T0 + 3_600_000, user: 'u2', amount: 0, count: 0, n32: 0, ok: false, page: '', seen: T0 + 1 },
];

/** What reading the log back must give for `events`, starting at offset `base`. */
export function expectedRows(list: readonly Event[] = events, base = 0) {
  return list.map((e, i) => ({
    time: e.ts,
    offset: base + i,
    user: e.user,
    amount: e.amount,
    count: e.count,
    n32: e.n32,
    ok: e.ok,
    'attributes.page': e.page,
    seen: e.seen,
  }));
}

function csvField(v: string): string {
  return /[",\r\n]/.test(v) || v === '' ? `"${v.replace(/"/g, '""')}"` : v;
}

/** CSV has no null and no empty string apart: an empty page would read back as null, so write the events without one. */
export async function writeCsv(path: string, list: readonly Event[]): Promise<void> {
  const header = ['ts', 'user', 'amount', 'count', 'n32', 'ok', 'attributes.page', 'seen', 'ignored'];
  const lines = list.map((e, i) =>
    [
      new Date(e.ts).toISOString(),
      csvField(e.user),
      e.amount === null ? '' : String(e.amount),
      e.count === null ? '' : String(e.count),
      e.n32 === null ? '' : String(e.n32),
      e.ok === null ? '' : i % 2 === 0 ? String(e.ok).toUpperCase() : e.ok ? '1' : '0',
      e.page === null ? '' : csvField(e.page),
      e.seen === null ? '' : new Date(e.seen).toISOString(),
      'x',
    ].join(','),
  );
  await writeFile(path, [header.join(','), ...lines].join('\r\n') + '\r\n');
}

/** JSON lines with a nested `attributes.page`, epoch-ms `seen`, and a blank line. */
export async function writeJsonLines(path: string, list: readonly Event[]): Promise<void> {
  const lines = list.map((e) =>
    JSON.stringify({
      ts: new Date(e.ts).toISOString(),
      user: e.user,
      ...(e.amount !== null && { amount: e.amount }),
      count: e.count,
      n32: e.n32,
      ok: e.ok,
      attributes: { page: e.page, other: 1 },
      seen: e.seen,
    }),
  );
  lines.splice(1, 0, '   ');
  await writeFile(path, lines.join('\n') + '\n');
}

export function writeParquet(path: string, list: readonly Event[], rowGroupSize = 2): void {
  parquetWriteFile({
    filename: path,
    rowGroupSize,
    columnData: [
      { name: 'ts', data: list.map((e) => new Date(e.ts)), type: 'TIMESTAMP' },
      { name: 'user', data: list.map((e) => e.user), type: 'STRING' },
      { name: 'amount', data: list.map((e) => e.amount), type: 'DOUBLE' },
      { name: 'count', data: list.map((e) => (e.count === null ? null : BigInt(e.count))), type: 'INT64' },
      { name: 'n32', data: list.map((e) => e.n32), type: 'INT32' },
      { name: 'ok', data: list.map((e) => e.ok), type: 'BOOLEAN' },
      { name: 'attributes.page', data: list.map((e) => e.page), type: 'STRING' },
      { name: 'seen', data: list.map((e) => (e.seen === null ? null : new Date(e.seen))), type: 'TIMESTAMP' },
    ],
  });
}

/** An Arrow table of the events: a Timestamp time column, int64, and `attributes` as a struct. */
export function arrowTable(list: readonly Event[]): Table {
  const page = vectorFromArray(list.map((e) => e.page), new Utf8());
  const pageField = new Field('page', new Utf8(), true);
  const attributes = makeVector(
    makeData({ type: new Struct([pageField]), length: list.length, nullCount: 0, children: [page.data[0]!] }),
  );
  return new Table({
    ts: vectorFromArray(list.map((e) => e.ts), new TimestampMillisecond()),
    user: vectorFromArray(list.map((e) => e.user), new Utf8()),
    amount: vectorFromArray(list.map((e) => e.amount), new Float64()),
    count: vectorFromArray(list.map((e) => (e.count === null ? null : BigInt(e.count))), new Int64()),
    n32: vectorFromArray(list.map((e) => e.n32), new Int32()),
    ok: vectorFromArray(list.map((e) => e.ok), new Bool()),
    attributes,
    seen: vectorFromArray(list.map((e) => e.seen), new TimestampMillisecond()),
  });
}

export async function writeArrow(path: string, list: readonly Event[], format: 'file' | 'stream' = 'file'): Promise<void> {
  const table = arrowTable(list);
  const bytes = format === 'file' ? RecordBatchFileWriter.writeAll(table).toUint8Array(true) : RecordBatchStreamWriter.writeAll(table).toUint8Array(true);
  await writeFile(path, bytes);
}
