/**
 * Worker-thread actors: `runThreads` runs a compiled feature set on N worker threads, batches and
 * results shared through SharedArrayBuffer, with the same output as `runInProcess`.
 *
 * | file | job |
 * | --- | --- |
 * | `runThreads.ts` | the main thread: reading, watermark announcements, shared-memory messages, the tables |
 * | `worker.ts` | a worker: compiles its lanes from the config, runs them over its key groups |
 * | `feed.ts` | a worker picks its rows of each batch (by key group) and feeds them to a lane |
 * | `rowOutputs.ts` | events rows by row number: the output segments, and a worker's writes into them |
 * | `eventsTable.ts` | the main thread assembles an events table in the local order (RowOrder), streamed |
 * | `wire.ts` | batches over SharedArrayBuffer (recycled by WirePool), dictionaries mirrored by delta |
 * | `protocol.ts` | the messages, and the lane description |
 * | `spawn.ts` | starting a .ts worker (tsx's loader registered inside it) |
 */
export { runThreads, type ThreadsOptions } from './runThreads.js';
