import { Field, Float64, Int32, makeData, RecordBatch, Schema, Struct, Table, tableFromIPC, tableToIPC, Uint8, type Data, type DataType } from 'apache-arrow';
import type { Batch } from '../../pipelines/data/batch.js';
import type { Column } from '../../pipelines/data/column.js';
import { Dictionary, type DictionaryValue } from '../../pipelines/data/dictionary.js';
import { nullCount } from '../../pipelines/data/validity.js';
import type { DictionaryTable } from '../threads/wire.js';

/** Field metadata: the column's Tributary type, and a dictionary column's number in the DictionaryTable. */
const TYPE = 'tributary.type';
const DICT = 'tributary.dict';
const TIME = '__time';
const OFFSETS = '__offsets';

/** What travels beside the Arrow IPC bytes of a batch (the JSON header of its message). */
export interface BatchMeta {
  watermark?: number;
  /** Dictionary columns over a dictionary the receiver does not mirror: its values, by column. */
  dictValues?: Record<string, DictionaryValue[]>;
}

/**
 * A batch as Arrow IPC stream bytes, for a message between processes. Numeric columns and
 * dictionary codes are Arrow buffers over the batch's own arrays (the IPC writer makes the one
 * copy). Dictionaries do not travel: a column over a dictionary of `dicts` names it by number
 * (field metadata), and the receiver's mirror (kept current by DictionaryTable deltas) decodes it;
 * any other dictionary goes by value in the returned meta. `register` numbers unknown dictionaries
 * instead (the side that owns them).
 *
 * @example
 * const { ipc, meta } = encodeBatch(batch, dicts, true);
 * const back = decodeBatch(ipc, meta, mirror);
 */
export function encodeBatch(b: Batch, dicts: DictionaryTable, register = false): { ipc: Uint8Array; meta: BatchMeta } {
  const fields: Field[] = [];
  const children: Data[] = [];
  const meta: BatchMeta = {};
  const seen = new Set<ArrayBufferView>();
  const add = (name: string, type: DataType, values: Float64Array | Int32Array | Uint8Array, validity: Uint8Array | undefined, metadata: Map<string, string>) => {
    // Arrow's IPC writer mangles a second column over the same bytes: copy a buffer seen already.
    const data = seen.has(values) ? values.slice() : values;
    seen.add(values);
    const nulls = nullCount(validity, values.length);
    fields.push(new Field(name, type, true, metadata));
    children.push(makeData({ type, length: b.length, nullCount: nulls, nullBitmap: nulls > 0 ? validity : undefined, data } as never));
  };
  add(TIME, new Float64(), b.time.subarray(0, b.length), undefined, new Map([[TYPE, 'float64']]));
  if (b.offsets !== undefined) add(OFFSETS, new Float64(), b.offsets.subarray(0, b.length), undefined, new Map([[TYPE, 'float64']]));
  for (const [name, c] of Object.entries(b.columns)) {
    const md = new Map<string, string>([[TYPE, c.type]]);
    if (c.type === 'dictionary') {
      if (register || dicts.has(c.dictionary)) md.set(DICT, String(dicts.idOf(c.dictionary)));
      else (meta.dictValues ??= {})[name] = [...c.dictionary.values];
      add(name, new Int32(), c.codes.subarray(0, b.length), c.validity, md);
    } else if (c.type === 'int32') add(name, new Int32(), c.values.subarray(0, b.length), c.validity, md);
    else if (c.type === 'bool') add(name, new Uint8(), c.values.subarray(0, b.length), c.validity, md);
    else add(name, new Float64(), c.values.subarray(0, b.length), c.validity, md);
  }
  if (b.watermark !== undefined) meta.watermark = b.watermark;
  const schema = new Schema(fields);
  const rb = new RecordBatch(schema, makeData({ type: new Struct(fields), length: b.length, nullCount: 0, children }));
  return { ipc: tableToIPC(new Table(rb), 'stream'), meta };
}

/** A batch back from `encodeBatch`'s bytes, its columns over the IPC buffer (no copy when aligned). */
export function decodeBatch(ipc: Uint8Array, meta: BatchMeta, dicts: DictionaryTable): Batch {
  const table = tableFromIPC(ipc);
  const batch = table.batches[0];
  const length = table.numRows;
  let time: Float64Array = new Float64Array(0);
  let offsets: Float64Array | undefined;
  const columns: Record<string, Column> = {};
  for (const [i, field] of table.schema.fields.entries()) {
    const data = batch === undefined ? undefined : batch.data.children[i]!;
    // Arrow pads buffers to 8 bytes: the typed array may be longer than the batch.
    const values = ((data?.values ?? new Float64Array(0)) as Float64Array | Int32Array | Uint8Array).subarray(0, length);
    const validity = data !== undefined && data.nullCount > 0 ? (data.nullBitmap as Uint8Array) : undefined;
    const nulls = validity === undefined ? {} : { validity };
    const type = field.metadata.get(TYPE);
    if (field.name === TIME) time = values as Float64Array;
    else if (field.name === OFFSETS) offsets = values as Float64Array;
    else if (type === 'dictionary') {
      const id = field.metadata.get(DICT);
      const dictionary = id !== undefined ? dicts.get(Number(id)) : new Dictionary(meta.dictValues?.[field.name] ?? []);
      columns[field.name] = { type: 'dictionary', codes: values as Int32Array, dictionary, ...nulls };
    } else if (type === 'int32') columns[field.name] = { type: 'int32', values: values as Int32Array, ...nulls };
    else if (type === 'bool') columns[field.name] = { type: 'bool', values: values as Uint8Array, ...nulls };
    else if (type === 'float64' || type === 'int64' || type === 'timestamp') columns[field.name] = { type, values: values as Float64Array, ...nulls };
    else throw new Error(`batch frame: column ${field.name} has unknown type ${String(type)}`);
  }
  if (time.length !== length) time = new Float64Array(length);
  return { length, time, columns, ...(offsets && { offsets }), ...(meta.watermark !== undefined && { watermark: meta.watermark }) };
}
