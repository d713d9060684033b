/**
 * Training on feature-label sets with TF.js: the zero-copy bridge, preprocessing fitted on the
 * training split, logistic regression and a small MLP, held-out metrics against a naive baseline,
 * saving and loading models, and scoring inference sets. See docs/training.md.
 */
export { tf, useBackend, type TrainingBackend } from './tf.js';
export { batchDataset, permute, readSet, seededRandom, timeSplit, toTensors, type BatchOptions, type SetData, type TimeSplit } from './bridge.js';
export { columnOrder, fitPreprocessing, inputWidth, preprocessFn, type PreprocessFn, type Preprocessing } from './preprocess.js';
export { buildModel, loadModel, saveModel, type ModelKind, type ModelMeta, type ModelSpec, type Task } from './model.js';
export { predictRows, trainSet, type EpochLog, type Metrics, type TrainOptions, type TrainResult } from './train.js';
export { scoreSet } from './predict.js';
export * as metrics from './metrics.js';
