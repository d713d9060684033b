import type { Column, NumberColumn } from '../../pipelines/data/column.js';
import { firstAtOrAfter, type KeyGroups } from './keyGroups.js';

/**
 * The as-of join, point in time: for each spine row (key code `codes[i]`, time `time[i]`), the
 * table row of the same key with the latest time **strictly before** `time[i]`, or -1 when there is
 * none, or when it is older than `tolerance` ms (`time[i] - t_row > tolerance`).
 *
 * Strictly before, because a table row at exactly t exists because of an event at t: its raw
 * columns, and any inclusive window, would leak that event into the row. Ties among the table's
 * rows at that latest time go to the last one in table order.
 *
 * A time-sorted spine is served by one forward cursor per key: O(spine + table) in all. Any other
 * order falls back to a binary search per row. (The assembler, whose spine is time-sorted, uses
 * `asOfJoin`, a sweep that also gathers the values.)
 *
 * @example
 * const g = groupByKey(tableCodes, table.time, keys.size);
 * const at = asOfRows(keys.spineCodes, spine.time, g, 60_000); // Int32Array of table rows, -1 = none
 */
export function asOfRows(codes: Int32Array, time: Float64Array, groups: KeyGroups, tolerance = Infinity): Int32Array {
  const n = codes.length;
  const out = new Int32Array(n);
  const { start, rows, times } = groups;
  const size = start.length - 1;
  let sorted = true;
  for (let i = 1; i < n; i++) {
    if (time[i]! < time[i - 1]!) {
      sorted = false;
      break;
    }
  }
  if (sorted) {
    // cursor[k]: first position of key k not yet known to be before the current time.
    const cursor = start.slice(0, size);
    for (let i = 0; i < n; i++) {
      const k = codes[i]!;
      if (k < 0 || k >= size) {
        out[i] = -1;
        continue;
      }
      const t = time[i]!;
      const end = start[k + 1]!;
      let p = cursor[k]!;
      while (p < end && times[p]! < t) p++;
      cursor[k] = p;
      out[i] = p > start[k]! && t - times[p - 1]! <= tolerance ? rows[p - 1]! : -1;
    }
    return out;
  }
  for (let i = 0; i < n; i++) {
    const k = codes[i]!;
    if (k < 0 || k >= size) {
      out[i] = -1;
      continue;
    }
    const t = time[i]!;
    const lo = start[k]!;
    const p = firstAtOrAfter(times, lo, start[k + 1]!, t);
    out[i] = p > lo && t - times[p - 1]! <= tolerance ? rows[p - 1]! : -1;
  }
  return out;
}

/**
 * Rows `index[i]` of a numeric column as a float64 column; -1, and null values, give nulls (NaN
 * under a cleared validity bit). Bools become 0/1.
 *
 * @throws Error for a dictionary (string) column: a feature is a number
 */
export function gatherColumn(col: Column, index: Int32Array, name = 'column'): NumberColumn {
  if (col.type === 'dictionary') throw new Error(`${name} is a string column; features are numbers`);
  const n = index.length;
  const values = new Float64Array(n);
  const src = col.values;
  const v = col.validity;
  let misses = 0;
  for (let i = 0; i < n; i++) {
    const r = index[i]!;
    if (r < 0 || (v !== undefined && ((v[r >> 3]! >> (r & 7)) & 1) === 0)) {
      values[i] = NaN;
      misses++;
    } else values[i] = src[r]!;
  }
  // A second pass builds the bitmap only when some row is null (most joins of a long history have a few).
  let validity: Uint8Array | undefined;
  if (misses > 0) {
    validity = new Uint8Array((n + 7) >> 3);
    for (let i = 0; i < n; i++) {
      const r = index[i]!;
      if (r >= 0 && (v === undefined || ((v[r >> 3]! >> (r & 7)) & 1) === 1)) validity[i >> 3]! |= 1 << (i & 7);
    }
  }
  return validity === undefined ? { type: 'float64', values } : { type: 'float64', values, validity };
}
