import { createReadStream } from 'node:fs';
import { requireFields } from './fieldPath.js';
import type { RowBuilder } from './rowBuilder.js';
import type { ReadProgress } from './progress.js';
import type { RowSink } from './rowSink.js';

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

const enum State {
  /** At the start of a field: a quote here opens a quoted field. */
  FieldStart,
  Unquoted,
  Quoted,
  /** Saw a quote inside a quoted field: `""` is an escaped quote, anything else closes the field. */
  QuoteInQuoted,
}

/**
 * A streaming RFC 4180 CSV parser: quoted fields, `""` escapes, delimiters and line breaks inside
 * quotes, LF, CRLF or CR line ends. Feed it text in pieces of any size; it returns the records each
 * piece completes. Blank lines are skipped. Fields are returned as text; typing them is the caller's job.
 *
 * Lenient where RFC 4180 is silent or strict: a quote inside an unquoted field, or text after a closing
 * quote, is kept as it is. An unterminated quoted field at the end is returned, with
 * `unterminatedQuote` set, so that the caller can reject it rather than lose it.
 *
 * @example
 * const p = new CsvParser();
 * p.push('a,"b\n'); // []
 * p.push('c""d",e\r\n1,2,3'); // [['a', 'b\nc"d', 'e']]
 * p.end(); // [['1', '2', '3']]
 */
export class CsvParser {
  private state = State.FieldStart;
  private field = '';
  private record: string[] = [];
  /** The current record has a quoted field, so an empty-looking line is not blank. */
  private quoted = false;
  /** The last piece ended in CR: an LF starting the next piece belongs to it. */
  private skipLF = false;
  private readonly delimiter: number;
  private unterminated = false;

  constructor(delimiter = ',') {
    if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
      throw new Error(`CSV delimiter must be one character other than a quote or a line break, got ${JSON.stringify(delimiter)}`);
    }
    this.delimiter = delimiter.charCodeAt(0);
  }

  /** True after `end()` when the input ended inside a quoted field. */
  get unterminatedQuote(): boolean {
    return this.unterminated;
  }

  /** Parse the next piece of text; returns the records it completes. */
  push(text: string): string[][] {
    const out: string[][] = [];
    const n = text.length;
    const D = this.delimiter;
    let i = 0;
    if (n === 0) return out;
    if (this.skipLF) {
      this.skipLF = false;
      if (text.charCodeAt(0) === LF) i = 1;
    }
    let start = i;
    while (i < n) {
      const c = text.charCodeAt(i);
      switch (this.state) {
        case State.FieldStart:
          if (c === QUOTE) {
            this.state = State.Quoted;
            this.quoted = true;
            start = ++i;
            break;
          }
          this.state = State.Unquoted;
          start = i;
        // falls through: c is the field's first character
        case State.Unquoted:
          if (c === D) {
            this.field += text.slice(start, i);
            this.endField();
            start = ++i;
          } else if (c === LF || c === CR) {
            this.field += text.slice(start, i);
            this.endRecord(out);
            i = this.afterLineEnd(text, i, c);
            start = i;
          } else {
            i++;
          }
          break;
        case State.Quoted: {
          // Jump to the next quote: everything before it, line breaks included, is field text.
          const q = text.indexOf('"', i);
          if (q < 0) {
            i = n;
            break;
          }
          this.field += text.slice(start, q);
          this.state = State.QuoteInQuoted;
          i = q + 1;
          start = i;
          break;
        }
        case State.QuoteInQuoted:
          if (c === QUOTE) {
            this.field += '"';
            this.state = State.Quoted;
            start = ++i;
          } else if (c === D) {
            this.endField();
            start = ++i;
          } else if (c === LF || c === CR) {
            this.endRecord(out);
            i = this.afterLineEnd(text, i, c);
            start = i;
          } else {
            this.state = State.Unquoted;
            start = i;
          }
          break;
      }
    }
    if (this.state === State.Unquoted || this.state === State.Quoted) this.field += text.slice(start, n);
    return out;
  }

  /** The input is over: returns the last record, if the text did not end with a line break. */
  end(): string[][] {
    const out: string[][] = [];
    if (this.state === State.Quoted) this.unterminated = true;
    if (this.state !== State.FieldStart || this.record.length > 0) this.endRecord(out);
    this.state = State.FieldStart;
    this.skipLF = false;
    return out;
  }

  private endField(): void {
    this.record.push(this.field);
    this.field = '';
    this.state = State.FieldStart;
  }

  private endRecord(out: string[][]): void {
    this.record.push(this.field);
    const blank = this.record.length === 1 && this.record[0] === '' && !this.quoted;
    if (!blank) out.push(this.record);
    this.field = '';
    this.record = [];
    this.quoted = false;
    this.state = State.FieldStart;
  }

  /** Index after a line end at `i`; a CR at the end of the piece may pair with an LF in the next one. */
  private afterLineEnd(text: string, i: number, c: number): number {
    i++;
    if (c === CR) {
      if (i < text.length) {
        if (text.charCodeAt(i) === LF) i++;
      } else {
        this.skipLF = true;
      }
    }
    return i;
  }
}

/** Parse a whole CSV text at once (for small inputs and tests). */
export function parseCsv(text: string, delimiter = ','): string[][] {
  const p = new CsvParser(delimiter);
  return [...p.push(text), ...p.end()];
}

/**
 * The data records of a CSV file (after its header) checked into a sink, row by row: what the
 * sequential reader and the parallel decode tasks share, so that both accept, reject and number rows
 * alike. Rows are numbered from `firstRow + 1`; empty cells are null; a record of the wrong width, or
 * an unterminated quoted field at the end of the input, is a dead letter.
 *
 * @example
 * const rows = new CsvRows(sink, headerIndex(file, header, sink), header.length);
 * rows.take(parser.push(text));
 * rows.take(parser.end(), parser.unterminatedQuote);
 * rows.row; // data records seen, good and bad
 */
export class CsvRows {
  /** Data records taken so far (good and bad), plus `firstRow`. */
  row: number;
  private readonly values: unknown[];

  constructor(
    private readonly sink: RowSink,
    /** Where each of the sink's fields is in a record (-1: absent). */
    private readonly index: Int32Array,
    /** Fields a record must have: the header's. */
    private readonly width: number,
    firstRow = 0,
  ) {
    this.values = new Array(sink.fields.length);
    this.row = firstRow;
  }

  /** Check `records` into the sink; `lastUnterminated`: the last one ended inside a quoted field. */
  take(records: string[][], lastUnterminated = false): void {
    const { sink, index, width, values } = this;
    for (let r = 0; r < records.length; r++) {
      const rec = records[r]!;
      const row = ++this.row;
      if (lastUnterminated && r === records.length - 1) {
        sink.reject(row, 'malformed line: unterminated quoted field', rec.join(','));
        continue;
      }
      if (rec.length !== width) {
        sink.reject(row, `malformed line: expected ${width} fields, got ${rec.length}`, rec.join(','));
        continue;
      }
      for (let k = 0; k < values.length; k++) {
        const at = index[k]!;
        const cell = at < 0 ? undefined : rec[at]!;
        values[k] = cell === '' ? null : cell;
      }
      const reason = sink.tryAdd(values);
      if (reason !== undefined) sink.reject(row, reason, rec.join(','));
    }
  }
}

/**
 * Read a CSV file with a header row into `builder`, streaming. Empty cells are null. Row numbers in
 * dead letters are 1-based data records (the header is not counted; a record with a quoted line
 * break is still one row). A header without the time column or a key throws.
 */
export async function readCsvFile(file: string, builder: RowBuilder, progress: ReadProgress): Promise<void> {
  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 });
  const parser = new CsvParser();
  let rows: CsvRows | undefined;

  const take = (records: string[][], lastUnterminated = false): void => {
    if (rows === undefined && records.length > 0) {
      const header = records.shift()!;
      rows = new CsvRows(builder, headerIndex(file, header, builder), header.length);
    }
    rows?.take(records, lastUnterminated);
  };

  let first = true;
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      // A UTF-8 byte-order mark would otherwise become part of the first column's name.
      const text = first && chunk.charCodeAt(0) === 0xfeff ? chunk.slice(1) : chunk;
      first = false;
      take(parser.push(text));
      await builder.drain();
      progress(rows?.row ?? 0, stream.bytesRead);
    }
  } finally {
    stream.destroy();
  }
  take(parser.end(), parser.unterminatedQuote);
  if (rows === undefined) throw new Error(`${file}: the CSV file is empty (no header row)`);
  progress(rows.row, stream.bytesRead);
}

/**
 * Where each of the sink's fields is in the header (-1: absent, read as null).
 * @throws Error naming the file when the header lacks the time column or a key
 */
export function headerIndex(file: string, header: string[], sink: Pick<RowSink, 'fields' | 'required'>): Int32Array {
  const names = header.map((h) => h.trim());
  const index = new Int32Array(sink.fields.length);
  sink.fields.forEach((f, k) => {
    index[k] = names.indexOf(f);
  });
  requireFields(file, 'the CSV header', sink.fields, sink.required, Array.from(index), names);
  return index;
}
