import type { Batch } from '../data/batch.js';
import type { Column } from '../data/column.js';
import type { Dictionary } from '../data/dictionary.js';
import type { KeySpace } from '../data/keySpace.js';
import { opOutputParts, partName, type OpSpec } from './catalog.js';
import type { Accumulator } from './accumulator.js';

/**
 * One output of a windowed aggregation: an op with its parameters, and its column(s). An op with
 * several columns (first_k, histogram, percentiles) names them in `columns`; without it they are
 * `column` plus `_<part>` (see `opOutputParts`), and an op with one column is `column`.
 */
export interface WindowOutputSpec extends OpSpec {
  column: string;
  columns?: readonly string[];
  default?: number;
}

/** The column names of an output, in the order of its parts. */
export function outputColumnNames(o: { column: string; columns?: readonly string[] } & OpSpec): string[] {
  const parts = opOutputParts(o);
  if (o.columns !== undefined) {
    if (o.columns.length !== parts.length) throw new Error(`op ${o.op} writes ${parts.length} columns, ${o.columns.length} were named`);
    return [...o.columns];
  }
  return parts.length === 1 ? [o.column] : parts.map((p) => partName(o.column, p));
}

/**
 * A histogram's declared values as the value column holds them: the values themselves for a numeric
 * column, dictionary codes for a dictionary column (NaN for a value the dictionary has not seen yet).
 * Dictionaries only grow, so codes are looked up again only when the dictionary has.
 */
export class ValueCodes {
  private dict: Dictionary | undefined;
  private size = -1;
  private codes: number[] = [];

  constructor(private readonly values: readonly (string | number)[]) {}

  /** `dictionary`: the value column's, when it is dictionary-encoded. */
  resolve(dictionary: Dictionary | undefined): readonly number[] {
    if (dictionary === undefined) {
      if (this.size !== -2) {
        this.codes = this.values.map((v) => (typeof v === 'number' ? v : Number(v)));
        this.size = -2;
      }
      return this.codes;
    }
    if (dictionary !== this.dict || dictionary.size !== this.size) {
      this.dict = dictionary;
      this.size = dictionary.size;
      this.codes = this.values.map((v) => {
        let c = dictionary.lookup(v);
        if (c < 0) c = dictionary.lookup(typeof v === 'number' ? String(v) : Number(v));
        return c < 0 ? NaN : c;
      });
    }
    return this.codes;
  }
}

/**
 * Collects the rows of closed windows (one per window and key) and turns them into a batch:
 * the key columns, `window_start`, the results, and the window end as the row's time.
 */
export class WindowRows {
  private keys: number[] = [];
  private starts: number[] = [];
  private ends: number[] = [];
  private readonly names: string[][];
  private readonly valueCodes: (ValueCodes | undefined)[];
  private values: (number | null)[][][];
  /** The value column's dictionary; null for a plain numeric column; undefined before any batch. */
  private dictionary: Dictionary | null | undefined;
  /** Histogram codes carried over from a checkpoint, used until a batch shows the dictionary. */
  private restoredCodes: (number[] | null)[] | undefined;

  constructor(private readonly outputs: readonly WindowOutputSpec[]) {
    this.names = outputs.map(outputColumnNames);
    this.valueCodes = outputs.map((o) => (o.op === 'histogram' && o.values !== undefined ? new ValueCodes(o.values) : undefined));
    this.values = this.fresh();
  }

  private fresh(): (number | null)[][][] {
    return this.names.map((cols) => cols.map(() => []));
  }

  /** The value column's dictionary, when it is dictionary-encoded (for histogram values). */
  setValueDictionary(d: Dictionary | undefined): void {
    this.dictionary = d ?? null;
  }

  private codesOf(i: number): readonly number[] | undefined {
    const vc = this.valueCodes[i];
    if (vc === undefined) return undefined;
    if (this.dictionary === undefined) {
      const saved = this.restoredCodes?.[i];
      if (saved) return saved;
      return vc.resolve(undefined);
    }
    return vc.resolve(this.dictionary ?? undefined);
  }

  /** What a checkpoint needs to name histogram values before the next batch arrives (codes per output). */
  snapshot(): (number[] | null)[] {
    return this.outputs.map((_, i) => {
      if (this.valueCodes[i] === undefined) return null;
      if (this.dictionary === undefined) return this.restoredCodes?.[i] ?? null;
      return [...this.codesOf(i)!];
    });
  }

  restore(s: (number[] | null)[] | undefined): void {
    this.restoredCodes = s;
  }

  add(key: number, start: number, end: number, acc: Accumulator): void {
    this.keys.push(key);
    this.starts.push(start);
    this.ends.push(end);
    this.outputs.forEach((o, i) => {
      const cols = this.values[i]!;
      if (acc.count === 0 && o.default !== undefined) {
        for (const c of cols) c.push(o.default);
        return;
      }
      const r = acc.results(o, this.codesOf(i));
      cols.forEach((c, j) => c.push(r[j]!));
    });
  }

  get length(): number {
    return this.keys.length;
  }

  /** The rows gathered so far as a batch (and start afresh). */
  take(keySpace: KeySpace | undefined, watermark: number): Batch {
    const n = this.keys.length;
    const columns: Record<string, Column> = {};
    if (keySpace !== undefined) Object.assign(columns, keySpace.decode(Int32Array.from(this.keys)));
    columns.window_start = { type: 'timestamp', values: Float64Array.from(this.starts) };
    this.names.forEach((cols, i) => {
      cols.forEach((name, j) => {
        const vals = this.values[i]![j]!;
        const values = new Float64Array(n);
        let validity: Uint8Array | undefined;
        for (let r = 0; r < n; r++) {
          const v = vals[r]!;
          if (v === null) {
            validity ??= new Uint8Array((n + 7) >> 3).fill(0xff);
            validity[r >> 3]! &= ~(1 << (r & 7));
            values[r] = NaN;
          } else values[r] = v;
        }
        columns[name] = validity ? { type: 'float64', values, validity } : { type: 'float64', values };
      });
    });
    const batch: Batch = { length: n, time: Float64Array.from(this.ends), columns, watermark };
    this.keys = [];
    this.starts = [];
    this.ends = [];
    this.values = this.fresh();
    return batch;
  }
}
