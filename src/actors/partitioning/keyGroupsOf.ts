import type { Column, DictColumn } from '../../pipelines/data/column.js';
import type { Dictionary } from '../../pipelines/data/dictionary.js';
import { checkKeyGroups, DEFAULT_KEY_GROUPS, hashKey } from './keyHash.js';
import { murmur3Finish, murmur3Step } from '../../pipelines/data/murmur3.js';

/**
 * The hash of every value of a dictionary, by code, computed once per value.
 *
 * Dictionaries are append-only and a value keeps its code forever, so a code's hash never goes
 * stale: each call hashes only the values added since the last one. This is what keeps string
 * hashing out of per-event loops: a batch of a million rows over ten thousand keys hashes ten
 * thousand strings once, and then every row is an array lookup.
 *
 * @example
 * const hashes = new KeyHashes();
 * hashes.of(dictionary)[code]; // hashKey(dictionary.decode(code))
 */
export class KeyHashes {
  // Weak, so a dictionary that is dropped (a finished replay) takes its hashes with it.
  private readonly byDictionary = new WeakMap<Dictionary, Entry>();

  /** The hashes of codes 0..dictionary.size-1 (a view: valid until the dictionary grows again). */
  of(dictionary: Dictionary): Uint32Array {
    const entry = this.entry(dictionary);
    return entry.hashes.subarray(0, entry.size);
  }

  /**
   * The key group of codes 0..dictionary.size-1, for `keyGroups` groups. Also kept and extended
   * incrementally, so a live micro-batch of a thousand rows over a million-key dictionary costs a
   * thousand lookups, not a million modulos.
   */
  groupsOf(dictionary: Dictionary, keyGroups: number): Int32Array {
    const entry = this.entry(dictionary);
    let g = entry.groups.get(keyGroups);
    if (g === undefined) {
      g = { groups: new Int32Array(entry.hashes.length), size: 0 };
      entry.groups.set(keyGroups, g);
    }
    if (g.size < entry.size) {
      if (g.groups.length < entry.size) g.groups = grow(g.groups, g.size, entry.hashes.length) as Int32Array;
      for (let code = g.size; code < entry.size; code++) g.groups[code] = entry.hashes[code]! % keyGroups;
      g.size = entry.size;
    }
    return g.groups.subarray(0, g.size);
  }

  private entry(dictionary: Dictionary): Entry {
    let entry = this.byDictionary.get(dictionary);
    const size = dictionary.size;
    if (entry === undefined) {
      entry = { hashes: new Uint32Array(Math.max(16, size)), size: 0, groups: new Map() };
      this.byDictionary.set(dictionary, entry);
    }
    if (entry.size < size) {
      if (entry.hashes.length < size) entry.hashes = grow(entry.hashes, entry.size, Math.max(size, entry.hashes.length * 2)) as Uint32Array;
      const values = dictionary.values;
      for (let code = entry.size; code < size; code++) entry.hashes[code] = hashKey(values[code]!);
      entry.size = size;
    }
    return entry;
  }
}

interface Entry {
  hashes: Uint32Array;
  size: number;
  /** Group of each code, per number of key groups (in practice one: the feature set's). */
  groups: Map<number, { groups: Int32Array; size: number }>;
}

function grow(a: Uint32Array | Int32Array, used: number, capacity: number): Uint32Array | Int32Array {
  const grown = new (a.constructor as Uint32ArrayConstructor | Int32ArrayConstructor)(capacity);
  grown.set(a.subarray(0, used));
  return grown;
}

// Shared by calls that bring no cache of their own. Safe to share: entries never go stale (see above).
const sharedHashes = new KeyHashes();

/**
 * The key hash of every row of a key column (unsigned, in a Uint32Array). Null rows hash as 0;
 * `keyGroupsOf` marks them -1 instead.
 * - a dictionary column: each distinct value is hashed once (see KeyHashes), rows are lookups;
 * - a numeric column (a computed key that was never dictionary-encoded): each row's float64 is
 *   hashed, which is integer mixing of 8 bytes, not string hashing.
 */
export function keyHashesOf(column: Column, hashes: KeyHashes = sharedHashes): Uint32Array {
  if (column.type === 'dictionary') {
    const byCode = hashes.of(column.dictionary);
    const codes = column.codes;
    const out = new Uint32Array(codes.length);
    for (let i = 0; i < codes.length; i++) {
      const code = codes[i]!;
      out[i] = code < 0 ? 0 : byCode[code]!;
    }
    return out;
  }
  if (column.type === 'bool') throw new Error('a bool column cannot be a key column');
  const values = column.values;
  const out = new Uint32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = hashKey(values[i]!);
  return out;
}

/**
 * The key group of every row of a key column: `hashKey(value) mod keyGroups`, or -1 where the key
 * is null (so the caller decides what a keyless row means; it is never silently put in group 0).
 *
 * @example
 * const groups = keyGroupsOf(batch.columns.card_id!, config.keyGroups); // Int32Array, one group a row
 */
export function keyGroupsOf(column: Column, keyGroups = DEFAULT_KEY_GROUPS, hashes: KeyHashes = sharedHashes): Int32Array {
  return keyGroupsOfColumns([column], keyGroups, hashes);
}

/**
 * The key group of every row of a composite key (the key columns in key order): the group of
 * `combineHashes([hash(c1), ..., hash(cn)])`, or -1 where any part is null. One column is the same
 * as `keyGroupsOf`.
 *
 * @example
 * keyGroupsOfColumns([batch.columns.user_id!, batch.columns.merchant_id!], 128);
 */
export function keyGroupsOfColumns(columns: readonly Column[], keyGroups = DEFAULT_KEY_GROUPS, hashes: KeyHashes = sharedHashes): Int32Array {
  checkKeyGroups(keyGroups);
  if (columns.length === 0) throw new Error('a key needs at least one column');
  const first = columns[0]!;
  if (columns.length === 1 && first.type === 'dictionary') return dictionaryGroups(first, keyGroups, hashes);
  const n = first.type === 'dictionary' ? first.codes.length : first.values.length;
  if (columns.every((c) => c.type === 'dictionary')) return compositeDictionaryGroups(columns as DictColumn[], n, keyGroups, hashes);
  const parts = columns.map((c) => keyHashesOf(c, hashes));
  const nulls = nullRows(columns, n);
  const out = new Int32Array(n);
  if (parts.length === 1) {
    const h = parts[0]!;
    for (let i = 0; i < n; i++) out[i] = h[i]! % keyGroups;
  } else {
    // combineHashes, unrolled over the parts so no row gathers its words into an array.
    const bytes = parts.length * 4;
    for (let i = 0; i < n; i++) {
      let h = 0;
      for (let p = 0; p < parts.length; p++) h = murmur3Step(h, parts[p]![i]! | 0);
      out[i] = murmur3Finish(h, bytes) % keyGroups;
    }
  }
  if (nulls !== undefined) for (let i = 0; i < n; i++) if (nulls[i] === 1) out[i] = -1;
  return out;
}

/** The hot path (one dictionary-encoded key column): one lookup per row in the cached group-by-code table. */
function dictionaryGroups(column: DictColumn, keyGroups: number, hashes: KeyHashes): Int32Array {
  const byCode = hashes.groupsOf(column.dictionary, keyGroups);
  const codes = column.codes;
  const n = codes.length;
  const size = byCode.length;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const code = codes[i]!;
    // A null row may hold any code, even one past the dictionary: the validity mask below decides.
    out[i] = code < 0 || code >= size ? -1 : byCode[code]!;
  }
  const validity = column.validity;
  if (validity !== undefined) for (let i = 0; i < n; i++) if (((validity[i >> 3]! >> (i & 7)) & 1) === 0) out[i] = -1;
  return out;
}

/** Several dictionary-encoded key columns: each part's hash is a lookup by code, combined in place. */
function compositeDictionaryGroups(columns: readonly DictColumn[], n: number, keyGroups: number, hashes: KeyHashes): Int32Array {
  const codes = columns.map((c) => c.codes);
  const byCode = columns.map((c) => hashes.of(c.dictionary));
  const bytes = columns.length * 4;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let h = 0;
    for (let p = 0; p < codes.length; p++) h = murmur3Step(h, byCode[p]![codes[p]![i]!]! | 0); // a null row's junk code gives undefined | 0: masked below
    out[i] = murmur3Finish(h, bytes) % keyGroups;
  }
  const nulls = nullRows(columns, n);
  if (nulls !== undefined) for (let i = 0; i < n; i++) if (nulls[i] === 1) out[i] = -1;
  return out;
}

/** 1 for every row where some key column is null (a validity bit of 0, or a negative dictionary code); undefined when none is. */
function nullRows(columns: readonly Column[], n: number): Uint8Array | undefined {
  let out: Uint8Array | undefined;
  for (const c of columns) {
    if (c.type !== 'dictionary' && c.validity === undefined) continue;
    out ??= new Uint8Array(n);
    const validity = c.validity;
    if (validity !== undefined) for (let i = 0; i < n; i++) if (((validity[i >> 3]! >> (i & 7)) & 1) === 0) out[i] = 1;
    if (c.type === 'dictionary') for (let i = 0; i < n; i++) if (c.codes[i]! < 0) out[i] = 1;
  }
  return out;
}
