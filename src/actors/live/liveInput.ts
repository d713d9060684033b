import type { DeadLetterSink } from '../../store/deadLetter.js';
import type { BatchQueue } from './batchQueue.js';
import type { SourceCounters } from './counters.js';
import type { SourceGate } from './sourceGate.js';

/** What a live source needs from the run it belongs to. */
export interface InputContext {
  readonly queue: BatchQueue;
  readonly deadLetters: DeadLetterSink;
  /** The run failed: stop it with this error. */
  fail(err: unknown): void;
  /** A monotonic clock, ms. */
  now(): number;
}

/** One live source of a run: a transport feeding decoded rows, or a followed log, into the queue. */
export interface LiveInput {
  readonly name: string;
  readonly description: string;
  readonly gate: SourceGate;
  /** Bind, connect or open, and start reading. */
  start(): Promise<void>;
  /** Stop reading (taking what the transport already holds) and put the open batch in the queue. */
  stopReading(): Promise<void>;
  /** The processor took `rows` of this source's rows (appended and processed, or processed). */
  processed(rows: number): void;
  /** Count one of this source's events that the pipeline rejected (late for a window, null key). */
  pipelineRejected(reason: string): void;
  /** Announce a watermark through the queue if the source has been idle long enough. */
  checkIdle(nowMs: number): void;
  /** The counters as they are now. */
  counters(): SourceCounters;
}

/** Raw input kept in a dead letter is cut to this many characters (as at import). */
export const MAX_RAW = 4096;

export function cutRaw(raw: string): string {
  return raw.length > MAX_RAW ? raw.slice(0, MAX_RAW) : raw;
}
