import type { Dictionary, DictionaryValue } from '../../pipelines/data/dictionary.js';
import { PairCodes } from './pairCodes.js';

/**
 * Dense int32 codes for the tuples of a set of key columns (a feature's key, or a table's row key),
 * over the store's dictionary codes: one column's code is its dictionary code, several are folded
 * pairwise. A tuple with a null component has no code (-1). Online views, as-of indexes and row
 * identity are all arrays indexed by these codes.
 *
 * @example
 * const g = new KeyGroup(['card_id', 'merchant_id'], [cards, merchants]);
 * const codes = g.encodeRows([cardCodes, merchantCodes], n); // inserting
 * g.lookupValues(['c1', 'm7']); // the code, or -1 when that pair was never appended
 */
export class KeyGroup {
  private readonly pairs: PairCodes[];

  constructor(
    readonly columns: readonly string[],
    readonly dictionaries: readonly Dictionary[],
  ) {
    this.pairs = columns.slice(1).map(() => new PairCodes());
  }

  /** Codes are below this. */
  get size(): number {
    if (this.columns.length === 0) return 1;
    if (this.columns.length === 1) return this.dictionaries[0]!.size;
    return this.pairs[this.pairs.length - 1]!.size;
  }

  /** The code of each row from each column's store codes (`components[c][i]`, -1 = null), adding new tuples. */
  encodeRows(components: readonly Int32Array[], n: number): Int32Array {
    if (this.columns.length === 0) return new Int32Array(n);
    const out = Int32Array.from(components[0]!.subarray(0, n));
    for (let c = 1; c < this.columns.length; c++) {
      const next = components[c]!;
      const table = this.pairs[c - 1]!;
      for (let i = 0; i < n; i++) {
        const a = out[i]!;
        const b = next[i]!;
        out[i] = a < 0 || b < 0 ? -1 : table.encode(a, b);
      }
    }
    return out;
  }

  /** The code of one tuple of store codes, or -1 when it was never encoded (nothing is added). */
  lookupCodes(components: ArrayLike<number>): number {
    if (this.columns.length === 0) return 0;
    let code = components[0]!;
    for (let c = 1; c < this.columns.length && code >= 0; c++) {
      const b = components[c]!;
      code = b < 0 ? -1 : this.pairs[c - 1]!.get(code, b);
    }
    return code;
  }

  /** The code of one tuple of values (in `columns` order), or -1. Numbers and numeric strings match each other. */
  lookupValues(values: readonly DictionaryValue[]): number {
    if (this.columns.length === 0) return 0;
    let code = lookupValue(this.dictionaries[0]!, values[0]!);
    for (let c = 1; c < this.columns.length && code >= 0; c++) {
      const b = lookupValue(this.dictionaries[c]!, values[c]!);
      code = b < 0 ? -1 : this.pairs[c - 1]!.get(code, b);
    }
    return code;
  }
}

/**
 * The code of `v` in `d`, or -1. Query strings and JSON cannot always say whether a key is a number
 * (`?driver_id=7`), so a numeric string also matches the number and a number its text.
 */
export function lookupValue(d: Dictionary, v: DictionaryValue): number {
  const code = d.lookup(v);
  if (code >= 0) return code;
  if (typeof v === 'string') {
    const n = v.trim() === '' ? NaN : Number(v);
    return Number.isFinite(n) ? d.lookup(n) : -1;
  }
  return d.lookup(String(v));
}
