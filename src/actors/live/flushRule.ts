/**
 * When a micro-batch leaves the batcher: pure functions, so the rule is tested without clocks.
 *
 * A live source gathers decoded rows into an open micro-batch. It is flushed (appended to the log
 * and sent down the pipeline) as soon as it holds `batchRows` rows, or once its oldest row has
 * waited `maxDelayMs`, whichever comes first: large batches under load (cheap per event), a bounded
 * wait when events trickle in.
 *
 * `maxDelayMs: 0` means nothing waits on purpose: the open batch flushes as soon as the transport has
 * nothing more to read right now (the end of the burst being read), so a batch is what arrived
 * together. That is the lowest latency; under load, bursts still make batches of many rows.
 */

export interface FlushPolicy {
  /** Flush at this many rows. */
  readonly batchRows: number;
  /** ...or when the oldest row has waited this long, ms; 0: when the input is drained. */
  readonly maxDelayMs: number;
}

export type FlushReason = 'size' | 'delay' | 'drained';

/**
 * Whether an open batch of `rows` rows, whose oldest row arrived at `oldestMs` (wall clock), must
 * flush at `nowMs`, and why. `drained` says the transport has nothing more to read right now.
 *
 * @example
 * const p = { batchRows: 1024, maxDelayMs: 5 };
 * flushDue(1024, 0, 1, p); // 'size'
 * flushDue(10, 0, 5, p);   // 'delay'
 * flushDue(10, 0, 4, p);   // undefined
 * flushDue(10, 0, 0, { batchRows: 1024, maxDelayMs: 0 }, true); // 'drained'
 */
export function flushDue(rows: number, oldestMs: number, nowMs: number, policy: FlushPolicy, drained = false): FlushReason | undefined {
  if (rows <= 0) return undefined;
  if (rows >= policy.batchRows) return 'size';
  if (policy.maxDelayMs === 0) return drained ? 'drained' : undefined;
  if (nowMs - oldestMs >= policy.maxDelayMs) return 'delay';
  return undefined;
}

/**
 * How long from `nowMs` until the open batch whose oldest row arrived at `oldestMs` is due on
 * delay: what the batcher's timer waits. Never negative.
 *
 * @example
 * flushWaitMs(100, 102, { batchRows: 1024, maxDelayMs: 5 }); // 3
 */
export function flushWaitMs(oldestMs: number, nowMs: number, policy: FlushPolicy): number {
  return Math.max(0, oldestMs + policy.maxDelayMs - nowMs);
}
