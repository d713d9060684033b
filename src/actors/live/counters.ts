/**
 * What a live run counts, per source and overall: the visible account of every event received,
 * accepted, rejected (and why), and of every time the source had to wait.
 */
export interface SourceCounters {
  /** The transport, e.g. `zmq pull bind tcp://127.0.0.1:5555`. */
  connector: string;
  /** Messages received (for `tail`, batches read from the log) and their bytes. */
  messages: number;
  bytes: number;
  /** Events decoded from messages, good and bad. */
  received: number;
  /** Events taken: appended to the log and processed (for `tail`, read from the log and processed). */
  accepted: number;
  /** Whole messages rejected, by reason kind: `message too large`, `malformed message`, `wrong schema`. */
  rejectedMessages: Record<string, number>;
  /** Events sent to dead letters before the log, by reason kind: `bad timestamp`, `missing key`, `wrong type`, `malformed line`, `late`. */
  deadLetters: Record<string, number>;
  /** Events the pipeline rejected after the log (late for a window, null key), by reason kind. */
  pipelineRejected: Record<string, number>;
  /** Micro-batches flushed, by why. */
  batches: { size: number; delay: number; drained: number; stop: number };
  /** Rows waiting now (open batch + queue), the most that ever waited, and the high-water mark. */
  queueDepth: number;
  queueDepthMax: number;
  highWaterMark: number;
  /** Times reading paused because the queue was full, and for how long in all, ms. */
  backpressure: { pauses: number; pausedMs: number };
  /** Watermarks announced because the source was idle, and the last one (epoch ms). */
  idleAdvances: number;
  idleWatermark?: number;
  /** Largest event time accepted (epoch ms). */
  maxEventTime?: number;
}

/** A source's counters before anything has arrived. */
export function freshCounters(connector: string, highWaterMark: number, batches: SourceCounters['batches'] = { size: 0, delay: 0, drained: 0, stop: 0 }): SourceCounters {
  return {
    connector,
    messages: 0,
    bytes: 0,
    received: 0,
    accepted: 0,
    rejectedMessages: {},
    deadLetters: {},
    pipelineRejected: {},
    batches,
    queueDepth: 0,
    queueDepthMax: 0,
    highWaterMark,
    backpressure: { pauses: 0, pausedMs: 0 },
    idleAdvances: 0,
  };
}

export interface LiveCounters {
  /** Milliseconds since the run started taking live events. */
  elapsedMs: number;
  sources: Record<string, SourceCounters>;
  /** Rows emitted per output table. */
  outputs: Record<string, number>;
  /** Events from the log processed before going live (the catch-up), per source. */
  caughtUp: Record<string, number>;
}

/** Add one to `counts[kind]`. */
export function bump(counts: Record<string, number>, kind: string, n = 1): void {
  counts[kind] = (counts[kind] ?? 0) + n;
}
