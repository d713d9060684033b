import type { Table } from 'apache-arrow';
import { dictColumn, float64Column } from '../../../../src/pipelines/data/column.js';
import { Dictionary } from '../../../../src/pipelines/data/dictionary.js';
import { seededRandom } from '../../../../src/sdk/seededRandom.js';
import { buildFeatureMatrix } from '../../../../src/store/labels/featureMatrix.js';
import { SET_METADATA } from '../../../../src/store/labels/setMetadata.js';
import { setTable } from '../../../../src/store/labels/setTable.js';

export interface SyntheticOptions {
  rows?: number;
  /** Add a feature column that is a copy of the label under this name. */
  labelCopy?: string;
  /** List the label's own name among the matrix columns in the metadata (a corrupt or hand-made set). */
  labelInMatrixMetadata?: boolean;
  /** Rows whose label is null (an inference set's tail). */
  nullLabelTail?: number;
  seed?: number;
  /**
   * Add a string column `cat` (carried like a key column, as sets carry string columns) with this
   * many values `c0`, `c1`, ..., drawn at random; with `categoryEffect`, value ci shifts the label's
   * score by ±`categoryEffect` (even i up, odd i down).
   */
  categories?: number;
  categoryEffect?: number;
  /** With `categories`: rows in the last 10% of the time get this value instead (never seen in training). */
  lateOnlyCategory?: string;
  /** Add a string column with the label in words ('yes'/'no'): a label copy a categorical input must not be. */
  labelText?: string;
  /** Add a string column of unique row ids (a high-cardinality id). */
  rowIds?: string;
}

/**
 * A feature-label set built by the labelers' own `setTable`: key `k` (8 keys), time `ts` one minute
 * apart, features `a` (signal: label = a + noise > 0), `b` (noise, 10% null), and label `y` (0/1) with
 * a 5-minute look-ahead in its metadata.
 */
export function syntheticSet(opts: SyntheticOptions = {}): Table {
  const rows = opts.rows ?? 2000;
  const rnd = seededRandom(opts.seed ?? 7);
  const time = Float64Array.from({ length: rows }, (_, i) => Date.UTC(2024, 0, 1) + i * 60_000);
  const a = new Float64Array(rows);
  const b = new Float64Array(rows);
  const bValid = new Uint8Array((rows + 7) >> 3).fill(0xff);
  const y = new Float64Array(rows);
  const yValid = new Uint8Array((rows + 7) >> 3).fill(0xff);
  const catDict = new Dictionary(Array.from({ length: opts.categories ?? 0 }, (_, c) => `c${c}`));
  const cat = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    a[i] = 3 * (rnd() - 0.5) + 10;
    b[i] = 100 * rnd();
    if (rnd() < 0.1) (bValid[i >> 3]! &= ~(1 << (i & 7))), (b[i] = NaN);
    let shift = 0;
    if (opts.categories !== undefined) {
      cat[i] = Math.floor(rnd() * opts.categories);
      shift = (cat[i]! % 2 === 0 ? 1 : -1) * (opts.categoryEffect ?? 0);
      if (opts.lateOnlyCategory !== undefined && i >= rows * 0.9 && rnd() < 0.3) cat[i] = catDict.encode(opts.lateOnlyCategory);
    }
    y[i] = a[i]! - 10 + shift + (rnd() - 0.5) > 0 ? 1 : 0;
    if (opts.nullLabelTail !== undefined && i >= rows - opts.nullLabelTail) (yValid[i >> 3]! &= ~(1 << (i & 7))), (y[i] = NaN);
  }
  const dict = new Dictionary(['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7']);
  const keys = dictColumn(Int32Array.from({ length: rows }, (_, i) => i % 8), dict);
  const features: [string, ReturnType<typeof float64Column>][] = [
    ['a', float64Column(a)],
    ['b', float64Column(b, bValid)],
  ];
  if (opts.labelCopy !== undefined) features.push([opts.labelCopy, float64Column(y.slice(), yValid.slice())]);
  const label = float64Column(y, yValid);
  const matrix = buildFeatureMatrix(features.map(([, c]) => c), rows);
  const columns = features.map(([n]) => n);
  const keyColumns: [string, ReturnType<typeof dictColumn>][] = [['k', keys]];
  if (opts.categories !== undefined) keyColumns.push(['cat', dictColumn(cat, catDict)]);
  if (opts.labelText !== undefined) {
    const words = new Dictionary(['no', 'yes']);
    keyColumns.push([opts.labelText, dictColumn(Int32Array.from(y, (v) => (v === 1 ? 1 : 0)), words)]);
  }
  if (opts.rowIds !== undefined) {
    const ids = new Dictionary(Array.from({ length: rows }, (_, i) => `r${i}`));
    keyColumns.push([opts.rowIds, dictColumn(Int32Array.from({ length: rows }, (_, i) => i), ids)]);
  }
  const metadata: Record<string, string> = {
    [SET_METADATA.set]: 'synthetic',
    [SET_METADATA.featureSet]: 'synthetic',
    [SET_METADATA.spine]: JSON.stringify({ name: 'events', kind: 'source', time_column: 'ts', key: ['k'] }),
    [SET_METADATA.label]: JSON.stringify({ name: 'y', kind: 'lookahead', horizon_ms: 5 * 60_000, period_ms: null, periods: null }),
    [SET_METADATA.matrix]: JSON.stringify({ column: 'features', width: columns.length, columns: opts.labelInMatrixMetadata ? [...columns.slice(0, -1), 'y'] : columns }),
  };
  return setTable({ keys: keyColumns, timeColumn: 'ts', time, features, label: ['y', label], matrix, metadata });
}
