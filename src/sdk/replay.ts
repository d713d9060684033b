import { join } from 'node:path';
import { CheckpointStore } from '../actors/cluster/checkpointStore.js';
import type { ClusterOptions } from '../actors/cluster/runCluster.js';
import { createExecutor, type ExecutorKind } from '../actors/executor.js';
import { compileFeatureSet } from '../pipelines/compile/compileFeatureSet.js';
import type { Batch } from '../pipelines/data/batch.js';
import { BUILTIN_DEFINITIONS } from '../pipelines/features/index.js';
import { createRuntime } from '../pipelines/runtime/context.js';
import { DeadLetterSink } from '../store/deadLetter.js';
import { storeReplayTables } from '../store/features/storeReplay.js';
import { importFile, type ImportReport } from '../store/ingest/importFile.js';
import { EventLog } from '../store/log/eventLog.js';
import type { SourceLog } from '../store/log/sourceLog.js';
import type { SourceSpec } from '../store/log/sourceSpec.js';
import { writeFeatureTables, type TableSummary } from '../store/output/writeFeatureTables.js';
import type { FeatureSetConfig, SourceConfig } from './config/types.js';
import { FeatureRegistry } from './registry.js';

export interface ReplayProgress {
  phase: 'import' | 'replay' | 'write';
  /** Rows done in this phase, and the total when known. */
  rows: number;
  total?: number;
  elapsedMs: number;
}

export interface ReplayOptions {
  /** Replay events with `from <= time < to` (epoch ms). */
  from?: number;
  to?: number;
  /** Folder for the feature tables (default `<data_dir>/features`). */
  out?: string;
  /** Import source files again even when unchanged. */
  reimport?: boolean;
  /** Decode CSV and JSON-lines source files on this many pool threads (default 1; see importFile's `threads`). */
  importThreads?: number;
  /** Also put the tables into the feature store, `<data_dir>/store`, replacing them there (default true). */
  store?: boolean;
  registry?: FeatureRegistry;
  onProgress?: (p: ReplayProgress) => void;
  /** Where the pipelines run: `local` (this thread, the default) or `threads` (worker-thread actors). */
  executor?: ExecutorKind;
  /** Worker threads for `executor: 'threads'` (default 2). */
  workers?: number;
  /** Told when the chosen executor falls back (for example, threads running a feature set locally). */
  onNotice?: (message: string) => void;
  /**
   * `executor: 'cluster'`: actor nodes (default 2, started on loopback for the run unless
   * `coordinator` is given), checkpoints every `checkpointEveryRows` source rows (kept in
   * `<data_dir>/checkpoints/<name>/`), `resume` from the latest one, `stopAfterCheckpoint` (then no
   * tables are written: resume later, with any number of nodes).
   */
  cluster?: Omit<ClusterOptions, 'checkpoints' | 'barrier'> & { checkpointEveryRows?: number };
}

export type { TableSummary } from '../store/output/writeFeatureTables.js';

export interface ReplaySummary {
  name: string;
  /** The cluster run stopped at this checkpoint (`stopAfterCheckpoint`); no tables were written. */
  stoppedAtCheckpoint?: number;
  tables: TableSummary[];
  /** Events replayed per source. */
  events: Record<string, number>;
  imports: ImportReport[];
  /** Dead letters of this run (import and late events), per source and reason. */
  deadLetters: Record<string, Record<string, number>>;
  deadLetterDir: string;
  timeRange?: { min: number; max: number };
  elapsedMs: number;
  eventsPerSecond: number;
}

export function sourceSpec(s: SourceConfig): SourceSpec {
  return { name: s.name, time: s.time, timeFormat: s.timeFormat, keys: s.keys, lateness: s.lateness, columns: s.columns };
}

/** The built-in definitions plus those of the config's modules. */
export async function registryFor(config: FeatureSetConfig): Promise<FeatureRegistry> {
  const registry = FeatureRegistry.withBuiltins(BUILTIN_DEFINITIONS);
  for (const m of config.modules) await registry.loadModule(m);
  return registry;
}

/** Open the source logs, importing each source's file when it is new or changed. */
export async function openSources(
  config: FeatureSetConfig,
  deadLetters: DeadLetterSink,
  opts: Pick<ReplayOptions, 'reimport' | 'onProgress' | 'importThreads'> = {},
): Promise<{ logs: Record<string, SourceLog>; imports: ImportReport[] }> {
  const log = await EventLog.open(join(config.dataDir, 'log'));
  const logs: Record<string, SourceLog> = {};
  const imports: ImportReport[] = [];
  const started = Date.now();
  let rowsBefore = 0;
  for (const s of Object.values(config.sources)) {
    const sourceLog = await log.openSource(sourceSpec(s));
    logs[s.name] = sourceLog;
    if (s.path === undefined) continue;
    const report = await importFile(sourceLog, s.path, {
      deadLetters,
      ...(s.format && { format: s.format }),
      ...(opts.reimport && { force: true }),
      ...(opts.importThreads !== undefined && { threads: opts.importThreads }),
      onProgress: (rows) => opts.onProgress?.({ phase: 'import', rows: rowsBefore + rows, elapsedMs: Date.now() - started }),
    });
    rowsBefore += report.rows + report.deadLetters;
    imports.push(report);
  }
  return { logs, imports };
}

/**
 * Replay a feature set over its recorded events: import the sources' files into the event log
 * (once), run every pipeline in event-time order, and write one Arrow IPC file per output table.
 * The tables also go into the feature store in `<data_dir>/store` (src/store/features), which the
 * online endpoints serve; `store: false` skips that.
 *
 * @example
 * const summary = await replay(loadConfig('configs/payments.yaml'));
 * summary.tables; // [{ name: 'transactions', rows: 120000, file: '.../features/transactions.arrow', ... }]
 */
export async function replay(config: FeatureSetConfig, opts: ReplayOptions = {}): Promise<ReplaySummary> {
  const started = Date.now();
  const registry = opts.registry ?? (await registryFor(config));
  const compiled = compileFeatureSet(config, registry);
  const deadLetterDir = join(config.dataDir, 'deadletter');
  const deadLetters = new DeadLetterSink(deadLetterDir);
  const { logs, imports } = await openSources(config, deadLetters, opts);

  const needed = [...new Set(compiled.tables.map((t) => t.source))];
  for (const name of needed) {
    if (logs[name]!.rowCount === 0 && config.sources[name]!.path === undefined) {
      throw new Error(`source "${name}" has no events: give it a path in the config, or import or record events into it`);
    }
  }
  const total = needed.reduce((n, s) => n + logs[s]!.rowCount, 0);
  const events: Record<string, number> = Object.fromEntries(needed.map((s) => [s, 0]));
  const collected: Record<string, Batch[]> = Object.fromEntries(compiled.tables.map((t) => [t.name, []]));
  let replayed = 0;
  let min = Infinity;
  let max = -Infinity;
  const replayStarted = Date.now();
  const runtime = createRuntime(undefined, (r) =>
    deadLetters.write({ source: r.source, reason: r.reason, time: r.time, step: r.step, ...(r.offset !== undefined && { offset: r.offset }) }),
  );
  const range = { ...(opts.from !== undefined && { from: opts.from }), ...(opts.to !== undefined && { to: opts.to }) };
  let stoppedAtCheckpoint: number | undefined;
  const { checkpointEveryRows, ...cluster } = opts.cluster ?? {};
  const executor = createExecutor(opts.executor ?? 'local', {
    ...(opts.workers !== undefined && { workers: opts.workers }),
    ...(opts.onNotice !== undefined && { onNotice: opts.onNotice }),
    cluster: {
      ...cluster,
      checkpoints: new CheckpointStore(config.dataDir, config.name),
      ...(checkpointEveryRows !== undefined && { barrier: { everyRows: checkpointEveryRows } }),
      onEvent: (e) => {
        if (e.type === 'stopped') stoppedAtCheckpoint = e.checkpoint;
        cluster.onEvent?.(e);
      },
    },
  });
  await executor.run(
    compiled,
    runtime,
    Object.fromEntries(needed.map((s) => [s, logs[s]!.read(range)])),
    (table, b) => collected[table]!.push(b),
    (source, b) => {
      events[source]! += b.length;
      replayed += b.length;
      for (let i = 0; i < b.length; i++) {
        const t = b.time[i]!;
        if (t < min) min = t;
        if (t > max) max = t;
      }
      opts.onProgress?.({ phase: 'replay', rows: replayed, total, elapsedMs: Date.now() - replayStarted });
    },
    (from) => Object.fromEntries(needed.map((s) => [s, logs[s]!.read({ ...range, ...(from?.[s] && { fromOffset: from[s].offset }) })])),
  );
  if (stoppedAtCheckpoint !== undefined) {
    await deadLetters.close();
    return { name: config.name, stoppedAtCheckpoint, tables: [], events, imports, deadLetters: deadLetters.counts(), deadLetterDir, elapsedMs: Date.now() - started, eventsPerSecond: 0 };
  }
  const replayMs = Date.now() - replayStarted;

  const out = opts.out ?? join(config.dataDir, 'features');
  const tables = await writeFeatureTables(compiled, collected, out, (rows, total) =>
    opts.onProgress?.({ phase: 'write', rows, total, elapsedMs: Date.now() - started }),
  );
  if (opts.store !== false) await storeReplayTables(join(config.dataDir, 'store'), compiled, collected);
  await deadLetters.close();
  return {
    name: config.name,
    tables,
    events,
    imports,
    deadLetters: deadLetters.counts(),
    deadLetterDir,
    ...(min <= max && { timeRange: { min, max } }),
    elapsedMs: Date.now() - started,
    eventsPerSecond: replayMs > 0 ? (replayed / replayMs) * 1000 : replayed,
  };
}
