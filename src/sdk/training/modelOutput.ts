import { CategoryIndexer } from './categorical.js';
import type { ModelMeta } from './model.js';
import { modelInputsFn, type ModelInputsFn } from './preprocess.js';
import { tf } from './tf.js';

/**
 * A saved model ready to score raw rows: its preprocessing as a tensor function, and one indexer
 * per categorical input. Every scoring path (validation, `tributary infer`, live scoring) goes
 * through `outputsOf`, so they all apply the same preprocessing.
 */
export interface Scoring {
  model: tf.LayersModel;
  meta: ModelMeta;
  toInputs: ModelInputsFn;
  indexers: CategoryIndexer[];
  /** Output values per row: the class count for multiclass, else 1. */
  width: number;
  dispose(): void;
}

/**
 * Prepare a model for scoring. Call `dispose()` when done (frees the preprocessing constants).
 * @example
 * const s = scoringFor(model, meta);
 * const out = outputsOf(s, x, codes); // Float32Array
 * s.dispose();
 */
export function scoringFor(model: tf.LayersModel, meta: ModelMeta): Scoring {
  const toInputs = modelInputsFn(meta.preprocessing);
  return {
    model,
    meta,
    toInputs,
    indexers: (meta.preprocessing.categorical ?? []).map((c) => new CategoryIndexer(c)),
    width: meta.task === 'multiclass' ? meta.classes!.length : 1,
    dispose: () => toInputs.dispose(),
  };
}

/**
 * The model's outputs for raw rows, row-major, in label units: `x` is `[rows, features]` (raw values
 * in the model's feature order, NaN for null), `codes` `[rows, categoricals]` vocabulary indices.
 * A probability per row (binary), per row and class (multiclass), or the value (regression).
 */
export function outputsOf(s: Scoring, x: tf.Tensor2D, codes: tf.Tensor2D | undefined): Float32Array {
  const p = tf.tidy(() => {
    const inputs = s.toInputs(x, codes);
    return s.model.predict(inputs.length === 1 ? inputs[0]! : inputs) as tf.Tensor;
  });
  const out = p.dataSync() as Float32Array;
  p.dispose();
  const meta = s.meta;
  if (meta.task === 'regression') for (let i = 0; i < out.length; i++) out[i] = out[i]! * meta.labelStd! + meta.labelMean!;
  return out;
}

/** What a model says about each row, in the columns predictions are written with. */
export interface Predictions {
  /** Binary: P(label = 1); multiclass: the most likely class; regression: the value. */
  prediction: Float64Array;
  /** The model's confidence in `prediction`: P(label = 1) for binary, the top class's probability for multiclass, the value for regression. */
  score: Float32Array;
  /** Multiclass: the probability of each class (`p_<class>`), in `meta.classes` order. */
  perClass?: Float32Array[];
}

/**
 * The prediction columns from row-major model outputs (see `outputsOf`).
 * @example
 * const { prediction, score } = predictionsOf(meta, outputsOf(s, x, codes), rows);
 */
export function predictionsOf(meta: ModelMeta, outputs: Float32Array, rows: number): Predictions {
  if (meta.task !== 'multiclass') return { prediction: Float64Array.from(outputs), score: outputs };
  const classes = meta.classes!;
  const k = classes.length;
  const prediction = new Float64Array(rows);
  const score = new Float32Array(rows);
  const perClass = classes.map(() => new Float32Array(rows));
  for (let i = 0; i < rows; i++) {
    let best = 0;
    for (let j = 0; j < k; j++) {
      const p = outputs[i * k + j]!;
      perClass[j]![i] = p;
      if (p > outputs[i * k + best]!) best = j;
    }
    prediction[i] = classes[best]!;
    score[i] = outputs[i * k + best]!;
  }
  return { prediction, score, perClass };
}
