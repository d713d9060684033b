import type { Batch } from '../../pipelines/data/batch.js';
import type { Column, ColumnType } from '../../pipelines/data/column.js';
import type { Dictionary, DictionaryValue } from '../../pipelines/data/dictionary.js';
import type { TimeFormat } from '../../pipelines/data/time.js';
import { storedColumns, type SourceSpec, type StoredColumn } from '../log/sourceSpec.js';
import { ColumnBuilder } from './columnBuilder.js';
import { showValue, toBool, toFloat, toInt32, toInteger, toText, toTimeMs } from './convert.js';

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

/**
 * Raw rows checked against a source's schema and gathered column by column, on the source log's
 * dictionaries: what import and live sources share, so that an event is accepted or rejected alike,
 * with the same reason, whichever way it arrives.
 *
 * `check` reads one row's raw values in the order of `fields` (the time column, then the stored
 * columns; `undefined` = absent, `null` = null) into scratch space and returns the event time, or a
 * dead-letter reason (a bad timestamp, a missing key, a wrong type). Only `commit` then touches the
 * builders and dictionaries, so a bad row leaves nothing behind.
 *
 * @example
 * const rows = new RowColumns(log.spec, log.dictionaries, 4096);
 * const t = rows.check(['2024-01-01T00:00:00Z', 'card-1', '9.5']);
 * if (typeof t === 'string') deadLetter(t); else rows.commit(t);
 * const batch = rows.take();
 */
export class RowColumns {
  /** Input names in the order `check` wants them: the time column, then the stored columns. */
  readonly fields: readonly string[];
  /** Fields every input must have: the time column and the keys. */
  readonly required: readonly string[];
  readonly columns: readonly StoredColumn[];
  /** The running dictionary of each stored column (undefined for columns without one), in schema order. */
  readonly dictionaries: readonly (Dictionary | undefined)[];

  private readonly converters: readonly (Convert | undefined)[];
  private readonly time: ColumnBuilder;
  private readonly builders: ColumnBuilder[];
  /** One row's converted values, held until the whole row is known to be good. */
  private readonly scratchNumber: Float64Array;
  private readonly scratchValue: (DictionaryValue | undefined)[];
  private readonly scratchNull: Uint8Array;

  constructor(spec: SourceSpec, dictionaries: ReadonlyMap<string, Dictionary>, initialRows: number) {
    this.columns = storedColumns(spec);
    this.fields = [spec.time, ...this.columns.map((c) => c.name)];
    this.required = [spec.time, ...spec.keys];
    this.time = new ColumnBuilder(Float64Array, initialRows);
    this.builders = this.columns.map((c) => {
      if (c.dictionary || c.type === 'int32') return new ColumnBuilder(Int32Array, initialRows);
      if (c.type === 'bool') return new ColumnBuilder(Uint8Array, initialRows);
      return new ColumnBuilder(Float64Array, initialRows, c.type === 'float64' ? NaN : 0);
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

  /** Rows gathered since the last `take`. */
  get length(): number {
    return this.time.length;
  }

  /** Check one row: its event time, or why it cannot be added. Nothing is added yet. */
  check(values: ArrayLike<unknown>, timeFormat: TimeFormat): number | string {
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
    return t;
  }

  /** Add the row last `check`ed, at time `t`. */
  commit(t: number): void {
    this.time.push(t);
    for (let j = 0; j < this.builders.length; j++) {
      const b = this.builders[j]!;
      if (this.scratchNull[j] === 1) b.pushNull();
      else {
        const dict = this.dictionaries[j];
        b.push(dict === undefined ? this.scratchNumber[j]! : dict.encode(this.scratchValue[j]!));
      }
    }
  }

  /** Add a row a columnar decoder already checked: per stored column a number or a dictionary code, unless `nulls[j]` is 1. */
  commitChecked(t: number, values: Float64Array, nulls: Uint8Array): void {
    this.time.push(t);
    for (let j = 0; j < this.builders.length; j++) {
      const b = this.builders[j]!;
      if (nulls[j] === 1) b.pushNull();
      else b.push(values[j]!);
    }
  }

  /** The rows gathered so far, as a batch; the next row starts a new one. */
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
