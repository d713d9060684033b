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
 * | `asOf.ts` | the point-in-time as-of join and gathering of joined columns |
 * | `labelWindow.ts`, `labelEvents.ts`, `lookahead.ts`, `computeLabel.ts` | label windows, events, aggregates, the label column |
 * | `planSet.ts` | which table, key and join each feature of a set takes |
 * | `featureMatrix.ts`, `setTable.ts`, `setMetadata.ts` | the matrix, the Arrow table, its metadata |
 * | `assemble.ts` | one set, end to end, in memory |
 * | `buildSets.ts` | a config's sets, replaying first if needed, written as Arrow IPC or Parquet |
 */
export type { FeatureTable, FeatureTableSource, LabelEventSource } from './sources.js';
export { ArrowFileTables } from './arrowFileTables.js';
export { LogEventSource } from './logEvents.js';
export { MemoryEvents, MemoryTables } from './memorySources.js';
export { KeyMatcher } from './keyCodes.js';
export { groupByKey, type KeyGroups } from './keyGroups.js';
export { asOfRows, asOfRowsGrouped, gatherColumn } from './asOf.js';
export { labelWindows, type LabelWindows } from './labelWindow.js';
export { groupLabelEvents, type GroupedLabelEvents } from './labelEvents.js';
export { aggregateAhead, aggregateAheadGrouped, type AheadResult } from './lookahead.js';
export { computeLabel, spineKeys, type LabelColumn, type SpineKeys } from './computeLabel.js';
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
