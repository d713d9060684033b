import type { Table } from 'apache-arrow';
import { featureMatrix } from '../../store/labels/featureMatrix.js';
import { SET_METADATA } from '../../store/labels/setMetadata.js';
import { MATRIX_COLUMN } from '../../store/labels/setTable.js';
import { tf } from './tf.js';
import { seededRandom } from '../seededRandom.js';

/** A feature-label set read for training: views over the Arrow table, nothing copied but the label and time (Float64 → their own arrays). */
export interface SetData {
  table: Table;
  /** The `features` matrix: a view of the FixedSizeList child buffer, row-major, NaN for null. */
  matrix: Float32Array;
  rows: number;
  width: number;
  /** Matrix column names, in order (from `tributary.matrix`). */
  columns: string[];
  labelName: string;
  /** Label per row, NaN for null (inference rows). */
  label: Float64Array;
  /** Row time, epoch ms (the spine's time column). */
  time: Float64Array;
  timeColumn: string;
  /** How far the label looks ahead, ms (horizon, or periods × period), when the metadata says. */
  labelSpanMs: number | undefined;
}

function json<T>(table: Table, key: string): T | undefined {
  const s = table.schema.metadata.get(key);
  return s === undefined ? undefined : (JSON.parse(s) as T);
}

/** A numeric column as a Float64Array, NaN for null: straight from each chunk's values and validity (no per-row Arrow access). */
function numbers(table: Table, name: string): Float64Array {
  const v = table.getChild(name);
  if (v === null) throw new Error(`the set has no column "${name}"`);
  const out = new Float64Array(table.numRows);
  let at = 0;
  for (const d of v.data) {
    const values = d.values as unknown;
    const valid = d.nullCount > 0 ? d.nullBitmap : undefined;
    if (values instanceof Float64Array || values instanceof BigInt64Array || values instanceof Int32Array) {
      for (let i = 0; i < d.length; i++) {
        const j = d.offset + i;
        out[at + i] = valid !== undefined && ((valid[j >> 3]! >> (j & 7)) & 1) === 0 ? NaN : Number(values[i]!);
      }
    } else {
      for (let i = 0; i < d.length; i++) {
        const x = v.get(at + i) as unknown;
        out[at + i] = x === null || x === undefined ? NaN : Number(x);
      }
    }
    at += d.length;
  }
  return out;
}

/**
 * Read a feature-label set (as `tributary label` writes it) for training. The matrix is the Arrow
 * buffer itself. The feature list is the matrix's own column list; the label is the set's label
 * column, and it is refused as a feature (by name).
 *
 * @example
 * const set = readSet(tableFromIPC(readFileSync('.tributary/payments/sets/fraud_7d.arrow')));
 * set.columns; // ['failed_logins_10m', ...]; set.labelName === 'fraud_7d'
 * @throws Error when the table is not a set, or lists its label among its features
 */
export function readSet(table: Table): SetData {
  const { data, rows, width } = featureMatrix(table, MATRIX_COLUMN);
  const matrixMeta = json<{ columns: string[] }>(table, SET_METADATA.matrix);
  const labelMeta = json<{ name: string; horizon_ms: number | null; period_ms: number | null; periods: number | null }>(table, SET_METADATA.label);
  const spine = json<{ time_column: string }>(table, SET_METADATA.spine);
  if (matrixMeta === undefined || labelMeta === undefined || spine === undefined) throw new Error('the table is not a feature-label set (its tributary.* metadata is missing)');
  const columns = matrixMeta.columns;
  if (columns.length !== width) throw new Error(`the matrix is ${width} wide but its metadata lists ${columns.length} columns`);
  const labelName = labelMeta.name;
  if (columns.includes(labelName)) throw new Error(`the set lists its label "${labelName}" among its features: a label is never an input`);
  const labelSpanMs = labelMeta.horizon_ms ?? (labelMeta.period_ms !== null && labelMeta.periods !== null ? labelMeta.period_ms * labelMeta.periods : undefined);
  return {
    table,
    matrix: data,
    rows,
    width,
    columns,
    labelName,
    label: numbers(table, labelName),
    time: numbers(table, spine.time_column),
    timeColumn: spine.time_column,
    labelSpanMs: labelSpanMs ?? undefined,
  };
}

/**
 * The set as tensors: `x` is `[rows, width]` over the matrix itself (on the CPU backend the
 * tensor's data **is** the Arrow child Float32Array, no copy; the wasm backend copies it into its
 * heap), `y` the label as float32 (a copy of the Float64 column, rows × 4 bytes).
 *
 * @example
 * const { x, y } = toTensors(readSet(table)); // x.shape: [rows, width]
 */
export function toTensors(set: SetData): { x: tf.Tensor2D; y: tf.Tensor1D } {
  const x = tf.tensor2d(set.matrix, [set.rows, set.width], 'float32');
  const y = tf.tensor1d(Float32Array.from(set.label), 'float32');
  return { x, y };
}

/** A train/validation split by time: row indices of each side, and the cut. */
export interface TimeSplit {
  train: Int32Array;
  validation: Int32Array;
  /** Validation rows have time >= cutoff; training rows time + embargo < cutoff. */
  cutoffMs: number;
  /** Training rows left out because their label window reached into the validation period. */
  embargoed: number;
}

/**
 * Split rows by time, never at random: the last `validationFraction` of the rows (by time) are
 * held out. Rows at the cut's timestamp all go to validation, and a training row whose label
 * window `(t, t + labelSpanMs]` reaches the cut is dropped (the embargo), so no training label
 * looks at the validation period. Rows with a null label are in neither side.
 *
 * @example
 * const { train, validation } = timeSplit(set.time, set.label, 0.2, set.labelSpanMs);
 */
export function timeSplit(time: Float64Array, label: Float64Array, validationFraction = 0.2, labelSpanMs = 0): TimeSplit {
  const labelled: number[] = [];
  for (let i = 0; i < time.length; i++) if (!Number.isNaN(label[i]!)) labelled.push(i);
  labelled.sort((a, b) => time[a]! - time[b]! || a - b);
  if (labelled.length < 2) throw new Error(`a time split needs at least 2 labelled rows, got ${labelled.length}`);
  const at = Math.min(labelled.length - 1, Math.max(1, Math.floor(labelled.length * (1 - validationFraction))));
  const cutoffMs = time[labelled[at]!]!;
  const train: number[] = [];
  const validation: number[] = [];
  let embargoed = 0;
  for (const i of labelled) {
    const t = time[i]!;
    if (t >= cutoffMs) validation.push(i);
    else if (t + labelSpanMs >= cutoffMs) embargoed++;
    else train.push(i);
  }
  if (train.length === 0) throw new Error('the time split left no training rows (too few rows, or a label horizon as long as the data)');
  return { train: Int32Array.from(train), validation: Int32Array.from(validation), cutoffMs, embargoed };
}


/** A Fisher–Yates shuffle of a copy of `rows` (row indices; the data never moves). */
export function permute(rows: Int32Array, random: () => number): Int32Array {
  const p = rows.slice();
  for (let i = p.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

export interface BatchOptions {
  batchSize?: number;
  /** Shuffle the rows every epoch (a new permutation of indices each time). Default true. */
  shuffle?: boolean;
  seed?: number;
  /** Applied to each batch's raw rows before it is yielded (standardisation...). Ignored when `toInputs` is given. */
  transform?: (x: tf.Tensor2D) => tf.Tensor2D;
  /** Categorical inputs of every row, `[rows, categoricals]` int32 vocabulary indices; gathered like `x`. */
  codes?: tf.Tensor2D;
  /** Each batch's raw rows and codes → the model's inputs (see `modelInputsFn`); several inputs yield `xs` as an array. */
  toInputs?: (x: tf.Tensor2D, codes: tf.Tensor2D | undefined) => tf.Tensor[];
}

/**
 * A `tf.data` dataset of `{ xs, ys }` batches over `rows` of the set. The full matrix stays one
 * tensor (`x`, zero-copy on CPU); each batch is `tf.gather(x, indices)`, which copies that batch's
 * rows (batch × width floats) and nothing else. Shuffling permutes the index array only. Each
 * iteration (epoch) draws a new permutation.
 *
 * With `codes` (categorical indices per row) and `toInputs` (see `modelInputsFn`), each batch's
 * `xs` are the model's inputs: the codes are gathered with the same indices.
 *
 * @example
 * const ds = batchDataset(x, y, split.train, { batchSize: 256 });
 * await model.fitDataset(ds, { epochs: 5 });
 * const withCategories = batchDataset(x, y, split.train, { codes, toInputs: modelInputsFn(meta.preprocessing) });
 */
export function batchDataset(x: tf.Tensor2D, y: tf.Tensor, rows: Int32Array, opts?: BatchOptions & { toInputs?: undefined }): tf.data.Dataset<{ xs: tf.Tensor2D; ys: tf.Tensor }>;
export function batchDataset(x: tf.Tensor2D, y: tf.Tensor, rows: Int32Array, opts: BatchOptions): tf.data.Dataset<{ xs: tf.Tensor2D | tf.Tensor[]; ys: tf.Tensor }>;
export function batchDataset(x: tf.Tensor2D, y: tf.Tensor, rows: Int32Array, opts: BatchOptions = {}): tf.data.Dataset<{ xs: tf.Tensor2D | tf.Tensor[]; ys: tf.Tensor }> {
  const batchSize = opts.batchSize ?? 256;
  const random = seededRandom(opts.seed ?? 1);
  return tf.data.generator(function* () {
    const order = opts.shuffle === false ? rows : permute(rows, random);
    for (let at = 0; at < order.length; at += batchSize) {
      const idx = order.subarray(at, Math.min(order.length, at + batchSize));
      const batch = tf.tidy(() => {
        const i = tf.tensor1d(idx, 'int32');
        const raw = tf.gather(x, i) as tf.Tensor2D;
        if (opts.toInputs !== undefined) {
          const inputs = opts.toInputs(raw, opts.codes && (tf.gather(opts.codes, i) as tf.Tensor2D));
          return { xs: inputs.length === 1 ? inputs[0]! : inputs, ys: tf.gather(y, i) };
        }
        return { xs: opts.transform ? opts.transform(raw) : raw, ys: tf.gather(y, i) };
      });
      yield batch;
    }
  }) as unknown as tf.data.Dataset<{ xs: tf.Tensor2D | tf.Tensor[]; ys: tf.Tensor }>;
}
