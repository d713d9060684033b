import { join } from 'node:path';
import { Subject } from 'rxjs';
import { compileFeatureSet, type CompiledFeatureSet } from '../../../pipelines/compile/compileFeatureSet.js';
import { sliceBatch, takeBatch, type Batch } from '../../../pipelines/data/batch.js';
import { createRuntime } from '../../../pipelines/runtime/context.js';
import type { FeatureSetConfig } from '../../../sdk/config/types.js';
import { BUILTIN_DEFINITIONS } from '../../../pipelines/features/index.js';
import { FeatureRegistry } from '../../../sdk/registry.js';
import { reasonKind } from '../../../store/deadLetter.js';
import { EventLog } from '../../../store/log/eventLog.js';
import { readPartition } from './readPartition.js';
import { encodeTable } from './tableBytes.js';

/**
 * The pool side of a backfill (runBackfill.ts is the calling thread's side): one task computes some
 * tables of one source over one time partition `[from, to)`, exactly as a full replay from the start
 * of the log computes them there.
 *
 * How, and why it is exact (docs: src/actors/pool/README.md#backfill):
 *
 * - It reads the source's events with time >= `readFrom` (the partition start minus the tables'
 *   warm-up), in arrival order, through the same compiled pipelines as a replay, and keeps the output
 *   rows with time in `[from, to)`. A result there depends only on events at or after `readFrom`
 *   (that is what the warm-up is), and on which of them were late.
 * - Lateness comes out the same: an event read here is late in the full run when it is older than
 *   the newest earlier event minus the lateness. If that newest event is at or after `readFrom`,
 *   this task read it too; if every earlier event is older than `readFrom`, so older than this one,
 *   the event is not late in either run. Windows close on the same watermark for the same reason.
 * - It stops feeding whole batches once its watermark (newest time read minus the source's lateness)
 *   is at or past `to`: every window ending before `to` has then closed, every later event older
 *   than `to` is late in both runs, and newer events only reach rows at or after `to`. After that it
 *   feeds only the events older than `to`, so that their rejections are counted as the full run
 *   counts them (readPartition.ts), and ends the input.
 *
 * Rows go back as Arrow IPC bytes in shared memory (tableBytes.ts), never as per-row objects.
 */

/** One task: `tables` of `source` over `[from, to)`, reading from `readFrom`. */
export interface BackfillTask {
  /** The feature set, as loaded (plain data: it is cloned to the thread). */
  config: FeatureSetConfig;
  source: string;
  tables: readonly string[];
  from: number;
  to: number;
  /** First event time read (`from` minus the warm-up; -Infinity: the whole log). */
  readFrom: number;
}

export interface BackfillTaskResult {
  /**
   * Per table, in the order asked: its rows in `[from, to)` as Arrow IPC bytes (SharedArrayBuffer-backed),
   * and whether every row the table emitted came in time order (partitions can be concatenated).
   */
  tables: { name: string; rows: number; ordered: boolean; bytes: Uint8Array }[];
  /** Rejections of events with time in `[from, to)`, by reason kind ("late", "null key"...). */
  deadLetters: Record<string, number>;
  /** Events read from the log (warm-up, partition and past it). */
  events: number;
  /** Wall time of the task on its thread, ms. */
  ms: number;
}

/** Compiled sets, per config: a thread runs many tasks of the same set. */
const compiledSets = new Map<string, Promise<CompiledFeatureSet>>();

function compiledFor(config: FeatureSetConfig): Promise<CompiledFeatureSet> {
  const key = [config.hash, config.file, config.dir, config.dataDir].join('\u0000');
  let c = compiledSets.get(key);
  if (c === undefined) {
    c = registryOf(config).then((registry) => compileFeatureSet(config, registry));
    // A failed compile is not cached: the next task reports its own error.
    c.catch(() => compiledSets.delete(key));
    compiledSets.set(key, c);
  }
  return c;
}

/**
 * The built-in definitions plus the config's modules, as `registryFor` (src/sdk/replay.ts) gives them;
 * built here so that a pool thread does not load the replay's executors.
 */
async function registryOf(config: FeatureSetConfig): Promise<FeatureRegistry> {
  const registry = FeatureRegistry.withBuiltins(BUILTIN_DEFINITIONS);
  for (const m of config.modules) await registry.loadModule(m);
  return registry;
}

/** A partition's tables as batches, before they are encoded for the trip back (see {@link computePartition}). */
export interface PartitionRows {
  tables: { name: string; timeColumn: string; batches: Batch[]; ordered: boolean }[];
  deadLetters: Record<string, number>;
  events: number;
}

/**
 * Compute one partition (see the file comment) and encode its rows for the calling thread. Exported
 * for the pool (`pool.run(BACKFILL_TASK_MODULE, 'backfillPartition', task)`).
 *
 * @example
 * const r = await backfillPartition({ config, source: 'logins', tables: ['logins'], from: t0, to: t1, readFrom: t0 - 30 * 86_400_000 });
 * decodeTable(r.tables[0]!.bytes, 'ts'); // the logins rows of [t0, t1)
 */
export async function backfillPartition(task: BackfillTask): Promise<BackfillTaskResult> {
  const started = performance.now();
  const r = await computePartition(task);
  return {
    tables: r.tables.map((t) => ({ name: t.name, rows: t.batches.reduce((n, b) => n + b.length, 0), ordered: t.ordered, bytes: encodeTable(t.batches, t.timeColumn) })),
    deadLetters: r.deadLetters,
    events: r.events,
    ms: performance.now() - started,
  };
}

/**
 * Compute one partition: its tables' rows in `[from, to)` as batches (on the log's dictionaries), the
 * rejections in range and the events read. What a task does before encoding; the calling thread runs
 * it directly for small ranges.
 */
export async function computePartition(task: BackfillTask): Promise<PartitionRows> {
  const { config, from, to, readFrom } = task;
  const compiled = await compiledFor(config);
  const plans = task.tables.map((name) => {
    const t = compiled.tables.find((x) => x.name === name);
    if (t === undefined || t.source !== task.source) throw new Error(`backfill task: table "${name}" is not a table of source "${task.source}"`);
    return t;
  });
  const sourceConfig = config.sources[task.source]!;
  const log = (await EventLog.open(join(config.dataDir, 'log'))).source(task.source);
  if (log === undefined) throw new Error(`backfill task: source "${task.source}" is not in the event log of ${config.dataDir}`);

  const deadLetters: Record<string, number> = {};
  const runtime = createRuntime(undefined, (r) => {
    if (r.time >= from && r.time < to) {
      const kind = reasonKind(r.reason);
      deadLetters[kind] = (deadLetters[kind] ?? 0) + 1;
    }
  });
  const input = new Subject<Batch>();
  const outputs = compiled.build(runtime, { [task.source]: input });
  const kept: Batch[][] = plans.map(() => []);
  // Whether each table's rows came out in time order, which concatenating partitions relies on.
  const latest = plans.map(() => -Infinity);
  const ordered = plans.map(() => true);
  let failure: unknown;
  const subscriptions = plans.map((t, i) =>
    outputs[t.name]!.subscribe({
      next: (b) => {
        if (b.length === 0) return;
        const time = b.time;
        for (let r = 0; r < time.length; r++) {
          if (time[r]! < latest[i]!) ordered[i] = false;
          else latest[i] = time[r]!;
        }
        keepInRange(b, from, to, kept[i]!);
      },
      error: (err) => {
        failure ??= err;
      },
    }),
  );

  let events: number;
  try {
    events = await readPartition(log, { from, to, readFrom, lateness: sourceConfig.lateness }, (b) => {
      if (failure !== undefined) throw failure;
      input.next(b);
    });
    input.complete();
    if (failure !== undefined) throw failure;
  } finally {
    for (const s of subscriptions) s.unsubscribe();
  }
  return { tables: plans.map((t, i) => ({ name: t.name, timeColumn: t.timeColumn, batches: kept[i]!, ordered: ordered[i]! })), deadLetters, events };
}

/** The rows of `b` with time in `[from, to)`, appended to `out` (a view when they are one run, as usual). */
function keepInRange(b: Batch, from: number, to: number, out: Batch[]): void {
  const t = b.time;
  let first = -1;
  let last = -1;
  let contiguous = true;
  for (let i = 0; i < t.length; i++) {
    if (t[i]! >= from && t[i]! < to) {
      if (first < 0) first = i;
      else if (last !== i - 1) contiguous = false;
      last = i;
    }
  }
  if (first < 0) return;
  if (contiguous) {
    out.push(first === 0 && last === b.length - 1 ? b : sliceBatch(b, first, last + 1));
    return;
  }
  const index: number[] = [];
  for (let i = 0; i < t.length; i++) if (t[i]! >= from && t[i]! < to) index.push(i);
  out.push(takeBatch(b, index));
}

/** The task module (its `backfillPartition`), for `pool.run` and `createTaskPool({ preload })`. */
export const BACKFILL_TASK_MODULE: URL = new URL('./backfillTask.ts', import.meta.url);
