import type { Batch } from '../../pipelines/data/batch.js';
import type { OpName } from '../../pipelines/aggregations/catalog.js';
import { groupByKey, type KeyGroups } from './keyGroups.js';
import type { KeyMatcher } from './keyCodes.js';
import type { SweepEvents } from './labelSweep.js';

/** A label source's events, grouped by spine key code and in time order, with what the label's op reads. */
export interface GroupedLabelEvents {
  readonly groups: KeyGroups;
  /** The value of each grouped event (when the op reads a numeric column), in group order. */
  readonly values?: Float64Array;
  /** A dense code per distinct value of each grouped event, for count_distinct; codes are below `distinctSize`. */
  readonly distinct?: Int32Array;
  readonly distinctSize: number;
  /** Time range of all the source's events (before `where`): the data a label window may not run past. */
  readonly range?: { min: number; max: number };
}

/**
 * Prepare a label source's events: keep those that pass `where` (a 0/1 mask) and, when the op reads
 * a column, those whose value is not null (aggregates skip nulls, as the engine's do); code their
 * keys in the spine's key space; group them (CSR, time order); lay out the values in group order.
 *
 * @example
 * const keys = new KeyMatcher(['txn_id'], spine);
 * const g = groupLabelEvents('count', undefined, reports, keys);
 * g.groups.start; // Int32Array(keys.size + 1)
 */
export function groupLabelEvents(op: OpName, column: string | undefined, events: Batch, keys: KeyMatcher, where?: Uint8Array, what = 'label source'): GroupedLabelEvents {
  const n = events.length;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const t = events.time[i]!;
    if (t < min) min = t;
    if (t > max) max = t;
  }
  if (n === 0) {
    // No events at all (an empty log has no columns either): every window is empty.
    const groups = { start: new Int32Array(keys.size + 1), rows: new Int32Array(0), times: new Float64Array(0) };
    return { groups, values: new Float64Array(0), distinct: new Int32Array(0), distinctSize: 0 };
  }
  const col = column === undefined ? undefined : events.columns[column];
  if (column !== undefined && col === undefined) throw new Error(`column "${column}" is not in the ${what}`);
  let include = where;
  if (col?.validity !== undefined) {
    const v = col.validity;
    include = new Uint8Array(n);
    for (let i = 0; i < n; i++) include[i] = (where === undefined || where[i] === 1) && ((v[i >> 3]! >> (i & 7)) & 1) === 1 ? 1 : 0;
  }
  const codes = keys.codes(events, what);
  const groups = groupByKey(codes, events.time, keys.size, include);
  const rows = groups.rows;
  const m = rows.length;
  const range = min <= max ? { min, max } : undefined;

  if (col === undefined || op === 'count') return { groups, distinctSize: 0, ...(range && { range }) };
  if (op === 'count_distinct') {
    const distinct = new Int32Array(m);
    let distinctSize: number;
    if (col.type === 'dictionary') {
      for (let p = 0; p < m; p++) distinct[p] = col.codes[rows[p]!]!;
      distinctSize = col.dictionary.size;
    } else {
      // Numbers: dense codes through one Map pass over the label events (not per spine row).
      const seen = new Map<number, number>();
      for (let p = 0; p < m; p++) {
        const x = col.values[rows[p]!]!;
        let c = seen.get(x);
        if (c === undefined) seen.set(x, (c = seen.size));
        distinct[p] = c;
      }
      distinctSize = seen.size;
    }
    return { groups, distinct, distinctSize, ...(range && { range }) };
  }
  if (col.type === 'dictionary') throw new Error(`op "${op}" needs a numeric column, and "${column}" is a string`);
  const values = new Float64Array(m);
  const src = col.values;
  for (let p = 0; p < m; p++) values[p] = src[rows[p]!]!;
  return { groups, values, distinctSize: 0, ...(range && { range }) };
}

/**
 * The same events for `sweepAhead`, in their own order: key codes in the spine's key space, times,
 * the op's values as float64, and which events count (`where`, and a non-null value when the op
 * reads a column).
 *
 * @example
 * const ev = sweepEvents('last', 'mid', tickers, keys);
 * sweepAhead('last', ev, keys.spineCodes, w.from, w.to, keys.size);
 */
export function sweepEvents(op: OpName, column: string | undefined, events: Batch, keys: KeyMatcher, where?: Uint8Array, what = 'label source'): SweepEvents {
  const n = events.length;
  if (n === 0) return { codes: new Int32Array(0), time: new Float64Array(0), values: new Float64Array(0) };
  const col = column === undefined ? undefined : events.columns[column];
  if (column !== undefined && col === undefined) throw new Error(`column "${column}" is not in the ${what}`);
  let include = where;
  if (col?.validity !== undefined) {
    const v = col.validity;
    include = new Uint8Array(n);
    for (let i = 0; i < n; i++) include[i] = (where === undefined || where[i] === 1) && ((v[i >> 3]! >> (i & 7)) & 1) === 1 ? 1 : 0;
  }
  const codes = keys.codes(events, what);
  if (col === undefined || op === 'count') return { codes, time: events.time, ...(include && { include }) };
  if (col.type === 'dictionary') throw new Error(`op "${op}" needs a numeric column, and "${column}" is a string`);
  const values = col.values instanceof Float64Array ? col.values : Float64Array.from(col.values as ArrayLike<number>);
  return { codes, time: events.time, values, ...(include && { include }) };
}
