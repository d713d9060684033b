import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from './tf.js';
import type { Preprocessing } from './preprocess.js';

export type ModelKind = 'logistic' | 'mlp';
export type Task = 'binary' | 'multiclass' | 'regression';

export interface ModelSpec {
  kind: ModelKind;
  task: Task;
  inputs: number;
  /** Output units: 1 for binary and regression, the class count for multiclass. */
  outputs: number;
  /** Initial output bias: the baseline's logit / log-frequency, so training starts at the baseline. */
  bias?: number[];
  /** MLP hidden layer sizes (default [32, 16]). */
  hidden?: number[];
  seed?: number;
}

/**
 * A logistic (or softmax, or linear) regression, or a small MLP (ReLU hidden layers), compiled
 * with the task's loss and Adam.
 *
 * @example
 * const model = buildModel({ kind: 'mlp', task: 'binary', inputs: 20, outputs: 1 }, 0.01);
 */
export function buildModel(spec: ModelSpec, learningRate = 0.01): tf.LayersModel {
  const seed = spec.seed ?? 1;
  const model = tf.sequential();
  const hidden = spec.kind === 'mlp' ? (spec.hidden ?? [32, 16]) : [];
  hidden.forEach((units, i) =>
    model.add(tf.layers.dense({ units, activation: 'relu', kernelInitializer: tf.initializers.heNormal({ seed: seed + i }), ...(i === 0 && { inputShape: [spec.inputs] }) })),
  );
  const activation = spec.task === 'binary' ? 'sigmoid' : spec.task === 'multiclass' ? 'softmax' : 'linear';
  model.add(
    tf.layers.dense({
      units: spec.outputs,
      activation,
      // Logistic starts from zero weights (exactly the baseline); an MLP's output layer from small ones.
      kernelInitializer: hidden.length === 0 ? tf.initializers.zeros() : tf.initializers.randomNormal({ mean: 0, stddev: 0.01, seed: seed + 100 }),
      ...(spec.bias && { biasInitializer: tf.initializers.constant({ value: 0 }) }),
      ...(hidden.length === 0 && { inputShape: [spec.inputs] }),
    }),
  );
  if (spec.bias) {
    const out = model.layers[model.layers.length - 1]!;
    const [kernel] = out.getWeights();
    out.setWeights([kernel!, tf.tensor1d(spec.bias)]);
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
