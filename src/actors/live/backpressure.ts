/**
 * Whether a live source may read its input: a pure decision over the rows it has waiting.
 *
 * Each source has a bounded queue: rows decoded but not yet processed (in its open micro-batch and
 * in the processing queue). At `high` rows the source stops reading its socket, so the transport
 * holds producers back (ZeroMQ's own high-water mark blocks a PUSH sender; TCP's window stalls a
 * WebSocket server); nothing is dropped. It reads again once the queue is down to `low`, so that it
 * does not flap between paused and reading on every batch.
 */

export interface QueueMarks {
  /** Stop reading at this many waiting rows. */
  readonly high: number;
  /** Read again at or below this many. */
  readonly low: number;
}

/**
 * The marks for a high-water mark: resume at half of it.
 *
 * @example
 * queueMarks(100_000); // { high: 100000, low: 50000 }
 */
export function queueMarks(highWaterMark: number): QueueMarks {
  return { high: highWaterMark, low: Math.floor(highWaterMark / 2) };
}

/**
 * Whether the source should be paused, given whether it is now and how many rows wait.
 *
 * @example
 * const marks = queueMarks(100);
 * shouldPause(false, 99, marks); // false: below the high mark
 * shouldPause(false, 100, marks); // true
 * shouldPause(true, 60, marks); // true: still above the low mark
 * shouldPause(true, 50, marks); // false
 */
export function shouldPause(paused: boolean, waitingRows: number, marks: QueueMarks): boolean {
  return paused ? waitingRows > marks.low : waitingRows >= marks.high;
}
