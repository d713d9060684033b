import { map, type OperatorFunction } from 'rxjs';
import { takeBatch, type Batch } from '../data/batch.js';
import { type Column, valueAt } from '../data/column.js';

export interface TopPerWindowOptions {
  /** Columns to order by, most significant first. */
  orderBy: readonly { column: string; descending?: boolean }[];
  /** Rows to keep per window. */
  limit: number;
}

/**
 * Keep the first `limit` rows of every window by the given order: "the most active driver of each
 * hour" from per-driver window counts. Works on the rows of a windowed feature, which emits all rows
 * of a window in one batch, so it needs no state.
 *
 * @example
 * driverCounts$.pipe(topPerWindow({ orderBy: [{ column: 'count', descending: true }, { column: 'driver_id', descending: true }], limit: 1 }))
 */
export function topPerWindow(opts: TopPerWindowOptions): OperatorFunction<Batch, Batch> {
  return map((b: Batch) => {
    const starts = b.columns.window_start;
    if (starts === undefined || starts.type === 'dictionary') throw new Error('topPerWindow needs the rows of a windowed feature (a window_start column)');
    const cols = opts.orderBy.map((o) => {
      const c = b.columns[o.column];
      if (c === undefined) throw new Error(`topPerWindow: no column "${o.column}"`);
      return { c, sign: o.descending ? -1 : 1 };
    });
    const rows = Array.from({ length: b.length }, (_, i) => i);
    rows.sort((x, y) => b.time[x]! - b.time[y]! || starts.values[x]! - starts.values[y]! || compareBy(cols, x, y) || x - y);
    const keep: number[] = [];
    let taken = 0;
    for (let r = 0; r < rows.length; r++) {
      const i = rows[r]!;
      const prev = r === 0 ? -1 : rows[r - 1]!;
      const sameWindow = prev >= 0 && b.time[prev] === b.time[i] && starts.values[prev] === starts.values[i];
      taken = sameWindow ? taken + 1 : 1;
      if (taken <= opts.limit) keep.push(i);
    }
    return takeBatch(b, keep);
  });
}

function compareBy(cols: { c: Column; sign: number }[], x: number, y: number): number {
  for (const { c, sign } of cols) {
    const a = valueAt(c, x);
    const b = valueAt(c, y);
    if (a === b) continue;
    if (a === null) return 1;
    if (b === null) return -1;
    return (a < b ? -1 : 1) * sign;
  }
  return 0;
}
