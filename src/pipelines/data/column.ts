import { Dictionary } from './dictionary.js';
import { takeValidity, type Validity } from './validity.js';

/**
 * Logical column types, as written in a source schema.
 * - `float64`, `int64`: numbers, held as Float64Array (int64 is exact to 2^53);
 * - `int32`: Int32Array;
 * - `bool`: Uint8Array of 0/1, one byte a row;
 * - `timestamp`: epoch milliseconds in a Float64Array;
 * - `string`: dictionary-encoded, the loop sees int32 codes.
 */
export type ColumnType = 'float64' | 'int64' | 'int32' | 'bool' | 'timestamp' | 'string';

export const COLUMN_TYPES: readonly ColumnType[] = ['float64', 'int64', 'int32', 'bool', 'timestamp', 'string'];

export interface NumberColumn {
  readonly type: 'float64' | 'int64' | 'timestamp';
  readonly values: Float64Array;
  readonly validity?: Validity;
}

export interface Int32Column {
  readonly type: 'int32';
  readonly values: Int32Array;
  readonly validity?: Validity;
}

export interface BoolColumn {
  readonly type: 'bool';
  readonly values: Uint8Array;
  readonly validity?: Validity;
}

/** A dictionary-encoded column: `codes[i]` indexes `dictionary`. Key columns are always this kind. */
export interface DictColumn {
  readonly type: 'dictionary';
  readonly codes: Int32Array;
  readonly dictionary: Dictionary;
  readonly validity?: Validity;
}

export type Column = NumberColumn | Int32Column | BoolColumn | DictColumn;

export function columnLength(c: Column): number {
  return c.type === 'dictionary' ? c.codes.length : c.values.length;
}

export function isNumeric(c: Column): c is NumberColumn | Int32Column | BoolColumn {
  return c.type !== 'dictionary';
}

/** The value of row `i` as a plain JS value (null for a null). For tests, output and error messages, not for hot loops. */
export function valueAt(c: Column, i: number): string | number | boolean | null {
  if (c.validity !== undefined && ((c.validity[i >> 3]! >> (i & 7)) & 1) === 0) return null;
  switch (c.type) {
    case 'dictionary':
      return c.dictionary.decode(c.codes[i]!);
    case 'bool':
      return c.values[i] === 1;
    default:
      return c.values[i]!;
  }
}

/** Rows `index[0..n)` of `c`, in that order. */
export function takeColumn(c: Column, index: ArrayLike<number>, n = index.length): Column {
  const validity = takeValidity(c.validity, index, n);
  if (c.type === 'dictionary') {
    const codes = new Int32Array(n);
    for (let i = 0; i < n; i++) codes[i] = c.codes[index[i]!]!;
    return { type: 'dictionary', codes, dictionary: c.dictionary, ...(validity && { validity }) };
  }
  const src = c.values;
  const values = new (src.constructor as { new (n: number): typeof src })(n);
  for (let i = 0; i < n; i++) values[i] = src[index[i]!]!;
  return { type: c.type, values, ...(validity && { validity }) } as Column;
}

/** Rows `[start, end)` of `c`, as views: no copy. */
export function sliceColumn(c: Column, start: number, end: number): Column {
  let validity: Validity | undefined;
  if (c.validity !== undefined) {
    const idx = new Int32Array(end - start);
    for (let i = 0; i < idx.length; i++) idx[i] = start + i;
    validity = takeValidity(c.validity, idx);
  }
  if (c.type === 'dictionary') {
    return { type: 'dictionary', codes: c.codes.subarray(start, end), dictionary: c.dictionary, ...(validity && { validity }) };
  }
  return { type: c.type, values: c.values.subarray(start, end), ...(validity && { validity }) } as Column;
}

/** The columns concatenated (they must share type, and dictionary for dictionary columns). */
export function concatColumns(parts: readonly Column[]): Column {
  const first = parts[0]!;
  const total = parts.reduce((n, c) => n + columnLength(c), 0);
  const anyNulls = parts.some((c) => c.validity !== undefined);
  let validity: Validity | undefined;
  if (anyNulls) {
    validity = new Uint8Array((total + 7) >> 3);
    let row = 0;
    for (const c of parts) {
      const len = columnLength(c);
      for (let i = 0; i < len; i++, row++) {
        const ok = c.validity === undefined || ((c.validity[i >> 3]! >> (i & 7)) & 1) === 1;
        if (ok) validity[row >> 3]! |= 1 << (row & 7);
      }
    }
  }
  if (first.type === 'dictionary') {
    const codes = new Int32Array(total);
    let at = 0;
    for (const c of parts as DictColumn[]) {
      if (c.dictionary !== first.dictionary) throw new Error('cannot concatenate columns with different dictionaries');
      codes.set(c.codes, at);
      at += c.codes.length;
    }
    return { type: 'dictionary', codes, dictionary: first.dictionary, ...(validity && { validity }) };
  }
  const numeric = parts as (NumberColumn | Int32Column | BoolColumn)[];
  const proto = numeric[0]!.values;
  const values = new (proto.constructor as { new (n: number): typeof proto })(total);
  let at = 0;
  for (const c of numeric) {
    values.set(c.values as never, at);
    at += c.values.length;
  }
  return { type: numeric[0]!.type, values, ...(validity && { validity }) } as Column;
}

export function float64Column(values: Float64Array, validity?: Validity, type: NumberColumn['type'] = 'float64'): NumberColumn {
  return validity === undefined ? { type, values } : { type, values, validity };
}

export function dictColumn(codes: Int32Array, dictionary: Dictionary, validity?: Validity): DictColumn {
  return validity === undefined ? { type: 'dictionary', codes, dictionary } : { type: 'dictionary', codes, dictionary, validity };
}
