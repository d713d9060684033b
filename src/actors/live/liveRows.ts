import type { Batch } from '../../pipelines/data/batch.js';
import type { Dictionary } from '../../pipelines/data/dictionary.js';
import type { TimeFormat } from '../../pipelines/data/time.js';
import { RowColumns } from '../../store/ingest/rowColumns.js';
import type { SourceSpec, StoredColumn } from '../../store/log/sourceSpec.js';

function lateReason(watermark: number, t: number): string {
  return `late: ${watermark - t} ms behind the watermark announced while the source was idle`;
}

/**
 * The open micro-batch of a live source: validated rows gathered column by column, on the source
 * log's dictionaries (so codes are the log's, stable), until `take()` hands them over as a batch.
 *
 * A decoder fills one reused array with a row's raw values in the order of `fields` (the time column,
 * then the stored columns; `undefined` = absent, `null` = null) and calls `tryAdd`. A row that does
 * not fit comes back as a dead-letter reason and adds nothing: a bad timestamp, a missing key, a wrong
 * type, exactly as import decides them (both use RowColumns). A row older than `lateBefore` (a watermark announced while
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

  private readonly rows: RowColumns;

  constructor(
    spec: SourceSpec,
    dictionaries: ReadonlyMap<string, Dictionary>,
    readonly capacity: number,
  ) {
    if (!(capacity >= 1)) throw new Error(`capacity must be at least 1, got ${capacity}`);
    // Small to start: with max_delay 0 a batch is often a few rows, and take() starts every column afresh.
    this.rows = new RowColumns(spec, dictionaries, Math.min(capacity, 256));
    this.fields = this.rows.fields;
    this.required = this.rows.required;
    this.columns = this.rows.columns;
    this.timeFormat = spec.timeFormat;
  }

  /** Rows in the open batch. */
  get length(): number {
    return this.rows.length;
  }

  /**
   * Add one row, or return why it cannot be added (a dead-letter reason) and add nothing.
   * `values[0]` is the event time, `values[1 + j]` is stored column j.
   */
  tryAdd(values: ArrayLike<unknown>, timeFormat: TimeFormat = this.timeFormat): string | undefined {
    const t = this.rows.check(values, timeFormat);
    if (typeof t === 'string') return t;
    if (t < this.lateBefore) return lateReason(this.lateBefore, t);
    this.rows.commit(t);
    this.accepted(t);
    return undefined;
  }

  /**
   * Add a row already known to be good (a columnar decoder checked it): its event time, and per stored
   * column a number, or a code on the log's dictionary, unless `nulls[j]` is 1. Returns a reason only
   * when the row is late.
   */
  addChecked(t: number, values: Float64Array, nulls: Uint8Array): string | undefined {
    if (t < this.lateBefore) return lateReason(this.lateBefore, t);
    this.rows.commitChecked(t, values, nulls);
    this.accepted(t);
    return undefined;
  }

  private accepted(t: number): void {
    this.added++;
    if (t > this.maxTime) this.maxTime = t;
    if (this.rows.length >= this.capacity) this.onFull();
  }

  /** The running dictionary of each stored column (undefined for columns that have none), in schema order. */
  columnDictionaries(): readonly (Dictionary | undefined)[] {
    return this.rows.dictionaries;
  }

  /** The open batch, handed over; the next row starts a new one. */
  take(): Batch {
    return this.rows.take();
  }
}
