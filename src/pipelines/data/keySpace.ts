import type { Batch } from './batch.js';
import type { Column, DictColumn } from './column.js';
import { Dictionary } from './dictionary.js';
import { PairTable } from './pairTable.js';

/**
 * The keys of a keyed step: each distinct tuple of key-column values gets a dense int32 code.
 * One dictionary column is used as is (its codes are the key codes); several are folded pairwise
 * through PairTables; no column at all means one global group, code 0.
 *
 * @example
 * const keys = new KeySpace(['card_id']);
 * const codes = keys.encode(batch); // Int32Array, one code a row
 * keys.decode(codes);               // { card_id: DictColumn }
 */
export class KeySpace {
  /** Per column: the dictionary its values are coded by (adopted from the batch, or ours for numbers). */
  private readonly dictionaries: (Dictionary | undefined)[];
  private readonly ownsDictionary: boolean[];
  /** Per column: another dictionary found to agree with ours, and up to which code (see `rebind`). */
  private readonly agreed: { dict: Dictionary | undefined; upTo: number }[];
  private pairs: PairTable[];

  constructor(readonly columns: readonly string[]) {
    this.dictionaries = columns.map(() => undefined);
    this.ownsDictionary = columns.map(() => false);
    this.agreed = columns.map(() => ({ dict: undefined, upTo: 0 }));
    this.pairs = columns.slice(1).map(() => new PairTable());
  }

  /** Number of distinct keys seen; codes are below it. */
  get size(): number {
    if (this.columns.length === 0) return 1;
    if (this.columns.length === 1) return this.dictionaries[0]?.size ?? 0;
    return this.pairs[this.pairs.length - 1]!.size;
  }

  /** The key code of every row. Rows with a null key get -1. */
  encode(b: Batch): Int32Array {
    const n = b.length;
    if (this.columns.length === 0) return new Int32Array(n);
    const first = this.componentCodes(b, 0);
    // One column: its codes are the key codes (read-only from here on, so no copy).
    if (this.columns.length === 1) return first;
    const out = Int32Array.from(first);
    for (let c = 1; c < this.columns.length; c++) {
      const next = this.componentCodes(b, c);
      const table = this.pairs[c - 1]!;
      for (let i = 0; i < n; i++) out[i] = out[i]! < 0 || next[i]! < 0 ? -1 : table.encode(out[i]!, next[i]!);
    }
    return out;
  }

  private componentCodes(b: Batch, c: number): Int32Array {
    const name = this.columns[c]!;
    const col = b.columns[name];
    if (col === undefined) throw new Error(`key column "${name}" is not in the batch`);
    let codes: Int32Array;
    if (col.type === 'dictionary') {
      const known = this.dictionaries[c];
      if (known === undefined) this.dictionaries[c] = col.dictionary;
      else if (known !== col.dictionary) this.rebind(c, known, col.dictionary);
      codes = col.codes;
    } else {
      // Numeric keys (for example computed ones) are coded here, once per row.
      let dict = this.dictionaries[c];
      if (dict === undefined) {
        dict = new Dictionary();
        this.dictionaries[c] = dict;
        this.ownsDictionary[c] = true;
      }
      const values = col.values;
      const valid = col.validity;
      codes = new Int32Array(b.length);
      for (let i = 0; i < b.length; i++) {
        // A null row's slot holds junk: it must not become a key.
        codes[i] = valid === undefined || ((valid[i >> 3]! >> (i & 7)) & 1) === 1 ? dict.encode(values[i]!) : -1;
      }
      return codes;
    }
    if (col.validity === undefined) return codes;
    const masked = Int32Array.from(codes);
    for (let i = 0; i < b.length; i++) if (((col.validity[i >> 3]! >> (i & 7)) & 1) === 0) masked[i] = -1;
    return masked;
  }

  /**
   * A batch brings column `c` on another Dictionary object than ours. Between two live dictionaries
   * that is an error: the source changed its coding. After a restore, though, our dictionary is a
   * stand-in made from the checkpoint (and rows held across it, released by reorder, carry stand-ins
   * of their own), while the batches bring the live one of this process: fine when the codes both hold
   * mean the same values. The live one replaces the stand-in once it holds every code we have seen.
   * Values are compared once per dictionary and code, not per batch.
   */
  private rebind(c: number, known: Dictionary, d: Dictionary): void {
    const name = this.columns[c]!;
    if (!known.restored && !d.restored) throw new Error(`key column "${name}" changed dictionary between batches`);
    const a = this.agreed[c]!;
    const n = Math.min(known.size, d.size);
    if (a.dict !== d || a.upTo < n) {
      if (!known.agreesWith(d, a.dict === d ? a.upTo : 0)) throw new Error(`key column "${name}": the restored dictionary does not match the live one`);
      a.dict = d;
      a.upTo = n;
    }
    if (!known.restored) {
      if (d.size > known.size) throw new Error(`key column "${name}": restored rows hold codes the live dictionary does not have`);
      return;
    }
    if (d.size > known.size || (d.size === known.size && !d.restored)) this.dictionaries[c] = d;
  }

  /** The key columns of the given key codes, dictionary-encoded with the source's dictionaries. */
  decode(codes: Int32Array): Record<string, Column> {
    const out: Record<string, Column> = {};
    let current = codes;
    for (let c = this.columns.length - 1; c >= 0; c--) {
      let component: Int32Array;
      if (c === 0) component = current;
      else {
        const table = this.pairs[c - 1]!;
        component = new Int32Array(current.length);
        const parent = new Int32Array(current.length);
        for (let i = 0; i < current.length; i++) {
          component[i] = table.right[current[i]!]!;
          parent[i] = table.left[current[i]!]!;
        }
        current = parent;
      }
      const dictionary = this.dictionaries[c] ?? new Dictionary();
      const col: DictColumn = { type: 'dictionary', codes: component, dictionary };
      out[this.columns[c]!] = col;
    }
    return out;
  }

  snapshot(): unknown {
    return {
      columns: [...this.columns],
      pairs: this.pairs.map((p) => p.snapshot()),
      dictionaries: this.dictionaries.map((d) => (d ? [...d.values] : null)),
      owned: [...this.ownsDictionary],
    };
  }

  restore(s: unknown): void {
    const snap = s as { pairs: { left: Int32Array; right: Int32Array }[]; dictionaries: ((string | number)[] | null)[]; owned: boolean[] };
    this.pairs = snap.pairs.map((p) => PairTable.restore(p));
    // A column's dictionary comes back as a stand-in: the live one replaces it (see `rebind`). One
    // we own (numeric keys) is ours for good, and goes on coding new values.
    snap.dictionaries.forEach((values, i) => {
      if (values === null) return;
      this.dictionaries[i] = snap.owned[i] ? new Dictionary(values) : Dictionary.fromCheckpoint(values);
      this.ownsDictionary[i] = snap.owned[i]!;
    });
  }
}
