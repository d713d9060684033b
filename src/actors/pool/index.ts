/**
 * The task pool for stateless parallel work (piscina): label assembly by time range today.
 *
 * | file | job |
 * | --- | --- |
 * | `taskPool.ts` | `createTaskPool`, `sharedTaskPool`; task sizing (`MIN_TASK_MS`, `tasksFor`, `batchJobs`) |
 * | `bootstrap.mjs` | the file each pool thread starts in: registers tsx, then imports the task modules |
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
