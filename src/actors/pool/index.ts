/**
 * The task pool for stateless parallel work (piscina): label assembly by time range, and backfills of
 * a time range (`backfill/`).
 *
 * | file | job |
 * | --- | --- |
 * | `taskPool.ts` | `createTaskPool`, `sharedTaskPool`; task sizing (`MIN_TASK_MS`, `tasksFor`, `batchJobs`) |
 * | `bootstrap.mjs` | the file each pool thread starts in: registers tsx, then imports the task modules |
 * | `backfill/` | backfill of a time range by time partitions (planner, task, runner) |
 */
export {
  batchJobs,
  closeSharedTaskPools,
  createTaskPool,
  defaultThreads,
  MIN_TASK_MS,
  sharedTaskPool,
  tasksFor,
  type RunOptions,
  type TaskPool,
  type TaskPoolOptions,
} from './taskPool.js';
export { BACKFILL_MIN_EVENTS, BACKFILL_TASK_MODULE, planBackfill, runBackfill, tableWarmUps, type BackfillPlan, type BackfillRun, type RunBackfillOptions } from './backfill/index.js';
