import type { Column, NumberColumn } from '../../pipelines/data/column.js';

/** The key-space size times columns up to which the sweep keeps each key's latest values themselves (else their row). */
const EAGER_CELLS = 1 << 22;

/**
 * The as-of join as one sweep in time order: for each spine row (key code `spineCodes[i]`, time
 * `spineTime[i]`), the values of `columns` at the table row of the same key with the latest time
 * **strictly before** it (ties: the last in table order), or null when there is none or it is older
 * than `tolerance` ms (`t - t_row > tolerance`).
 *
 * Both sides are walked once, in time order, with a small per-key state: the latest table row seen
 * so far, and (when key space × columns is small enough) its values themselves. Every big array is
 * then read sequentially, and the only random accesses hit that per-key state, which stays in cache
 * for thousands of keys. No grouping, and no sort of a time-sorted table: O(spine + table).
 *
 * `spineTime` must be non-decreasing (the assembler sorts the spine). A table out of time order is
 * first copied in stable time order. Bools become 0/1; null values stay null, and a NaN the table
 * holds as a value stays a NaN value.
 *
 * @example
 * const [spend] = asOfJoin(keys.spineCodes, spine.time, keys.codes(table), table.time, [table.columns.spend_30d!], keys.size);
 * @throws Error when the spine is not in time order, or a column is a string column
 */
export function asOfJoin(
  spineCodes: Int32Array,
  spineTime: Float64Array,
  tableCodes: Int32Array,
  tableTime: Float64Array,
  columns: readonly Column[],
  size: number,
  tolerance = Infinity,
  /** Up to this key space × columns, keep values per key (else rows); a parameter for tests. */
  eagerCells = EAGER_CELLS,
  /** Arrays of `spineCodes.length` to write the values into (the parallel assembler's shared outputs); default new ones. */
  into?: readonly Float64Array[],
): NumberColumn[] {
  const n = spineCodes.length;
  for (let i = 1; i < n; i++) if (spineTime[i]! < spineTime[i - 1]!) throw new Error('asOfJoin needs a spine in time order');
  let table = {
    codes: tableCodes,
    time: tableTime,
    values: columns.map((c) => {
      if (c.type === 'dictionary') throw new Error('a feature is a number; got a string column');
      return c.values instanceof Float64Array ? c.values : Float64Array.from(c.values as ArrayLike<number>);
    }),
    validity: columns.map((c) => c.validity),
  };
  table = inTimeOrder(table);
  const w = columns.length;
  // at[i]: the table row matched to spine row i (-1: none); the values are found beside it.
  const at = new Int32Array(n);
  const outs = columns.map((_, c) => into?.[c] ?? new Float64Array(n));
  if (w === 1 && size <= eagerCells) sweepOne(spineCodes, spineTime, table.codes, table.time, table.values[0]!, size, tolerance, at, outs[0]!);
  else sweepMany(spineCodes, spineTime, table.codes, table.time, table.values, size, tolerance, at, outs, size * w <= eagerCells);
  return outs.map((values, c) => nullsOf(values, at, table.validity[c]));
}

type SweepTable = { codes: Int32Array; time: Float64Array; values: Float64Array[]; validity: (Uint8Array | undefined)[] };

/** One column, values kept per key: the common case, in the tightest loop. */
function sweepOne(sc: Int32Array, st: Float64Array, tc: Int32Array, tt: Float64Array, tv: Float64Array, size: number, tolerance: number, at: Int32Array, out: Float64Array): void {
  const n = sc.length;
  const m = tt.length;
  const lastTime = new Float64Array(size).fill(-Infinity);
  const lastRow = new Int32Array(size);
  const last = new Float64Array(size);
  let p = 0;
  for (let i = 0; i < n; i++) {
    const t = st[i]!;
    while (p < m) {
      const tr = tt[p]!;
      if (tr >= t) break;
      const k = tc[p]!;
      if (k >= 0) {
        lastTime[k] = tr;
        lastRow[k] = p;
        last[k] = tv[p]!;
      }
      p++;
    }
    const k = sc[i]!;
    if (k >= 0 && k < size && lastTime[k] !== -Infinity && t - lastTime[k]! <= tolerance) {
      at[i] = lastRow[k]!;
      out[i] = last[k]!;
    } else at[i] = -1;
  }
}

/** Several columns: each key's latest values copied as the table goes by (`eager`), or only its latest row. */
function sweepMany(
  sc: Int32Array,
  st: Float64Array,
  tc: Int32Array,
  tt: Float64Array,
  tv: readonly Float64Array[],
  size: number,
  tolerance: number,
  at: Int32Array,
  outs: Float64Array[],
  eager: boolean,
): void {
  const n = sc.length;
  const m = tt.length;
  const w = tv.length;
  const lastTime = new Float64Array(size).fill(-Infinity);
  const lastRow = new Int32Array(size);
  const last = eager ? tv.map(() => new Float64Array(size)) : [];
  let p = 0;
  for (let i = 0; i < n; i++) {
    const t = st[i]!;
    while (p < m) {
      const tr = tt[p]!;
      if (tr >= t) break;
      const k = tc[p]!;
      if (k >= 0) {
        lastTime[k] = tr;
        lastRow[k] = p;
        if (eager) for (let c = 0; c < w; c++) last[c]![k] = tv[c]![p]!;
      }
      p++;
    }
    const k = sc[i]!;
    if (k >= 0 && k < size && lastTime[k] !== -Infinity && t - lastTime[k]! <= tolerance) {
      const r = lastRow[k]!;
      at[i] = r;
      if (eager) for (let c = 0; c < w; c++) outs[c]![i] = last[c]![k]!;
      else for (let c = 0; c < w; c++) outs[c]![i] = tv[c]![r]!;
    } else at[i] = -1;
  }
}

/** The column with its nulls: rows with no match, and matches whose value is null (NaN under a cleared bit). */
function nullsOf(values: Float64Array, at: Int32Array, validity: Uint8Array | undefined): NumberColumn {
  const n = values.length;
  let bitmap: Uint8Array | undefined;
  for (let i = 0; i < n; i++) {
    const r = at[i]!;
    if (r >= 0 && (validity === undefined || ((validity[r >> 3]! >> (r & 7)) & 1) === 1)) continue;
    bitmap ??= new Uint8Array((n + 7) >> 3).fill(0xff);
    bitmap[i >> 3]! &= ~(1 << (i & 7));
    values[i] = NaN;
  }
  return bitmap === undefined ? { type: 'float64', values } : { type: 'float64', values, validity: bitmap };
}

/** The table as is when its times are non-decreasing; else a copy of its rows in stable time order. */
function inTimeOrder(t: SweepTable): SweepTable {
  const time = t.time;
  let sorted = true;
  for (let i = 1; i < time.length; i++) {
    if (time[i]! < time[i - 1]!) {
      sorted = false;
      break;
    }
  }
  if (sorted) return t;
  const m = time.length;
  const idx = Int32Array.from({ length: m }, (_, i) => i);
  idx.sort((a, b) => time[a]! - time[b]! || a - b);
  const codes = new Int32Array(m);
  const sortedTime = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    codes[j] = t.codes[idx[j]!]!;
    sortedTime[j] = time[idx[j]!]!;
  }
  const values = t.values.map((v) => {
    const out = new Float64Array(m);
    for (let j = 0; j < m; j++) out[j] = v[idx[j]!]!;
    return out;
  });
  const validity = t.validity.map((v) => {
    if (v === undefined) return undefined;
    const out = new Uint8Array((m + 7) >> 3);
    for (let j = 0; j < m; j++) {
      const r = idx[j]!;
      if ((v[r >> 3]! >> (r & 7)) & 1) out[j >> 3]! |= 1 << (j & 7);
    }
    return out;
  });
  return { codes, time: sortedTime, values, validity };
}
