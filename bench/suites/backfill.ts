import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC, type Table } from 'apache-arrow';
import { createTaskPool, type TaskPool } from '../../src/actors/pool/taskPool.js';
import { BACKFILL_TASK_MODULE } from '../../src/actors/pool/backfill/backfillTask.js';
import { makeBatch } from '../../src/pipelines/data/batch.js';
import { dictColumn, float64Column } from '../../src/pipelines/data/column.js';
import { backfill, type BackfillSummary } from '../../src/sdk/backfill.js';
import { parseConfig } from '../../src/sdk/config/loadConfig.js';
import type { FeatureSetConfig } from '../../src/sdk/config/types.js';
import { replay, type ReplaySummary } from '../../src/sdk/replay.js';
import { EventLog } from '../../src/store/log/eventLog.js';
import { contender, round } from '../lib/report.js';
import type { BenchSuite, ContenderResult, SuiteContext, SuiteResult } from '../lib/suite.js';
import { collectGarbage, envInt, median, nowMs, timedWithLoad } from '../lib/timing.js';
import { generateReference } from '../workloads/reference.js';

/**
 * Backfill of the whole log on the task pool (src/actors/pool/backfill) against a local replay of the
 * same range, on a log of N events (the reference workload's times, keys and values: 10k keys over
 * 24 h, plus a 13-valued category), written to an event log on disk in 256k-row segments.
 *
 * The feature set is one a backfill can split exactly: sliding counts (10 min, 1 h), max and min,
 * a count of distinct categories over 1 h, and 5-minute tumbling windows (count, sum, mean). Its
 * events table warms up over 1 h, its windowed table over 5 min, so each of 2 partitions reads about
 * 12 h + 1 h of the 24 h. (A set with running sums, or unbounded state, is read from the start of
 * the log by every partition: no faster than replay.)
 *
 * Contenders, alternated within each repetition (end to end: read the log, compute, write the Arrow
 * tables; no import, no feature store):
 *  - `replay`: `replay(config, { from, to, store: false })`, one thread (the reference);
 *  - `backfill1`, `backfill2`: `backfill(config, { from, to, threads })` on a pool of 1 and 2 threads,
 *    started and warmed before timing (a CLI run also pays for starting them, ~1.4 s, and for their
 *    JIT warming up: the notes give the first, cold 2-thread run).
 * The 2-thread tables are compared with replay's, column by column, so a fast wrong answer cannot pass.
 *
 *   BENCH_EVENTS=2000000 BENCH_SUITES=backfill BENCH_OUT=bench/results/backfill-run.json npm run bench
 * Environment: BENCH_EVENTS (default 2M), BENCH_REPS, BENCH_BACKFILL_KEYS (10k).
 */

const CONFIG = `
name: bench_backfill
sources:
  events:
    time: t
    time_format: epoch_ms
    keys: [key]
    lateness: 0s
    columns: { key: string, value: float64, category: string }
features:
  - { name: n, source: events, op: count, windows: [10m, 1h] }
  - { name: peak, source: events, ops: [max, min], column: value, window: 1h }
  - { name: categories, source: events, op: count_distinct, column: category, window: 1h }
  - { name: per5m, source: events, ops: [count, sum, mean], column: value, window: { tumbling: 5m } }
`;

/** Write the workload into `<dataDir>/log` as source `events`. */
async function writeLog(dataDir: string, events: number, keys: number): Promise<{ from: number; to: number }> {
  const w = generateReference({ events, keys });
  const log = await EventLog.open(join(dataDir, 'log'));
  const src = await log.openSource({ name: 'events', time: 't', timeFormat: 'epoch_ms', keys: ['key'], lateness: 0, columns: { key: 'string', value: 'float64', category: 'string' } });
  const key = src.dictionaries.get('key')!;
  const category = src.dictionaries.get('category')!;
  const keyCode = Int32Array.from(w.dictionary.values, (v) => key.encode(v));
  const categoryCode = Int32Array.from({ length: 13 }, (_, i) => category.encode(`c${i}`));
  const rows = 65_536;
  for (let s = 0; s < events; s += rows) {
    const e = Math.min(events, s + rows);
    const k = w.keys.subarray(s, e);
    await src.append(
      makeBatch(w.time.slice(s, e), {
        key: dictColumn(Int32Array.from(k, (c) => keyCode[c]!), key),
        value: float64Column(w.values.slice(s, e)),
        category: dictColumn(Int32Array.from(k, (c) => categoryCode[c % 13]!), category),
      }),
    );
  }
  await src.flush();
  // Up to just past the end of the last 5-minute window: a replay of the range emits every window of
  // its events, and the backfill keeps the windows ending before `to`; both then hold the same rows.
  const bar = 300_000;
  return { from: w.time[0]!, to: Math.ceil((w.time[events - 1]! + 1) / bar) * bar + 1 };
}

/** The first column of the first table that differs between two runs' outputs, or undefined. */
function compareTables(a: readonly { name: string; file: string }[], b: readonly { name: string; file: string }[]): string | undefined {
  if (a.map((t) => t.name).join() !== b.map((t) => t.name).join()) return 'different tables';
  const read = (f: string): Table => tableFromIPC(readFileSync(f));
  for (let i = 0; i < a.length; i++) {
    const x = read(a[i]!.file);
    const y = read(b[i]!.file);
    if (x.numRows !== y.numRows) return `${a[i]!.name}: ${x.numRows} rows vs ${y.numRows}`;
    const names = x.schema.fields.map((f) => f.name);
    if (names.join() !== y.schema.fields.map((f) => f.name).join()) return `${a[i]!.name}: columns differ`;
    for (const n of names) {
      const u = x.getChild(n)!.toArray() as ArrayLike<unknown>;
      const v = y.getChild(n)!.toArray() as ArrayLike<unknown>;
      for (let r = 0; r < u.length; r++) if (!Object.is(u[r], v[r])) return `${a[i]!.name}.${n} row ${r}: ${String(u[r])} vs ${String(v[r])}`;
    }
  }
  return undefined;
}

/** Run the benchmark and return its result (what `npm run bench` records under `backfill`). */
export async function run(ctx: Partial<SuiteContext> & { scratchDir: string }): Promise<SuiteResult> {
  const started = nowMs();
  const events = ctx.events ?? envInt('BENCH_EVENTS', 2_000_000);
  const reps = ctx.reps ?? envInt('BENCH_REPS', 5);
  const keys = envInt('BENCH_BACKFILL_KEYS', 10_000);
  const log = ctx.log ?? ((m: string) => process.stderr.write(`[backfill] ${m}\n`));
  const dataDir = join(ctx.scratchDir, 'data');

  log(`writing ${events.toLocaleString('en-US')} events over ${keys} keys to the event log`);
  const { from, to } = await writeLog(dataDir, events, keys);
  const config: FeatureSetConfig = parseConfig(CONFIG, { dir: ctx.scratchDir, dataDir });

  const pools: Record<number, TaskPool> = { 1: createTaskPool({ threads: 1, preload: [BACKFILL_TASK_MODULE] }), 2: createTaskPool({ threads: 2, preload: [BACKFILL_TASK_MODULE] }) };
  const out = (which: string) => join(ctx.scratchDir, 'out', which);
  const runReplay = () => replay(config, { from, to, store: false, out: out('replay') });
  const runBackfill = (threads: 1 | 2) => backfill(config, { from, to, threads, pool: pools[threads]!, minEvents: 0, out: out(`backfill${threads}`) });

  try {
    // Untimed: JIT on every path, the pools' threads started and their modules loaded.
    const coldStart = nowMs();
    const reference = await runReplay();
    const cold2 = nowMs();
    const check = compareTables(reference.tables, (await runBackfill(2)).tables);
    const cold2Ms = nowMs() - cold2;
    await runBackfill(1);
    log(`warm-up done in ${round((nowMs() - coldStart) / 1000, 1)} s (2-thread backfill with cold threads: ${round(cold2Ms, 0)} ms); check: ${check ?? 'identical'}`);

    const names = ['replay', 'backfill1', 'backfill2'] as const;
    const runs: Record<(typeof names)[number], number[]> = { replay: [], backfill1: [], backfill2: [] };
    const others: Record<(typeof names)[number], number[]> = { replay: [], backfill1: [], backfill2: [] };
    const cpuMs: Record<(typeof names)[number], number[]> = { replay: [], backfill1: [], backfill2: [] };
    let last2: BackfillSummary | undefined;
    let lastReplay: ReplaySummary | undefined;
    for (let r = 0; r < reps; r++) {
      // Rotate the order, so a busy neighbour hits each contender alike.
      const order = names.map((_, i) => names[(i + r) % names.length]!);
      for (const which of order) {
        collectGarbage();
        await new Promise((res) => setTimeout(res, 100));
        const c0 = process.cpuUsage();
        const t = await timedWithLoad<ReplaySummary | BackfillSummary>(() => (which === 'replay' ? runReplay() : runBackfill(which === 'backfill1' ? 1 : 2)));
        const c = process.cpuUsage(c0);
        cpuMs[which].push((c.user + c.system) / 1000);
        runs[which].push(t.ms);
        others[which].push(t.otherCores);
        if (which === 'backfill2') last2 = t.value as BackfillSummary;
        else if (which === 'replay') lastReplay = t.value as ReplaySummary;
      }
      log(`rep ${r + 1}/${reps}: replay ${round(runs.replay.at(-1)!, 0)} ms, backfill 1 thread ${round(runs.backfill1.at(-1)!, 0)} ms, 2 threads ${round(runs.backfill2.at(-1)!, 0)} ms`);
    }

    const extra = (which: (typeof names)[number]) => ({ otherCoresPerRun: others[which].map((x) => round(x, 2)), cpuMs: cpuMs[which].map((x) => round(x, 0)) });
    const contenders: Record<string, ContenderResult> = {
      replay: contender('replay of the range, 1 thread', runs.replay, events, 'events', { extra: extra('replay') }),
      backfill1: contender('backfill on a pool of 1 thread', runs.backfill1, events, 'events', { extra: extra('backfill1') }),
      backfill2: contender('backfill on a pool of 2 threads', runs.backfill2, events, 'events', {
        extra: {
          ...extra('backfill2'),
          tasks: last2?.tasks.map((t) => ({ tables: t.tables.join(','), events: t.events, ms: round(t.ms, 0) })),
          eventsRead: last2 === undefined ? undefined : Object.values(last2.events).reduce((a, b) => a + b, 0),
        },
      }),
    };
    const ratio = (a: number[], b: number[]) => round(median(a) / median(b), 3);
    return {
      workload: { events, keys, spanHours: 24, features: 'count 10m/1h, max/min 1h, count_distinct 1h (events table, 1 h warm-up); tumbling 5m count/sum/mean', segmentRows: 262_144, reps },
      contenders,
      ratios: {
        backfill2OverReplay: ratio(runs.replay, runs.backfill2),
        backfill1OverReplay: ratio(runs.replay, runs.backfill1),
        backfill2OverBackfill1: ratio(runs.backfill1, runs.backfill2),
      },
      verification: {
        backfill2VsReplay: check ?? 'identical tables (every column, every row)',
        rows: Object.fromEntries((lastReplay ?? reference).tables.map((t) => [t.name, t.rows])),
      },
      notes: [
        'ratios are of median wall times (> 1: faster than the denominator)',
        `2-thread backfill with cold pool threads (first run): ${round(cold2Ms, 0)} ms`,
        'cpuMs: process CPU time of each run (main thread and pool threads together)',
      ],
      wallMs: round(nowMs() - started, 1),
    };
  } finally {
    await Promise.all(Object.values(pools).map((p) => p.close()));
  }
}

export const backfillSuite: BenchSuite = {
  name: 'backfill',
  description: 'backfill of the whole log on the task pool (1 and 2 threads) against a local replay of the same range',
  run: (ctx) => run(ctx),
};
