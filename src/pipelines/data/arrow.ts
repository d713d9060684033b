import {
  Bool,
  Data,
  Dictionary as ArrowDictionary,
  Field,
  Float64,
  Int32,
  Int64,
  makeData,
  makeVector,
  RecordBatch,
  Schema,
  Struct,
  Table,
  TimeUnit,
  Timestamp,
  Type,
  Utf8,
  vectorFromArray,
  type DataType,
  type Vector,
} from 'apache-arrow';
import type { Batch } from './batch.js';
import { concatColumns, type Column, type ColumnType } from './column.js';
import { Dictionary, type DictionaryValue } from './dictionary.js';
import { float64ToInt64, int64ToFloat64 } from './time.js';
import { nullCount, type Validity } from './validity.js';

/** Field metadata key that records a column's Tributary type, so that reading back is exact. */
export const TYPE_METADATA = 'tributary.type';

/** Dictionary vectors are rebuilt only when a dictionary has grown since the last conversion. */
const dictionaryVectors = new WeakMap<Dictionary, { size: number; vector: Vector }>();

function dictionaryVector(d: Dictionary): Vector {
  const cached = dictionaryVectors.get(d);
  if (cached !== undefined && cached.size === d.size) return cached.vector;
  const numeric = d.values.length > 0 && typeof d.values[0] === 'number';
  const vector = numeric
    ? vectorFromArray(Float64Array.from(d.values as number[]))
    : vectorFromArray(d.values.map(String), new Utf8());
  dictionaryVectors.set(d, { size: d.size, vector });
  return vector;
}

/** Arrow dictionary ids must be unique within a schema. */
let nextDictionaryId = 1;
const dictionaryIds = new WeakMap<Dictionary, number>();
function dictionaryId(d: Dictionary): number {
  let id = dictionaryIds.get(d);
  if (id === undefined) {
    id = nextDictionaryId++;
    dictionaryIds.set(d, id);
  }
  return id;
}

function packBits(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array((bytes.length + 7) >> 3);
  for (let i = 0; i < bytes.length; i++) if (bytes[i]) out[i >> 3]! |= 1 << (i & 7);
  return out;
}

/** One column as Arrow Data. Float64, int32 and dictionary codes share their buffers; int64, timestamps and bools are converted. */
export function columnToArrow(c: Column, logical?: ColumnType): { data: Data; type: DataType; logical: ColumnType } {
  const nulls = nullCount(c.validity, c.type === 'dictionary' ? c.codes.length : c.values.length);
  const nullBitmap = nulls > 0 ? c.validity : undefined;
  switch (c.type) {
    case 'dictionary': {
      const dict = dictionaryVector(c.dictionary);
      const type = new ArrowDictionary(dict.type, new Int32(), dictionaryId(c.dictionary));
      const data = makeData({ type, length: c.codes.length, nullCount: nulls, nullBitmap, data: c.codes, dictionary: dict });
      return { data, type, logical: 'string' };
    }
    case 'int32': {
      const type = new Int32();
      return { data: makeData({ type, length: c.values.length, nullCount: nulls, nullBitmap, data: c.values }), type, logical: 'int32' };
    }
    case 'bool': {
      const type = new Bool();
      const data = makeData({ type, length: c.values.length, nullCount: nulls, nullBitmap, data: packBits(c.values) });
      return { data, type, logical: 'bool' };
    }
    case 'timestamp': {
      const type = new Timestamp(TimeUnit.MILLISECOND, 'UTC');
      const words = float64ToInt64(c.values);
      const data = makeData({ type, length: c.values.length, nullCount: nulls, nullBitmap, data: words as unknown as BigInt64Array });
      return { data, type, logical: 'timestamp' };
    }
    case 'int64': {
      const type = new Int64();
      const words = float64ToInt64(c.values);
      const data = makeData({ type, length: c.values.length, nullCount: nulls, nullBitmap, data: new BigInt64Array(words.buffer) });
      return { data, type, logical: 'int64' };
    }
    default: {
      const type = new Float64();
      const data = makeData({ type, length: c.values.length, nullCount: nulls, nullBitmap, data: c.values });
      return { data, type, logical: logical ?? 'float64' };
    }
  }
}

/**
 * A batch as an Arrow RecordBatch. The event time becomes a Timestamp(ms, UTC) column named `timeColumn`.
 * @example
 * const rb = toRecordBatch(batch, 'ts');
 * new Table(rb).numRows === batch.length;
 */
export function toRecordBatch(b: Batch, timeColumn = 'time'): RecordBatch {
  const fields: Field[] = [];
  const children: Data[] = [];
  // Value columns are always declared nullable, so that every batch of a stream has the same schema
  // whether or not this one happens to hold a null.
  const add = (name: string, c: Column, nullable: boolean): void => {
    const { data, type, logical } = columnToArrow(c);
    fields.push(new Field(name, type, nullable, new Map([[TYPE_METADATA, logical]])));
    children.push(data);
  };
  add(timeColumn, { type: 'timestamp', values: b.time }, false);
  // Features computed once under two names share a buffer. Arrow's IPC writer mangles the second of
  // two columns over the same bytes, so a buffer seen already in this batch is copied.
  const seen = new Set<ArrayBufferView>();
  for (const [name, c] of Object.entries(b.columns)) {
    if (name === timeColumn) continue;
    const data = c.type === 'dictionary' ? c.codes : c.values;
    if (seen.has(data)) add(name, c.type === 'dictionary' ? { ...c, codes: c.codes.slice() } : ({ ...c, values: c.values.slice() } as Column), true);
    else add(name, c, true);
    seen.add(data);
  }
  const schema = new Schema(fields);
  const struct = makeData({ type: new Struct(fields), length: b.length, nullCount: 0, children });
  return new RecordBatch(schema, struct);
}

/** A table of several batches sharing one schema (dictionaries taken at their final size). */
export function toTable(batches: readonly Batch[], timeColumn = 'time'): Table {
  if (batches.length === 0) return new Table();
  return new Table(batches.map((b) => toRecordBatch(b, timeColumn)));
}

function bitmapAt(data: Data): Validity | undefined {
  if (data.nullCount === 0 || data.nullBitmap === undefined || data.nullBitmap.length === 0) return undefined;
  if (data.offset === 0) return data.nullBitmap;
  const out = new Uint8Array((data.length + 7) >> 3);
  for (let i = 0; i < data.length; i++) {
    const r = data.offset + i;
    if ((data.nullBitmap[r >> 3]! >> (r & 7)) & 1) out[i >> 3]! |= 1 << (i & 7);
  }
  return out;
}

/**
 * One Arrow column as a Tributary column. Float64, int32 and dictionary codes are views, not copies.
 * `dictionary` is the column's running dictionary: the vector's dictionary must extend it (stable codes).
 */
export function columnFromArrow(vector: Vector, dictionary?: Dictionary): Column {
  const parts: Column[] = vector.data.map((d) => dataToColumn(d, dictionary));
  // Several chunks: concatenate (a copy). Readers that care iterate record batches instead.
  return parts.length === 1 ? parts[0]! : concatColumns(parts);
}

function dataToColumn(d: Data, dictionary?: Dictionary): Column {
  const validity = bitmapAt(d);
  const v = validity === undefined ? {} : { validity };
  const start = d.offset;
  const end = d.offset + d.length;
  switch (d.typeId) {
    case Type.Dictionary: {
      const dictVector = d.dictionary!;
      const values = dictVector.toArray() as ArrayLike<DictionaryValue>;
      const dict = dictionary ?? new Dictionary();
      dict.extendWith(Array.from(values, (x) => (typeof x === 'bigint' ? Number(x) : x)));
      const raw = d.values as Int32Array | Int16Array | Int8Array | Uint8Array | Uint16Array | Uint32Array;
      const codes = raw instanceof Int32Array ? raw.subarray(start, end) : Int32Array.from(raw.subarray(start, end));
      return { type: 'dictionary', codes, dictionary: dict, ...v };
    }
    case Type.Float: {
      const raw = d.values as Float64Array | Float32Array | Uint16Array;
      const values = raw instanceof Float64Array ? raw.subarray(start, end) : Float64Array.from(raw.subarray(start, end));
      return { type: 'float64', values, ...v };
    }
    case Type.Int: {
      const t = d.type as unknown as { bitWidth: number; isSigned: boolean };
      if (t.bitWidth === 64) {
        const raw = d.values as BigInt64Array;
        return { type: 'int64', values: int64ToFloat64(raw.subarray(start, end), d.length), ...v };
      }
      const raw = d.values as Int32Array;
      if (t.bitWidth === 32 && t.isSigned) return { type: 'int32', values: raw.subarray(start, end), ...v };
      return { type: 'float64', values: Float64Array.from(raw.subarray(start, end) as ArrayLike<number>), ...v };
    }
    case Type.Timestamp: {
      const unit = (d.type as unknown as { unit: TimeUnit }).unit;
      const raw = int64ToFloat64((d.values as BigInt64Array).subarray(start, end), d.length);
      const scale = unit === TimeUnit.SECOND ? 1000 : unit === TimeUnit.MICROSECOND ? 1e-3 : unit === TimeUnit.NANOSECOND ? 1e-6 : 1;
      if (scale !== 1) for (let i = 0; i < raw.length; i++) raw[i] = Math.floor(raw[i]! * scale);
      return { type: 'timestamp', values: raw, ...v };
    }
    case Type.Date: {
      const unit = (d.type as unknown as { unit: number }).unit; // 0 = day, 1 = millisecond
      const values = new Float64Array(d.length);
      if (unit === 0) {
        const raw = d.values as Int32Array;
        for (let i = 0; i < d.length; i++) values[i] = raw[start + i]! * 86_400_000;
      } else {
        values.set(int64ToFloat64((d.values as BigInt64Array).subarray(start, end), d.length));
      }
      return { type: 'timestamp', values, ...v };
    }
    case Type.Bool: {
      const values = new Uint8Array(d.length);
      for (let i = 0; i < d.length; i++) {
        const r = start + i;
        values[i] = (d.values[r >> 3]! >> (r & 7)) & 1;
      }
      return { type: 'bool', values, ...v };
    }
    case Type.Utf8:
    case Type.LargeUtf8: {
      // Plain strings (not from Tributary): dictionary-encode them once, here.
      const dict = dictionary ?? new Dictionary();
      const codes = new Int32Array(d.length);
      const vec = makeVector(d);
      for (let i = 0; i < d.length; i++) {
        const s = vec.get(i) as string | null;
        codes[i] = s === null ? 0 : dict.encode(s);
      }
      return { type: 'dictionary', codes, dictionary: dict, ...v };
    }
    default:
      throw new Error(`unsupported Arrow type ${String(d.type)}`);
  }
}

/**
 * A RecordBatch as a Tributary batch: `timeColumn` becomes `time` (epoch ms), the rest become columns.
 * `dictionaries` holds the running dictionary of each string column and is updated in place.
 */
export function fromRecordBatch(rb: RecordBatch, timeColumn: string, dictionaries: Map<string, Dictionary> = new Map()): Batch {
  const columns: Record<string, Column> = {};
  let time: Float64Array | undefined;
  for (const field of rb.schema.fields) {
    const vector = rb.getChild(field.name)!;
    if (field.name === timeColumn) {
      const c = columnFromArrow(vector);
      if (c.type === 'dictionary' || c.type === 'bool') throw new Error(`time column ${timeColumn} is not numeric`);
      time = c.values instanceof Float64Array ? c.values : Float64Array.from(c.values);
      continue;
    }
    let dict = dictionaries.get(field.name);
    if (dict === undefined && (field.typeId === Type.Dictionary || field.typeId === Type.Utf8 || field.typeId === Type.LargeUtf8)) {
      dict = new Dictionary();
      dictionaries.set(field.name, dict);
    }
    const c = columnFromArrow(vector, dict);
    const logical = field.metadata.get(TYPE_METADATA);
    columns[field.name] = logical === 'int64' && c.type === 'float64' ? { ...c, type: 'int64' } : c;
  }
  if (time === undefined) throw new Error(`the batch has no time column named ${timeColumn}`);
  return { length: rb.numRows, time, columns };
}
