import type { Batch } from '../../pipelines/data/batch.js';
import type { Column } from '../../pipelines/data/column.js';
import { Dictionary, type DictionaryValue } from '../../pipelines/data/dictionary.js';
import type { KeyHashes } from '../partitioning/keyGroupsOf.js';

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
  /**
   * Key hashes (hashKey) of codes `hashFrom..`, for a dictionary of a key column: the main thread
   * hashes each value once per dictionary, across runs, so workers (whose mirrors are new every run)
   * never hash strings to find their rows.
   */
  hashFrom?: number;
  hashes?: Uint32Array;
}

/** Numbered dictionaries, both ways (the main thread's live ones, or a worker's mirrors of them). */
export class DictionaryTable {
  private readonly byId = new Map<number, Dictionary>();
  private readonly ids = new Map<Dictionary, number>();
  private readonly sent = new Map<number, number>();
  private readonly hashSent = new Map<number, number>();
  /** Worker side: the key hashes received, per dictionary id (`used` of them valid). */
  private readonly hashes = new Map<number, { hashes: Uint32Array; used: number }>();
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

  /**
   * Values of the batch's dictionaries not yet sent (main thread side), with the key hashes of the
   * dictionaries of `keyColumns` (from `hashes`).
   */
  deltas(b: Batch, keyColumns?: ReadonlySet<string>, hashes?: KeyHashes): DictionaryDelta[] {
    const out: DictionaryDelta[] = [];
    for (const [name, c] of Object.entries(b.columns)) {
      if (c.type !== 'dictionary') continue;
      const id = this.idOf(c.dictionary);
      const size = c.dictionary.size;
      const from = this.sent.get(id) ?? 0;
      const delta: DictionaryDelta = { id, from, values: [] };
      if (size > from) {
        delta.values = c.dictionary.values.slice(from);
        this.sent.set(id, size);
      }
      const hashFrom = this.hashSent.get(id) ?? 0;
      if (hashes !== undefined && keyColumns?.has(name) === true && size > hashFrom) {
        delta.hashFrom = hashFrom;
        delta.hashes = hashes.of(c.dictionary).slice(hashFrom, size);
        this.hashSent.set(id, size);
      }
      if (delta.values.length > 0 || delta.hashes !== undefined) out.push(delta);
    }
    return out;
  }

  /** The key hashes of codes 0..d.size-1 of a mirrored dictionary, when all were received (worker side). */
  hashesOf(d: Dictionary): Uint32Array | undefined {
    const id = this.ids.get(d);
    const h = id === undefined ? undefined : this.hashes.get(id);
    return h !== undefined && h.used >= d.size ? h.hashes.subarray(0, d.size) : undefined;
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
      if (d.values.length > 0) {
        if (dict.size !== d.from) throw new Error(`dictionary ${d.id}: delta from code ${d.from}, mirror has ${dict.size}`);
        for (const v of d.values) dict.encode(v);
      }
      if (d.hashes !== undefined) {
        let h = this.hashes.get(d.id);
        if (h === undefined) this.hashes.set(d.id, (h = { hashes: new Uint32Array(Math.max(1024, d.hashes.length)), used: 0 }));
        if (h.used !== d.hashFrom) throw new Error(`dictionary ${d.id}: hashes from code ${d.hashFrom}, mirror has ${h.used}`);
        const used = h.used + d.hashes.length;
        if (used > h.hashes.length) {
          const grown = new Uint32Array(Math.max(used, h.hashes.length * 2));
          grown.set(h.hashes.subarray(0, h.used));
          h.hashes = grown;
        }
        h.hashes.set(d.hashes, h.used);
        h.used = used;
      }
    }
  }
}

const align8 = (n: number) => (n + 7) & ~7;

/**
 * Copy a batch into one SharedArrayBuffer (the one copy) and describe it for postMessage.
 * Dictionary columns over dictionaries in `dicts` go by number, others by value; `register`
 * numbers unknown dictionaries instead (the main thread, which owns them). `alloc` gives the
 * buffer (of at least `bytes`): a fresh one by default, or a recycled one (see WirePool).
 */
export function toWire(b: Batch, dicts: DictionaryTable, register = false, alloc: (bytes: number) => SharedArrayBuffer = (bytes) => new SharedArrayBuffer(bytes)): WireBatch {
  const n = b.length;
  const entries = Object.entries(b.columns);
  let bytes = align8(n * 8) + (b.offsets ? align8(n * 8) : 0);
  const validityBytes = align8((n + 7) >> 3);
  for (const [, c] of entries) {
    bytes += align8(n * (c.type === 'bool' ? 1 : c.type === 'int32' || c.type === 'dictionary' ? 4 : 8));
    if (c.validity !== undefined) bytes += validityBytes;
  }
  const sab = alloc(Math.max(8, bytes));
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

/**
 * Recycled SharedArrayBuffers for batches whose readers keep no view of them (workers that gather
 * their rows): a fresh buffer per batch costs its allocation and, above all, a page fault per 4 KiB
 * at its first write, on every batch.
 */
export class WirePool {
  private readonly free: SharedArrayBuffer[] = [];

  constructor(private readonly keep = 16) {}

  take(bytes: number): SharedArrayBuffer {
    for (let i = this.free.length - 1; i >= 0; i--) {
      const b = this.free[i]!;
      if (b.byteLength >= bytes && b.byteLength <= bytes * 2) {
        this.free.splice(i, 1);
        return b;
      }
    }
    return new SharedArrayBuffer(bytes);
  }

  give(b: SharedArrayBuffer): void {
    if (this.free.length < this.keep) this.free.push(b);
  }
}
