/**
 * Worker-thread actors: `runThreads` runs a compiled feature set on N worker threads, batches and
 * results shared through SharedArrayBuffer, with the same output as `runInProcess`.
 *
 * | file | job |
 * | --- | --- |
 * | `runThreads.ts` | the main thread: lanes, reading, key-group split, watermark announcements, merge |
 * | `worker.ts` | a worker: compiles its lanes from the config, runs them over its key groups |
 * | `wire.ts` | batches over SharedArrayBuffer, dictionaries mirrored by delta |
 * | `protocol.ts` | the messages, and the lane description |
 * | `spawn.ts` | starting a .ts worker (tsx's loader registered inside it) |
 */
export { crossKeyState, planLanes, runThreads, type LanePlan, type ThreadsOptions } from './runThreads.js';
export type { LaneSpec } from './protocol.js';
