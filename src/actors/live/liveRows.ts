import type { Batch } from '../../pipelines/data/batch.js';
import type { Column, ColumnType } from '../../pipelines/data/column.js';
import type { Dictionary, DictionaryValue } from '../../pipelines/data/dictionary.js';
import type { TimeFormat } from '../../pipelines/data/time.js';
import { ColumnBuilder } from '../../store/ingest/columnBuilder.js';
import { showValue, toBool, toFloat, toInt32, toInteger, toText, toTimeMs } from '../../store/ingest/convert.js';
import { storedColumns, type SourceSpec, type StoredColumn } from '../../store/log/sourceSpec.js';

type Convert = (v: unknown) => number | undefined;

function lateReason(watermark: number, t: number): string {
  return `late: ${watermark - t} ms behind the watermark announced while the source was idle`;
}

// The same conversions as import (src/store/ingest/rowBuilder.ts), so that a live event and the same
// event in an imported file are accepted or rejected alike, with the same reason.
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

/**
 * The open micro-batch of a live source: validated rows gathered column by column, on the source
 * log's dictionaries (so codes are the log's, stable), until `take()` hands them over as a batch.
 *
 * A decoder fills one reused array with a row's raw values in the order of `fields` (the time column,
 * then the stored columns; `undefined` = absent, `null` = null) and calls `tryAdd`. A row that does
 * not fit comes back as a dead-letter reason and adds nothing: a bad timestamp, a missing key, a wrong
 * type, exactly as import decides them. A row older than `lateBefore` (a watermark announced while
 * the source was idle) is late. When the batch reaches `capacity` rows, `onFull` is called at once,
 * so a batch never holds more.
 *
 * @example
 * const rows = new LiveRows(log.spec, log.dictionaries, 1024);
 * const reason = rows.tryAdd(['2024-01-01T00:00:00Z', 'card-1', '9.5']);
 * if (reason !== undefined) deadLetter(reason);
 * const batch = rows.take(); // columns on log.dictionaries
 */
export class LiveRows {
  /** Input names in the order `tryAdd` wants them: the time column, then the stored columns. */
  readonly fields: readonly string[];
  /** Fields every input must have: the time column and the keys. */
  readonly required: readonly string[];
  readonly columns: readonly StoredColumn[];
  /** How the time column is read, unless a decoder says otherwise for one message. */
  readonly timeFormat: TimeFormat;
  /** Rows older than this are late (a watermark announced for idleness). */
  lateBefore = -Infinity;
  /** Largest event time of an accepted row; -Infinity before any. */
  maxTime = -Infinity;
  /** Rows accepted since construction (a running count, not reset by `take`). */
  added = 0;
  /** Called when the batch reaches `capacity` rows. */
  onFull: () => void = () => {};

  private readonly dictionaries: readonly (Dictionary | undefined)[];
  private readonly converters: readonly (Convert | undefined)[];
  private readonly time: ColumnBuilder;
  private readonly builders: ColumnBuilder[];
  private readonly scratchNumber: Float64Array;
  private readonly scratchValue: (DictionaryValue | undefined)[];
  private readonly scratchNull: Uint8Array;

  constructor(
    spec: SourceSpec,
    dictionaries: ReadonlyMap<string, Dictionary>,
    readonly capacity: number,
  ) {
    if (!(capacity >= 1)) throw new Error(`capacity must be at least 1, got ${capacity}`);
    this.columns = storedColumns(spec);
    this.fields = [spec.time, ...this.columns.map((c) => c.name)];
    this.required = [spec.time, ...spec.keys];
    this.timeFormat = spec.timeFormat;
    // Small to start: with max_delay 0 a batch is often a few rows, and take() starts every column afresh.
    const initial = Math.min(capacity, 256);
    this.time = new ColumnBuilder(Float64Array, initial);
    this.builders = this.columns.map((c) => {
      if (c.dictionary || c.type === 'int32') return new ColumnBuilder(Int32Array, initial);
      if (c.type === 'bool') return new ColumnBuilder(Uint8Array, initial);
      return new ColumnBuilder(Float64Array, initial, c.type === 'float64' ? NaN : 0);
    });
    this.dictionaries = this.columns.map((c) => {
      if (!c.dictionary) return undefined;
      const d = dictionaries.get(c.name);
      if (d === undefined) throw new Error(`no dictionary for column ${c.name}`);
      return d;
    });
    this.converters = this.columns.map((c) => (c.type === 'string' ? undefined : c.key && c.type === 'float64' ? toNumberKey : CONVERT[c.type]));
    this.scratchNumber = new Float64Array(this.columns.length);
    this.scratchValue = new Array<DictionaryValue | undefined>(this.columns.length);
    this.scratchNull = new Uint8Array(this.columns.length);
  }

  /** Rows in the open batch. */
  get length(): number {
    return this.time.length;
  }

  /**
   * Add one row, or return why it cannot be added (a dead-letter reason) and add nothing.
   * `values[0]` is the event time, `values[1 + j]` is stored column j.
   */
  tryAdd(values: ArrayLike<unknown>, timeFormat: TimeFormat = this.timeFormat): string | undefined {
    const rawTime = values[0];
    if (rawTime === undefined) return 'missing time column';
    const t = toTimeMs(rawTime, timeFormat);
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
    if (t < this.lateBefore) return lateReason(this.lateBefore, t);
    // The whole row is good: only now touch builders and dictionaries.
    this.time.push(t);
    this.added++;
    if (t > this.maxTime) this.maxTime = t;
    for (let j = 0; j < cols.length; j++) {
      const b = this.builders[j]!;
      if (this.scratchNull[j] === 1) b.pushNull();
      else {
        const dict = this.dictionaries[j];
        b.push(dict === undefined ? this.scratchNumber[j]! : dict.encode(this.scratchValue[j]!));
      }
    }
    if (this.time.length >= this.capacity) this.onFull();
    return undefined;
  }

  /**
   * Add a row already known to be good (a columnar decoder checked it): its event time, and per stored
   * column a number, or a code on the log's dictionary, unless `nulls[j]` is 1. Returns a reason only
   * when the row is late.
   */
  addChecked(t: number, values: Float64Array, nulls: Uint8Array): string | undefined {
    if (t < this.lateBefore) return lateReason(this.lateBefore, t);
    this.time.push(t);
    this.added++;
    if (t > this.maxTime) this.maxTime = t;
    for (let j = 0; j < this.builders.length; j++) {
      const b = this.builders[j]!;
      if (nulls[j] === 1) b.pushNull();
      else b.push(values[j]!);
    }
    if (this.time.length >= this.capacity) this.onFull();
    return undefined;
  }

  /** The running dictionary of each stored column (undefined for columns that have none), in schema order. */
  columnDictionaries(): readonly (Dictionary | undefined)[] {
    return this.dictionaries;
  }

  /** The open batch, handed over; the next row starts a new one. */
  take(): Batch {
    const time = this.time.take().values as Float64Array;
    const columns: Record<string, Column> = {};
    this.columns.forEach((c, j) => {
      const { values, validity } = this.builders[j]!.take();
      const v = validity === undefined ? {} : { validity };
      const dict = this.dictionaries[j];
      columns[c.name] =
        dict !== undefined ? { type: 'dictionary', codes: values as Int32Array, dictionary: dict, ...v } : ({ type: c.type, values, ...v } as Column);
    });
    return { length: time.length, time, columns };
  }
}
