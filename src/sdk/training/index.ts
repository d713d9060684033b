/**
 * Training on feature-label sets with TF.js: the zero-copy bridge, preprocessing fitted on the
 * training split (numeric scaling, missing indicators, categorical vocabularies), logistic regression
 * and a small MLP, held-out metrics against a naive baseline, saving and loading models, scoring
 * inference sets, and scoring a live run's feature rows online. See docs/training.md.
 */
export { tf, useBackend, type TrainingBackend } from './tf.js';
export { seededRandom } from '../seededRandom.js';
export { batchDataset, permute, readSet, timeSplit, toTensors, type BatchOptions, type SetData, type TimeSplit } from './bridge.js';
export { columnOrder, fitPreprocessing, inputWidth, modelInputsFn, preprocessFn, type ModelInputsFn, type PreprocessFn, type Preprocessing } from './preprocess.js';
export {
  categoryColumn,
  categoryCount,
  CategoryIndexer,
  DEFAULT_MAX_CATEGORIES,
  encodeCategories,
  fitCategorical,
  OOV,
  ONEHOT_LIMIT,
  type CategoricalEncoding,
  type CategoricalKind,
  type CategoricalSpec,
} from './categorical.js';
export { buildModel, loadModel, saveModel, type EmbeddingSpec, type ModelKind, type ModelMeta, type ModelSpec, type Task } from './model.js';
export { outputsOf, predictionsOf, scoringFor, type Predictions, type Scoring } from './modelOutput.js';
export { predictRows, setCategoryCodes, trainSet, type EpochLog, type Metrics, type TrainOptions, type TrainResult } from './train.js';
export { scoreSet } from './predict.js';
export { LiveScorer } from './liveScorer.js';
export { LiveFeatureRows, type LiveFeatureRowsOptions, type LiveRowCounts } from './liveFeatureRows.js';
export { AsOfIndex } from './liveAsOf.js';
export { LiveKeySpace } from './liveKeys.js';
export { PredictionLog } from './predictionLog.js';
export { LiveScoring, type LiveScoringOptions, type LiveScoringSummary } from './liveScoring.js';
export * as metrics from './metrics.js';
