import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { createExecutor, type Executor } from '../../src/actors/executor.js';
import { compileFeatureSet, type CompiledFeatureSet } from '../../src/pipelines/compile/compileFeatureSet.js';
import type { Batch } from '../../src/pipelines/data/batch.js';
import { BUILTIN_DEFINITIONS } from '../../src/pipelines/features/index.js';
import { createRuntime } from '../../src/pipelines/runtime/context.js';
import { parseConfig } from '../../src/sdk/config/loadConfig.js';
import { FeatureRegistry } from '../../src/sdk/registry.js';
import { contender, QUIET_CORES, round, writeJson } from '../lib/report.js';
import type { BenchSuite, ContenderResult, SuiteContext, SuiteResult } from '../lib/suite.js';
import { collectGarbage, cpuLoadBetween, cpuSnapshot, median, nowMs } from '../lib/timing.js';
import { generateReference, referenceBatches, referenceConfigText, REFERENCE_DEFAULTS, REFERENCE_FEATURE } from '../workloads/reference.js';

/**
 * Replay throughput by executor, on the reference workload (10M events, 10k keys, 24 h, a 1 h
 * sliding count/sum/mean at every event): `local` (one thread, the reference) against the threads
 * executor with 1 and with 2 worker threads, both through the same threads path (`createExecutor
 * ('threads', { workers })`). Every contender runs the same compiled feature set over the same
 * in-memory 64k-row batches through `Executor.run` (no event log, no output files), and its events
 * table is checked against the local one, value for value, so a fast wrong answer cannot pass.
 *
 * The contenders alternate within each repetition, the order rotated from one repetition to the
 * next, so a busy neighbour hits them alike. Per run: wall time, the process's CPU time (all
 * threads), the main thread's own CPU time (Linux), and the cores the rest of the machine used.
 * Reported: medians, the runs on a quiet machine, and the ratio 2 workers / 1 worker three ways
 * (of the medians, the median of each repetition's own ratio, and of the quiet runs).
 *
 * Target (issue 4): 2 workers >= 1.7x one worker. On a 2-core machine the main thread shares the
 * cores with the two workers, so whatever it does per row counts against the ratio.
 *
 *   BENCH_SUITES=threads npm run bench
 * Environment: BENCH_EVENTS (default 10M), BENCH_REPS, BENCH_THREADS_WORKERS (default 1,2).
 * Besides bench/results/latest.json (or BENCH_OUT), the suite's result is written to threads.json
 * beside it, so a run of this suite alone keeps a file of its own.
 */

const BATCH_ROWS = 65_536;
const FEATURE = REFERENCE_FEATURE;

function compile(): CompiledFeatureSet {
  const config = parseConfig(referenceConfigText('bench_threads'), { dir: process.cwd(), dataDir: process.cwd() });
  return compileFeatureSet(config, FeatureRegistry.withBuiltins(BUILTIN_DEFINITIONS));
}

async function runOnce(executor: Executor, compiled: CompiledFeatureSet, batches: readonly Batch[]): Promise<Batch[]> {
  const out: Batch[] = [];
  await executor.run(compiled, createRuntime(), { events: batches }, (table, b) => {
    if (table === 'events') out.push(b);
  });
  return out;
}

/** CPU time of this process's main thread, ms (Linux: /proc; NaN elsewhere). 10 ms resolution. */
function mainThreadCpuMs(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * (1000 / 100);
  } catch {
    return NaN;
  }
}

interface Run {
  ms: number;
  /** User + system CPU of the whole process (main thread, workers, GC and compiler threads). */
  cpuMs: number;
  mainCpuMs: number;
  otherCores: number;
  out: Batch[];
}

async function measure(executor: Executor, compiled: CompiledFeatureSet, batches: readonly Batch[]): Promise<Run> {
  const load = cpuSnapshot();
  const cpu = process.cpuUsage();
  const main = mainThreadCpuMs();
  const start = nowMs();
  const out = await runOnce(executor, compiled, batches);
  const ms = nowMs() - start;
  const used = process.cpuUsage(cpu);
  return { ms, cpuMs: (used.user + used.system) / 1000, mainCpuMs: mainThreadCpuMs() - main, otherCores: cpuLoadBetween(load, cpuSnapshot()).otherCores, out };
}

/** The first mismatch between two events outputs (row count, then every value and time), or undefined. */
function compareOutputs(a: readonly Batch[], b: readonly Batch[]): string | undefined {
  const flat = (bs: readonly Batch[], col: string) => {
    const n = bs.reduce((s, x) => s + x.length, 0);
    const out = new Float64Array(n);
    let at = 0;
    for (const x of bs) {
      const c = x.columns[col]!;
      out.set(c.type === 'dictionary' ? Float64Array.from(c.codes) : Float64Array.from(c.values as ArrayLike<number>), at);
      at += x.length;
    }
    return out;
  };
  for (const col of ['key', 'value', `${FEATURE}_count`, `${FEATURE}_sum`, `${FEATURE}_mean`]) {
    const x = flat(a, col);
    const y = flat(b, col);
    if (x.length !== y.length) return `${col}: ${x.length} rows vs ${y.length}`;
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return `${col} row ${i}: ${x[i]} vs ${y[i]}`;
  }
  const ta = flat(a.map((x) => ({ ...x, columns: { t: { type: 'float64', values: x.time } } })) as Batch[], 't');
  const tb = flat(b.map((x) => ({ ...x, columns: { t: { type: 'float64', values: x.time } } })) as Batch[], 't');
  for (let i = 0; i < ta.length; i++) if (ta[i] !== tb[i]) return `time row ${i}: ${ta[i]} vs ${tb[i]}`;
  return undefined;
}

export const threads: BenchSuite = {
  name: 'threads',
  description: 'replay throughput by executor on the reference workload: local vs the threads executor with 1 and 2 workers',
  async run(ctx: SuiteContext): Promise<SuiteResult> {
    const suiteStart = nowMs();
    const events = ctx.events ?? REFERENCE_DEFAULTS.events;
    const reps = ctx.reps;
    const workerCounts = (process.env.BENCH_THREADS_WORKERS ?? '1,2').split(',').map(Number);
    ctx.log(`generating ${events.toLocaleString('en-US')} events`);
    const w = generateReference({ events });
    const batches = referenceBatches(w, BATCH_ROWS);
    const compiled = compile();

    const key = (n: number) => `threads${n}`;
    const executors: { key: string; label: string; executor: Executor }[] = [
      { key: 'local', label: 'local (1 thread)', executor: createExecutor('local') },
      ...workerCounts.map((n) => ({ key: key(n), label: `threads, ${n} worker${n === 1 ? '' : 's'}`, executor: createExecutor('threads', { workers: n }) })),
    ];
    // Warm-up (JIT, worker start-up; workers are kept between runs), untimed.
    const warm = referenceBatches(w, BATCH_ROWS, w.dictionary, Math.min(events, 1_000_000));
    for (const e of executors) await runOnce(e.executor, compiled, warm);

    const runs = new Map<string, Run[]>(executors.map((e) => [e.key, []]));
    const verification: Record<string, unknown> = {};
    for (let r = 0; r < reps; r++) {
      let reference: Batch[] | undefined;
      const results = new Map<string, Batch[]>();
      // Rotated order, so no contender always runs first (or right after another one's garbage).
      for (let k = 0; k < executors.length; k++) {
        const e = executors[(k + r) % executors.length]!;
        collectGarbage();
        ctx.log(`rep ${r + 1}/${reps}: ${e.label}`);
        const run = await measure(e.executor, compiled, batches);
        runs.get(e.key)!.push({ ...run, out: [] });
        if (e.key === 'local') reference = run.out;
        else if (r === 0) results.set(e.key, run.out);
      }
      if (r > 0) continue;
      for (const [k, out] of results) {
        const diff = compareOutputs(out, reference!);
        verification[k] = diff === undefined ? { ok: true, detail: 'identical to local' } : { ok: false, detail: diff };
      }
    }

    const contenders: Record<string, ContenderResult> = {};
    for (const e of executors) {
      const rs = runs.get(e.key)!;
      contenders[e.key] = contender(e.label, rs.map((x) => x.ms), events, 'events', {
        extra: {
          otherCoresPerRun: rs.map((x) => round(x.otherCores, 2)),
          cpuMsPerRun: rs.map((x) => round(x.cpuMs, 0)),
          mainThreadCpuMsPerRun: rs.map((x) => round(x.mainCpuMs, 0)),
          medianCpuMs: round(median(rs.map((x) => x.cpuMs)), 0),
          medianMainThreadCpuMs: round(median(rs.map((x) => x.mainCpuMs)), 0),
        },
      });
    }
    const rate = (k: string) => contenders[k]?.perSecond ?? NaN;
    const ratios: Record<string, number> = {};
    for (const n of workerCounts) ratios[`${key(n)} / local`] = round(rate(key(n)) / rate('local'));
    const one = runs.get(key(1));
    const two = runs.get(key(2));
    let twoOverOne = NaN;
    if (one !== undefined && two !== undefined) {
      twoOverOne = round(rate(key(2)) / rate(key(1)));
      ratios['threads2 / threads1'] = twoOverOne;
      // Each repetition's own ratio: the two ran back to back, under much the same load.
      ratios['threads2 / threads1, median of paired runs'] = round(median(one.map((x, i) => x.ms / two[i]!.ms)));
      const q1 = contenders[key(1)]!.quietPerSecond;
      const q2 = contenders[key(2)]!.quietPerSecond;
      if (q1 !== undefined && q2 !== undefined) ratios['threads2 / threads1, quiet runs'] = round(q2 / q1);
      ratios['cpu threads2 / threads1'] = round(median(two.map((x) => x.cpuMs)) / median(one.map((x) => x.cpuMs)));
    }
    const result: SuiteResult = {
      workload: { events, keys: w.options.keys, spanHours: w.options.spanMs / 3_600_000, batchRows: BATCH_ROWS, feature: '1h sliding count/sum/mean', cores: availableParallelism(), reps },
      contenders,
      ratios,
      targets: [{ name: '2 workers vs 1 worker (medians)', target: '>= 1.7x', actual: twoOverOne, threshold: 1.7, met: twoOverOne >= 1.7 }],
      verification,
      notes: [
        'Executor.run over in-memory batches: the executor alone, without the event log and output files of a full replay.',
        'threadsN: N worker threads plus the main thread (reading, the watermark scan, copying each batch to shared memory, assembling the events table), on this machine\'s cores.',
        `cpuMsPerRun: user + system CPU of the whole process (all threads); mainThreadCpuMsPerRun: the main thread alone. Quiet runs: the rest of the machine used at most ${QUIET_CORES} cores.`,
      ],
      wallMs: round(nowMs() - suiteStart, 1),
    };
    writeJson(join(dirname(process.env.BENCH_OUT ?? join(import.meta.dirname, '..', 'results', 'latest.json')), 'threads.json'), { date: new Date().toISOString(), env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('BENCH_'))), threads: result });
    return result;
  },
};
