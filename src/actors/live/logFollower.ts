import type { Batch } from '../../pipelines/data/batch.js';
import type { LogTail } from '../../store/log/tail.js';

/** Where a log follower hands batches: like a MessageSink, but the rows are decoded and logged already. */
export interface BatchSink {
  batch(b: Batch): void;
  readonly paused: boolean;
  ready(): Promise<void>;
  fail(err: unknown): void;
}

export interface LogFollowerOptions {
  /** How often to look for new rows when there were none, ms. */
  pollMs: number;
  /** Rows taken per poll at most, so the queue stays near its high-water mark. */
  maxRows: number;
}

/**
 * The `tail: true` live source: follows a source's event log that another process appends to
 * (`LogTail`), from the first row, so a live run over a log computes what a replay of it would, then
 * keeps up with new rows. These events are in the log already: they are processed, not appended.
 *
 * @example
 * const follower = new LogFollower(new LogTail(log.dir, log.spec, log.dictionaries, 0, 1024), { pollMs: 5, maxRows: 16_384 });
 * follower.start(sink);
 * await follower.stop(); // takes what is already in the log, then ends
 */
export class LogFollower {
  readonly description: string;
  private stopping = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly tail: LogTail,
    private readonly opts: LogFollowerOptions,
  ) {
    this.description = `tail ${tail.dir}`;
  }

  start(sink: BatchSink): void {
    this.loop = this.run(sink).catch((err: unknown) => sink.fail(err));
  }

  /** Stop following: rows already in the log are still taken, then the loop ends. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
  }

  private async run(sink: BatchSink): Promise<void> {
    while (!this.stopping) {
      if (sink.paused) {
        await sink.ready();
        continue;
      }
      const batches = await this.tail.poll(this.opts.maxRows);
      if (batches.length === 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.opts.pollMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
        continue;
      }
      for (const b of batches) sink.batch(b);
    }
    for (;;) {
      const batches = await this.tail.poll(this.opts.maxRows);
      if (batches.length === 0) return;
      for (const b of batches) sink.batch(b);
    }
  }
}
