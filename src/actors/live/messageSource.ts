import { isUtf8 } from 'node:buffer';
import type { LiveSourceConfig, SourceConfig } from '../../sdk/config/types.js';
import { reasonKind } from '../../store/deadLetter.js';
import type { SourceLog } from '../../store/log/sourceLog.js';
import type { MessageConnector, MessageSink } from './connectors/types.js';
import { bump, freshCounters, type SourceCounters } from './counters.js';
import { messageDecoder, tooLargeReason, type MessageFormat } from './decode/message.js';
import type { MessageDecoder } from './decode/types.js';
import { idleWatermarkDue } from './idleWatermark.js';
import { cutRaw, type InputContext, type LiveInput } from './liveInput.js';
import { LiveRows } from './liveRows.js';
import { MicroBatcher } from './microBatcher.js';
import { SourceGate } from './sourceGate.js';

/**
 * A live source fed by a message transport (ZeroMQ, WebSocket): each message is decoded into the
 * source's open micro-batch (on the log's dictionaries), bad rows and bad messages go to dead letters
 * with counted reasons, and full or overdue batches go to the processing queue, where they are
 * appended to the log before they are processed. The transport pauses while the source's queue is
 * full (SourceGate).
 *
 * @example
 * const src = new MessageSource(config.sources.trades, log, new ZmqConnector(...), 'jsonl', ctx);
 * await src.start();
 * await src.stopReading();
 */
export class MessageSource implements LiveInput {
  readonly name: string;
  readonly description: string;
  readonly gate: SourceGate;
  private readonly live: LiveSourceConfig;
  private readonly rows: LiveRows;
  private readonly batcher: MicroBatcher;
  private readonly decode: MessageDecoder;
  private readonly c: SourceCounters;
  private lastEventMs: number;
  private announced = -Infinity;

  constructor(
    private readonly source: SourceConfig,
    log: SourceLog,
    private readonly connector: MessageConnector,
    private readonly format: MessageFormat,
    private readonly ctx: InputContext,
  ) {
    if (source.live === undefined) throw new Error(`source ${source.name} has no live section`);
    this.live = source.live;
    this.name = source.name;
    this.description = connector.description;
    this.gate = new SourceGate(this.live.highWaterMark, ctx.now);
    this.rows = new LiveRows(log.spec, log.dictionaries, this.live.batchRows);
    this.batcher = new MicroBatcher(this.rows, { batchRows: this.live.batchRows, maxDelayMs: this.live.maxDelay }, (batch) => ctx.queue.push({ kind: 'append', source: this.name, batch }), ctx.now);
    this.decode = messageDecoder(format, this.rows, this.live.maxMessageBytes);
    this.lastEventMs = ctx.now();
    this.c = freshCounters(connector.description, this.live.highWaterMark, this.batcher.flushed);
  }

  /** Events taken from the log before going live set where event time stands. */
  caughtUp(maxTime: number): void {
    if (maxTime > this.rows.maxTime) this.rows.maxTime = maxTime;
  }

  /** Rows the processor has taken: appended and sent down the pipeline. */
  processed(rows: number): void {
    this.c.accepted += rows;
    this.gate.release(rows);
  }

  async start(): Promise<void> {
    this.lastEventMs = this.ctx.now();
    await this.connector.start(this.sink());
  }

  async stopReading(): Promise<void> {
    await this.connector.stop();
    this.batcher.flush('stop');
  }

  checkIdle(nowMs: number): void {
    if (this.rows.length > 0) return;
    const w = idleWatermarkDue({ maxTime: this.rows.maxTime, lateness: this.source.lateness, lastEventWallMs: this.lastEventMs, announced: this.announced }, nowMs, this.live.idleTimeout);
    if (w === undefined) return;
    this.announced = w;
    this.rows.lateBefore = w;
    this.c.idleAdvances++;
    this.c.idleWatermark = w;
    this.ctx.queue.push({ kind: 'watermark', source: this.name, watermark: w });
  }

  counters(): SourceCounters {
    return {
      ...this.c,
      rejectedMessages: { ...this.c.rejectedMessages },
      deadLetters: { ...this.c.deadLetters },
      pipelineRejected: { ...this.c.pipelineRejected },
      batches: { ...this.batcher.flushed },
      queueDepth: this.gate.waiting,
      queueDepthMax: this.gate.maxWaiting,
      backpressure: { pauses: this.gate.pauses, pausedMs: Math.round(this.gate.totalPausedMs()) },
      ...(this.rows.maxTime > -Infinity && { maxEventTime: this.rows.maxTime }),
    };
  }

  /** Count a rejection by the pipeline (late for a window, null key) of one of this source's events. */
  pipelineRejected(reason: string): void {
    bump(this.c.pipelineRejected, reasonKind(reason));
  }

  private sink(): MessageSink {
    const gate = this.gate;
    return {
      message: (payload) => this.message(payload),
      tooLarge: (bytes) => {
        this.c.messages++;
        this.c.bytes += bytes;
        this.rejectMessage(tooLargeReason(bytes, this.live.maxMessageBytes), undefined);
      },
      get paused() {
        return gate.paused;
      },
      ready: () => gate.ready(),
      fail: (err) => this.ctx.fail(err),
    };
  }

  private message(payload: Uint8Array): void {
    const c = this.c;
    c.messages++;
    c.bytes += payload.byteLength;
    const file = `${this.description} message ${c.messages}`;
    const before = this.rows.added;
    let bad = 0;
    const rejected = this.decode(payload, (row, reason, raw) => {
      bad++;
      bump(c.deadLetters, reasonKind(reason));
      this.ctx.deadLetters.write({ source: this.name, reason, file, row, ...(raw !== undefined && { raw: cutRaw(raw) }) });
    });
    if (rejected !== undefined) {
      this.rejectMessage(rejected, payload, file);
      return;
    }
    const added = this.rows.added - before;
    c.received += added + bad;
    if (added > 0) {
      this.lastEventMs = this.ctx.now();
      this.gate.add(added);
    }
    this.batcher.afterMessage();
  }

  private rejectMessage(reason: string, payload: Uint8Array | undefined, file = `${this.description} message ${this.c.messages}`): void {
    bump(this.c.rejectedMessages, reasonKind(reason));
    // Keep the text of a rejected JSON message (cut short) so it can be looked at; Arrow bytes are not text.
    const raw = payload !== undefined && this.format === 'jsonl' && payload.byteLength <= this.live.maxMessageBytes && isUtf8(payload)
      ? cutRaw(Buffer.from(payload.buffer, payload.byteOffset, Math.min(payload.byteLength, 4 * 4096)).toString('utf8'))
      : undefined;
    this.ctx.deadLetters.write({ source: this.name, reason, file, ...(raw !== undefined && { raw }) });
  }
}
