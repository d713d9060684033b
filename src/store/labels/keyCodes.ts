import type { Batch } from '../../pipelines/data/batch.js';
import type { Column } from '../../pipelines/data/column.js';
import { Dictionary } from '../../pipelines/data/dictionary.js';
import { PairTable } from '../../pipelines/data/pairTable.js';
import { groupByKey, type KeyGroups } from './keyGroups.js';

/**
 * One key space for a spine and every table joined to it on the same key columns.
 *
 * Each table read from disk carries its own dictionaries, so the code of `u042` in the spine is not
 * its code in a feature table. The spine's dictionaries define the codes; another table's dictionary
 * is translated once per distinct value (one lookup per dictionary entry, never per row), and its
 * rows then take their codes from a typed-array translation. Several key columns fold pairwise
 * through `PairTable`s, as `KeySpace` does. A row whose key the spine never holds gets -1, and so
 * does a row with a null key component: neither can match a spine row.
 *
 * @example
 * const keys = new KeyMatcher(['user_id'], spine);
 * keys.spineCodes;                 // Int32Array, one code per spine row
 * keys.codes(loginsTable);         // the same codes for the same user ids, -1 for users not in the spine
 */
export class KeyMatcher {
  /** The code of each spine row. */
  readonly spineCodes: Int32Array;
  private readonly dictionaries: Dictionary[] = [];
  private readonly pairs: PairTable[];

  constructor(
    readonly columns: readonly string[],
    spine: Batch,
  ) {
    this.pairs = columns.slice(1).map(() => new PairTable());
    const parts = columns.map((name, c) => {
      const col = spine.columns[name];
      if (col === undefined) throw new Error(`key column "${name}" is not in the spine`);
      if (col.type === 'dictionary') {
        this.dictionaries[c] = col.dictionary;
        return masked(col.codes, col, spine.length);
      }
      // A numeric key that is not dictionary-encoded (a computed column): code it here, once.
      const dict = new Dictionary();
      this.dictionaries[c] = dict;
      const codes = new Int32Array(spine.length);
      for (let i = 0; i < spine.length; i++) codes[i] = dict.encode(col.values[i]!);
      return masked(codes, col, spine.length);
    });
    this.spineCodes = this.fold(parts, spine.length);
  }

  /** Upper bound of the codes handed out so far (spine and other tables): size arrays indexed by code with it. */
  get size(): number {
    if (this.columns.length === 0) return 1;
    if (this.columns.length === 1) return this.dictionaries[0]!.size;
    return this.pairs[this.pairs.length - 1]!.size;
  }

  /**
   * The codes of `batch`'s rows in the spine's key space; -1 where the key is null or not a spine key.
   * @throws Error when `batch` lacks one of the key columns
   */
  codes(batch: Batch, what = 'table'): Int32Array {
    const n = batch.length;
    const parts = this.columns.map((name, c) => {
      const col = batch.columns[name];
      if (col === undefined) throw new Error(`key column "${name}" is not in the ${what}`);
      return masked(this.translate(col, this.dictionaries[c]!, n), col, n);
    });
    return this.fold(parts, n);
  }

  private translate(col: Column, canonical: Dictionary, n: number): Int32Array {
    if (col.type === 'dictionary') {
      if (col.dictionary === canonical) return col.codes;
      const dict = col.dictionary;
      const map = new Int32Array(dict.size);
      for (let d = 0; d < map.length; d++) map[d] = canonical.lookup(dict.decode(d));
      const out = new Int32Array(n);
      const codes = col.codes;
      // Codes beyond the dictionary occur only under a null bit; they are masked afterwards.
      for (let i = 0; i < n; i++) {
        const code = codes[i]!;
        out[i] = code >= 0 && code < map.length ? map[code]! : -1;
      }
      return out;
    }
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = canonical.lookup(col.values[i]!);
    return out;
  }

  private fold(parts: Int32Array[], n: number): Int32Array {
    if (parts.length === 0) return new Int32Array(n);
    if (parts.length === 1) return parts[0]!;
    const out = Int32Array.from(parts[0]!);
    for (let c = 1; c < parts.length; c++) {
      const next = parts[c]!;
      const table = this.pairs[c - 1]!;
      for (let i = 0; i < n; i++) out[i] = out[i]! < 0 || next[i]! < 0 ? -1 : table.encode(out[i]!, next[i]!);
    }
    return out;
  }
}

/** A spine's key space on some key columns, and (built on first use) its rows grouped by those keys, time order kept. */
export interface SpineKeys {
  keys: KeyMatcher;
  groups(): KeyGroups;
}

/**
 * The spine's key codes on `columns`, and its rows grouped by them on demand: one per key, shared by
 * every feature joined on it and by the label.
 *
 * @example
 * const { keys, groups } = spineKeys(['user_id'], spine);
 * groups().start; // CSR offsets over keys.size key codes
 */
export function spineKeys(columns: readonly string[], spine: Batch): SpineKeys {
  const keys = new KeyMatcher(columns, spine);
  let groups: KeyGroups | undefined;
  return { keys, groups: () => (groups ??= groupByKey(keys.spineCodes, spine.time, keys.size)) };
}

/** `codes` with -1 at null rows (a copy only when there are nulls). */
function masked(codes: Int32Array, col: Column, n: number): Int32Array {
  const v = col.validity;
  if (v === undefined) return codes;
  const out = Int32Array.from(codes.subarray(0, n));
  for (let i = 0; i < n; i++) if (((v[i >> 3]! >> (i & 7)) & 1) === 0) out[i] = -1;
  return out;
}
