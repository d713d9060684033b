import type { DictColumn } from '../../pipelines/data/column.js';
import { batchDataset, timeSplit, toTensors, type SetData, type TimeSplit } from './bridge.js';
import { categoryColumn, categoryCount, CategoryIndexer, encodeCategories, fitCategorical, type CategoricalEncoding, type CategoricalSpec } from './categorical.js';
import * as M from './metrics.js';
import { buildModel, type ModelKind, type ModelMeta, type Task } from './model.js';
import { outputsOf, scoringFor } from './modelOutput.js';
import { columnOrder, fitPreprocessing, inputWidth, modelInputsFn, type Preprocessing } from './preprocess.js';
import { tf } from './tf.js';

export interface TrainOptions {
  model?: ModelKind;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  /** Share of the labelled rows, the latest in time, held out (default 0.2). */
  validationFraction?: number;
  /** Append a 0/1 "was missing" input per feature with nulls in training (default true). */
  missingIndicators?: boolean;
  /** Default: binary for 0/1 labels, multiclass for at most 10 distinct integer labels, else regression. */
  task?: Task;
  /**
   * String columns of the set to use as categorical inputs (beside the numeric matrix), each one-hot
   * encoded or embedded over a vocabulary learnt from the training split (see categorical.ts).
   * Default: none. A column name alone means every default (`{ column }`).
   */
  categorical?: (string | CategoricalSpec)[];
  hidden?: number[];
  seed?: number;
  onEpoch?: (e: EpochLog) => void;
}

export interface EpochLog {
  epoch: number;
  loss: number;
  valLoss: number;
}

/** Held-out metrics; which ones depends on the task. */
export interface Metrics {
  auc?: number;
  accuracy?: number;
  logLoss?: number;
  rmse?: number;
}

export interface TrainResult {
  model: tf.LayersModel;
  meta: ModelMeta;
  task: Task;
  split: { train: number; validation: number; embargoed: number; cutoffMs: number };
  history: EpochLog[];
  metrics: Metrics;
  /** The naive baseline on the same held-out rows: training base rate / class frequencies / mean. */
  baseline: Metrics;
  /** binary and multiclass: held-out log-loss below the baseline's; regression: RMSE below it. */
  beatsBaseline: boolean;
  elapsedMs: number;
  /** Training rows × epochs per second of `fitDataset`. */
  rowsPerSecond: number;
}

function inferTask(label: Float64Array, rows: Int32Array): Task {
  const values = new Set<number>();
  for (const r of rows) {
    const v = label[r]!;
    if (!Number.isInteger(v)) return 'regression';
    values.add(v);
    if (values.size > 10) return 'regression';
  }
  if ([...values].every((v) => v === 0 || v === 1)) return 'binary';
  return 'multiclass';
}

/**
 * Refuse a feature that is the label under another name (equal on every training row): a label
 * copy planted among the features would otherwise be learnt perfectly.
 */
function checkLabelLeak(set: SetData, rows: Int32Array, categorical: readonly { column: string; codes: Int32Array; width: number; at: number; categories: number }[]): void {
  for (const c of categorical) checkCategoricalLeak(set, rows, c);
  for (let j = 0; j < set.width; j++) {
    let same = true;
    for (const r of rows) {
      if (set.matrix[r * set.width + j] !== Math.fround(set.label[r]!)) {
        same = false;
        break;
      }
    }
    if (same) throw new Error(`feature "${set.columns[j]}" equals the label "${set.labelName}" on every training row: a label is never an input`);
  }
}

/**
 * Refuse a categorical input that is the label in words: every index it takes on the training rows
 * (OOV included) has a single label value, and it takes more than one. A high-cardinality id does
 * not trip this, since its rare values share the OOV slot, whose labels are mixed.
 */
function checkCategoricalLeak(set: SetData, rows: Int32Array, c: { column: string; codes: Int32Array; width: number; at: number; categories: number }): void {
  // The one label value seen per index so far (NaN: none yet).
  const labelOf = new Float64Array(c.categories).fill(NaN);
  let used = 0;
  for (const r of rows) {
    const idx = c.codes[r * c.width + c.at]!;
    const y = set.label[r]!;
    const seen = labelOf[idx]!;
    if (Number.isNaN(seen)) (labelOf[idx] = y), used++;
    else if (seen !== y) return;
  }
  if (used > 1) throw new Error(`categorical input "${c.column}" determines the label "${set.labelName}" on every training row: a label is never an input`);
}

/** Targets per task: binary [n,1], multiclass one-hot [n,k], regression standardised [n,1]. NaN labels become 0 (never read: rows with null labels are not in either split). */
function targets(set: SetData, task: Task, classes: number[], labelMean: number, labelStd: number): tf.Tensor2D {
  if (task === 'multiclass') {
    const k = classes.length;
    const oh = new Float32Array(set.rows * k);
    for (let i = 0; i < set.rows; i++) {
      const c = classes.indexOf(set.label[i]!);
      if (c >= 0) oh[i * k + c] = 1;
    }
    return tf.tensor2d(oh, [set.rows, k]);
  }
  const y = new Float32Array(set.rows);
  for (let i = 0; i < set.rows; i++) {
    const v = set.label[i]!;
    y[i] = Number.isNaN(v) ? 0 : task === 'regression' ? (v - labelMean) / labelStd : v;
  }
  return tf.tensor2d(y, [set.rows, 1]);
}

/**
 * The categorical inputs of a set's rows as vocabulary indices, row-major `[rows, encodings]`, in
 * the model's order (empty when the model has none).
 * @throws Error when the set lacks a categorical column the model reads
 */
export function setCategoryCodes(set: SetData, encodings: readonly CategoricalEncoding[], indexers = encodings.map((e) => new CategoryIndexer(e))): Int32Array {
  const columns: DictColumn[] = encodings.map((e) => categoryColumn(set.table, e.column));
  return encodeCategories(indexers, columns, set.rows);
}

/**
 * Score rows of a set with a trained model: raw rows → preprocessing → model, in batches. Returns
 * row-major predictions: a probability per row (binary), per row and class (multiclass), or the
 * value in label units (regression).
 */
export function predictRows(model: tf.LayersModel, meta: ModelMeta, set: SetData, rows?: Int32Array, batchSize = 4096): Float32Array {
  const order = columnOrder(meta.preprocessing, set.columns);
  const identity = order.length === set.width && order.every((j, i) => j === i);
  const scoring = scoringFor(model, meta);
  const cats = meta.preprocessing.categorical ?? [];
  const all = rows ?? Int32Array.from({ length: set.rows }, (_, i) => i);
  const k = scoring.width;
  const out = new Float32Array(all.length * k);
  const x = tf.tensor2d(set.matrix, [set.rows, set.width]);
  const codes = cats.length > 0 ? tf.tensor2d(setCategoryCodes(set, cats, scoring.indexers), [set.rows, cats.length], 'int32') : undefined;
  const cols = identity ? undefined : tf.tensor1d(order, 'int32');
  try {
    for (let at = 0; at < all.length; at += batchSize) {
      const idx = all.subarray(at, Math.min(all.length, at + batchSize));
      const [raw, rawCodes] = tf.tidy(() => {
        const i = tf.tensor1d(idx, 'int32');
        let r = tf.gather(x, i) as tf.Tensor2D;
        if (cols) r = tf.gather(r, cols, 1) as tf.Tensor2D;
        return [r, codes && (tf.gather(codes, i) as tf.Tensor2D)] as const;
      });
      out.set(outputsOf(scoring, raw, rawCodes), at * k);
      raw.dispose();
      rawCodes?.dispose();
    }
  } finally {
    x.dispose();
    codes?.dispose();
    cols?.dispose();
    scoring.dispose();
  }
  return out;
}

function evaluate(task: Task, y: number[], pred: ArrayLike<number>, k: number): Metrics {
  if (task === 'binary') return { auc: M.auc(y, pred), accuracy: M.binaryAccuracy(y, pred), logLoss: M.binaryLogLoss(y, pred) };
  if (task === 'multiclass') return { auc: M.macroAuc(y, pred, k), accuracy: M.multiAccuracy(y, pred, k), logLoss: M.multiLogLoss(y, pred, k) };
  return { rmse: M.rmse(y, pred) };
}

/**
 * The vocabulary and encoding of each categorical input, from the training rows only.
 * @throws Error when a categorical is the label, the time, a matrix feature or named twice
 */
function fitCategoricals(set: SetData, trainRows: Int32Array, specs: readonly (string | CategoricalSpec)[]): CategoricalEncoding[] {
  const seen = new Set<string>();
  return specs.map((s) => {
    const spec = typeof s === 'string' ? { column: s } : s;
    const c = spec.column;
    if (c === set.labelName) throw new Error(`categorical input "${c}" is the label: a label is never an input`);
    if (c === set.timeColumn) throw new Error(`categorical input "${c}" is the set's time column`);
    if (set.columns.includes(c)) throw new Error(`categorical input "${c}" is a numeric feature of the matrix already`);
    if (seen.has(c)) throw new Error(`categorical input "${c}" is named twice`);
    seen.add(c);
    return fitCategorical(categoryColumn(set.table, c), trainRows, spec);
  });
}

/**
 * Train a model on a feature-label set: a time split (latest rows held out, with an embargo of the
 * label's horizon), standardisation fitted on the training rows, shuffled batches through the
 * zero-copy bridge, and held-out metrics against a naive baseline.
 *
 * String columns of the set named in `categorical` become inputs too: each gets a vocabulary from the
 * training rows (top `maxCategories` by count) plus an out-of-vocabulary slot, one-hot encoded or
 * embedded (see categorical.ts); the vocabulary is saved in `meta.preprocessing.categorical`.
 *
 * @example
 * const result = await trainSet(readSet(table), { model: 'mlp', epochs: 10 });
 * result.metrics; // { auc: 0.81, accuracy: 0.97, logLoss: 0.09 }; result.baseline.logLoss: 0.14
 * const withBucket = await trainSet(readSet(table), { categorical: ['merchant_bucket', { column: 'country', encoding: 'embedding' }] });
 * @throws Error when a feature or categorical is the label (by name, equal to it on every training row, or determining it)
 */
export async function trainSet(set: SetData, opts: TrainOptions = {}): Promise<TrainResult> {
  const started = performance.now();
  const kind = opts.model ?? 'logistic';
  const split: TimeSplit = timeSplit(set.time, set.label, opts.validationFraction ?? 0.2, set.labelSpanMs ?? 0);
  if (split.validation.length === 0) throw new Error('the time split left no validation rows');
  const categorical = fitCategoricals(set, split.train, opts.categorical ?? []);
  const catCodes = categorical.length > 0 ? setCategoryCodes(set, categorical) : undefined;
  checkLabelLeak(set, split.train, categorical.map((c, at) => ({ column: c.column, codes: catCodes!, width: categorical.length, at, categories: categoryCount(c) })));
  const task = opts.task ?? inferTask(set.label, split.train);

  // Baseline statistics, from the training split only.
  const trainLabels = Array.from(split.train, (r) => set.label[r]!);
  const classes = task === 'multiclass' ? [...new Set(trainLabels)].sort((a, b) => a - b) : [];
  const k = task === 'multiclass' ? classes.length : 1;
  const labelMean = trainLabels.reduce((a, b) => a + b, 0) / trainLabels.length;
  const labelStd = task === 'regression' ? Math.sqrt(trainLabels.reduce((a, b) => a + (b - labelMean) ** 2, 0) / Math.max(1, trainLabels.length - 1)) || 1 : 1;
  const freq = classes.map((c) => Math.max(1e-6, trainLabels.filter((v) => v === c).length / trainLabels.length));
  const rate = Math.min(1 - 1e-6, Math.max(1e-6, labelMean));
  const bias = task === 'binary' ? [Math.log(rate / (1 - rate))] : task === 'multiclass' ? freq.map(Math.log) : [0];

  const preprocessing: Preprocessing = fitPreprocessing(set.matrix, set.width, set.columns, split.train, { missingIndicators: opts.missingIndicators ?? true });
  if (categorical.length > 0) preprocessing.categorical = categorical;
  const toInputs = modelInputsFn(preprocessing);
  const embeddings = categorical.filter((c) => c.encoding === 'embedding').map((c) => ({ column: c.column, categories: categoryCount(c), dimension: c.dimension! }));
  const model = buildModel(
    { kind, task, inputs: inputWidth(preprocessing), outputs: k, bias, ...(opts.hidden && { hidden: opts.hidden }), ...(embeddings.length > 0 && { embeddings }), seed: opts.seed ?? 1 },
    opts.learningRate ?? 0.01,
  );

  const { x, y: _y } = toTensors(set);
  _y.dispose();
  const y = targets(set, task, classes, labelMean, labelStd);
  const codes = catCodes && tf.tensor2d(catCodes, [set.rows, categorical.length], 'int32');
  const single = (t: tf.Tensor[]): tf.Tensor | tf.Tensor[] => (t.length === 1 ? t[0]! : t);
  const valX = tf.tidy(() => {
    const i = tf.tensor1d(split.validation, 'int32');
    return toInputs(tf.gather(x, i) as tf.Tensor2D, codes && (tf.gather(codes, i) as tf.Tensor2D));
  });
  const valY = tf.gather(y, tf.tensor1d(split.validation, 'int32'));
  const ds = batchDataset(x, y, split.train, { batchSize: opts.batchSize ?? 256, seed: opts.seed ?? 1, ...(codes && { codes }), toInputs });
  const history: EpochLog[] = [];
  const epochs = opts.epochs ?? 10;
  const fitStarted = performance.now();
  await model.fitDataset(ds, {
    epochs,
    verbose: 0,
    callbacks: {
      onEpochEnd: async (epoch, logs) => {
        const v = model.evaluate(single(valX), valY, { batchSize: 4096 }) as tf.Scalar;
        const e = { epoch: epoch + 1, loss: Number(logs?.loss ?? NaN), valLoss: (await v.data())[0]! };
        v.dispose();
        history.push(e);
        opts.onEpoch?.(e);
      },
    },
  });
  const fitMs = performance.now() - fitStarted;
  x.dispose();
  y.dispose();
  codes?.dispose();
  for (const t of valX) t.dispose();
  valY.dispose();
  toInputs.dispose();

  const meta: ModelMeta = {
    format: 'tributary-model/1',
    kind,
    task,
    label: set.labelName,
    ...(task === 'multiclass' && { classes }),
    ...(task === 'regression' && { labelMean, labelStd }),
    preprocessing,
    trainedOn: {},
  };
  const pred = predictRows(model, meta, set, split.validation);
  const valLabels = Array.from(split.validation, (r) => set.label[r]!);
  const yEval = task === 'multiclass' ? valLabels.map((v) => classes.indexOf(v)) : valLabels;
  const metrics = evaluate(task, yEval, pred, k);
  const n = valLabels.length;
  const basePred =
    task === 'binary' ? new Float32Array(n).fill(rate) : task === 'multiclass' ? Float32Array.from({ length: n * k }, (_, i) => freq[i % k]!) : new Float32Array(n).fill(labelMean);
  const baseline = evaluate(task, yEval, basePred, k);
  if (task === 'binary') baseline.auc = 0.5;
  const beatsBaseline = task === 'regression' ? metrics.rmse! < baseline.rmse! : metrics.logLoss! < baseline.logLoss!;
  meta.trainedOn = {
    set: set.table.schema.metadata.get('tributary.set') ?? null,
    feature_set: set.table.schema.metadata.get('tributary.feature_set') ?? null,
    config_hash: set.table.schema.metadata.get('tributary.config_hash') ?? null,
    split: { train: split.train.length, validation: n, embargoed: split.embargoed, cutoff_ms: split.cutoffMs, label_span_ms: set.labelSpanMs ?? null },
    epochs,
    history,
    metrics,
    baseline,
    beats_baseline: beatsBaseline,
  };
  return {
    model,
    meta,
    task,
    split: { train: split.train.length, validation: n, embargoed: split.embargoed, cutoffMs: split.cutoffMs },
    history,
    metrics,
    baseline,
    beatsBaseline,
    elapsedMs: performance.now() - started,
    rowsPerSecond: (split.train.length * epochs) / (fitMs / 1000),
  };
}
