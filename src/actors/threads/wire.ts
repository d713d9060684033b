import type { Batch } from '../../pipelines/data/batch.js';
import type { Column } from '../../pipelines/data/column.js';
import { Dictionary, type DictionaryValue } from '../../pipelines/data/dictionary.js';

/**
 * Batches between threads through SharedArrayBuffer: every typed array of a batch is copied once
 * into one shared buffer, and the message carries views of it. Posting a view over a
 * SharedArrayBuffer shares the memory (no structured-clone copy), so the receiving thread builds its
 * Batch over the same bytes.
 *
 * Dictionaries do not travel with every batch. Each side keeps a `DictionaryTable` of numbered
 * dictionaries: the main thread sends only the values a dictionary gained since it last sent it
 * (`DictionaryDelta`), and the workers mirror it, so codes are the same on every thread. An output
 * column over a mirrored dictionary names it by number; any other dictionary travels by value.
 */
export interface WireColumn {
  type: Column['type'];
  /** Values (numeric columns) or codes (dictionary columns), a view over the shared buffer. */
  data: Float64Array | Int32Array | Uint8Array;
  validity?: Uint8Array;
  /** Dictionary columns: the dictionary's number in the DictionaryTable, or its values. */
  dict?: number;
  dictValues?: DictionaryValue[];
}

export interface WireBatch {
  length: number;
  time: Float64Array;
  offsets?: Float64Array;
  watermark?: number;
  columns: [string, WireColumn][];
}

export interface DictionaryDelta {
  id: number;
  /** Code of the first value in `values`. */
  from: number;
  values: DictionaryValue[];
}

/** Numbered dictionaries, both ways (the main thread's live ones, or a worker's mirrors of them). */
export class DictionaryTable {
  private readonly byId = new Map<number, Dictionary>();
  private readonly ids = new Map<Dictionary, number>();
  private readonly sent = new Map<number, number>();
  private next = 0;

  /** The number of a dictionary, registering it when new. */
  idOf(d: Dictionary): number {
    let id = this.ids.get(d);
    if (id === undefined) {
      id = this.next++;
      this.ids.set(d, id);
      this.byId.set(id, d);
    }
    return id;
  }

  has(d: Dictionary): boolean {
    return this.ids.has(d);
  }

  get(id: number): Dictionary {
    const d = this.byId.get(id);
    if (d === undefined) throw new Error(`unknown dictionary ${id}`);
    return d;
  }

  /** Values of the batch's dictionaries not yet sent (main thread side). */
  deltas(b: Batch): DictionaryDelta[] {
    const out: DictionaryDelta[] = [];
    for (const c of Object.values(b.columns)) {
      if (c.type !== 'dictionary') continue;
      const id = this.idOf(c.dictionary);
      const from = this.sent.get(id) ?? 0;
      if (c.dictionary.size > from) {
        out.push({ id, from, values: c.dictionary.values.slice(from) });
        this.sent.set(id, c.dictionary.size);
      }
    }
    return out;
  }

  /** Apply deltas to the mirrors (worker side). */
  apply(deltas: readonly DictionaryDelta[]): void {
    for (const d of deltas) {
      let dict = this.byId.get(d.id);
      if (dict === undefined) {
        dict = new Dictionary();
        this.byId.set(d.id, dict);
        this.ids.set(dict, d.id);
      }
      if (dict.size !== d.from) throw new Error(`dictionary ${d.id}: delta from code ${d.from}, mirror has ${dict.size}`);
      for (const v of d.values) dict.encode(v);
    }
  }
}

const align8 = (n: number) => (n + 7) & ~7;

/**
 * Copy a batch into one SharedArrayBuffer (the one copy) and describe it for postMessage.
 * Dictionary columns over dictionaries in `dicts` go by number, others by value; `register`
 * numbers unknown dictionaries instead (the main thread, which owns them).
 */
export function toWire(b: Batch, dicts: DictionaryTable, register = false): WireBatch {
  const n = b.length;
  const entries = Object.entries(b.columns);
  let bytes = align8(n * 8) + (b.offsets ? align8(n * 8) : 0);
  const validityBytes = align8((n + 7) >> 3);
  for (const [, c] of entries) {
    bytes += align8(n * (c.type === 'bool' ? 1 : c.type === 'int32' || c.type === 'dictionary' ? 4 : 8));
    if (c.validity !== undefined) bytes += validityBytes;
  }
  const sab = new SharedArrayBuffer(Math.max(8, bytes));
  let at = 0;
  const f64 = (src: Float64Array) => {
    const v = new Float64Array(sab, at, n);
    v.set(src.subarray(0, n));
    at += align8(n * 8);
    return v;
  };
  const time = f64(b.time);
  const offsets = b.offsets ? f64(b.offsets) : undefined;
  const columns: [string, WireColumn][] = [];
  for (const [name, c] of entries) {
    let data: Float64Array | Int32Array | Uint8Array;
    if (c.type === 'dictionary' || c.type === 'int32') {
      data = new Int32Array(sab, at, n);
      data.set((c.type === 'dictionary' ? c.codes : c.values).subarray(0, n));
      at += align8(n * 4);
    } else if (c.type === 'bool') {
      data = new Uint8Array(sab, at, n);
      data.set(c.values.subarray(0, n));
      at += align8(n);
    } else {
      data = f64(c.values);
    }
    const w: WireColumn = { type: c.type, data };
    if (c.validity !== undefined) {
      const v = new Uint8Array(sab, at, (n + 7) >> 3);
      v.set(c.validity.subarray(0, v.length));
      at += validityBytes;
      w.validity = v;
    }
    if (c.type === 'dictionary') {
      if (register || dicts.has(c.dictionary)) w.dict = dicts.idOf(c.dictionary);
      else w.dictValues = [...c.dictionary.values];
    }
    columns.push([name, w]);
  }
  return { length: n, time, ...(offsets && { offsets }), ...(b.watermark !== undefined && { watermark: b.watermark }), columns };
}

/** A Batch over the shared memory of a WireBatch (no copy). */
export function fromWire(w: WireBatch, dicts: DictionaryTable): Batch {
  const columns: Record<string, Column> = {};
  for (const [name, c] of w.columns) {
    const validity = c.validity === undefined ? {} : { validity: c.validity };
    if (c.type === 'dictionary') {
      const dictionary = c.dict !== undefined ? dicts.get(c.dict) : new Dictionary(c.dictValues ?? []);
      columns[name] = { type: 'dictionary', codes: c.data as Int32Array, dictionary, ...validity };
    } else if (c.type === 'int32') columns[name] = { type: 'int32', values: c.data as Int32Array, ...validity };
    else if (c.type === 'bool') columns[name] = { type: 'bool', values: c.data as Uint8Array, ...validity };
    else columns[name] = { type: c.type, values: c.data as Float64Array, ...validity };
  }
  return { length: w.length, time: w.time, columns, ...(w.offsets && { offsets: w.offsets }), ...(w.watermark !== undefined && { watermark: w.watermark }) };
}

/** An Int32Array over a fresh SharedArrayBuffer holding `src` (row lists for the workers). */
export function sharedInt32Copy(src: Int32Array): Int32Array {
  const out = new Int32Array(new SharedArrayBuffer(Math.max(4, src.length * 4)), 0, src.length);
  out.set(src);
  return out;
}
