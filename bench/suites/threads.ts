import { createExecutor, type Executor } from '../../src/actors/executor.js';
import { compileFeatureSet, type CompiledFeatureSet } from '../../src/pipelines/compile/compileFeatureSet.js';
import type { Batch } from '../../src/pipelines/data/batch.js';
import { BUILTIN_DEFINITIONS } from '../../src/pipelines/features/index.js';
import { createRuntime } from '../../src/pipelines/runtime/context.js';
import { parseConfig } from '../../src/sdk/config/loadConfig.js';
import { FeatureRegistry } from '../../src/sdk/registry.js';
import { contender, round } from '../lib/report.js';
import type { BenchSuite, ContenderResult, SuiteContext, SuiteResult } from '../lib/suite.js';
import { collectGarbage, nowMs, timedWithLoad } from '../lib/timing.js';
import { generateReference, referenceBatches, referenceConfigText, REFERENCE_DEFAULTS, REFERENCE_FEATURE } from '../workloads/reference.js';

/**
 * Replay throughput by executor, on the reference workload (10M events, 10k keys, 24 h, a 1 h
 * sliding count/sum/mean at every event): `local` (one thread) against `threads` with 1 and 2
 * worker threads. Every contender runs the same compiled feature set over the same in-memory
 * 64k-row batches through `Executor.run` (no event log, no output files), and its events table is
 * checked against the local one, value for value, so a fast wrong answer cannot pass.
 *
 * What the threads executor does per batch on the main thread: copy it into a SharedArrayBuffer,
 * key groups and a stable split per worker, and at the end a (time, row) merge of the workers'
 * outputs. The workers gather their rows and run reorder, keyBy and the sliding aggregate.
 *
 * Target (issue 4): 2 workers >= 1.7x one worker. On a 2-core machine the main thread shares the
 * cores with the two workers, so the split and the merge count against the ratio.
 *
 *   BENCH_SUITES=threads npm run bench
 * Environment: BENCH_EVENTS (default 10M), BENCH_REPS.
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

/** The first mismatch between two events outputs (row count, then every feature value), or undefined. */
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
  description: 'replay throughput by executor on the reference workload: local vs 1 and 2 worker threads',
  async run(ctx: SuiteContext): Promise<SuiteResult> {
    const suiteStart = nowMs();
    const events = ctx.events ?? REFERENCE_DEFAULTS.events;
    const reps = ctx.reps;
    const workerCounts = (process.env.BENCH_THREADS_WORKERS ?? '1,2').split(',').map(Number);
    ctx.log(`generating ${events.toLocaleString('en-US')} events`);
    const w = generateReference({ events });
    const batches = referenceBatches(w, BATCH_ROWS);
    const compiled = compile();

    const executors: [string, Executor][] = [
      ['local', createExecutor('local')],
      ...workerCounts.map((n) => [`threads ${n}`, createExecutor('threads', { workers: n })] as [string, Executor]),
    ];
    // Warm-up (JIT, worker start-up paths) on a prefix, untimed.
    const warm = referenceBatches(w, BATCH_ROWS, w.dictionary, Math.min(events, 500_000));
    for (const [, e] of executors) await runOnce(e, compiled, warm);

    const runs = new Map<string, number[]>(executors.map(([l]) => [l, []]));
    const others = new Map<string, number[]>(executors.map(([l]) => [l, []]));
    const verification: Record<string, unknown> = {};
    let reference: Batch[] | undefined;
    for (let r = 0; r < reps; r++) {
      for (const [label, e] of executors) {
        collectGarbage();
        ctx.log(`rep ${r + 1}/${reps}: ${label}`);
        const t = await timedWithLoad(() => runOnce(e, compiled, batches));
        runs.get(label)!.push(t.ms);
        others.get(label)!.push(t.otherCores);
        if (label === 'local') reference ??= t.value;
        else if (r === 0 && reference !== undefined) verification[label] = compareOutputs(t.value, reference) ?? 'identical to local';
      }
      reference = undefined;
    }
    const contenders: Record<string, ContenderResult> = {};
    for (const [label] of executors) {
      contenders[label] = contender(label, runs.get(label)!, events, 'events', { extra: { otherCoresPerRun: others.get(label)!.map((x) => round(x, 2)) } });
    }
    const rate = (l: string) => contenders[l]?.perSecond ?? NaN;
    const ratios: Record<string, number> = {};
    for (const n of workerCounts) ratios[`threads ${n} / local`] = round(rate(`threads ${n}`) / rate('local'));
    const twoOverOne = round(rate('threads 2') / rate('threads 1'));
    ratios['threads 2 / threads 1'] = twoOverOne;
    return {
      workload: { events, keys: w.options.keys, spanHours: w.options.spanMs / 3_600_000, batchRows: BATCH_ROWS, feature: '1h sliding count/sum/mean', cores: (await import('node:os')).availableParallelism() },
      contenders,
      ratios,
      targets: [{ name: '2 workers vs 1 worker', target: '>= 1.7x', actual: twoOverOne, threshold: 1.7, met: twoOverOne >= 1.7 }],
      verification,
      notes: [
        'Executor.run over in-memory batches: the executor alone, without the event log and output files of a full replay.',
        'threads N: N worker threads plus the main thread (reading, split, merge), on this machine\'s cores.',
      ],
      wallMs: round(nowMs() - suiteStart, 1),
    };
  },
};
