import { Dictionary } from '../../../pipelines/data/dictionary.js';
import type { TimeFormat } from '../../../pipelines/data/time.js';
import { storedColumns, type SourceSpec } from '../../log/sourceSpec.js';
import { RowColumns } from '../rowColumns.js';
import { cutRaw, type RowSink } from '../rowSink.js';
import type { DecodedColumn, DecodedRange, RangeDeadLetter } from './decoded.js';

/**
 * A decode task's sink: rows checked by the same RowColumns as a sequential import, on dictionaries
 * of the range's own (the log's live on the calling thread, which re-codes them in file order), and
 * dead letters kept with the range's row numbers. `result()` hands the range over as columns.
 *
 * @example
 * const sink = new RangeRows(spec);
 * new CsvRows(sink, index, width).take(records);
 * const decoded = sink.result(records.length);
 */
export class RangeRows implements RowSink {
  readonly fields: readonly string[];
  readonly required: readonly string[];
  private readonly rowColumns: RowColumns;
  private readonly timeFormat: TimeFormat;
  private readonly deadLetters: RangeDeadLetter[] = [];

  constructor(spec: SourceSpec) {
    const dictionaries = new Map(storedColumns(spec).filter((c) => c.dictionary).map((c) => [c.name, new Dictionary()]));
    this.rowColumns = new RowColumns(spec, dictionaries, 4096);
    this.fields = this.rowColumns.fields;
    this.required = this.rowColumns.required;
    this.timeFormat = spec.timeFormat;
  }

  tryAdd(values: ArrayLike<unknown>): string | undefined {
    const t = this.rowColumns.check(values, this.timeFormat);
    if (typeof t === 'string') return t;
    this.rowColumns.commit(t);
    return undefined;
  }

  reject(row: number, reason: string, raw?: string): void {
    this.deadLetters.push(raw === undefined ? { row, reason } : { row, reason, raw: cutRaw(raw) });
  }

  /**
   * The range's rows as columns in shared memory: a task's return value is cloned on its way back,
   * and a SharedArrayBuffer-backed array crosses as a reference, where a plain one would be copied
   * by the clone (one copy here, into memory the calling thread then reads in place).
   */
  result(records: number): DecodedRange {
    const batch = this.rowColumns.take();
    const columns = this.rowColumns.columns.map((c, j): DecodedColumn => {
      const col = batch.columns[c.name]!;
      const out: DecodedColumn = { values: shared((col.type === 'dictionary' ? col.codes : col.values) as DecodedColumn['values']) };
      if (col.validity !== undefined) out.validity = shared(col.validity);
      const dict = this.rowColumns.dictionaries[j];
      if (dict !== undefined) out.dictionary = dict.values;
      return out;
    });
    return { records, rows: batch.length, time: shared(batch.time), columns, deadLetters: this.deadLetters };
  }
}

type Values = Float64Array | Int32Array | Uint8Array;

/** A copy of `a` in a SharedArrayBuffer. */
function shared<T extends Values>(a: T): T {
  const Ctor = a.constructor as new (buffer: SharedArrayBuffer) => T;
  const out = new Ctor(new SharedArrayBuffer(a.byteLength));
  out.set(a as never);
  return out;
}
