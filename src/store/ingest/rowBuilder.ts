import type { Batch } from '../../pipelines/data/batch.js';
import type { TimeFormat } from '../../pipelines/data/time.js';
import { reasonKind, type DeadLetterSink } from '../deadLetter.js';
import type { SourceLog } from '../log/sourceLog.js';
import { RowColumns } from './rowColumns.js';
import { cutRaw, type RowSink } from './rowSink.js';

export const DEFAULT_IMPORT_BATCH_ROWS = 65_536;

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
export class RowBuilder implements RowSink {
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

  private readonly rowColumns: RowColumns;
  private readonly batchRows: number;
  private ready: Batch[] = [];

  constructor(
    private readonly log: SourceLog,
    private readonly opts: RowBuilderOptions,
  ) {
    this.batchRows = opts.batchRows ?? DEFAULT_IMPORT_BATCH_ROWS;
    if (!(this.batchRows >= 1)) throw new Error(`batchRows must be at least 1, got ${this.batchRows}`);
    this.rowColumns = new RowColumns(log.spec, log.dictionaries, Math.min(this.batchRows, 4096));
    this.fields = this.rowColumns.fields;
    this.required = this.rowColumns.required;
    this.timeFormat = log.spec.timeFormat;
  }

  /**
   * Add one row, or return why it cannot be added (a dead-letter reason) and add nothing.
   * `values[0]` is the event time, `values[1 + j]` is stored column j.
   */
  tryAdd(values: ArrayLike<unknown>): string | undefined {
    const t = this.rowColumns.check(values, this.timeFormat);
    if (typeof t === 'string') return t;
    this.rowColumns.commit(t);
    this.rows++;
    if (this.rowColumns.length === this.batchRows) this.ready.push(this.rowColumns.take());
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
      ...(raw !== undefined && { raw: cutRaw(raw) }),
    });
  }

  /**
   * Add rows a parallel decoder already checked, as one batch on the log's own dictionaries (see
   * parallel/appendRange.ts). Only for readers that do not also call `tryAdd`: the batch goes after
   * the batches built so far.
   */
  addChecked(batch: Batch): void {
    if (batch.length === 0) return;
    this.ready.push(batch);
    this.rows += batch.length;
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
    if (this.rowColumns.length > 0) this.ready.push(this.rowColumns.take());
    await this.drain();
  }
}
