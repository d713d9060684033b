import { tableFromIPC, tableToIPC } from 'apache-arrow';
import { fromRecordBatch, toTable } from '../../../pipelines/data/arrow.js';
import { concatBatches, type Batch } from '../../../pipelines/data/batch.js';
import type { Column, DictColumn } from '../../../pipelines/data/column.js';
import { Dictionary } from '../../../pipelines/data/dictionary.js';

/**
 * A backfill task's rows of one table, on their way back to the calling thread: one Arrow IPC
 * stream (one record batch) in a SharedArrayBuffer, so it crosses the thread boundary without a copy
 * and without a per-row object.
 *
 * Dictionary columns are compacted first: a task's batches carry the log's whole dictionaries (every
 * key and string ever seen), and a partition uses a slice of them. Each column gets a dictionary of
 * the values its rows use, in first-use order; codes are remapped through an Int32Array, so no string
 * is hashed per row (once per distinct value).
 *
 * @example
 * const bytes = encodeTable(batches, 'ts');      // in the task
 * const rows = decodeTable(bytes, 'ts');         // on the calling thread: one batch, with dictionaries of its own
 */
export function encodeTable(batches: readonly Batch[], timeColumn: string): Uint8Array {
  const kept = compactDictionaries(batches.filter((b) => b.length > 0));
  if (kept.length === 0) return new Uint8Array(new SharedArrayBuffer(0));
  const ipc = tableToIPC(toTable([kept.length === 1 ? kept[0]! : concatBatches(kept)], timeColumn), 'stream');
  const shared = new Uint8Array(new SharedArrayBuffer(ipc.byteLength));
  shared.set(ipc);
  return shared;
}

/** The rows `encodeTable` wrote, as one batch (none for an empty table), with dictionaries of its own. */
export function decodeTable(bytes: Uint8Array, timeColumn: string): Batch[] {
  if (bytes.byteLength === 0) return [];
  return tableFromIPC(bytes).batches.map((rb) => fromRecordBatch(rb, timeColumn, new Map()));
}

/**
 * The batches with every dictionary column re-coded into one dictionary per column name holding the
 * values the rows use, in first-use order (whatever dictionaries the batches came with).
 */
export function compactDictionaries(batches: readonly Batch[]): Batch[] {
  const compact = new Map<string, { dictionary: Dictionary; remaps: Map<Dictionary, Int32Array> }>();
  return batches.map((b) => {
    const columns: Record<string, Column> = {};
    for (const [name, c] of Object.entries(b.columns)) {
      if (c.type !== 'dictionary') {
        columns[name] = c;
        continue;
      }
      let target = compact.get(name);
      if (target === undefined) {
        target = { dictionary: new Dictionary(), remaps: new Map() };
        compact.set(name, target);
      }
      columns[name] = recode(c, target.dictionary, target.remaps);
    }
    return { ...b, columns };
  });
}

/**
 * `c` re-coded into `into`: each code looked up once per dictionary (`remaps` keeps what is known),
 * so a string is hashed once per distinct value, not once per row.
 */
export function recode(c: DictColumn, into: Dictionary, remaps: Map<Dictionary, Int32Array>): DictColumn {
  let remap = remaps.get(c.dictionary);
  if (remap === undefined || remap.length < c.dictionary.size) {
    const grown = new Int32Array(c.dictionary.size).fill(-1);
    if (remap !== undefined) grown.set(remap);
    remap = grown;
    remaps.set(c.dictionary, remap);
  }
  const codes = new Int32Array(c.codes.length);
  const validity = c.validity;
  for (let i = 0; i < codes.length; i++) {
    // A null row's code is junk: it must not bring a value into the dictionary.
    if (validity !== undefined && ((validity[i >> 3]! >> (i & 7)) & 1) === 0) continue;
    const from = c.codes[i]!;
    let to = remap[from]!;
    if (to < 0) {
      to = into.encode(c.dictionary.decode(from));
      remap[from] = to;
    }
    codes[i] = to;
  }
  return validity === undefined ? { type: 'dictionary', codes, dictionary: into } : { type: 'dictionary', codes, dictionary: into, validity };
}
