import { queueMarks, shouldPause, type QueueMarks } from './backpressure.js';

/**
 * The bounded queue of one live source, as a count: rows decoded and not yet processed (in its open
 * micro-batch and in the processing queue). Readers ask `paused` before each read and wait on
 * `ready()`; the decision is `shouldPause` (backpressure.ts). It also keeps the visible counts of
 * what waited: how often reading paused, for how long in total, and the deepest the queue got.
 *
 * @example
 * const gate = new SourceGate(100_000);
 * gate.add(rowsDecoded);      // after each message
 * if (gate.paused) await gate.ready();
 * gate.release(rowsProcessed); // after the pipeline took them
 */
export class SourceGate {
  readonly marks: QueueMarks;
  /** Rows waiting now. */
  waiting = 0;
  /** The most rows that ever waited. */
  maxWaiting = 0;
  /** Times reading paused, and total milliseconds paused. */
  pauses = 0;
  pausedMs = 0;
  private pausedAt = 0;
  private isPaused = false;
  private waiters: (() => void)[] = [];

  constructor(
    highWaterMark: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.marks = queueMarks(highWaterMark);
  }

  get paused(): boolean {
    return this.isPaused;
  }

  add(rows: number): void {
    this.waiting += rows;
    if (this.waiting > this.maxWaiting) this.maxWaiting = this.waiting;
    this.update();
  }

  release(rows: number): void {
    this.waiting -= rows;
    this.update();
  }

  /** Resolves once reading may go on (at once when not paused). */
  ready(): Promise<void> {
    if (!this.isPaused) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Milliseconds paused so far, counting a pause still going on. */
  totalPausedMs(): number {
    return this.pausedMs + (this.isPaused ? this.now() - this.pausedAt : 0);
  }

  /** Let every waiter go, paused or not: the run is stopping. */
  open(): void {
    this.setPaused(false);
  }

  private update(): void {
    this.setPaused(shouldPause(this.isPaused, this.waiting, this.marks));
  }

  private setPaused(p: boolean): void {
    if (p === this.isPaused) return;
    this.isPaused = p;
    if (p) {
      this.pauses++;
      this.pausedAt = this.now();
      return;
    }
    this.pausedMs += this.now() - this.pausedAt;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
