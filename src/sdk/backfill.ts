import { join } from 'node:path';
import type { TaskPool } from '../actors/pool/taskPool.js';
import { runBackfill, type TaskReport } from '../actors/pool/backfill/runBackfill.js';
import type { TableWarmUp } from '../actors/pool/backfill/warmUp.js';
import { compileFeatureSet } from '../pipelines/compile/compileFeatureSet.js';
import { formatTime } from '../pipelines/data/time.js';
import { DeadLetterSink } from '../store/deadLetter.js';
import type { ImportReport } from '../store/ingest/importFile.js';
import { writeFeatureTables, type TableSummary } from '../store/output/writeFeatureTables.js';
import { ConfigError } from './config/configError.js';
import type { FeatureSetConfig } from './config/types.js';
import { openSources, registryFor } from './replay.js';

export interface BackfillProgress {
  phase: 'import' | 'backfill' | 'write';
  /** Rows (events, for `backfill`; tables, for `write`) done in this phase, and the total when known. */
  rows: number;
  total?: number;
  elapsedMs: number;
}

export interface BackfillOptions {
  /** The range, epoch ms: the rows with `from <= time < to` (an event's time; a window's end). */
  from: number;
  to: number;
  /** Pool threads (default: the cores, up to 4). */
  threads?: number;
  /** Time partitions per group of tables (default: one per thread, each of at least ~1 ms of work). */
  partitions?: number;
  /** Folder for the tables (default `<data_dir>/backfill/<feature set>`). */
  out?: string;
  /**
   * Warm features that keep running sums (sum, mean, variance, std...) over their window only, rather
   * than from the start of the log: much less to read, and values equal a full replay's up to
   * floating-point rounding instead of bit for bit. Default false.
   */
  approximate?: boolean;
  /** Import source files again even when unchanged. */
  reimport?: boolean;
  /** The pool to run on (default: the process's shared pool of `threads` threads). */
  pool?: TaskPool;
  /** Estimated events under which the tasks run on the calling thread (default BACKFILL_MIN_EVENTS). */
  minEvents?: number;
  /** Told which tables need more history than their windows (unbounded state, exact running sums). */
  onNotice?: (message: string) => void;
  onProgress?: (p: BackfillProgress) => void;
}

/** A table's warm-up, as reported (JSON has no Infinity: null means "from the start of the log"). */
export interface WarmUpSummary {
  table: string;
  source: string;
  warmUpMs: number | null;
  unbounded: readonly string[];
  rounding: readonly string[];
  approximated: readonly string[];
}

export interface BackfillSummary {
  name: string;
  from: number;
  to: number;
  out: string;
  tables: TableSummary[];
  warmUps: WarmUpSummary[];
  /** Each task: its source and tables, partition, where its read started, events read and time. */
  tasks: TaskReport[];
  threads: number;
  /** Whether the tasks ran on the task pool (else on the calling thread: a small range). */
  onPool: boolean;
  /** Events read per source, warm-ups included. */
  events: Record<string, number>;
  /** Events with time in the range that the pipelines rejected (late, null key...), per source and reason. */
  deadLetters: Record<string, Record<string, number>>;
  imports: ImportReport[];
  notices: string[];
  elapsedMs: number;
}

/**
 * Backfill a time range of a feature set: the feature tables' rows with `from <= time < to` (an
 * event's time in an events table, a window's end in a windowed one), exactly as a full replay from
 * the start of the log gives them, computed by time partitions on the task pool. Each partition warms
 * up over the history its features need (their `lookback`); tables with unbounded state are computed
 * from the start of the log, with a notice. The tables are written to `out`, one Arrow IPC file each,
 * as replay writes them; the feature store is not touched (a range is not a whole table).
 *
 * @example
 * const summary = await backfill(loadConfig('configs/payments.yaml'), {
 *   from: Date.parse('2024-03-01T00:00:00Z'), to: Date.parse('2024-04-01T00:00:00Z'), threads: 2,
 *   onNotice: (m) => console.error(m),
 * });
 * summary.tables; // [{ name: 'logins', rows: 2210, file: '.../backfill/payments/logins.arrow', ... }, ...]
 */
export async function backfill(config: FeatureSetConfig, opts: BackfillOptions): Promise<BackfillSummary> {
  const started = Date.now();
  const { from, to } = opts;
  const problem = (path: string, message: string) => new ConfigError([{ file: config.file, line: 1, column: 1, path, message }]);
  if (typeof from !== 'number' || !Number.isFinite(from)) throw problem('from', `the backfill range needs a start time (epoch ms), got ${String(from)}`);
  if (typeof to !== 'number' || !Number.isFinite(to)) throw problem('to', `the backfill range needs an end time (epoch ms), got ${String(to)}`);
  if (!(from < to)) throw problem('from', `the backfill range is empty: from ${formatTime(from)} is not before to ${formatTime(to)}`);
  const whole = (name: string, v: number | undefined) => {
    if (v !== undefined && !(Number.isInteger(v) && v >= 1)) throw problem(name, `${name} must be a whole number of at least 1, got ${v}`);
  };
  whole('threads', opts.threads);
  whole('partitions', opts.partitions);

  const compiled = compileFeatureSet(config, await registryFor(config));
  // Import as replay does (new or changed files only): the log is what a backfill reads.
  const deadLetters = new DeadLetterSink(join(config.dataDir, 'deadletter'));
  let imports: ImportReport[];
  let logs;
  try {
    ({ logs, imports } = await openSources(config, deadLetters, {
      ...(opts.reimport && { reimport: true }),
      onProgress: (p) => opts.onProgress?.({ ...p, phase: 'import' }),
    }));
  } finally {
    await deadLetters.close();
  }

  const needed = [...new Set(compiled.tables.map((t) => t.source))];
  let min = Infinity;
  let max = -Infinity;
  for (const name of needed) {
    const range = logs[name]!.timeRange;
    if (range === undefined) continue;
    min = Math.min(min, range.min);
    max = Math.max(max, range.max);
  }
  if (!(min <= max)) throw problem('sources', `the event log of ${needed.join(', ')} is empty: import or record events first (tributary import)`);
  if (to <= min || from > max) {
    throw problem('from', `no event falls in [${formatTime(from)}, ${formatTime(to)}): the log of ${needed.join(', ')} holds ${formatTime(min)} .. ${formatTime(max)}`);
  }

  const notices: string[] = [];
  const run = await runBackfill(compiled, logs, {
    from,
    to,
    ...(opts.threads !== undefined && { threads: opts.threads }),
    ...(opts.partitions !== undefined && { partitions: opts.partitions }),
    ...(opts.approximate && { approximate: true }),
    ...(opts.pool !== undefined && { pool: opts.pool }),
    ...(opts.minEvents !== undefined && { minEvents: opts.minEvents }),
    onProgress: (rows, total) => opts.onProgress?.({ phase: 'backfill', rows, total, elapsedMs: Date.now() - started }),
  });
  for (const n of warmUpNotices(run.warmUps, compiled.nodes.flatMap((n) => n.names.map((name) => [name, n.definition.name] as const)))) {
    notices.push(n);
    opts.onNotice?.(n);
  }

  const out = opts.out ?? join(config.dataDir, 'backfill', config.name);
  const tables = await writeFeatureTables(compiled, run.tables, out, (rows, total) =>
    opts.onProgress?.({ phase: 'write', rows, total, elapsedMs: Date.now() - started }),
  );
  return {
    name: config.name,
    from,
    to,
    out,
    tables,
    warmUps: run.warmUps.map((w) => ({
      table: w.table,
      source: w.source,
      warmUpMs: Number.isFinite(w.ms) ? w.ms : null,
      unbounded: w.unbounded,
      rounding: w.rounding,
      approximated: w.approximated,
    })),
    tasks: run.tasks,
    threads: run.threads,
    onPool: run.onPool,
    events: run.events,
    deadLetters: run.deadLetters,
    imports,
    notices,
    elapsedMs: Date.now() - started,
  };
}

/**
 * What a user should know about the warm-ups: which tables are computed from the start of the log,
 * and because of which features; which were approximated. One line per table.
 */
export function warmUpNotices(warmUps: readonly TableWarmUp[], definitions: readonly (readonly [string, string])[]): string[] {
  const def = new Map(definitions);
  const named = (names: readonly string[]) => names.map((n) => `${n} (${def.get(n) ?? '?'})`).join(', ');
  const lines: string[] = [];
  for (const w of warmUps) {
    if (w.unbounded.length > 0) {
      lines.push(`backfill: table ${w.table} is computed from the start of the log: ${named(w.unbounded)} keep${w.unbounded.length === 1 ? 's' : ''} state with no time bound`);
    } else if (w.rounding.length > 0) {
      lines.push(
        `backfill: table ${w.table} is computed from the start of the log for bit-exact values: ${named(w.rounding)} keep${w.rounding.length === 1 ? 's' : ''} running sums; ` +
          '--approximate warms them over their window only (values then equal a full replay up to floating-point rounding)',
      );
    }
    if (w.approximated.length > 0) {
      lines.push(`backfill: table ${w.table}: ${named(w.approximated)} warmed over their window only (--approximate): values equal a full replay up to floating-point rounding`);
    }
  }
  return lines;
}
