import type { Batch } from '../../pipelines/data/batch.js';
import type { ModelMeta } from './model.js';
import { outputsOf, scoringFor, type Scoring } from './modelOutput.js';
import { tf } from './tf.js';

/**
 * Scores batches of feature rows with a trained model: one `predict` per batch, never per row. The
 * batch holds a column per model feature (numbers, null as null) and per categorical input (a string
 * column); other columns are ignored. The saved preprocessing is applied as `tributary infer` applies
 * it (`outputsOf`): the same standardisation, missing indicators, vocabularies and OOV slot, so a
 * value never seen in training scores through the OOV slot instead of failing.
 *
 * Pure: no I/O, no state between batches. The model and its preprocessing constants stay loaded
 * until `dispose()`.
 *
 * @example
 * const { model, meta } = await loadModel('.tributary/payments/models/fraud_7d-logistic');
 * const scorer = new LiveScorer(model, meta);
 * const scores = scorer.score(featureRows); // Float32Array: P(fraud) per row
 * scorer.dispose();
 */
export class LiveScorer {
  private readonly s: Scoring;

  constructor(model: tf.LayersModel, meta: ModelMeta) {
    this.s = scoringFor(model, meta);
  }

  get meta(): ModelMeta {
    return this.s.meta;
  }

  /** Values per row in `score`'s output: the class count for multiclass, else 1. */
  get width(): number {
    return this.s.width;
  }

  /**
   * The model's outputs for every row of `b`, row-major: P(label = 1) (binary), one probability per
   * class in `meta.classes` order (multiclass), or the value in label units (regression).
   * @throws Error when a feature or categorical column the model reads is missing, or has the wrong kind
   */
  score(b: Batch): Float32Array {
    const rows = b.length;
    if (rows === 0) return new Float32Array(0);
    const p = this.s.meta.preprocessing;
    const width = p.features.length;
    // Row-major raw matrix in the model's feature order, null as NaN: what the set's matrix holds.
    const x = new Float32Array(rows * width);
    p.features.forEach((name, j) => {
      const c = b.columns[name];
      if (c === undefined) throw new Error(`the feature rows have no column "${name}", which the model was trained on`);
      if (c.type === 'dictionary') throw new Error(`feature "${name}" is a string column; the model reads it as a number`);
      const v = c.validity;
      const values = c.values;
      for (let i = 0, at = j; i < rows; i++, at += width) x[at] = v !== undefined && ((v[i >> 3]! >> (i & 7)) & 1) === 0 ? NaN : values[i]!;
    });
    const cats = p.categorical ?? [];
    let codes: Int32Array | undefined;
    if (cats.length > 0) {
      codes = new Int32Array(rows * cats.length);
      cats.forEach((enc, j) => {
        const c = b.columns[enc.column];
        if (c === undefined) throw new Error(`the feature rows have no column "${enc.column}", a categorical input of the model`);
        if (c.type !== 'dictionary') throw new Error(`categorical input "${enc.column}" holds numbers; the model reads it as categories`);
        this.s.indexers[j]!.encode(c, rows, codes!, cats.length, j);
      });
    }
    const xt = tf.tensor2d(x, [rows, width], 'float32');
    const ct = codes && tf.tensor2d(codes, [rows, cats.length], 'int32');
    try {
      return outputsOf(this.s, xt, ct);
    } finally {
      xt.dispose();
      ct?.dispose();
    }
  }

  dispose(): void {
    this.s.dispose();
  }
}
