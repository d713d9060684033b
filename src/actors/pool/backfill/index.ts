/**
 * Backfill of a time range on the task pool: the feature tables' rows of `[from, to)`, equal to a full
 * replay's, computed by time partitions that warm up over the history their features need.
 *
 * | file | job |
 * | --- | --- |
 * | `warmUp.ts` | each table's warm-up, from the features' `lookback` hooks |
 * | `planBackfill.ts` | the plan, a pure function: groups, partitions, where each read starts |
 * | `backfillTask.ts` | the pool task: one group's tables over one partition |
 * | `readPartition.ts` | what a task reads of the log, and how it feeds it (the stop, the late tail) |
 * | `tableBytes.ts` | a task's rows as Arrow IPC bytes in shared memory; one dictionary per column |
 * | `runBackfill.ts` | the calling thread: plan, run the tasks, put the partitions end to end |
 */
export { BACKFILL_TASK_MODULE, backfillPartition, computePartition, type BackfillTask, type BackfillTaskResult, type PartitionRows } from './backfillTask.js';
export { cutRange, EVENTS_PER_MS, eventsIn, GROUP_WARM_UP_SHARE, groupTables, planBackfill, skippedSegments, type BackfillPlan, type GroupPlan, type PartitionTask, type PlanInput, type SegmentStats, type TableToPlan } from './planBackfill.js';
export { BACKFILL_MIN_EVENTS, runBackfill, type BackfillRun, type RunBackfillOptions, type TaskReport } from './runBackfill.js';
export { compactDictionaries, decodeTable, encodeTable } from './tableBytes.js';
export { featureReach, lookbackContext, stableGroups, tableWarmUps, type FeatureReach, type TableWarmUp } from './warmUp.js';
export { READ_BATCH_ROWS, readPartition, type PartitionRead } from './readPartition.js';
