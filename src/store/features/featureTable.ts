import type { Batch } from '../../pipelines/data/batch.js';
import { columnLength, type Column } from '../../pipelines/data/column.js';
import { Dictionary, type DictionaryValue } from '../../pipelines/data/dictionary.js';
import { didYouMean } from '../../sdk/config/validate.js';
import { AsOfIndex, type AsOfOptions } from './asOfIndex.js';
import { DictionaryTranslator } from './dictionaryTranslator.js';
import { KeyGroup, lookupValue } from './keyGroup.js';
import { LatestRows } from './latestRows.js';
import { RowIdentity } from './rowIdentity.js';
import { SharedChunks } from './sharedChunks.js';
import { keyColumnsOf, type TableSpec } from './tableSpec.js';

/** What one append did: rows stored, and rows recognised as already stored (see rowIdentity.ts). */
export interface AppendResult {
  appended: number;
  duplicates: number;
}

/** A key column: store codes in shared memory, and the store's own dictionary for them. */
export interface KeyColumn {
  readonly name: string;
  readonly dictionary: Dictionary;
  readonly codes: SharedChunks<'i32'>;
  readonly translator: DictionaryTranslator;
}

/** Key values to look up, one per query row: plain values, or a column (dictionary codes are translated once per distinct code). */
export type KeyInput = readonly DictionaryValue[] | Column;

/** The per-key state of one key group: its codes, the online view, and (once asked for) the as-of index. */
export interface GroupState {
  readonly group: KeyGroup;
  readonly latest: LatestRows;
  /** The group code of every stored row, `[0, length)`. */
  rowCodes: Int32Array;
  asOf?: AsOfIndex;
}

/**
 * One output table held in shared memory: the time column, the key columns (store dictionary
 * codes) and the value columns, each a chunked SharedArrayBuffer-backed array (./sharedChunks.ts).
 * Rows are only ever appended; row indices are stable, which is what as-of lookups return.
 *
 * Obtain one from `FeatureStore.defineTable`; append through the store so that persistence keeps up.
 *
 * @example
 * const t = new FeatureTable(spec, 1024);
 * t.append(batch);                                   // { appended: 3, duplicates: 0 }
 * t.valueAt('spend_30d', t.latestRow(['card_id'], ['c1']));
 */
export class FeatureTable {
  length = 0;
  readonly time: SharedChunks<'f64'>;
  readonly keyColumns = new Map<string, KeyColumn>();
  readonly valueColumns = new Map<string, SharedChunks<'f64'>>();
  /** Every dictionary-coded column, in order: the row key, then the group-by columns. */
  readonly keyNames: readonly string[];
  private readonly identity: RowIdentity;
  private readonly groups = new Map<string, GroupState>();
  /** The group of the row key, which row identity is decided by. */
  private readonly rowKeyGroup: GroupState;
  /** Bumped on every append that stores rows, so that readers can tell their snapshot is old. */
  version = 0;

  constructor(
    readonly spec: TableSpec,
    readonly chunkRows: number,
  ) {
    this.keyNames = keyColumnsOf(spec);
    this.time = new SharedChunks('f64', chunkRows, false);
    for (const name of this.keyNames) {
      const dictionary = new Dictionary();
      this.keyColumns.set(name, { name, dictionary, codes: new SharedChunks('i32', chunkRows, true), translator: new DictionaryTranslator(dictionary) });
    }
    for (const c of spec.columns) this.valueColumns.set(c.name, new SharedChunks('f64', chunkRows, true));
    this.identity = new RowIdentity(spec.kind);
    this.rowKeyGroup = this.group(spec.keys);
    for (const f of spec.features) this.group(f.key);
  }

  get name(): string {
    return this.spec.name;
  }

  /** The store dictionary of a key column. */
  dictionary(column: string): Dictionary {
    const k = this.keyColumns.get(column);
    if (k === undefined) throw new Error(`table ${this.name} has no key column "${column}"${didYouMean(column, this.keyNames)}`);
    return k.dictionary;
  }

  /** Key columns in the table's order (so that {a, b} and {b, a} are one group). */
  canonicalKey(columns: readonly string[]): string[] {
    for (const c of columns) if (!this.keyColumns.has(c)) throw new Error(`table ${this.name} has no key column "${c}"${didYouMean(c, this.keyNames)}; its key columns are ${this.keyNames.join(', ')}`);
    return this.keyNames.filter((k) => columns.includes(k));
  }

  /** The state of a key group (created, and filled from the stored rows, on first use). */
  group(columns: readonly string[]): GroupState {
    const canonical = this.canonicalKey(columns);
    const id = canonical.join('\u0000');
    let g = this.groups.get(id);
    if (g === undefined) {
      const group = new KeyGroup(canonical, canonical.map((c) => this.keyColumns.get(c)!.dictionary));
      g = { group, latest: new LatestRows(), rowCodes: new Int32Array(Math.max(64, this.length)) };
      this.groups.set(id, g);
      if (this.length > 0) {
        const components = canonical.map((c) => this.keyColumns.get(c)!.codes.copyRange(0, this.length));
        const codes = group.encodeRows(components, this.length);
        const all = new Int32Array(this.length);
        for (let i = 0; i < all.length; i++) all[i] = i;
        g.latest.update(codes, this.time.copyRange(0, this.length), all, this.length, 0);
        g.rowCodes.set(codes);
      }
    }
    return g;
  }

  /** Start a new delivery (rowIdentity.ts): ordinals of equal-time rows count from zero again. */
  beginDelivery(): void {
    this.identity.beginDelivery();
  }

  /**
   * Append a batch of the table's rows; rows the table already holds are skipped and counted
   * (rowIdentity.ts). The batch must carry every key and value column of the spec; other columns are
   * ignored. Key columns may be coded by any dictionary. `trusted` (loading from disk) skips the check.
   */
  append(batch: Batch, trusted = false): AppendResult {
    const n = batch.length;
    if (n === 0) return { appended: 0, duplicates: 0 };
    for (let i = 0; i < n; i++) if (Number.isNaN(batch.time[i]!)) throw new Error(`table ${this.name}: row ${i} of the batch has no time`);
    const keyCodes = new Map<string, Int32Array>();
    for (const k of this.keyColumns.values()) keyCodes.set(k.name, k.translator.codes(this.column(batch, k.name)));
    const values = new Map<string, { values: Float64Array; validity: Uint8Array | undefined }>();
    for (const name of this.valueColumns.keys()) values.set(name, numericValues(this.name, name, this.column(batch, name)));

    const groupCodes = new Map<GroupState, Int32Array>();
    for (const g of this.groups.values()) groupCodes.set(g, g.group.encodeRows(g.group.columns.map((c) => keyCodes.get(c)!), n));
    const rowKey = groupCodes.get(this.rowKeyGroup)!;
    const at = this.spec.kind === 'windows' ? values.get('window_start')!.values : batch.time;
    let kept: Int32Array;
    let count: number;
    if (trusted) {
      this.identity.observe(rowKey, at, n);
      kept = new Int32Array(n);
      for (let i = 0; i < n; i++) kept[i] = i;
      count = n;
    } else ({ kept, count } = this.identity.admit(rowKey, at, n));
    if (count === 0) return { appended: 0, duplicates: n };

    const start = this.length;
    const end = start + count;
    this.time.ensure(end);
    this.time.writeRows(start, batch.time, kept, count);
    for (const k of this.keyColumns.values()) {
      const codes = keyCodes.get(k.name)!;
      k.codes.ensure(end);
      k.codes.writeRows(start, codes, kept, count);
      for (let j = 0; j < count; j++) if (codes[kept[j]!]! < 0) k.codes.setValid(start + j, false);
    }
    for (const [name, chunks] of this.valueColumns) {
      const v = values.get(name)!;
      chunks.ensure(end);
      chunks.writeRows(start, v.values, kept, count);
      if (v.validity !== undefined) chunks.writeNulls(start, v.validity, kept, count);
    }
    for (const [g, codes] of groupCodes) {
      g.latest.update(codes, batch.time, kept, count, start);
      if (g.rowCodes.length < end) {
        const grown = new Int32Array(Math.max(end, g.rowCodes.length * 2));
        grown.set(g.rowCodes.subarray(0, start));
        g.rowCodes = grown;
      }
      for (let j = 0; j < count; j++) g.rowCodes[start + j] = codes[kept[j]!]!;
    }
    this.length = end;
    this.version++;
    return { appended: count, duplicates: n - count };
  }

  timeAt(row: number): number {
    return this.time.get(row);
  }

  /** A value column at `row`: a number, or null (also for row -1, "no row"). */
  valueAt(column: string, row: number): number | null {
    const c = this.valueColumns.get(column);
    if (c === undefined) throw new Error(`table ${this.name} has no column "${column}"${didYouMean(column, this.valueColumns.keys())}`);
    if (row < 0 || row >= this.length) return null;
    return c.isValid(row) ? c.get(row) : null;
  }

  /** A key column's value at `row`, or null. */
  keyAt(column: string, row: number): DictionaryValue | null {
    const k = this.keyColumns.get(column);
    if (k === undefined) throw new Error(`table ${this.name} has no key column "${column}"${didYouMean(column, this.keyNames)}`);
    if (row < 0 || row >= this.length) return null;
    const code = k.codes.get(row);
    return code < 0 ? null : k.dictionary.decode(code);
  }

  /** The latest row of the key whose `columns` have `values` (in the same order), or -1. */
  latestRow(columns: readonly string[], values: readonly DictionaryValue[]): number {
    const g = this.group(columns);
    const ordered = g.group.columns.map((c) => values[columns.indexOf(c)]!);
    return g.latest.row(g.group.lookupValues(ordered));
  }

  /**
   * As-of lookup: for each query row i, the latest row whose key columns equal `keys[column][i]` and
   * whose time is before `times[i]` (strict, the default) or at it, within `tolerance`; -1 when none.
   * The key columns named decide the key: `{ card_id }` looks at every row of the card.
   */
  asOf(keys: Readonly<Record<string, KeyInput>>, times: ArrayLike<number>, opts: AsOfOptions = {}): Int32Array {
    const n = times.length;
    const g = this.group(Object.keys(keys));
    for (const [name, input] of Object.entries(keys)) {
      const len = Array.isArray(input) ? input.length : columnLength(input as Column);
      if (len !== n) throw new Error(`as-of keys.${name} has ${len} values for ${n} times`);
    }
    const components = g.group.columns.map((c) => this.lookupCodes(c, keys[c]!, n));
    let codes: Int32Array;
    if (components.length === 1) codes = components[0]!;
    else {
      codes = new Int32Array(n);
      const tuple = new Int32Array(components.length);
      for (let i = 0; i < n; i++) {
        for (let c = 0; c < components.length; c++) tuple[c] = components[c]![i]!;
        codes[i] = g.group.lookupCodes(tuple);
      }
    }
    const index = this.asOfIndex(g);
    return index.lookup(codes, times, opts);
  }

  /** The group's as-of index, rebuilt when rows were appended since it was built. */
  private asOfIndex(g: GroupState): AsOfIndex {
    g.asOf ??= new AsOfIndex();
    if (g.asOf.rows !== this.length) g.asOf.build(g.rowCodes, this.time.copyRange(0, this.length), this.length, g.group.size);
    return g.asOf;
  }

  /** Store codes of query key values (-1 for values never stored); nothing is added to the dictionary. */
  private lookupCodes(column: string, input: KeyInput, n: number): Int32Array {
    const d = this.keyColumns.get(column)!.dictionary;
    const out = new Int32Array(n);
    if (Array.isArray(input)) {
      for (let i = 0; i < n; i++) out[i] = input[i] === null || input[i] === undefined ? -1 : lookupValue(d, input[i]!);
      return out;
    }
    const c = input as Column;
    if (c.type === 'dictionary') {
      if (c.dictionary === d) out.set(c.codes.subarray(0, n));
      else {
        // Translate each distinct code once: -2 marks "not looked up yet".
        const table = new Int32Array(c.dictionary.size).fill(-2);
        for (let i = 0; i < n; i++) {
          const code = c.codes[i]!;
          if (code < 0 || code >= table.length) out[i] = -1;
          else {
            if (table[code] === -2) table[code] = lookupValue(d, c.dictionary.decode(code));
            out[i] = table[code]!;
          }
        }
      }
    } else for (let i = 0; i < n; i++) out[i] = lookupValue(d, c.values[i]!);
    const v = c.validity;
    if (v !== undefined) for (let i = 0; i < n; i++) if (((v[i >> 3]! >> (i & 7)) & 1) === 0) out[i] = -1;
    return out;
  }

  private column(batch: Batch, name: string): Column {
    const c = batch.columns[name];
    if (c === undefined) throw new Error(`table ${this.name}: the batch has no column "${name}"${didYouMean(name, Object.keys(batch.columns))}`);
    return c;
  }
}

/** A value column as float64 (features are numbers; int32 and bool columns are widened). */
function numericValues(table: string, name: string, c: Column): { values: Float64Array; validity: Uint8Array | undefined } {
  if (c.type === 'dictionary') throw new Error(`table ${table}: column "${name}" holds strings, and a stored feature is a number`);
  const values = c.values instanceof Float64Array ? c.values : Float64Array.from(c.values);
  return { values, validity: c.validity };
}
