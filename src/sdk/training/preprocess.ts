import { categoryCount, type CategoricalEncoding } from './categorical.js';
import { tf } from './tf.js';

/**
 * What a model does to a raw set row before its first layer, saved with the model (the
 * `preprocessing` of `model-meta.json`) so that `tributary infer` and live scoring repeat it exactly.
 */
export interface Preprocessing {
  /** The matrix columns the model reads, in its input order. */
  features: string[];
  /** Per feature: mean and std over the **training split only** (NaN skipped; std 1 when constant or empty). */
  mean: number[];
  std: number[];
  /** Features that get a 0/1 "was missing" input appended (those with a NaN in the training split), when indicators are on. */
  missingIndicators: string[];
  /**
   * Categorical inputs (string columns of the set beside the matrix), in model input order, each with
   * its vocabulary from the training split. Absent in models saved before categorical inputs: none.
   */
  categorical?: CategoricalEncoding[];
}

/**
 * Fit standardisation on the training rows of a row-major matrix (one pass; nothing copied).
 *
 * @example
 * const prep = fitPreprocessing(set.matrix, set.width, set.columns, split.train, { missingIndicators: true });
 */
export function fitPreprocessing(matrix: Float32Array, width: number, columns: readonly string[], trainRows: Int32Array, opts: { missingIndicators?: boolean } = {}): Preprocessing {
  const n = new Float64Array(width);
  const sum = new Float64Array(width);
  const missing = new Float64Array(width);
  for (const r of trainRows) {
    const base = r * width;
    for (let j = 0; j < width; j++) {
      const v = matrix[base + j]!;
      if (Number.isNaN(v)) missing[j]!++;
      else (n[j]!++, (sum[j]! += v));
    }
  }
  const mean = Array.from(sum, (s, j) => (n[j]! > 0 ? s / n[j]! : 0));
  const ss = new Float64Array(width);
  for (const r of trainRows) {
    const base = r * width;
    for (let j = 0; j < width; j++) {
      const v = matrix[base + j]!;
      if (!Number.isNaN(v)) ss[j]! += (v - mean[j]!) ** 2;
    }
  }
  const std = Array.from(ss, (s, j) => {
    const sd = n[j]! > 1 ? Math.sqrt(s / (n[j]! - 1)) : 0;
    return sd > 1e-12 && Number.isFinite(sd) ? sd : 1;
  });
  return {
    features: [...columns],
    mean,
    std,
    missingIndicators: opts.missingIndicators ? columns.filter((_, j) => missing[j]! > 0) : [],
  };
}

/**
 * How wide the model's dense input is: standardised features, missing indicators, then one one-hot
 * block (vocabulary + OOV) per one-hot categorical. Embedded categoricals are separate inputs.
 */
export function inputWidth(p: Preprocessing): number {
  let w = p.features.length + p.missingIndicators.length;
  for (const c of p.categorical ?? []) if (c.encoding === 'onehot') w += categoryCount(c);
  return w;
}

/**
 * The preprocessing as a tensor function over raw rows `[batch, features]`: standardise, then
 * NaN (null) → 0, i.e. the training mean, then append the missing indicators. Allocates the
 * batch's outputs only (inside `tf.tidy`).
 */
export function preprocessFn(p: Preprocessing): PreprocessFn {
  const mean = tf.keep(tf.tensor1d(p.mean, 'float32'));
  const std = tf.keep(tf.tensor1d(p.std, 'float32'));
  const indicatorCols = p.missingIndicators.map((c) => p.features.indexOf(c));
  const indicatorIdx = indicatorCols.length > 0 ? tf.keep(tf.tensor1d(indicatorCols, 'int32')) : undefined;
  const fn = (x: tf.Tensor2D): tf.Tensor2D =>
    tf.tidy(() => {
      const nan = tf.isNaN(x);
      const z = tf.where(nan, tf.zerosLike(x), tf.div(tf.sub(x, mean), std)) as tf.Tensor2D;
      if (indicatorIdx === undefined) return z;
      return tf.concat([z, tf.cast(tf.gather(nan, indicatorIdx, 1), 'float32')], 1) as tf.Tensor2D;
    });
  return Object.assign(fn, {
    dispose: () => {
      mean.dispose();
      std.dispose();
      indicatorIdx?.dispose();
    },
  });
}

/** A preprocessing function over batches; `dispose()` frees its constant tensors. */
export type PreprocessFn = ((x: tf.Tensor2D) => tf.Tensor2D) & { dispose(): void };

/**
 * Raw batch → the model's inputs: `x` is `[batch, features]` (raw values, model order, NaN for
 * null) and `codes` `[batch, categoricals]` int32 vocabulary indices (0 = OOV), in the order of
 * `p.categorical`. Returns the dense input (preprocessed numbers, then each one-hot block) followed
 * by one `[batch, 1]` index tensor per embedded categorical: the model's input order.
 */
export type ModelInputsFn = ((x: tf.Tensor2D, codes: tf.Tensor2D | undefined) => tf.Tensor[]) & { dispose(): void };

/**
 * The whole preprocessing, numbers and categories, as one tensor function (see `ModelInputsFn`).
 *
 * @example
 * const toInputs = modelInputsFn(meta.preprocessing);
 * const p = model.predict(toInputs(x, codes)) as tf.Tensor; // inside tf.tidy
 * toInputs.dispose();
 */
export function modelInputsFn(p: Preprocessing): ModelInputsFn {
  const numeric = preprocessFn(p);
  const cats = p.categorical ?? [];
  const fn = (x: tf.Tensor2D, codes: tf.Tensor2D | undefined): tf.Tensor[] =>
    tf.tidy(() => {
      if (cats.length === 0) return [numeric(x)];
      if (codes === undefined || codes.shape[1] !== cats.length) throw new Error(`the model reads ${cats.length} categorical inputs (${cats.map((c) => c.column).join(', ')}); got ${codes?.shape[1] ?? 0}`);
      const dense: tf.Tensor2D[] = [numeric(x)];
      const embedded: tf.Tensor[] = [];
      cats.forEach((c, j) => {
        const idx = tf.slice(codes, [0, j], [-1, 1]) as tf.Tensor2D;
        if (c.encoding === 'onehot') dense.push(tf.oneHot(tf.reshape(idx, [-1]) as tf.Tensor1D, categoryCount(c)).toFloat() as tf.Tensor2D);
        else embedded.push(idx);
      });
      return [dense.length === 1 ? dense[0]! : tf.concat(dense, 1), ...embedded];
    });
  return Object.assign(fn, { dispose: () => numeric.dispose() });
}

/**
 * Column indices of `p.features` in a set's matrix columns, so a model reads a set whose columns
 * come in another order (or has more).
 * @throws Error when the set lacks a feature the model was trained on
 */
export function columnOrder(p: Preprocessing, setColumns: readonly string[]): number[] {
  return p.features.map((f) => {
    const j = setColumns.indexOf(f);
    if (j < 0) throw new Error(`the set has no feature column "${f}", which the model was trained on`);
    return j;
  });
}
