/** The Kappa event log: append-only Arrow IPC segments per source. */
export { EventLog } from './eventLog.js';
export { SourceLog, DEFAULT_SEGMENT_ROWS, DEFAULT_READ_BATCH_ROWS, type ReadOptions } from './sourceLog.js';
export type { SegmentInfo, ImportFingerprint } from './manifest.js';
export { storedColumns, validateSpec, specDifference, type SourceSpec, type StoredColumn } from './sourceSpec.js';
export { LogTail } from './tail.js';
export { JOURNAL_FILE } from './journal.js';
