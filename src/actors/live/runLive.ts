import { join } from 'node:path';
import { Subject, type Observable, type Subscription } from 'rxjs';
import { compileFeatureSet, type CompiledFeatureSet } from '../../pipelines/compile/compileFeatureSet.js';
import { watermarkBatch, type Batch } from '../../pipelines/data/batch.js';
import { createRuntime, type Rejection } from '../../pipelines/runtime/context.js';
import type { FeatureSetConfig } from '../../sdk/config/types.js';
import type { FeatureRegistry } from '../../sdk/registry.js';
import { openSources, registryFor, type TableSummary } from '../../sdk/replay.js';
import { DeadLetterSink } from '../../store/deadLetter.js';
import type { SourceLog } from '../../store/log/sourceLog.js';
import { BatchQueue, type QueueEntry } from './batchQueue.js';
import { connectorFor } from './connectors/fromConfig.js';
import type { MessageConnector } from './connectors/types.js';
import type { LiveCounters } from './counters.js';
import type { MessageFormat } from './decode/message.js';
import { idleCheckEveryMs } from './idleWatermark.js';
import type { InputContext, LiveInput } from './liveInput.js';
import { MessageSource } from './messageSource.js';
import { TailSource } from './tailSource.js';
import { writeFeatureTables } from '../../store/output/writeFeatureTables.js';

export interface LiveOptions {
  registry?: FeatureRegistry;
  /**
   * Every output batch, as the pipeline emits it (the feature store plugs in here). A returned promise
   * holds processing back until it settles, and through the queues, the sources: a slow consumer
   * slows the producers down instead of growing memory.
   */
  onOutput?: (table: string, batch: Batch) => void | Promise<void>;
  /** Keep every output row in memory and write the tables as Arrow IPC on stop (default true). */
  keepOutputs?: boolean;
  /** Folder for the tables written on stop (default `<data_dir>/live`). */
  out?: string;
  /** Flush every log append to the disk (fdatasync): survives a power cut, at a latency cost. */
  fsync?: boolean;
  /** Transports to use instead of those the config names, per source (tests, embedding programs). */
  connectors?: Readonly<Record<string, { connector: MessageConnector; format: MessageFormat }>>;
  /**
   * Each input batch once the pipeline has taken it and its outputs are out (catch-up batches from the
   * log, live micro-batches, and watermark-only batches): how live scoring follows each source's progress.
   */
  onInput?: (source: string, batch: Batch) => void;
  /** Called once the logs are caught up, before the first live event is processed. */
  onCaughtUp?: () => void;
}

export interface LiveSummary {
  name: string;
  counters: LiveCounters;
  /** The tables written on stop (none when `keepOutputs` is false). */
  tables: TableSummary[];
  /** Dead letters of this run (rows, messages, late events), per source and reason kind. */
  deadLetters: Record<string, Record<string, number>>;
  deadLetterDir: string;
  elapsedMs: number;
}

/** A running `tributary live`. */
export interface LiveRun {
  /** Each live source and its transport, e.g. `{ trades: 'zmq pull bind tcp://127.0.0.1:5555' }`. */
  readonly sources: Readonly<Record<string, string>>;
  counters(): LiveCounters;
  /** Settles with the error when the run fails (a transport, the log, the pipeline, onOutput); never rejects. */
  readonly failed: Promise<unknown>;
  /**
   * Stop cleanly: stop reading (taking what transports already hold), flush the open micro-batches,
   * process everything queued, complete the pipelines (open windows are emitted, as at the end of a
   * replay), flush the logs, write the tables. Rejects with the run's failure, if it failed.
   */
  stop(): Promise<LiveSummary>;
}

/**
 * Run a feature set over live events: the pipeline replay builds (`compileFeatureSet(...).build`),
 * fed by each source's `live:` transport instead of the recorded log.
 *
 * The log comes first: files named by the config are imported, every event already in a source's
 * log is processed (so the state is what a replay would have), then live events flow. Each live
 * micro-batch is appended to its source's log, durably (journal.ts), before it is processed, so
 * replaying the log afterwards gives the same tables. Watermarks come from event time; an idle source
 * advances its own after `idle_timeout`.
 *
 * @example
 * const run = await startLive(loadConfig('configs/market.yaml'), { onOutput: (table, b) => store.put(table, b) });
 * process.once('SIGINT', async () => console.log((await run.stop()).counters));
 */
export async function startLive(config: FeatureSetConfig, opts: LiveOptions = {}): Promise<LiveRun> {
  const registry = opts.registry ?? (await registryFor(config));
  const compiled = compileFeatureSet(config, registry);
  const live = Object.values(config.sources).filter((s) => s.live !== undefined);
  if (live.length === 0) throw new Error(`feature set ${config.name}: no source has a live section (add live: { zmq: { endpoint: ... } }, websocket or tail to one)`);
  for (const name of Object.keys(opts.connectors ?? {})) {
    if (config.sources[name]?.live === undefined) throw new Error(`a connector is given for source "${name}", which has no live section`);
  }
  const deadLetterDir = join(config.dataDir, 'deadletter');
  const deadLetters = new DeadLetterSink(deadLetterDir);
  const { logs } = await openSources(config, deadLetters);
  const run = new Runner(compiled, logs, deadLetters, deadLetterDir, opts);
  await run.start();
  return run;
}

class Runner implements LiveRun {
  readonly sources: Record<string, string> = {};
  readonly failed: Promise<unknown>;
  private failure: unknown;
  private setFailed: (err: unknown) => void = () => {};
  private readonly queue = new BatchQueue();
  private readonly inputs = new Map<string, LiveInput>();
  private readonly journaled: string[] = [];
  private readonly subjects: Record<string, Subject<Batch>> = {};
  private subscriptions: Subscription[] = [];
  private readonly collected: Record<string, Batch[]> = {};
  private readonly outputRows: Record<string, number> = {};
  private readonly caughtUp: Record<string, number> = {};
  private pendingOutputs: Promise<void>[] = [];
  private processor: Promise<void> = Promise.resolve();
  private idleTimer: NodeJS.Timeout | undefined;
  private startedAt = performance.now();
  private stopping: Promise<LiveSummary> | undefined;
  private readonly keep: boolean;

  constructor(
    private readonly compiled: CompiledFeatureSet,
    private readonly logs: Record<string, SourceLog>,
    private readonly deadLetters: DeadLetterSink,
    private readonly deadLetterDir: string,
    private readonly opts: LiveOptions,
  ) {
    this.failed = new Promise((resolve) => (this.setFailed = resolve));
    this.keep = opts.keepOutputs ?? true;
  }

  async start(): Promise<void> {
    const config = this.compiled.config;
    const runtime = createRuntime(undefined, (r) => this.rejected(r));
    const needed = [...new Set(this.compiled.tables.map((t) => t.source))];
    const inputs: Record<string, Observable<Batch>> = {};
    for (const s of needed) {
      this.subjects[s] = new Subject<Batch>();
      inputs[s] = this.subjects[s];
    }
    for (const t of this.compiled.tables) {
      this.collected[t.name] = [];
      this.outputRows[t.name] = 0;
    }
    const outputs = this.compiled.build(runtime, inputs);
    this.subscriptions = Object.entries(outputs).map(([table, out$]) =>
      out$.subscribe({ next: (b) => this.output(table, b), error: (err) => this.fail(err) }),
    );

    const ctx: InputContext = { queue: this.queue, deadLetters: this.deadLetters, fail: (err) => this.fail(err), now: () => performance.now() };
    try {
      for (const s of Object.values(config.sources)) {
        if (s.live === undefined) continue;
        const transport = this.opts.connectors?.[s.name] ?? connectorFor(s.live);
        const log = this.logs[s.name]!;
        if (transport === undefined) {
          this.inputs.set(s.name, new TailSource(s, log, ctx));
        } else {
          await log.openJournal({ sync: this.opts.fsync ?? false });
          this.journaled.push(s.name);
          this.inputs.set(s.name, new MessageSource(s, log, transport.connector, transport.format, ctx));
        }
      }
      // Catch up: what the log already holds, as a replay would process it. A followed log catches up by following.
      for (const s of needed) {
        const input = this.inputs.get(s);
        if (input instanceof TailSource) continue;
        let maxTime = -Infinity;
        let rows = 0;
        for await (const b of this.logs[s]!.read()) {
          this.subjects[s]!.next(b);
          rows += b.length;
          for (let i = 0; i < b.length; i++) if (b.time[i]! > maxTime) maxTime = b.time[i]!;
          await this.settleOutputs();
          this.throwIfFailed();
          this.opts.onInput?.(s, b);
        }
        this.caughtUp[s] = rows;
        if (input instanceof MessageSource) input.caughtUp(maxTime);
      }
      this.opts.onCaughtUp?.();
      this.processor = this.processLoop();
      for (const input of this.inputs.values()) {
        await input.start();
        this.sources[input.name] = input.description;
      }
    } catch (err) {
      this.fail(err);
      await this.stop().catch(() => undefined);
      throw err;
    }
    this.startedAt = performance.now();
    const every = Math.min(...[...this.inputs.keys()].map((s) => idleCheckEveryMs(config.sources[s]!.live!.idleTimeout)));
    this.idleTimer = setInterval(() => {
      const now = performance.now();
      for (const input of this.inputs.values()) input.checkIdle(now);
    }, every);
  }

  counters(): LiveCounters {
    return {
      elapsedMs: Math.round(performance.now() - this.startedAt),
      sources: Object.fromEntries([...this.inputs].map(([name, input]) => [name, input.counters()])),
      outputs: { ...this.outputRows },
      caughtUp: { ...this.caughtUp },
    };
  }

  stop(): Promise<LiveSummary> {
    this.stopping ??= this.shutDown();
    return this.stopping;
  }

  private async shutDown(): Promise<LiveSummary> {
    if (this.idleTimer !== undefined) clearInterval(this.idleTimer);
    await Promise.all([...this.inputs.values()].map((i) => i.stopReading().catch((err: unknown) => this.fail(err))));
    this.queue.close();
    await this.processor;
    if (this.failure === undefined) {
      for (const s of Object.values(this.subjects)) s.complete();
      await this.settleOutputs().catch((err: unknown) => this.fail(err));
    }
    for (const s of this.subscriptions) s.unsubscribe();
    // Rows appended are in the log whatever happened downstream: write them to segments.
    for (const name of this.journaled) await this.logs[name]!.close().catch((err: unknown) => this.fail(err));
    await this.deadLetters.close().catch((err: unknown) => this.fail(err));
    if (this.failure !== undefined) throw this.failure;
    const tables = this.keep ? await writeFeatureTables(this.compiled, this.collected, this.opts.out ?? join(this.compiled.config.dataDir, 'live')) : [];
    const counters = this.counters();
    return {
      name: this.compiled.config.name,
      counters,
      tables,
      deadLetters: this.deadLetters.counts(),
      deadLetterDir: this.deadLetterDir,
      elapsedMs: counters.elapsedMs,
    };
  }

  /** Take queue entries in order until the queue is closed and empty. */
  private async processLoop(): Promise<void> {
    for (;;) {
      const e = await this.queue.take();
      if (e === undefined) return;
      try {
        if (this.failure === undefined) await this.process(e);
      } catch (err) {
        this.fail(err);
      } finally {
        if (e.kind !== 'watermark') this.inputs.get(e.source)?.processed(e.batch.length);
      }
    }
  }

  /** Log first, then the pipeline, then wait for the outputs' consumer. */
  private async process(e: QueueEntry): Promise<void> {
    const subject = this.subjects[e.source];
    let b: Batch;
    if (e.kind === 'watermark') {
      b = watermarkBatch(e.watermark);
      subject?.next(b);
    } else {
      b = e.batch;
      if (e.kind === 'append') {
        const first = this.logs[e.source]!.appendDurable(b);
        const offsets = new Float64Array(b.length);
        for (let i = 0; i < offsets.length; i++) offsets[i] = first + i;
        b = { ...b, offsets };
      }
      subject?.next(b);
    }
    await this.settleOutputs();
    this.opts.onInput?.(e.source, b);
  }

  private output(table: string, b: Batch): void {
    if (b.length === 0) return;
    this.outputRows[table]! += b.length;
    if (this.keep) this.collected[table]!.push(b);
    const r = this.opts.onOutput?.(table, b);
    if (r !== undefined) this.pendingOutputs.push(r);
  }

  private async settleOutputs(): Promise<void> {
    if (this.pendingOutputs.length === 0) return;
    const waiting = this.pendingOutputs;
    this.pendingOutputs = [];
    await Promise.all(waiting);
  }

  private rejected(r: Rejection): void {
    this.deadLetters.write({ source: r.source, reason: r.reason, time: r.time, step: r.step, ...(r.offset !== undefined && { offset: r.offset }) });
    this.inputs.get(r.source)?.pipelineRejected(r.reason);
  }

  private fail(err: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = err ?? new Error('the live run failed');
    this.setFailed(this.failure);
    for (const input of this.inputs.values()) input.gate.open();
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}
