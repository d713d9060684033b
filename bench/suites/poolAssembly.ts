import { availableParallelism } from 'node:os';
import { createTaskPool } from '../../src/actors/pool/taskPool.js';
import { compileFeatureSet, type CompiledFeatureSet } from '../../src/pipelines/compile/compileFeatureSet.js';
import type { Batch } from '../../src/pipelines/data/batch.js';
import { BUILTIN_DEFINITIONS } from '../../src/pipelines/features/index.js';
import { parseConfig } from '../../src/sdk/config/loadConfig.js';
import { FeatureRegistry } from '../../src/sdk/registry.js';
import { assembleSet, type FeatureLabelSet, type SetInputs } from '../../src/store/labels/assemble.js';
import { MemoryEvents, MemoryTables } from '../../src/store/labels/memorySources.js';
import { ASSEMBLE_TASK_MODULE, PARALLEL_MIN_ROWS, type ParallelReport } from '../../src/store/labels/parallelAssemble.js';
import { contender, round } from '../lib/report.js';
import type { BenchSuite, ContenderResult, SuiteContext, SuiteResult } from '../lib/suite.js';
import { collectGarbage, envInt, median, nowMs, timedWithLoad } from '../lib/timing.js';
import { generateLabelTable, LABEL_FEATURES, LABEL_HORIZON_MS, LABEL_SPAN_MS, labelConfigText, labelTableBatch } from '../workloads/labels.js';

/**
 * Label assembly on one thread against the same set assembled on the task pool (piscina) with 2
 * threads: the kept spine rows cut into 2 time ranges, each range assembled by the single-thread
 * kernels after a warm-up over the rows before it (src/store/labels/parallelAssemble.ts).
 *
 * Workload: labelAssembly's, scaled by BENCH_EVENTS: a spine of N events and three feature tables
 * of N rows each, over 10k keys and 24 h; each feature joined as of the spine row's time, strictly
 * before it; the label the last value of the spine's source in (t, t + 5 min]. In memory, end to
 * end through `assembleSet` (spine, joins, label, matrix, Arrow table).
 *
 * Contenders, alternated within each repetition:
 *  - `single`: `assembleSet(...)`, one thread (the reference path);
 *  - `pool2`: `assembleSet(..., { pool, parallel: { minRows: 0 } })` on a pool of 2 threads, started
 *    and warmed before timing (a CLI run starts it while it reads the log).
 * Then the same two at N/16 and N/4 spine rows (fewer repetitions), to place the threshold under
 * which the pool is not worth it (`PARALLEL_MIN_ROWS`). Every pool result is compared with the
 * single-thread one, matrix and label bytes, so a fast wrong answer cannot pass.
 *
 *   BENCH_SUITES=poolAssembly npm run bench
 *   BENCH_EVENTS=200000 BENCH_REPS=5 BENCH_SUITES=poolAssembly npm run bench
 * Environment: BENCH_EVENTS (spine and table rows, default 1M), BENCH_REPS, BENCH_LABEL_KEYS (10k),
 * BENCH_POOL_THREADS (2).
 */

const SPAN_MS = LABEL_SPAN_MS;
const HORIZON_MS = LABEL_HORIZON_MS;
const FEATURES = LABEL_FEATURES;

const generateTable = (rows: number, keys: number, seed: number, valueColumn: string): Batch => labelTableBatch(generateLabelTable(rows, keys, seed), keys, valueColumn);

function compile(): CompiledFeatureSet {
  const config = parseConfig(labelConfigText('bench_pool_labels'), { dir: process.cwd(), dataDir: process.cwd() });
  return compileFeatureSet(config, FeatureRegistry.withBuiltins(BUILTIN_DEFINITIONS));
}

function inputsOf(rows: number, keys: number): SetInputs {
  const spine = generateTable(rows, keys, 7001, 'value');
  return {
    tables: new MemoryTables(Object.fromEntries(FEATURES.map((x, i) => [`f${i + 1}`, [generateTable(rows, keys, 7002 + i, x)]]))),
    events: new MemoryEvents({ orders: [spine] }),
  };
}

/** The first difference between two sets (counts, matrix bytes, label bytes), or undefined. */
function compareSets(a: FeatureLabelSet, b: FeatureLabelSet): string | undefined {
  if (JSON.stringify(a.counts) !== JSON.stringify(b.counts)) return `counts ${JSON.stringify(a.counts)} vs ${JSON.stringify(b.counts)}`;
  const bytes = (x: ArrayBufferView) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  if (!bytes(a.matrix).equals(bytes(b.matrix))) return 'matrix bytes differ';
  const label = (s: FeatureLabelSet) => s.table.getChild('next_value')!.data.map((d) => bytes(d.values as Float64Array));
  if (!Buffer.concat(label(a)).equals(Buffer.concat(label(b)))) return 'label bytes differ';
  return undefined;
}

/** Run the benchmark and return its result (what `npm run bench` records under `poolAssembly`). */
export async function run(ctx: Partial<SuiteContext> = {}): Promise<SuiteResult> {
  const started = nowMs();
  const rows = ctx.events ?? envInt('BENCH_EVENTS', 1_000_000);
  const reps = ctx.reps ?? envInt('BENCH_REPS', 5);
  const keyCount = envInt('BENCH_LABEL_KEYS', 10_000);
  const threads = envInt('BENCH_POOL_THREADS', 2);
  const log = ctx.log ?? ((m: string) => process.stderr.write(`[poolAssembly] ${m}\n`));
  const compiled = compile();

  const pool = createTaskPool({ threads, preload: [ASSEMBLE_TASK_MODULE] });
  let coldMs: number | undefined;
  const reports: ParallelReport[] = [];
  const single = (inputs: SetInputs) => assembleSet(compiled, 's', inputs);
  const parallel = (inputs: SetInputs) => assembleSet(compiled, 's', inputs, { pool, parallel: { minRows: 0, partitions: threads, report: (r) => reports.push(r) } });

  try {
    // One size: alternated runs, garbage collected before each, and the rest of the machine's load recorded.
    const measure = async (n: number, repeats: number) => {
      log(`generating a spine and 3 tables of ${n.toLocaleString('en-US')} rows over ${keyCount} keys`);
      const inputs = inputsOf(n, keyCount);
      // Warm-up, untimed: JIT on both sides, the pool's threads loaded, the input arena sized.
      const reference = await single(inputs);
      const cold = nowMs();
      const check = compareSets(reference, await parallel(inputs));
      coldMs ??= nowMs() - cold;
      reports.length = 0;
      const runsMs = { single: [] as number[], pool: [] as number[] };
      const others = { single: [] as number[], pool: [] as number[] };
      const cpuMs = { single: [] as number[], pool: [] as number[] };
      const cpu = () => {
        const u = process.cpuUsage();
        return (u.user + u.system) / 1000;
      };
      for (let r = 0; r < repeats; r++) {
        for (const which of ['single', 'pool'] as const) {
          collectGarbage();
          await new Promise((res) => setTimeout(res, 100));
          const c0 = cpu();
          const t = await timedWithLoad(() => (which === 'single' ? single(inputs) : parallel(inputs)));
          cpuMs[which].push(cpu() - c0);
          runsMs[which].push(t.ms);
          others[which].push(t.otherCores);
        }
        log(`${n}: rep ${r + 1}/${repeats} single ${runsMs.single.at(-1)!.toFixed(1)} ms, pool ${runsMs.pool.at(-1)!.toFixed(1)} ms`);
      }
      return { n, runsMs, others, cpuMs, check, reports: [...reports] };
    };

    const main = await measure(rows, reps);
    const smaller = [];
    for (const n of [Math.round(rows / 16), Math.round(rows / 4)]) if (n >= 1000) smaller.push(await measure(n, Math.max(3, Math.ceil(reps / 2))));

    const contenders: Record<string, ContenderResult> = {
      single: contender('assembleSet, 1 thread', main.runsMs.single, rows, 'spine rows', {
        extra: { otherCoresPerRun: main.others.single.map((x) => round(x, 2)), cpuMs: main.cpuMs.single.map((x) => round(x, 1)) },
      }),
      pool: contender(`assembleSet on the pool, ${threads} threads`, main.runsMs.pool, rows, 'spine rows', {
        notes: [`${threads} time ranges, one task each; copy into shared memory, then the tasks`],
        extra: {
          otherCoresPerRun: main.others.pool.map((x) => round(x, 2)),
          cpuMs: main.cpuMs.pool.map((x) => round(x, 1)),
          note: 'cpuMs: process CPU time of each run, main thread and pool threads together',
          copyMs: main.reports.map((r) => round(r.copyMs, 1)),
          tasksMs: main.reports.map((r) => round(r.tasksMs, 1)),
          rangeMs: main.reports.map((r) => r.ranges.map((x) => round(x.ms, 1))),
        },
      }),
    };
    const ratio = round(contenders.pool!.perSecond / contenders.single!.perSecond, 3);
    const bySize = [main, ...smaller]
      .sort((a, b) => a.n - b.n)
      .map((m) => ({
        spineRows: m.n,
        singleMedianMs: round(median(m.runsMs.single), 1),
        poolMedianMs: round(median(m.runsMs.pool), 1),
        poolOverSingle: round(median(m.runsMs.single) / median(m.runsMs.pool), 3),
        singleRowsPerSecond: Math.round((m.n / median(m.runsMs.single)) * 1000),
        poolRowsPerSecond: Math.round((m.n / median(m.runsMs.pool)) * 1000),
      }));
    const verification = Object.fromEntries([main, ...smaller].map((m) => [`rows ${m.n}`, m.check ?? 'identical to one thread (counts, matrix bytes, label bytes)']));
    return {
      workload: { spineRows: rows, featureTables: 3, featureRows: rows, keys: keyCount, spanHours: SPAN_MS / 3_600_000, horizonMs: HORIZON_MS, reps, threads, cores: availableParallelism(), firstPoolRunMs: round(coldMs ?? NaN, 1) },
      contenders,
      ratios: { poolOverSingle: ratio, ...Object.fromEntries(bySize.map((s) => [`poolOverSingle@${s.spineRows}`, s.poolOverSingle])) },
      verification: { ...verification, bySize },
      notes: [
        `Medians of ${reps} alternated repetitions (sizes below N: ${Math.max(3, Math.ceil(reps / 2))}), garbage collected and 100 ms of quiet before each; one untimed warm-up each.`,
        `PARALLEL_MIN_ROWS (the default threshold; this bench forces the pool at every size): ${PARALLEL_MIN_ROWS}.`,
        'otherCoresPerRun: cores the rest of the machine used during each run; on a shared box, trust the quiet runs.',
        'The pool threads start during the untimed warm-up; firstPoolRunMs is that first parallel run, thread start-up (tsx and the task module in each thread) included, once per process.',
      ],
      wallMs: round(nowMs() - started, 1),
    };
  } finally {
    await pool.close();
  }
}

export const poolAssembly: BenchSuite = {
  name: 'poolAssembly',
  description: 'feature-label set assembly rows/s, one thread vs the piscina pool with 2 threads (time ranges), identical output',
  run: (ctx) => run(ctx),
};
