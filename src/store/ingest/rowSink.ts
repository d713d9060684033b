/**
 * Where a text reader (CSV, JSON lines) puts the rows it decodes: the import's RowBuilder on the
 * calling thread, or a decode task's columns on a pool thread (parallel/rangeRows.ts). Both apply the
 * same checks (RowColumns), so a row is accepted or rejected alike, with the same reason, either way.
 *
 * @example
 * const reason = sink.tryAdd(['2024-01-01T00:00:00Z', 'u1', '9.5']);
 * if (reason !== undefined) sink.reject(7, reason, 'the raw line');
 */
export interface RowSink {
  /** Input names in the order `tryAdd` wants them: the time column, then the stored columns. */
  readonly fields: readonly string[];
  /** Fields every input must have: the time column and the keys. */
  readonly required: readonly string[];
  /** Add one row, or return why it cannot be added (a dead-letter reason) and add nothing. */
  tryAdd(values: ArrayLike<unknown>): string | undefined;
  /** Send a row to dead letters. `row` is the reader's 1-based row (or line) number. */
  reject(row: number, reason: string, raw?: string): void;
}

/** Raw input kept in a dead letter is cut to this many characters. */
export const MAX_RAW = 4096;

/** The raw text a dead letter keeps: cut to MAX_RAW characters. */
export function cutRaw(raw: string): string {
  return raw.length > MAX_RAW ? raw.slice(0, MAX_RAW) : raw;
}
