import type { Batch } from '../../pipelines/data/batch.js';
import type { Column, ColumnType } from '../../pipelines/data/column.js';
import type { Dictionary, DictionaryValue } from '../../pipelines/data/dictionary.js';
import type { TimeFormat } from '../../pipelines/data/time.js';
import { reasonKind, type DeadLetterSink } from '../deadLetter.js';
import type { SourceLog } from '../log/sourceLog.js';
import { storedColumns, type StoredColumn } from '../log/sourceSpec.js';
import { ColumnBuilder } from './columnBuilder.js';
import { showValue, toBool, toFloat, toInt32, toInteger, toText, toTimeMs } from './convert.js';

export const DEFAULT_IMPORT_BATCH_ROWS = 65_536;
/** Raw input kept in a dead letter is cut to this many characters. */
const MAX_RAW = 4096;

type Convert = (v: unknown) => number | undefined;

const toTimestamp: Convert = (v) => {
  const t = toTimeMs(v, 'auto');
  return Number.isNaN(t) ? undefined : t;
};
const toNumberKey: Convert = (v) => {
  const n = toFloat(v);
  return n === undefined || Number.isNaN(n) ? undefined : n;
};

const CONVERT: Record<Exclude<ColumnType, 'string'>, Convert> = {
  float64: toFloat,
  int64: (v) => toInteger(v),
  int32: toInt32,
  bool: toBool,
  timestamp: toTimestamp,
};

export interface RowBuilderOptions {
  /** The input file, for dead letters. */
  file: string;
  deadLetters?: DeadLetterSink;
  /** Rows a batch appended to the log (default 65536). */
  batchRows?: number;
}

/**
 * Turns raw input rows into columnar batches for a source log, and bad rows into dead letters.
 *
 * A reader fills one reused array with a row's raw values in the order of `fields` (the time column
 * first, then the stored columns; `undefined` = field absent, `null` = null) and calls `tryAdd`. A row
 * that does not fit comes back as a reason, which the reader passes to `reject` with its row number.
 * Full batches wait in memory until the reader calls `drain()`, which appends them to the log.
 *
 * @example
 * const b = new RowBuilder(log, { file: 'trips.csv', deadLetters });
 * const reason = b.tryAdd(['2024-01-01T00:00:00Z', 'd1', '9.5']);
 * if (reason !== undefined) b.reject(1, reason);
 * await b.finish();
 */
export class RowBuilder {
  /** Input names in the order `tryAdd` wants them: the time column, then the stored columns. */
  readonly fields: readonly string[];
  /** Fields every input must have: the time column and the keys. */
  readonly required: readonly string[];
  /** How the time column is read. A reader whose input holds typed timestamps (already ms) sets 'epoch_ms'. */
  timeFormat: TimeFormat;
  /** Rows added, rows rejected, and rejected rows by reason kind. */
  rows = 0;
  rejected = 0;
  readonly reasons: Record<string, number> = {};

  private readonly columns: readonly StoredColumn[];
  private readonly dictionaries: readonly (Dictionary | undefined)[];
  private readonly converters: readonly (Convert | undefined)[];
  private readonly time: ColumnBuilder;
  private readonly builders: ColumnBuilder[];
  private readonly batchRows: number;
  /** One row's converted values, held until the whole row is known to be good. */
  private readonly scratchNumber: Float64Array;
  private readonly scratchValue: (DictionaryValue | undefined)[];
  private readonly scratchNull: Uint8Array;
  private ready: Batch[] = [];

  constructor(
    private readonly log: SourceLog,
    private readonly opts: RowBuilderOptions,
  ) {
    const spec = log.spec;
    this.columns = storedColumns(spec);
    this.fields = [spec.time, ...this.columns.map((c) => c.name)];
    this.required = [spec.time, ...spec.keys];
    this.timeFormat = spec.timeFormat;
    this.batchRows = opts.batchRows ?? DEFAULT_IMPORT_BATCH_ROWS;
    if (!(this.batchRows >= 1)) throw new Error(`batchRows must be at least 1, got ${this.batchRows}`);
    const initial = Math.min(this.batchRows, 4096);
    this.time = new ColumnBuilder(Float64Array, initial);
    this.builders = this.columns.map((c) => {
      if (c.dictionary || c.type === 'int32') return new ColumnBuilder(Int32Array, initial);
      if (c.type === 'bool') return new ColumnBuilder(Uint8Array, initial);
      return new ColumnBuilder(Float64Array, initial, c.type === 'float64' ? NaN : 0);
    });
    this.dictionaries = this.columns.map((c) => (c.dictionary ? log.dictionaries.get(c.name) : undefined));
    this.converters = this.columns.map((c) => (c.type === 'string' ? undefined : c.key && c.type === 'float64' ? toNumberKey : CONVERT[c.type]));
    this.scratchNumber = new Float64Array(this.columns.length);
    this.scratchValue = new Array<DictionaryValue | undefined>(this.columns.length);
    this.scratchNull = new Uint8Array(this.columns.length);
  }

  /**
   * Add one row, or return why it cannot be added (a dead-letter reason) and add nothing.
   * `values[0]` is the event time, `values[1 + j]` is stored column j.
   */
  tryAdd(values: ArrayLike<unknown>): string | undefined {
    const rawTime = values[0];
    if (rawTime === undefined) return 'missing time column';
    const t = toTimeMs(rawTime, this.timeFormat);
    if (Number.isNaN(t)) return `bad timestamp: ${showValue(rawTime)}`;
    const cols = this.columns;
    for (let j = 0; j < cols.length; j++) {
      const col = cols[j]!;
      const v = values[j + 1];
      if (v === null || v === undefined) {
        if (col.key) return `missing key: ${col.name}`;
        this.scratchNull[j] = 1;
        continue;
      }
      this.scratchNull[j] = 0;
      const convert = this.converters[j];
      const x = convert === undefined ? toText(v) : convert(v);
      if (x === undefined) return `wrong type: ${col.name} expected ${col.type}, got ${showValue(v)}`;
      if (col.dictionary) {
        if (col.key && x === '') return `missing key: ${col.name}`;
        this.scratchValue[j] = x;
      } else {
        this.scratchNumber[j] = x as number;
      }
    }
    // The whole row is good: only now touch builders and dictionaries.
    this.time.push(t);
    for (let j = 0; j < cols.length; j++) {
      const b = this.builders[j]!;
      if (this.scratchNull[j] === 1) b.pushNull();
      else {
        const dict = this.dictionaries[j];
        b.push(dict === undefined ? this.scratchNumber[j]! : dict.encode(this.scratchValue[j]!));
      }
    }
    this.rows++;
    if (this.time.length === this.batchRows) this.emit();
    return undefined;
  }

  /** Send a row to dead letters. `row` is the reader's 1-based row (or line) number. */
  reject(row: number, reason: string, raw?: string): void {
    this.rejected++;
    const kind = reasonKind(reason);
    this.reasons[kind] = (this.reasons[kind] ?? 0) + 1;
    this.opts.deadLetters?.write({
      source: this.log.spec.name,
      reason,
      file: this.opts.file,
      row,
      ...(raw !== undefined && { raw: raw.length > MAX_RAW ? raw.slice(0, MAX_RAW) : raw }),
    });
  }

  /** Append the full batches built so far to the log, in order. */
  async drain(): Promise<void> {
    while (this.ready.length > 0) {
      const batch = this.ready.shift()!;
      await this.log.append(batch);
    }
  }

  /** Append everything built, including a last partial batch. */
  async finish(): Promise<void> {
    if (this.time.length > 0) this.emit();
    await this.drain();
  }

  private emit(): void {
    const time = this.time.take().values as Float64Array;
    const columns: Record<string, Column> = {};
    this.columns.forEach((c, j) => {
      const { values, validity } = this.builders[j]!.take();
      const v = validity === undefined ? {} : { validity };
      const dict = this.dictionaries[j];
      columns[c.name] =
        dict !== undefined
          ? { type: 'dictionary', codes: values as Int32Array, dictionary: dict, ...v }
          : ({ type: c.type, values, ...v } as Column);
    });
    this.ready.push({ length: time.length, time, columns });
  }
}
