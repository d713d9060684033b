import type { CompiledFeatureSet } from '../../../pipelines/compile/compileFeatureSet.js';
import type { Batch } from '../../../pipelines/data/batch.js';
import type { SourceLog } from '../../../store/log/sourceLog.js';
import { defaultThreads, sharedTaskPool, type TaskPool } from '../taskPool.js';
import { BACKFILL_TASK_MODULE, computePartition, type BackfillTask, type BackfillTaskResult, type PartitionRows } from './backfillTask.js';
import { planBackfill, type BackfillPlan, type PartitionTask } from './planBackfill.js';
import { compactDictionaries, decodeTable } from './tableBytes.js';
import { tableWarmUps, type TableWarmUp } from './warmUp.js';

/**
 * A backfill, the calling thread's side: plan the partitions (planBackfill.ts), run one task per
 * partition on the task pool (backfillTask.ts), and put each table's partitions end to end in time
 * order, with one dictionary per string column. The tables are those a full replay from the start of
 * the log gives, restricted to the rows with time in `[from, to)`.
 */

/**
 * Estimated events (all tasks together) under which the tasks run on the calling thread, one per
 * group: starting two pool threads and loading the pipeline modules in them takes ~1.4 s on the
 * bench's 2-core machine, about what one thread computes of 250k events (EVENTS_PER_MS). A process
 * that backfills again reuses the started threads (`sharedTaskPool`).
 */
export const BACKFILL_MIN_EVENTS = 250_000;

export interface RunBackfillOptions {
  /** The range, epoch ms: rows with `from <= time < to`. */
  from: number;
  to: number;
  /** Pool threads (default `defaultThreads()`). */
  threads?: number;
  /** Partitions of each bounded group (default: one per thread, each of at least ~1 ms of work). */
  partitions?: number;
  /** Warm running sums over their window only (values equal up to rounding); default false: bit for bit. */
  approximate?: boolean;
  /** The pool to run on (default `sharedTaskPool(threads)`). */
  pool?: TaskPool;
  /** Estimated events under which the tasks run on this thread (default {@link BACKFILL_MIN_EVENTS}). */
  minEvents?: number;
  /** Events a thread computes per ms, for task sizing (default EVENTS_PER_MS). */
  eventsPerMs?: number;
  /** After each task: events read so far, and the estimate for all. */
  onProgress?: (events: number, total: number) => void;
}

/** One task as it ran. */
export interface TaskReport {
  source: string;
  tables: readonly string[];
  from: number;
  to: number;
  /** First event time read (null: from the start of the log). */
  readFrom: number | null;
  skippedSegments: number;
  /** Events read, and the task's time on its thread, ms. */
  events: number;
  ms: number;
}

export interface BackfillRun {
  plan: BackfillPlan;
  warmUps: TableWarmUp[];
  /** Per table (every table of the set): its rows in range, in order, as a full replay gives them. */
  tables: Record<string, Batch[]>;
  /** Rejections of events in range, per source and reason kind. */
  deadLetters: Record<string, Record<string, number>>;
  /** Events read per source, over all tasks (warm-ups included). */
  events: Record<string, number>;
  tasks: TaskReport[];
  /** Whether the tasks ran on the pool (else on this thread). */
  onPool: boolean;
  threads: number;
}

/**
 * Backfill `[from, to)` of a compiled feature set from its source logs.
 *
 * @example
 * const run = await runBackfill(compiled, logs, { from: Date.parse('2024-03-01'), to: Date.parse('2024-03-08'), threads: 2 });
 * await writeFeatureTables(compiled, run.tables, 'out/backfill');
 */
export async function runBackfill(compiled: CompiledFeatureSet, logs: Readonly<Record<string, SourceLog>>, opts: RunBackfillOptions): Promise<BackfillRun> {
  const threads = opts.threads ?? defaultThreads();
  const warmUps = tableWarmUps(compiled, { approximate: opts.approximate === true });
  const segments = Object.fromEntries(Object.entries(logs).map(([name, log]) => [name, log.segments]));
  const planFor = (t: number) =>
    planBackfill({
      from: opts.from,
      to: opts.to,
      // An event costs about as much per feature it feeds: the weight that orders the tasks.
      tables: warmUps.map((w) => ({ table: w.table, source: w.source, ms: w.ms, weight: 1 + w.features })),
      segments,
      threads: t,
      ...(opts.partitions !== undefined && { partitions: opts.partitions }),
      ...(opts.eventsPerMs !== undefined && { eventsPerMs: opts.eventsPerMs }),
    });
  let plan = planFor(threads);
  const onPool = plan.readEvents >= (opts.minEvents ?? BACKFILL_MIN_EVENTS);
  // On this thread, partitions would only add warm-ups: one per group, unless asked for.
  if (!onPool && opts.partitions === undefined) plan = planFor(1);
  const pool = onPool ? (opts.pool ?? sharedTaskPool(threads, [BACKFILL_TASK_MODULE])) : undefined;
  const payload = (t: PartitionTask): BackfillTask => ({ config: compiled.config, source: t.source, tables: t.tables, from: t.from, to: t.to, readFrom: t.readFrom });
  // Per task: its tables' batches (decoded, when they came from the pool), rejections, events, time.
  const results: { tables: PartitionRows['tables']; deadLetters: Record<string, number>; events: number; ms: number }[] = new Array(plan.tasks.length);
  let done = 0;
  const finished = (i: number, r: (typeof results)[number]) => {
    results[i] = r;
    done += r.events;
    opts.onProgress?.(done, Math.max(done, Math.round(plan.readEvents)));
  };
  if (pool === undefined) {
    // On this thread the batches need no encoding: they are taken as the tasks leave them.
    for (let i = 0; i < plan.tasks.length; i++) {
      const started = performance.now();
      const r = await computePartition(payload(plan.tasks[i]!));
      finished(i, { ...r, ms: performance.now() - started });
    }
  } else {
    // Longest first: the queue then ends on short tasks, and the threads finish together.
    const order = plan.tasks.map((_, i) => i).sort((a, b) => plan.tasks[b]!.cost - plan.tasks[a]!.cost);
    const settled = await Promise.allSettled(
      order.map((i) =>
        pool.run<BackfillTaskResult>(BACKFILL_TASK_MODULE, 'backfillPartition', payload(plan.tasks[i]!)).then((r) => {
          const timeColumn = (name: string) => compiled.tables.find((t) => t.name === name)!.timeColumn;
          const tables = r.tables.map((t) => ({ name: t.name, timeColumn: timeColumn(t.name), ordered: t.ordered, batches: decodeTable(t.bytes, timeColumn(t.name)) }));
          finished(i, { tables, deadLetters: r.deadLetters, events: r.events, ms: r.ms });
        }),
      ),
    );
    for (const s of settled) if (s.status === 'rejected') throw s.reason;
  }

  const tables: Record<string, Batch[]> = {};
  const deadLetters: Record<string, Record<string, number>> = {};
  const events: Record<string, number> = {};
  plan.groups.forEach((g, gi) => {
    const mine = plan.tasks.map((t, i) => ({ t, r: results[i]! })).filter(({ t }) => t.group === gi);
    g.tables.forEach((name, k) => {
      if (g.partitions > 1 && mine.some(({ r }) => !r.tables[k]!.ordered)) {
        throw new Error(`table ${name} emits rows out of time order, so its partitions cannot be put end to end: backfill it with one partition`);
      }
      // Partitions in time order, then one dictionary per string column across them.
      tables[name] = compactDictionaries(mine.flatMap(({ r }) => r.tables[k]!.batches));
    });
    for (const { r } of mine) {
      events[g.source] = (events[g.source] ?? 0) + r.events;
      for (const [kind, n] of Object.entries(r.deadLetters)) {
        const bySource = (deadLetters[g.source] ??= {});
        bySource[kind] = (bySource[kind] ?? 0) + n;
      }
    }
  });

  return {
    plan,
    warmUps,
    tables,
    deadLetters,
    events,
    tasks: plan.tasks.map((t, i) => ({
      source: t.source,
      tables: t.tables,
      from: t.from,
      to: t.to,
      readFrom: Number.isFinite(t.readFrom) ? t.readFrom : null,
      skippedSegments: t.skippedSegments,
      events: results[i]!.events,
      ms: results[i]!.ms,
    })),
    onPool,
    threads,
  };
}
