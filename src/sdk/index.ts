/**
 * Tributary's public API.
 *
 * @example
 * import { loadConfig, replay } from 'tributary';
 * const summary = await replay(loadConfig('configs/payments.yaml'));
 */
export { defineFeature, type FeatureDefinition, type FeatureBuildContext, type FeatureKind, type FeatureLookback, type FeatureOutput, type LookbackContext } from './defineFeature.js';
export { FeatureRegistry } from './registry.js';
export { loadConfig, parseConfig } from './config/loadConfig.js';
export { ConfigError, type ConfigProblem } from './config/configError.js';
export type { FeatureSetConfig, FeatureConfig, SourceConfig, WindowSpec } from './config/types.js';
export { replay, registryFor, type ReplayOptions, type ReplaySummary, type TableSummary } from './replay.js';
export { backfill, type BackfillOptions, type BackfillProgress, type BackfillSummary } from './backfill.js';
export { generateSamples, type SampleDomain } from './samples/index.js';
export { compileFeatureSet, type CompiledFeatureSet } from '../pipelines/compile/compileFeatureSet.js';
export { BUILTIN_DEFINITIONS } from '../pipelines/features/index.js';
export { runInProcess } from '../actors/inProcess.js';
export { createRuntime } from '../pipelines/runtime/context.js';
export { StateStore } from '../pipelines/runtime/state.js';
export { makeBatch, type Batch } from '../pipelines/data/batch.js';
export { toRecordBatch, fromRecordBatch, toTable } from '../pipelines/data/arrow.js';
export { Dictionary } from '../pipelines/data/dictionary.js';
export type { Column } from '../pipelines/data/column.js';
export { parseExpression, type Expression } from '../pipelines/expressions/index.js';
export { parseDuration, formatDuration } from '../pipelines/data/duration.js';
export { OnlineClient } from './onlineClient.js';
export { FeatureStore } from '../store/features/featureStore.js';
export {
  tf,
  useBackend,
  readSet,
  toTensors,
  timeSplit,
  batchDataset,
  trainSet,
  predictRows,
  saveModel,
  loadModel,
  scoreSet,
  LiveScorer,
  LiveScoring,
  LiveFeatureRows,
  PredictionLog,
  type TrainingBackend,
  type SetData,
  type TrainOptions,
  type TrainResult,
  type ModelMeta,
  type Preprocessing,
  type CategoricalSpec,
  type CategoricalEncoding,
  type LiveScoringOptions,
  type LiveScoringSummary,
} from './training/index.js';
export { startLive, type LiveOptions, type LiveRun, type LiveSummary } from '../actors/live/index.js';
