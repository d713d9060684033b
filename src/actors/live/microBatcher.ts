import type { Batch } from '../../pipelines/data/batch.js';
import { flushDue, flushWaitMs, type FlushPolicy, type FlushReason } from './flushRule.js';
import type { LiveRows } from './liveRows.js';

/**
 * Cuts a live source's rows into micro-batches by the flush rule (flushRule.ts): at `batchRows`
 * rows, the moment the open batch fills (even in the middle of a message), or once its oldest row
 * has waited `maxDelayMs`, by a timer. With `maxDelayMs` 0, when the transport is drained: transports
 * read every message already there before they wait (a ZeroMQ receive of a queued message resolves
 * at once), so a `setImmediate` callback runs exactly when the current burst has been read.
 * Each batch goes to `emit`.
 *
 * @example
 * const batcher = new MicroBatcher(rows, { batchRows: 1024, maxDelayMs: 5 }, (b, why) => queue.push(b));
 * decode(payload);        // rows.tryAdd(...) for each event
 * batcher.afterMessage(); // starts the delay clock, or flushes
 */
export class MicroBatcher {
  private oldest: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  /** Batches flushed, by reason. */
  readonly flushed: Record<FlushReason | 'stop', number> = { size: 0, delay: 0, drained: 0, stop: 0 };

  constructor(
    private readonly rows: LiveRows,
    private readonly policy: FlushPolicy,
    private readonly emit: (b: Batch) => void,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (rows.capacity !== policy.batchRows) throw new Error('the open batch must hold batchRows rows');
    rows.onFull = () => this.flush('size');
  }

  /** Call once a message's rows are in: starts the delay clock for new rows, or flushes when due. */
  afterMessage(): void {
    if (this.rows.length === 0) return;
    const now = this.now();
    this.oldest ??= now;
    const due = flushDue(this.rows.length, this.oldest, now, this.policy);
    if (due !== undefined) {
      this.flush(due);
      return;
    }
    if (this.policy.maxDelayMs === 0) {
      this.immediate ??= setImmediate(() => {
        this.immediate = undefined;
        if (flushDue(this.rows.length, this.oldest ?? 0, this.now(), this.policy, true) !== undefined) this.flush('drained');
      });
      return;
    }
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.flush('delay');
    }, flushWaitMs(this.oldest, now, this.policy));
  }

  /** Emit the open batch now (nothing when it is empty). */
  flush(reason: FlushReason | 'stop'): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    this.oldest = undefined;
    if (this.rows.length === 0) return;
    this.flushed[reason]++;
    this.emit(this.rows.take());
  }
}
