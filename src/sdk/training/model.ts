import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from './tf.js';
import type { Preprocessing } from './preprocess.js';

export type ModelKind = 'logistic' | 'mlp';
export type Task = 'binary' | 'multiclass' | 'regression';

export interface ModelSpec {
  kind: ModelKind;
  task: Task;
  /** Width of the dense input (see `inputWidth`). */
  inputs: number;
  /** Output units: 1 for binary and regression, the class count for multiclass. */
  outputs: number;
  /** Initial output bias: the baseline's logit / log-frequency, so training starts at the baseline. */
  bias?: number[];
  /** MLP hidden layer sizes (default [32, 16]). */
  hidden?: number[];
  /** Embedded categorical inputs, each a `[batch, 1]` int32 input after the dense one, in this order. */
  embeddings?: EmbeddingSpec[];
  seed?: number;
}

/** One embedded categorical input: `categories` indices (vocabulary + OOV at 0), each a learnt vector. */
export interface EmbeddingSpec {
  column: string;
  categories: number;
  dimension: number;
}

/** A layer name from a column name (TF.js names are word characters). */
const layerName = (prefix: string, column: string, i: number): string => `${prefix}_${i}_${column.replace(/[^A-Za-z0-9_]/g, '_')}`;

/**
 * A logistic (or softmax, or linear) regression, or a small MLP (ReLU hidden layers), compiled
 * with the task's loss and Adam. The dense input holds the preprocessed numbers and one-hot blocks;
 * each embedded categorical is its own input, whose vector is concatenated to the dense input.
 *
 * @example
 * const model = buildModel({ kind: 'mlp', task: 'binary', inputs: 20, outputs: 1 }, 0.01);
 * const withCategory = buildModel({ kind: 'logistic', task: 'binary', inputs: 20, outputs: 1, embeddings: [{ column: 'merchant', categories: 51, dimension: 8 }] });
 * withCategory.predict([dense, merchantIndex]); // dense [batch, 20] float32, merchantIndex [batch, 1] int32
 */
export function buildModel(spec: ModelSpec, learningRate = 0.01): tf.LayersModel {
  const seed = spec.seed ?? 1;
  const hidden = spec.kind === 'mlp' ? (spec.hidden ?? [32, 16]) : [];
  const dense = tf.input({ shape: [spec.inputs], name: 'dense' });
  const embedded = (spec.embeddings ?? []).map((e, i) => {
    const input = tf.input({ shape: [1], dtype: 'int32', name: layerName('category', e.column, i) });
    const vectors = tf.layers
      .embedding({ inputDim: e.categories, outputDim: e.dimension, embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: seed + 200 + i }), name: layerName('embedding', e.column, i) })
      .apply(input) as tf.SymbolicTensor;
    return { input, vector: tf.layers.flatten().apply(vectors) as tf.SymbolicTensor };
  });
  let h: tf.SymbolicTensor = embedded.length === 0 ? dense : (tf.layers.concatenate().apply([dense, ...embedded.map((e) => e.vector)]) as tf.SymbolicTensor);
  hidden.forEach((units, i) => {
    h = tf.layers.dense({ units, activation: 'relu', kernelInitializer: tf.initializers.heNormal({ seed: seed + i }) }).apply(h) as tf.SymbolicTensor;
  });
  const activation = spec.task === 'binary' ? 'sigmoid' : spec.task === 'multiclass' ? 'softmax' : 'linear';
  const outLayer = tf.layers.dense({
    units: spec.outputs,
    activation,
    // Logistic starts from zero weights (exactly the baseline); an MLP's output layer from small ones.
    kernelInitializer: hidden.length === 0 ? tf.initializers.zeros() : tf.initializers.randomNormal({ mean: 0, stddev: 0.01, seed: seed + 100 }),
    ...(spec.bias && { biasInitializer: tf.initializers.constant({ value: 0 }) }),
  });
  const output = outLayer.apply(h) as tf.SymbolicTensor;
  const model = tf.model({ inputs: [dense, ...embedded.map((e) => e.input)], outputs: output });
  if (spec.bias) {
    const [kernel] = outLayer.getWeights();
    outLayer.setWeights([kernel!, tf.tensor1d(spec.bias)]);
  }
  const loss = spec.task === 'binary' ? 'binaryCrossentropy' : spec.task === 'multiclass' ? 'categoricalCrossentropy' : 'meanSquaredError';
  model.compile({ optimizer: tf.train.adam(learningRate), loss });
  return model;
}

/** What is saved next to the weights (model-meta.json): enough to score a set the same way. */
export interface ModelMeta {
  format: 'tributary-model/1';
  kind: ModelKind;
  task: Task;
  /** The set's label column; multiclass: the label value of each output unit. */
  label: string;
  classes?: number[];
  /** Regression: the label was standardised with these (training split); predictions are mapped back. */
  labelMean?: number;
  labelStd?: number;
  preprocessing: Preprocessing;
  /** Where it came from and how it did: set name, config hash, rows, metrics, baseline, loss curve. */
  trainedOn: Record<string, unknown>;
}

/**
 * Save a layers model to a folder without tfjs-node: `model.json` (topology and weight manifest,
 * the TF.js layers format), `weights.bin`, and `model-meta.json` (features and preprocessing).
 *
 * @example
 * await saveModel('.tributary/payments/models/fraud_7d-logistic', model, meta);
 */
export async function saveModel(dir: string, model: tf.LayersModel, meta: ModelMeta): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      const data = a.weightData === undefined ? new ArrayBuffer(0) : Array.isArray(a.weightData) ? tf.io.concatenateArrayBuffers(a.weightData) : (a.weightData as ArrayBuffer);
      writeFileSync(join(dir, 'weights.bin'), new Uint8Array(data));
      const manifest = {
        format: a.format ?? 'layers-model',
        generatedBy: a.generatedBy,
        convertedBy: a.convertedBy ?? null,
        modelTopology: a.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs ?? [] }],
      };
      writeFileSync(join(dir, 'model.json'), JSON.stringify(manifest));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: data.byteLength } };
    }),
  );
  // The preprocessing (numeric scaling, missing indicators, categorical vocabularies) is saved here, whole.
  writeFileSync(join(dir, 'model-meta.json'), JSON.stringify(meta, null, 2));
}

/**
 * Load what `saveModel` wrote.
 * @throws Error when the folder holds no Tributary model
 */
export async function loadModel(dir: string): Promise<{ model: tf.LayersModel; meta: ModelMeta }> {
  const manifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { modelTopology: object; weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[] };
  const meta = JSON.parse(readFileSync(join(dir, 'model-meta.json'), 'utf8')) as ModelMeta;
  if (meta.format !== 'tributary-model/1') throw new Error(`${dir}: not a Tributary model (model-meta.json format ${String(meta.format)})`);
  const bytes = readFileSync(join(dir, 'weights.bin'));
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: manifest.modelTopology, weightSpecs: manifest.weightsManifest.flatMap((m) => m.weights), weightData }));
  return { model, meta };
}
