import { Precision, Type, type Data, type RecordBatch, type Vector } from 'apache-arrow';
import { columnFromArrow } from '../../../pipelines/data/arrow.js';
import type { Column } from '../../../pipelines/data/column.js';
import type { Dictionary } from '../../../pipelines/data/dictionary.js';
import type { TimeFormat } from '../../../pipelines/data/time.js';
import type { ColumnRef } from '../../../store/ingest/fieldPath.js';
import type { StoredColumn } from '../../../store/log/sourceSpec.js';

/**
 * The columnar reading of one Arrow record batch into a source's rows: typed arrays in, typed arrays
 * out, no value object per row. It covers the common shapes (numbers, typed timestamps, booleans,
 * text and dictionary-encoded text) and says, row by row, whether a row is plainly good.
 *
 * Correctness rests on the row path (`LiveRows.tryAdd` over `vector.get`), which stays the
 * authority: `plain(r)` is true only for rows that the row path would accept with exactly these
 * values; any other row (a null key, a NaN time, an integer out of range, an empty key) is handed
 * to the row path, which accepts or rejects it with import's reason. A batch with a shape not
 * covered here (a struct path, 64-bit unsigned, half floats, numbers for a text column) is read by
 * the row path entirely.
 */
export interface ColumnarBatch {
  /** Whether row `r` is plainly good (else: ask the row path). No side effects. */
  plain(r: number): boolean;
  /** Row `r`'s event time, and its values: numbers, or codes on the log's dictionaries (encoded now). */
  time(r: number): number;
  fill(r: number, values: Float64Array, nulls: Uint8Array): void;
}

interface FieldReader {
  isNull(r: number): boolean;
  /** The value is one the row path accepts as it is (only asked when not null). */
  ok(r: number): boolean;
  value(r: number): number;
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

function validityOf(c: Column): (r: number) => boolean {
  const v = c.validity;
  return v === undefined ? () => false : (r) => ((v[r >> 3]! >> (r & 7)) & 1) === 0;
}

/** A numeric Arrow field as numbers (views where possible), when its type converts exactly. */
function numbers(vector: Vector): { values: ArrayLike<number>; isNull: (r: number) => boolean } | undefined {
  const t = vector.type;
  const data = vector.data[0] as Data | undefined;
  if (data === undefined || vector.data.length !== 1) return undefined;
  switch (t.typeId) {
    case Type.Float:
      if ((t as unknown as { precision: Precision }).precision === Precision.HALF) return undefined;
      break;
    case Type.Int: {
      const { bitWidth, isSigned } = t as unknown as { bitWidth: number; isSigned: boolean };
      if (bitWidth === 64 && !isSigned) return undefined;
      break;
    }
    case Type.Bool:
    case Type.Timestamp:
    case Type.Date:
      break;
    default:
      return undefined;
  }
  const c = columnFromArrow(vector);
  if (c.type === 'dictionary') return undefined;
  return { values: c.values, isNull: validityOf(c) };
}

/** Codes of a text field (plain or dictionary-encoded) on `dict`, encoded only when a row is taken. */
function text(vector: Vector, dict: Dictionary, key: boolean): FieldReader | undefined {
  const data = vector.data[0] as Data | undefined;
  if (data === undefined || vector.data.length !== 1) return undefined;
  const nulls = (r: number): boolean => {
    const bitmap = data.nullBitmap;
    if (data.nullCount === 0 || bitmap === undefined || bitmap.length === 0) return false;
    const i = data.offset + r;
    return ((bitmap[i >> 3]! >> (i & 7)) & 1) === 0;
  };
  if (vector.type.typeId === Type.Utf8) {
    const offsets = data.valueOffsets as Int32Array;
    return {
      isNull: nulls,
      // A key must not be empty text; the row path says so.
      ok: (r) => !key || offsets[data.offset + r + 1]! > offsets[data.offset + r]!,
      value: (r) => dict.encode(vector.get(r) as string),
    };
  }
  if (vector.type.typeId !== Type.Dictionary) return undefined;
  const values = data.dictionary;
  if (values === undefined || values.type.typeId !== Type.Utf8) return undefined;
  const indices = data.values as ArrayLike<number>;
  // Per dictionary entry: its code on the log's dictionary (-1 until a row needs it), and whether it is ''.
  const codes = new Int32Array(values.length).fill(-1);
  const empty = new Int8Array(values.length).fill(-1);
  return {
    isNull: nulls,
    ok: (r) => {
      if (!key) return true;
      const i = indices[data.offset + r]!;
      if (empty[i] === -1) empty[i] = (values.get(i) as string) === '' ? 1 : 0;
      return empty[i] === 0;
    },
    value: (r) => {
      const i = indices[data.offset + r]!;
      let code = codes[i]!;
      if (code < 0) codes[i] = code = dict.encode(values.get(i) as string);
      return code;
    },
  };
}

/** How a numeric Arrow value must look for the row path to take it unchanged, per target type. */
function numericReader(vector: Vector, col: StoredColumn, dict: Dictionary | undefined): FieldReader | undefined {
  const n = numbers(vector);
  if (n === undefined) return undefined;
  const { values, isNull } = n;
  const typeId = vector.type.typeId;
  const typed = typeId === Type.Timestamp || typeId === Type.Date;
  const isBool = typeId === Type.Bool;
  let ok: (v: number) => boolean;
  switch (col.type) {
    case 'float64':
      if (isBool || typed) return undefined;
      ok = col.key ? (v) => !Number.isNaN(v) : () => true;
      break;
    case 'int64':
      if (isBool || typed) return undefined;
      ok = (v) => Number.isSafeInteger(v);
      break;
    case 'int32':
      if (isBool || typed) return undefined;
      ok = (v) => Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX;
      break;
    case 'bool':
      if (typed) return undefined;
      ok = (v) => v === 0 || v === 1;
      break;
    case 'timestamp':
      if (isBool) return undefined;
      ok = (v) => Number.isFinite(v);
      break;
    default:
      return undefined; // numbers for a text column: the row path spells them out
  }
  const floor = col.type === 'timestamp';
  return {
    isNull,
    ok: (r) => ok(values[r]!),
    value: dict === undefined ? (floor ? (r) => Math.floor(values[r]!) : (r) => values[r]!) : (r) => dict.encode(values[r]!),
  };
}

/**
 * The columnar reading of `rb`, or undefined when some field needs the row path. `refs[0]` is the
 * time column; `refs[1 + j]` is stored column j (undefined: absent, so null).
 */
export function columnarBatch(
  rb: RecordBatch,
  refs: readonly (ColumnRef | undefined)[],
  columns: readonly StoredColumn[],
  dictionaries: readonly (Dictionary | undefined)[],
  timeFormat: TimeFormat,
): ColumnarBatch | undefined {
  if (refs.some((ref) => ref?.parts !== undefined)) return undefined;
  const child = (k: number): Vector | undefined => (refs[k] === undefined ? undefined : (rb.getChild(refs[k]!.column) ?? undefined));
  const timeVector = child(0);
  if (timeVector === undefined) return undefined;
  const typedTime = timeVector.type.typeId === Type.Timestamp || timeVector.type.typeId === Type.Date;
  // Numbers are epoch ms as they are only in these formats; others scale them (the row path does).
  if (!typedTime && timeFormat !== 'auto' && timeFormat !== 'epoch_ms') return undefined;
  const t = numbers(timeVector);
  if (t === undefined || timeVector.type.typeId === Type.Bool) return undefined;
  const readers: (FieldReader | undefined)[] = [];
  for (let j = 0; j < columns.length; j++) {
    const col = columns[j]!;
    const v = child(j + 1);
    if (v === undefined) {
      if (col.key) return undefined;
      readers.push(undefined);
      continue;
    }
    if (v.type.typeId === Type.Null) return undefined;
    const dict = dictionaries[j];
    const reader = col.type === 'string' ? text(v, dict!, col.key) : numericReader(v, col, dict);
    if (reader === undefined) return undefined;
    readers.push(reader);
  }
  const times = t.values;
  return {
    plain(r) {
      if (t.isNull(r) || !Number.isFinite(times[r]!)) return false;
      for (let j = 0; j < readers.length; j++) {
        const f = readers[j];
        if (f === undefined) continue;
        if (f.isNull(r)) {
          if (columns[j]!.key) return false;
          continue;
        }
        if (!f.ok(r)) return false;
      }
      return true;
    },
    time: (r) => Math.floor(times[r]!),
    fill(r, values, nulls) {
      for (let j = 0; j < readers.length; j++) {
        const f = readers[j];
        if (f === undefined || f.isNull(r)) {
          nulls[j] = 1;
          continue;
        }
        nulls[j] = 0;
        values[j] = f.value(r);
      }
    },
  };
}
