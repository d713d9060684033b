import type { Batch } from '../../pipelines/data/batch.js';
import type { Column } from '../../pipelines/data/column.js';
import { Dictionary } from '../../pipelines/data/dictionary.js';
import { PairTable } from '../../pipelines/data/pairTable.js';

/**
 * One key space for rows of live output batches on the same key columns, whatever dictionary each
 * batch's columns are on. Each key column has a canonical dictionary; a batch dictionary's entries are
 * translated once each (a dictionary that grew has only its new entries translated), then rows go
 * through an Int32Array. Several key columns fold pairwise through `PairTable`s. A row with a null
 * key component gets -1.
 *
 * @example
 * const keys = new LiveKeySpace(['user_id']);
 * const tableCodes = keys.codes(loginsBatch);
 * const spineCodes = keys.codes(transactionsBatch); // the same code for the same user id
 */
export class LiveKeySpace {
  private readonly canonical: Dictionary[];
  private readonly translations: WeakMap<Dictionary, Int32Array>[];
  private readonly pairs: PairTable[];

  constructor(readonly columns: readonly string[]) {
    if (columns.length === 0) throw new Error('a key space needs at least one key column');
    this.canonical = columns.map(() => new Dictionary());
    this.translations = columns.map(() => new WeakMap());
    this.pairs = columns.slice(1).map(() => new PairTable());
  }

  /** An upper bound of the codes handed out so far: size per-key arrays with it. */
  get size(): number {
    return this.columns.length === 1 ? this.canonical[0]!.size : this.pairs[this.pairs.length - 1]!.size;
  }

  /**
   * The key code of every row of `batch` (new keys get new codes), -1 where a component is null.
   * @throws Error when the batch lacks a key column
   */
  codes(batch: Batch, what = 'batch'): Int32Array {
    const n = batch.length;
    const parts = this.columns.map((name, c) => {
      const col = batch.columns[name];
      if (col === undefined) throw new Error(`key column "${name}" is not in the ${what}`);
      return this.component(col, c, n);
    });
    let out = parts[0]!;
    for (let c = 1; c < parts.length; c++) {
      const next = parts[c]!;
      const table = this.pairs[c - 1]!;
      if (c === 1) out = out.slice();
      for (let i = 0; i < n; i++) out[i] = out[i]! < 0 || next[i]! < 0 ? -1 : table.encode(out[i]!, next[i]!);
    }
    return out;
  }

  private component(col: Column, c: number, n: number): Int32Array {
    const canonical = this.canonical[c]!;
    const out = new Int32Array(n);
    if (col.type === 'dictionary') {
      const map = this.translation(col.dictionary, c);
      for (let i = 0; i < n; i++) {
        const code = col.codes[i]!;
        out[i] = code >= 0 && code < map.length ? map[code]! : -1;
      }
    } else {
      // A numeric key (a computed column): coded by value, as the labelers' KeyMatcher does.
      for (let i = 0; i < n; i++) out[i] = canonical.encode(col.values[i]!);
    }
    const v = col.validity;
    if (v !== undefined) for (let i = 0; i < n; i++) if (((v[i >> 3]! >> (i & 7)) & 1) === 0) out[i] = -1;
    return out;
  }

  private translation(dict: Dictionary, c: number): Int32Array {
    const cache = this.translations[c]!;
    const known = cache.get(dict);
    if (known !== undefined && known.length === dict.size) return known;
    const map = new Int32Array(dict.size);
    const from = known?.length ?? 0;
    if (known !== undefined) map.set(known);
    const canonical = this.canonical[c]!;
    for (let d = from; d < dict.size; d++) map[d] = canonical.encode(dict.decode(d));
    cache.set(dict, map);
    return map;
  }
}
