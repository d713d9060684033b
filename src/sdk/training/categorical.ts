import type { Table } from 'apache-arrow';
import { columnFromArrow } from '../../pipelines/data/arrow.js';
import type { Column, DictColumn } from '../../pipelines/data/column.js';
import type { Dictionary } from '../../pipelines/data/dictionary.js';

/** How a categorical input reaches the model: a one-hot block of the dense input, or a learnt embedding. */
export type CategoricalKind = 'onehot' | 'embedding';

/**
 * A categorical input as saved with the model (in `model-meta.json`, `preprocessing.categorical`).
 * Index 0 is the out-of-vocabulary slot: a value not in `vocabulary` (unseen at training, or too
 * rare to make the top `maxCategories`), and null. Index `i + 1` is `vocabulary[i]`.
 */
export interface CategoricalEncoding {
  column: string;
  encoding: CategoricalKind;
  /** The kept values, most frequent in the training split first (ties by value). */
  vocabulary: string[];
  /** Embedding: the vector size. */
  dimension?: number;
  /** Training rows per index: OOV first, then each vocabulary entry (for inspection). */
  counts: number[];
}

/** How to encode one column; everything but `column` has a default. */
export interface CategoricalSpec {
  column: string;
  /** `auto` (the default): one-hot up to `ONEHOT_LIMIT` kept values, an embedding above. */
  encoding?: CategoricalKind | 'auto';
  /** Keep at most this many values, the most frequent in the training split (default 100). */
  maxCategories?: number;
  /** A value seen on fewer training rows than this goes to the OOV slot (default 1). */
  minCount?: number;
  /** Embedding size (default `min(16, ceil(sqrt(vocabulary + 1)))`). */
  dimension?: number;
}

export const DEFAULT_MAX_CATEGORIES = 100;
/** `auto` one-hot encodes vocabularies up to this size; larger ones get an embedding. */
export const ONEHOT_LIMIT = 16;
/** The out-of-vocabulary index. */
export const OOV = 0;

/**
 * Learn a column's vocabulary from the **training rows only**: count each value on those rows, keep
 * those seen at least `minCount` times, the `maxCategories` most frequent (ties by value, so the
 * result does not depend on dictionary order), then choose the encoding.
 *
 * @example
 * const enc = fitCategorical(categoryColumn(set, 'merchant_bucket'), split.train, { column: 'merchant_bucket' });
 * enc.vocabulary; // ['grocery', 'restaurants', ...]; enc.encoding === 'onehot'
 */
export function fitCategorical(col: DictColumn, trainRows: Int32Array, spec: CategoricalSpec): CategoricalEncoding {
  const maxCategories = spec.maxCategories ?? DEFAULT_MAX_CATEGORIES;
  const minCount = spec.minCount ?? 1;
  if (!(Number.isInteger(maxCategories) && maxCategories >= 1)) throw new Error(`categorical "${spec.column}": maxCategories must be a positive integer, got ${maxCategories}`);
  const dict = col.dictionary;
  const perCode = new Float64Array(dict.size);
  const v = col.validity;
  for (const r of trainRows) {
    if (v !== undefined && ((v[r >> 3]! >> (r & 7)) & 1) === 0) continue;
    const code = col.codes[r]!;
    if (code >= 0 && code < perCode.length) perCode[code]!++;
  }
  // Two codes may stand for one string (a numeric dictionary value and its text): merge by text.
  const byValue = new Map<string, number>();
  for (let c = 0; c < perCode.length; c++) {
    if (perCode[c] === 0) continue;
    const value = String(dict.decode(c));
    byValue.set(value, (byValue.get(value) ?? 0) + perCode[c]!);
  }
  const kept = [...byValue].filter(([, n]) => n >= minCount).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).slice(0, maxCategories);
  const total = trainRows.length;
  const inVocabulary = kept.reduce((s, [, n]) => s + n, 0);
  const vocabulary = kept.map(([value]) => value);
  const requested = spec.encoding ?? 'auto';
  const encoding: CategoricalKind = requested === 'auto' ? (vocabulary.length <= ONEHOT_LIMIT ? 'onehot' : 'embedding') : requested;
  if (encoding !== 'onehot' && encoding !== 'embedding') throw new Error(`categorical "${spec.column}": encoding "${String(requested)}": write onehot, embedding or auto`);
  return {
    column: spec.column,
    encoding,
    vocabulary,
    ...(encoding === 'embedding' && { dimension: spec.dimension ?? Math.min(16, Math.ceil(Math.sqrt(vocabulary.length + 1))) }),
    counts: [total - inVocabulary, ...kept.map(([, n]) => n)],
  };
}

/** How many indices an encoding has: the vocabulary plus the OOV slot. */
export function categoryCount(e: CategoricalEncoding): number {
  return e.vocabulary.length + 1;
}

/**
 * A string column of a set table as a dictionary column (a view of the Arrow indices; the dictionary
 * is read once). Sets carry their key columns dictionary-encoded.
 * @throws Error when the table has no such column, or it holds numbers
 */
export function categoryColumn(table: Table, name: string): DictColumn {
  const vector = table.getChild(name);
  if (vector === null) throw new Error(`the set has no column "${name}" for a categorical input (its columns: ${table.schema.fields.map((f) => f.name).join(', ')})`);
  const col: Column = columnFromArrow(vector);
  if (col.type !== 'dictionary') throw new Error(`column "${name}" holds numbers, not categories: a categorical input is a string column`);
  return col;
}

/**
 * Maps dictionary codes to vocabulary indices. Each dictionary entry is looked up once (a string
 * hash per distinct value, never per row); rows then go through an Int32Array. A dictionary that
 * grew since (a live run's running dictionary) has only its new entries translated.
 */
export class CategoryIndexer {
  private readonly index: Map<string, number>;
  private readonly maps = new WeakMap<Dictionary, Int32Array>();

  constructor(readonly encoding: CategoricalEncoding) {
    this.index = new Map(encoding.vocabulary.map((v, i) => [v, i + 1]));
  }

  /** The vocabulary index of every row of `col` (OOV for unknown and null), into `out[row * stride + offset]`. */
  encode(col: DictColumn, rows: number, out: Int32Array, stride = 1, offset = 0): void {
    const map = this.mapFor(col.dictionary);
    const codes = col.codes;
    const v = col.validity;
    for (let i = 0, p = offset; i < rows; i++, p += stride) {
      const code = codes[i]!;
      const valid = v === undefined || ((v[i >> 3]! >> (i & 7)) & 1) === 1;
      out[p] = valid && code >= 0 && code < map.length ? map[code]! : OOV;
    }
  }

  private mapFor(dict: Dictionary): Int32Array {
    let map = this.maps.get(dict);
    if (map !== undefined && map.length === dict.size) return map;
    const next = new Int32Array(dict.size);
    const known = map?.length ?? 0;
    if (map !== undefined) next.set(map);
    for (let c = known; c < dict.size; c++) next[c] = this.index.get(String(dict.decode(c))) ?? OOV;
    this.maps.set(dict, next);
    return next;
  }
}

/**
 * Every categorical input of `rows` rows as one row-major Int32Array `[rows, encodings.length]` of
 * vocabulary indices, in the order of `encodings` (the model's input order).
 *
 * @example
 * const codes = encodeCategories(indexers, [merchantBucket], set.rows); // codes[r * 1 + 0]: 0 = OOV
 */
export function encodeCategories(indexers: readonly CategoryIndexer[], columns: readonly DictColumn[], rows: number): Int32Array {
  const width = indexers.length;
  const out = new Int32Array(rows * width);
  indexers.forEach((ix, j) => ix.encode(columns[j]!, rows, out, width, j));
  return out;
}
