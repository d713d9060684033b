import { closeSync, fdatasyncSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Batch } from '../../pipelines/data/batch.js';
import type { Column } from '../../pipelines/data/column.js';
import type { Dictionary, DictionaryValue } from '../../pipelines/data/dictionary.js';
import type { StoredColumn } from './sourceSpec.js';

/**
 * The write-ahead journal of a source log: `<source dir>/journal.wal`.
 *
 * Rows appended to a log wait in memory until a whole segment is worth writing. A live run cannot
 * wait that long before it processes them, so each append is also written here, synchronously,
 * before the append returns: a crash (of the process) after that loses nothing, because the next
 * open of the log reads the journal back. Once rows are in a segment the journal is rewritten with
 * only the rows that are not, so it stays about one segment long.
 *
 * The format is our own and small, rather than an Arrow IPC stream per append, because every Arrow
 * stream would repeat the schema and whole dictionaries. One record per append (little-endian):
 *
 *     u32 magic 'TRJ1' | u32 body length | u32 crc32(body) | body
 *     body: u32 header length | header JSON | pad to 8 | sections, each padded to 8:
 *           new numeric dictionary values (f64) | event time (f64) | each stored column's values
 *           (f64, i32 or u8 by type) and, when the header says so, its validity bitmap
 *
 * The header names the record's first log offset and row count, and the dictionary values added
 * since the previous record (`from` is the code of the first). Codes never change, so replaying the
 * deltas in order rebuilds the dictionaries the rows were coded against. A record cut short or with
 * a bad checksum ends the journal: it was never acknowledged.
 */
export const JOURNAL_FILE = 'journal.wal';

const MAGIC = 0x314a5254; // "TRJ1" read as a little-endian u32
const PREFIX = 12;

interface DictionaryDelta {
  column: string;
  from: number;
  /** New string values; for a numeric dictionary, `numbers` values follow in the body instead. */
  strings?: string[];
  numbers?: number;
}

interface RecordHeader {
  offset: number;
  rows: number;
  /** Per stored column, in schema order: whether a validity bitmap follows its values. */
  validity: boolean[];
  /** In stored-column order, which is also the order of the numeric sections in the body. */
  dictionaries: DictionaryDelta[];
}

/** One journal record read back: rows starting at log offset `offset`. */
export interface JournalRecord {
  readonly offset: number;
  readonly batch: Batch;
}

/** Bytes per value as stored in a batch: codes and int32 are 4, bools 1, everything else a float64. */
function widthOf(c: StoredColumn): 1 | 4 | 8 {
  if (c.dictionary || c.type === 'int32') return 4;
  return c.type === 'bool' ? 1 : 8;
}

const pad8 = (n: number): number => (n + 7) & ~7;

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/**
 * One journal record for `batch` (already conformed to the log: exactly the stored columns, codes
 * on the log's dictionaries), whose first row gets log offset `offset`. `journaled` holds, per
 * dictionary column, how many values earlier records already carry; it is advanced.
 */
export function encodeRecord(
  batch: Batch,
  offset: number,
  columns: readonly StoredColumn[],
  dictionaries: ReadonlyMap<string, Dictionary>,
  journaled: Map<string, number>,
): Uint8Array {
  const n = batch.length;
  const header: RecordHeader = { offset, rows: n, validity: [], dictionaries: [] };
  const numericDeltas: DictionaryValue[][] = [];
  for (const c of columns) {
    const col = batch.columns[c.name]!;
    header.validity.push(col.validity !== undefined);
    if (!c.dictionary) continue;
    const dict = dictionaries.get(c.name)!;
    const from = journaled.get(c.name) ?? 0;
    if (dict.size > from) {
      const values = dict.values.slice(from);
      if (typeof values[0] === 'number') {
        header.dictionaries.push({ column: c.name, from, numbers: values.length });
        numericDeltas.push(values);
      } else {
        header.dictionaries.push({ column: c.name, from, strings: values as string[] });
      }
      journaled.set(c.name, dict.size);
    }
  }
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  let size = pad8(4 + headerBytes.length);
  for (const d of numericDeltas) size += pad8(d.length * 8);
  size += pad8(n * 8);
  columns.forEach((c, j) => {
    size += pad8(n * widthOf(c));
    if (header.validity[j]) size += pad8((n + 7) >> 3);
  });

  const out = new Uint8Array(PREFIX + size);
  const view = new DataView(out.buffer);
  view.setUint32(PREFIX, headerBytes.length, true);
  out.set(headerBytes, PREFIX + 4);
  let at = PREFIX + pad8(4 + headerBytes.length);
  const put = (bytes: Uint8Array): void => {
    out.set(bytes, at);
    at += pad8(bytes.length);
  };
  for (const d of numericDeltas) put(bytesOf(Float64Array.from(d as number[])));
  put(bytesOf(batch.time.subarray(0, n)));
  for (const c of columns) {
    const col = batch.columns[c.name]!;
    put(bytesOf(col.type === 'dictionary' ? col.codes.subarray(0, n) : col.values.subarray(0, n)));
    if (col.validity !== undefined) put(col.validity.subarray(0, (n + 7) >> 3));
  }
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, size, true);
  view.setUint32(8, crc32(out.subarray(PREFIX)), true);
  return out;
}

/** What `readRecord` found at a position. */
export type RecordRead =
  | { status: 'ok'; next: number; header: RecordHeader; body: Uint8Array; sections: number }
  | { status: 'incomplete' }
  | { status: 'corrupt'; why: string };

/** Parse the record that starts at `pos` of `bytes`, without applying it. */
export function readRecord(bytes: Uint8Array, pos: number): RecordRead {
  if (bytes.length - pos < PREFIX) return { status: 'incomplete' };
  const view = new DataView(bytes.buffer, bytes.byteOffset + pos);
  if (view.getUint32(0, true) !== MAGIC) return { status: 'corrupt', why: `no record magic at byte ${pos}` };
  const size = view.getUint32(4, true);
  if (bytes.length - pos - PREFIX < size) return { status: 'incomplete' };
  const body = bytes.subarray(pos + PREFIX, pos + PREFIX + size);
  if (crc32(body) !== view.getUint32(8, true)) return { status: 'corrupt', why: `bad checksum at byte ${pos}` };
  const headerLength = new DataView(body.buffer, body.byteOffset).getUint32(0, true);
  let header: RecordHeader;
  try {
    header = JSON.parse(Buffer.from(body.buffer, body.byteOffset + 4, headerLength).toString('utf8')) as RecordHeader;
  } catch {
    return { status: 'corrupt', why: `unreadable header at byte ${pos}` };
  }
  return { status: 'ok', next: pos + PREFIX + size, header, body, sections: pad8(4 + headerLength) };
}

/**
 * Add a record's dictionary values to the running dictionaries. Values the dictionary already holds
 * must be the same (stable codes); a record starting past the dictionary's end means the journal
 * and the segments disagree, which throws.
 */
export function applyDictionaries(r: Extract<RecordRead, { status: 'ok' }>, dictionaries: ReadonlyMap<string, Dictionary>): void {
  let at = r.sections;
  for (const delta of r.header.dictionaries) {
    const name = delta.column;
    const dict = dictionaries.get(name);
    if (dict === undefined) throw new Error(`journal names dictionary column ${name}, which the log does not have`);
    let values: readonly DictionaryValue[];
    if (delta.numbers !== undefined) {
      values = Array.from(copyOut(r.body, at, delta.numbers, Float64Array));
      at += pad8(delta.numbers * 8);
    } else {
      values = delta.strings ?? [];
    }
    if (delta.from > dict.size) throw new Error(`journal dictionary ${name} starts at code ${delta.from}, but the log knows only ${dict.size} values`);
    for (let i = 0; i < values.length; i++) {
      const code = delta.from + i;
      const v = values[i]!;
      if (code < dict.size) {
        if (dict.values[code] !== v) throw new Error(`journal dictionary ${name}: code ${code} is ${String(v)} here but ${String(dict.values[code])} in the log`);
      } else {
        dict.encode(v);
      }
    }
  }
}

/** The rows of a parsed record as a batch on the log's dictionaries (call `applyDictionaries` first). */
export function recordBatch(
  r: Extract<RecordRead, { status: 'ok' }>,
  columns: readonly StoredColumn[],
  dictionaries: ReadonlyMap<string, Dictionary>,
): JournalRecord {
  const { header, body } = r;
  const n = header.rows;
  let at = r.sections;
  for (const delta of header.dictionaries) if (delta.numbers !== undefined) at += pad8(delta.numbers * 8);
  const time = copyOut(body, at, n, Float64Array);
  at += pad8(n * 8);
  const out: Record<string, Column> = {};
  columns.forEach((c, j) => {
    const w = widthOf(c);
    const values = w === 8 ? copyOut(body, at, n, Float64Array) : w === 4 ? copyOut(body, at, n, Int32Array) : body.slice(at, at + n);
    at += pad8(n * w);
    let validity: Uint8Array | undefined;
    if (header.validity[j]) {
      validity = body.slice(at, at + ((n + 7) >> 3));
      at += pad8((n + 7) >> 3);
    }
    const v = validity === undefined ? {} : { validity };
    out[c.name] = c.dictionary
      ? { type: 'dictionary', codes: values as Int32Array, dictionary: dictionaries.get(c.name)!, ...v }
      : ({ type: c.type, values, ...v } as Column);
  });
  return { offset: header.offset, batch: { length: n, time, columns: out } };
}

/** Typed values copied out of a byte range (the range need not be aligned for the type). */
function copyOut<T extends Float64Array | Int32Array>(body: Uint8Array, at: number, n: number, Type: { new (n: number): T; BYTES_PER_ELEMENT: number }): T {
  const out = new Type(n);
  new Uint8Array(out.buffer).set(body.subarray(at, at + n * Type.BYTES_PER_ELEMENT));
  return out;
}

/**
 * Appends records to a journal file. Writes are synchronous on purpose: when `append` returns, the
 * record is in the operating system's cache, so it survives the process dying; with `sync`, it is
 * also flushed to the disk (fdatasync), so it survives the machine dying, at the cost of a disk
 * flush per append.
 */
export class JournalWriter {
  private fd: number;

  constructor(
    readonly path: string,
    private readonly sync = false,
  ) {
    this.fd = openSync(path, 'a');
  }

  append(record: Uint8Array): void {
    writeAll(this.fd, record);
    if (this.sync) fdatasyncSync(this.fd);
  }

  /**
   * Replace the journal with `records` (possibly none), atomically: a temporary file renamed over
   * the old one, so a crash leaves one or the other. Readers following the journal see a new inode.
   */
  replace(records: readonly Uint8Array[]): void {
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      for (const r of records) writeAll(fd, r);
      if (this.sync) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
    if (this.sync) syncDirectory(dirname(this.path));
    closeSync(this.fd);
    this.fd = openSync(this.path, 'a');
  }

  /** Close the file; with `remove`, delete it too (every row it held is in a segment). */
  close(remove: boolean): void {
    closeSync(this.fd);
    if (remove) rmSync(this.path, { force: true });
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
}

function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function journalPath(dir: string): string {
  return join(dir, JOURNAL_FILE);
}
