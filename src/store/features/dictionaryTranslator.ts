import type { Column } from '../../pipelines/data/column.js';
import type { Dictionary } from '../../pipelines/data/dictionary.js';

/**
 * Turns the codes of an incoming key column into codes of the store's own dictionary.
 *
 * Why: batches arrive coded by whatever dictionary produced them (the event log's, a window
 * operator's KeySpace, a test's). The store keeps one dictionary per key column so that its codes
 * never depend on who appended. Each distinct incoming Dictionary gets a translation table,
 * extended only when that dictionary has grown, so a value is hashed once, not once per row; the
 * per-row work is one int32 lookup.
 *
 * @example
 * const t = new DictionaryTranslator(storeDict);
 * t.codes(batch.columns.card_id!); // Int32Array of store codes, -1 for null rows
 */
export class DictionaryTranslator {
  private readonly tables = new WeakMap<Dictionary, { table: Int32Array; size: number }>();

  constructor(readonly target: Dictionary) {}

  /** Store codes of every row of `c` (-1 where the row is null). */
  codes(c: Column): Int32Array {
    let out: Int32Array;
    if (c.type === 'dictionary') {
      const n = c.codes.length;
      out = new Int32Array(n);
      if (c.dictionary === this.target) out.set(c.codes);
      else {
        const { table, size } = this.tableFor(c.dictionary);
        for (let i = 0; i < n; i++) {
          const code = c.codes[i]!;
          out[i] = code >= 0 && code < size ? table[code]! : -1;
        }
      }
    } else {
      // Numeric key values that were never dictionary-encoded (the pipeline codes keys, so this is rare):
      // encode each row here.
      const n = c.values.length;
      out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = this.target.encode(c.values[i]!);
    }
    const v = c.validity;
    if (v !== undefined) for (let i = 0; i < out.length; i++) if (((v[i >> 3]! >> (i & 7)) & 1) === 0) out[i] = -1;
    return out;
  }

  /** The translation of `d`'s codes; its buffer doubles as `d` grows, so growing costs O(new values). */
  private tableFor(d: Dictionary): { table: Int32Array; size: number } {
    let entry = this.tables.get(d);
    if (entry === undefined) {
      entry = { table: new Int32Array(Math.max(16, d.size)), size: 0 };
      this.tables.set(d, entry);
    }
    if (entry.size < d.size) {
      if (entry.table.length < d.size) {
        const bigger = new Int32Array(Math.max(d.size, entry.table.length * 2));
        bigger.set(entry.table.subarray(0, entry.size));
        entry.table = bigger;
      }
      for (let code = entry.size; code < d.size; code++) entry.table[code] = this.target.encode(d.decode(code));
      entry.size = d.size;
    }
    return entry;
  }
}
