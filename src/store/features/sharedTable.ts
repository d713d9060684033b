import {
  Dictionary as ArrowDictionary,
  Field,
  Float64,
  Int32,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  Utf8,
  vectorFromArray,
  type Data,
  type DataType,
  type Vector,
} from 'apache-arrow';
import { TYPE_METADATA } from '../../pipelines/data/arrow.js';
import type { DictionaryValue } from '../../pipelines/data/dictionary.js';
import type { FeatureTable } from './featureTable.js';

/**
 * Everything a worker thread needs to read a stored table without a copy: the SharedArrayBuffers
 * of every chunk (posted through `postMessage`, they are shared, not cloned), the row count at the
 * time it was taken, and the key dictionaries' values (strings cannot live in shared memory; these
 * are the only copied part).
 */
export interface SharedTableHandle {
  name: string;
  kind: 'events' | 'windows';
  timeColumn: string;
  /** Rows when the handle was taken; later appends land in the same buffers but beyond this. */
  length: number;
  chunkRows: number;
  /** Event time (epoch ms, float64), one buffer per chunk. */
  time: SharedArrayBuffer[];
  keys: { name: string; codes: SharedArrayBuffer[]; validity: SharedArrayBuffer[]; dictionary: DictionaryValue[] }[];
  values: { name: string; type: 'float64' | 'timestamp'; data: SharedArrayBuffer[]; validity: SharedArrayBuffer[] }[];
}

const sab = (view: ArrayBufferView): SharedArrayBuffer => {
  if (!(view.buffer instanceof SharedArrayBuffer)) throw new Error('a stored column is not in shared memory');
  return view.buffer;
};

/**
 * A handle on `table`'s current rows, to `postMessage` to a worker.
 *
 * @example
 * // main thread
 * worker.postMessage(shareTable(store.table('transactions')));
 * // worker (src/store/features/sharedTable.ts works there too)
 * parentPort.on('message', (h) => { const t = openSharedTable(h); t.getChild('spend_30d')!.get(0); });
 */
export function shareTable(table: FeatureTable): SharedTableHandle {
  return {
    name: table.name,
    kind: table.spec.kind,
    timeColumn: table.spec.timeColumn,
    length: table.length,
    chunkRows: table.chunkRows,
    time: table.time.chunks.map(sab),
    keys: [...table.keyColumns.values()].map((k) => ({
      name: k.name,
      codes: k.codes.chunks.map(sab),
      validity: k.codes.validity!.map(sab),
      dictionary: [...k.dictionary.values],
    })),
    values: table.spec.columns.map((c) => {
      const chunks = table.valueColumns.get(c.name)!;
      return { name: c.name, type: c.type, data: chunks.chunks.map(sab), validity: chunks.validity!.map(sab) };
    }),
  };
}

/**
 * An Arrow Table over a handle's shared buffers: one RecordBatch per chunk, every buffer a view of
 * the shared memory (no copy). Numbers are Float64 (the time column and `window_start` are epoch ms,
 * marked `tributary.type: timestamp` in the field metadata, since Arrow's Timestamp would need int64
 * words); key columns are Dictionary<Int32, Utf8 | Float64> over the shared int32 codes.
 */
export function openSharedTable(h: SharedTableHandle): Table {
  const dictionaries = h.keys.map((k, i) => {
    const numeric = k.dictionary.length > 0 && k.dictionary.every((v) => typeof v === 'number');
    const vector: Vector = numeric ? vectorFromArray(Float64Array.from(k.dictionary as number[])) : vectorFromArray(k.dictionary.map(String), new Utf8());
    return { vector, type: new ArrowDictionary(vector.type, new Int32(), i + 1) };
  });
  const fields: Field[] = [
    new Field(h.timeColumn, new Float64(), false, new Map([[TYPE_METADATA, 'timestamp']])),
    ...h.keys.map((k, i) => new Field(k.name, dictionaries[i]!.type, true, new Map([[TYPE_METADATA, 'string']]))),
    ...h.values.map((v) => new Field(v.name, new Float64(), true, new Map([[TYPE_METADATA, v.type]]))),
  ];
  const schema = new Schema(fields);
  const batches: RecordBatch[] = [];
  for (let c = 0; c * h.chunkRows < h.length; c++) {
    const rows = Math.min(h.chunkRows, h.length - c * h.chunkRows);
    const children: Data<DataType>[] = [makeData({ type: new Float64(), length: rows, nullCount: 0, data: new Float64Array(h.time[c]!, 0, rows) })];
    h.keys.forEach((k, i) => {
      const d = dictionaries[i]!;
      children.push(makeData({ type: d.type, length: rows, data: new Int32Array(k.codes[c]!, 0, rows), nullBitmap: new Uint8Array(k.validity[c]!), dictionary: d.vector }));
    });
    for (const v of h.values) {
      children.push(makeData({ type: new Float64(), length: rows, data: new Float64Array(v.data[c]!, 0, rows), nullBitmap: new Uint8Array(v.validity[c]!) }));
    }
    batches.push(new RecordBatch(schema, makeData({ type: new Struct(fields), length: rows, nullCount: 0, children })));
  }
  return batches.length > 0 ? new Table(batches) : new Table(schema);
}
