import type { Batch } from '../../pipelines/data/batch.js';

/**
 * One thing for the processor to do, in arrival order:
 * - `append`: events decoded from messages, to append to the log and then process;
 * - `logged`: events already in the log (the tail of a log another process writes), to process;
 * - `watermark`: an idle source's watermark moved (no events).
 */
export type QueueEntry =
  | { readonly kind: 'append' | 'logged'; readonly source: string; readonly batch: Batch }
  | { readonly kind: 'watermark'; readonly source: string; readonly watermark: number };

/**
 * The FIFO between the live sources and the processor. Unbounded as a structure: each source bounds
 * what it puts in through its SourceGate, which stops it reading when its rows reach the high-water
 * mark. One queue for all sources keeps arrival order, and with it the order of log appends.
 *
 * @example
 * const q = new BatchQueue();
 * q.push({ kind: 'append', source: 'trades', batch });
 * for (let e; (e = await q.take()) !== undefined; ) process(e);
 */
export class BatchQueue {
  private items: QueueEntry[] = [];
  private head = 0;
  private waiter: ((e: QueueEntry | undefined) => void) | undefined;
  private closed = false;

  get length(): number {
    return this.items.length - this.head;
  }

  push(e: QueueEntry): void {
    if (this.closed) throw new Error('the live queue is closed');
    const w = this.waiter;
    if (w !== undefined) {
      this.waiter = undefined;
      w(e);
      return;
    }
    this.items.push(e);
  }

  /** The next entry; waits for one; undefined once the queue is closed and empty. */
  take(): Promise<QueueEntry | undefined> {
    if (this.head < this.items.length) {
      const e = this.items[this.head]!;
      this.items[this.head++] = undefined as never;
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      return Promise.resolve(e);
    }
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => (this.waiter = resolve));
  }

  /** No more entries will come; `take` drains what is there, then returns undefined. */
  close(): void {
    this.closed = true;
    const w = this.waiter;
    this.waiter = undefined;
    w?.(undefined);
  }
}
