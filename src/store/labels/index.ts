/**
 * Labelers and feature-label sets: labels that look ahead at a source's events, features joined as
 * of each row's time (strictly before it), and the set as Arrow with a row-major Float32 matrix.
 *
 * | file | job |
 * | --- | --- |
 * | `sources.ts` | the input interfaces: feature tables and source events |
 * | `arrowFileTables.ts`, `logEvents.ts`, `memorySources.ts` | those inputs from replay's Arrow files, the event log, memory |
 * | `keyCodes.ts` | one key space for a spine and the tables joined to it |
 * | `keyGroups.ts` | rows grouped per key code in time order (CSR) |
 * | `asOfSweep.ts` | the point-in-time as-of join the assembler uses: one sweep in time order |
 * | `asOf.ts` | the as-of join as row indices, for rows in any order, and gathering by them |
 * | `labelWindow.ts`, `labelEvents.ts` | label windows; the label source's events, prepared |
 * | `labelSweep.ts`, `lookahead.ts` | look-ahead aggregates: by sweep (count, sum, mean, first, last), or per key group (all ops) |
 * | `computeLabel.ts` | the label column: where, op, default, expr |
 * | `planSet.ts` | which table, key and join each feature of a set takes |
 * | `featureMatrix.ts`, `setTable.ts`, `setMetadata.ts` | the matrix, the Arrow table, its metadata |
 * | `assemble.ts` | one set, end to end, in memory |
 * | `parallelAssemble.ts`, `assembleTask.ts` | the same set by time ranges on the task pool (`threads`): main side, pool side |
 * | `buildSets.ts` | a config's sets, replaying first if needed, written as Arrow IPC or Parquet |
 */
export type { FeatureTable, FeatureTableSource, LabelEventSource } from './sources.js';
export { ArrowFileTables } from './arrowFileTables.js';
export { LogEventSource } from './logEvents.js';
export { MemoryEvents, MemoryTables } from './memorySources.js';
export { KeyMatcher, spineKeys, type SpineKeys } from './keyCodes.js';
export { groupByKey, type KeyGroups } from './keyGroups.js';
export { asOfRows, gatherColumn } from './asOf.js';
export { asOfJoin } from './asOfSweep.js';
export { labelWindows, type LabelWindows } from './labelWindow.js';
export { groupLabelEvents, sweepEvents, type GroupedLabelEvents } from './labelEvents.js';
export { aggregateAhead, aggregateAheadGrouped, type AheadResult } from './lookahead.js';
export { SWEEP_OPS, sweepAhead, type SweepEvents } from './labelSweep.js';
export { computeLabel, type LabelColumn } from './computeLabel.js';
export { planSet, type ColumnPlan, type SetPlan, type SpinePlan } from './planSet.js';
export { buildFeatureMatrix, featureMatrix, featureMatrixData } from './featureMatrix.js';
export { MATRIX_COLUMN, setTable } from './setTable.js';
export { SET_METADATA } from './setMetadata.js';
export {
  assembleSet,
  MissingTableError,
  type AssembleOptions,
  type FeatureLabelSet,
  type LabelBalance,
  type SetCounts,
  type SetInputs,
} from './assemble.js';
export { buildSets, type BuildSetsOptions, type BuildSetsResult, type BuiltSet } from './buildSets.js';
export { ASSEMBLE_TASK_MODULE, PARALLEL_MIN_ROWS, ROWS_PER_MS, type ParallelOptions, type ParallelReport } from './parallelAssemble.js';
