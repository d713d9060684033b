import { tf } from './tf.js';

/**
 * What a model does to a raw set row before its first layer, saved with the model (preprocess.json)
 * so that inference repeats it exactly.
 */
export interface Preprocessing {
  /** The matrix columns the model reads, in its input order. */
  features: string[];
  /** Per feature: mean and std over the **training split only** (NaN skipped; std 1 when constant or empty). */
  mean: number[];
  std: number[];
  /** Features that get a 0/1 "was missing" input appended (those with a NaN in the training split), when indicators are on. */
  missingIndicators: string[];
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

/** How many inputs the model sees after preprocessing. */
export function inputWidth(p: Preprocessing): number {
  return p.features.length + p.missingIndicators.length;
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
