import { takeBatch, type Batch } from '../../pipelines/data/batch.js';
import type { LiveSourceConfig, SourceConfig } from '../../sdk/config/types.js';
import { reasonKind } from '../../store/deadLetter.js';
import type { SourceLog } from '../../store/log/sourceLog.js';
import { LogTail } from '../../store/log/tail.js';
import { bump, freshCounters, type SourceCounters } from './counters.js';
import { idleWatermarkDue } from './idleWatermark.js';
import type { InputContext, LiveInput } from './liveInput.js';
import { LogFollower, type BatchSink } from './logFollower.js';
import { SourceGate } from './sourceGate.js';

/**
 * A `tail: true` live source: follows the source's event log, which another process appends to, from
 * its first row (so the run starts from the same state a replay would), in micro-batches of
 * `batch_rows`. The rows are in the log already; they go to the queue to be processed, not appended.
 * An event older than a watermark announced while the log was idle is late, and goes to dead letters.
 *
 * @example
 * const src = new TailSource(config.sources.trades, log, ctx);
 * await src.start();
 */
export class TailSource implements LiveInput {
  readonly name: string;
  readonly description: string;
  readonly gate: SourceGate;
  private readonly live: LiveSourceConfig;
  private readonly follower: LogFollower;
  private readonly c: SourceCounters;
  private maxTime = -Infinity;
  private lastEventMs: number;
  private announced = -Infinity;

  constructor(
    private readonly source: SourceConfig,
    log: SourceLog,
    private readonly ctx: InputContext,
  ) {
    if (source.live === undefined) throw new Error(`source ${source.name} has no live section`);
    this.live = source.live;
    this.name = source.name;
    this.gate = new SourceGate(this.live.highWaterMark, ctx.now);
    const tail = new LogTail(log.dir, log.spec, log.dictionaries, 0, this.live.batchRows);
    this.follower = new LogFollower(tail, {
      pollMs: Math.max(1, Math.min(50, this.live.maxDelay)),
      maxRows: Math.max(this.live.batchRows, Math.floor(this.live.highWaterMark / 2)),
    });
    this.description = this.follower.description;
    this.lastEventMs = ctx.now();
    this.c = freshCounters(this.description, this.live.highWaterMark);
  }

  processed(rows: number): void {
    this.c.accepted += rows;
    this.gate.release(rows);
  }

  async start(): Promise<void> {
    this.lastEventMs = this.ctx.now();
    const gate = this.gate;
    const sink: BatchSink = {
      batch: (b) => this.batch(b),
      get paused() {
        return gate.paused;
      },
      ready: () => gate.ready(),
      fail: (err) => this.ctx.fail(err),
    };
    this.follower.start(sink);
  }

  async stopReading(): Promise<void> {
    await this.follower.stop();
  }

  checkIdle(nowMs: number): void {
    const w = idleWatermarkDue({ maxTime: this.maxTime, lateness: this.source.lateness, lastEventWallMs: this.lastEventMs, announced: this.announced }, nowMs, this.live.idleTimeout);
    if (w === undefined) return;
    this.announced = w;
    this.c.idleAdvances++;
    this.c.idleWatermark = w;
    this.ctx.queue.push({ kind: 'watermark', source: this.name, watermark: w });
  }

  pipelineRejected(reason: string): void {
    bump(this.c.pipelineRejected, reasonKind(reason));
  }

  counters(): SourceCounters {
    return {
      ...this.c,
      deadLetters: { ...this.c.deadLetters },
      pipelineRejected: { ...this.c.pipelineRejected },
      batches: { ...this.c.batches },
      queueDepth: this.gate.waiting,
      queueDepthMax: this.gate.maxWaiting,
      backpressure: { pauses: this.gate.pauses, pausedMs: Math.round(this.gate.totalPausedMs()) },
      ...(this.maxTime > -Infinity && { maxEventTime: this.maxTime }),
    };
  }

  private batch(b: Batch): void {
    const c = this.c;
    c.messages++;
    c.received += b.length;
    const kept = this.dropLate(b);
    if (kept.length === 0) return;
    for (let i = 0; i < kept.length; i++) if (kept.time[i]! > this.maxTime) this.maxTime = kept.time[i]!;
    this.lastEventMs = this.ctx.now();
    this.gate.add(kept.length);
    c.batches.size++;
    this.ctx.queue.push({ kind: 'logged', source: this.name, batch: kept });
  }

  /** Rows of `b` at or after the announced idle watermark; the others are dead letters. */
  private dropLate(b: Batch): Batch {
    const w = this.announced;
    if (w === -Infinity) return b;
    const keep = new Int32Array(b.length);
    let n = 0;
    for (let i = 0; i < b.length; i++) {
      const t = b.time[i]!;
      if (t >= w) {
        keep[n++] = i;
        continue;
      }
      const reason = `late: ${w - t} ms behind the watermark announced while the source was idle`;
      bump(this.c.deadLetters, 'late');
      this.ctx.deadLetters.write({ source: this.name, reason, time: t, ...(b.offsets && { offset: b.offsets[i]! }) });
    }
    return n === b.length ? b : takeBatch(b, keep, n);
  }
}
