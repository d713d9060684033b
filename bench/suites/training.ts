import { tableFromIPC, tableToIPC, type Table } from 'apache-arrow';
import { float64Column, type NumberColumn } from '../../src/pipelines/data/column.js';
import { batchDataset, buildModel, fitPreprocessing, preprocessFn, readSet, tf, useBackend, type SetData } from '../../src/sdk/training/index.js';
import { buildFeatureMatrix } from '../../src/store/labels/featureMatrix.js';
import { SET_METADATA } from '../../src/store/labels/setMetadata.js';
import { setTable } from '../../src/store/labels/setTable.js';
import { contender, round } from '../lib/report.js';
import type { BenchSuite, ContenderResult, SuiteContext, SuiteResult } from '../lib/suite.js';
import { collectGarbage, envInt, nowMs } from '../lib/timing.js';
import { sfc32 } from '../workloads/reference.js';

/**
 * Training throughput from a feature-label set read from Arrow IPC bytes (as from disk), through
 * the zero-copy bridge and through copying paths. Each run is: get the set's matrix into TF.js, then
 * one epoch of a logistic regression (shuffled batches gathered by row index, standardised, Adam).
 *
 * Contenders, alternated within each repetition (order rotated), same data, seed and batch order:
 *  1. zero-copy (cpu): `readSet` + `tf.tensor2d` over the Arrow child Float32Array (the tensor's data
 *     is that array).
 *  2. copy typed (cpu): the same matrix copied once (`slice()`), then as (1): the cheapest copy.
 *  3. copy rows (cpu): the naive path without the matrix column: `table.toArray()` row objects, each
 *     feature read by name into `number[][]`, then `tf.tensor2d(number[][])`.
 *  4. zero-copy view (wasm): as (1) on the wasm backend, which copies the view into its heap.
 * The label (Float64 → Float32, rows × 4 bytes) is copied in every path.
 *
 *   BENCH_SUITES=training npm run bench
 * Environment: BENCH_EVENTS (set rows, default 200k), BENCH_REPS, BENCH_TRAIN_WIDTH (16), BENCH_TRAIN_BATCH (1024).
 */

function generateSet(rows: number, width: number): Table {
  const rand = sfc32(42);
  const time = Float64Array.from({ length: rows }, (_, i) => Date.UTC(2024, 0, 1) + i * 1000);
  const cols: [string, NumberColumn][] = [];
  const weights = Array.from({ length: width }, (_, j) => (j % 3 === 0 ? 1 : 0.1));
  const logit = new Float64Array(rows);
  for (let j = 0; j < width; j++) {
    const v = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      v[i] = (rand() - 0.5) * 4 + j;
      logit[i]! += weights[j]! * (v[i]! - j);
    }
    cols.push([`f${j}`, float64Column(v)]);
  }
  const y = Float64Array.from(logit, (l) => (rand() < 1 / (1 + Math.exp(-l)) ? 1 : 0));
  const matrix = buildFeatureMatrix(cols.map(([, c]) => c), rows);
  return setTable({
    keys: [],
    timeColumn: 'ts',
    time,
    features: cols,
    label: ['y', float64Column(y)],
    matrix,
    metadata: {
      [SET_METADATA.set]: 'bench',
      [SET_METADATA.spine]: JSON.stringify({ time_column: 'ts', key: [] }),
      [SET_METADATA.label]: JSON.stringify({ name: 'y', kind: 'lookahead', horizon_ms: 0, period_ms: null, periods: null }),
      [SET_METADATA.matrix]: JSON.stringify({ columns: cols.map(([n]) => n) }),
    },
  });
}

/** One epoch over every row, from a matrix already in `x`. Returns the final weights (for verification). */
async function epoch(x: tf.Tensor2D, set: SetData, batchSize: number): Promise<Float32Array> {
  const rows = Int32Array.from({ length: set.rows }, (_, i) => i);
  const prep = fitPreprocessing(set.matrix, set.width, set.columns, rows, { missingIndicators: false });
  const y = tf.tensor2d(Float32Array.from(set.label), [set.rows, 1]);
  const model = buildModel({ kind: 'logistic', task: 'binary', inputs: set.width, outputs: 1, bias: [0], seed: 1 }, 0.01);
  const transform = preprocessFn(prep);
  await model.fitDataset(batchDataset(x, y, rows, { batchSize, seed: 5, transform }), { epochs: 1, verbose: 0 });
  transform.dispose();
  const w = model.getWeights()[0]!.dataSync() as Float32Array;
  y.dispose();
  model.dispose();
  return Float32Array.from(w);
}

type Path = 'zeroCopy' | 'copyTyped' | 'copyRows' | 'wasm';

async function run(ctx: SuiteContext): Promise<SuiteResult> {
  const started = nowMs();
  const rows = ctx.events ?? 200_000;
  const width = envInt('BENCH_TRAIN_WIDTH', 16);
  const batchSize = envInt('BENCH_TRAIN_BATCH', 1024);
  const reps = Math.max(1, ctx.reps);
  const bytes = tableToIPC(generateSet(rows, width), 'file');
  const table = tableFromIPC(bytes);
  ctx.log(`training: ${rows} rows × ${width}, batch ${batchSize}, ${reps} reps`);

  const ingestMs: Record<Path, number[]> = { zeroCopy: [], copyTyped: [], copyRows: [], wasm: [] };
  const runsMs: Record<Path, number[]> = { zeroCopy: [], copyTyped: [], copyRows: [], wasm: [] };
  const weights: Partial<Record<Path, Float32Array>> = {};
  let sharesBuffer = false;

  const once = async (path: Path, timed: boolean): Promise<void> => {
    await useBackend(path === 'wasm' ? 'wasm' : 'cpu');
    collectGarbage();
    const t0 = nowMs();
    const set = readSet(table);
    let x: tf.Tensor2D;
    if (path === 'zeroCopy' || path === 'wasm') x = tf.tensor2d(set.matrix, [set.rows, set.width]);
    else if (path === 'copyTyped') x = tf.tensor2d(set.matrix.slice(), [set.rows, set.width]);
    else {
      const objects = table.toArray();
      const m: number[][] = objects.map((r) => set.columns.map((c) => {
        const v = (r as Record<string, unknown>)[c];
        return v === null ? NaN : Number(v);
      }));
      x = tf.tensor2d(m, [set.rows, set.width], 'float32');
    }
    const t1 = nowMs();
    if (path === 'zeroCopy') sharesBuffer = (tf.engine().backend as unknown as { data: { get(id: object): { values: unknown } } }).data.get(x.dataId).values === set.matrix;
    const w = await epoch(x, set, batchSize);
    const t2 = nowMs();
    x.dispose();
    if (timed) {
      ingestMs[path].push(t1 - t0);
      runsMs[path].push(t2 - t0);
    }
    weights[path] = w;
  };

  const paths: Path[] = ['zeroCopy', 'copyTyped', 'copyRows', 'wasm'];
  for (const p of paths) await once(p, false); // warm-up
  for (let rep = 0; rep < reps; rep++) {
    ctx.log(`rep ${rep + 1}/${reps}`);
    // Rotate the order each repetition, so no path always runs right after a backend switch.
    for (let k = 0; k < paths.length; k++) await once(paths[(k + rep) % paths.length]!, true);
  }
  await useBackend('cpu');

  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  const label: Record<Path, string> = {
    zeroCopy: 'zero-copy Arrow view → tensor (cpu)',
    copyTyped: 'one typed copy → tensor (cpu)',
    copyRows: 'row objects → number[][] → tensor (cpu)',
    wasm: 'Arrow view → wasm heap (wasm)',
  };
  const contenders: Record<string, ContenderResult> = {};
  for (const p of paths) {
    contenders[p] = contender(label[p], runsMs[p], rows, 'training rows', {
      notes: [`ingest (Arrow set → tensor) median ${round(med(ingestMs[p]), 2)} ms, then one epoch at batch ${batchSize}`],
      extra: { ingestMs: ingestMs[p].map((x) => round(x, 2)), ingestRowsPerSecond: Math.round((rows / Math.max(1e-3, med(ingestMs[p]))) * 1000) },
    });
  }
  const same = (a: Float32Array | undefined, b: Float32Array | undefined) => a !== undefined && b !== undefined && a.length === b.length && a.every((v, i) => v === b[i]);
  const ratio = (a: Path, b: Path) => round(contenders[a]!.perSecond / contenders[b]!.perSecond, 3);
  return {
    workload: { rows, width, batchSize, reps, epochs: 1, model: 'logistic' },
    contenders,
    ratios: {
      zeroCopyOverCopyTyped: ratio('zeroCopy', 'copyTyped'),
      zeroCopyOverCopyRows: ratio('zeroCopy', 'copyRows'),
      wasmOverZeroCopy: ratio('wasm', 'zeroCopy'),
      ingestCopyRowsOverZeroCopy: round(med(ingestMs.copyRows) / Math.max(1e-3, med(ingestMs.zeroCopy)), 1),
    },
    verification: {
      zeroCopyTensorIsArrowBuffer: sharesBuffer,
      copyTypedSameWeights: same(weights.zeroCopy, weights.copyTyped),
      copyRowsSameWeights: same(weights.zeroCopy, weights.copyRows),
      ok: sharesBuffer && same(weights.zeroCopy, weights.copyTyped) && same(weights.zeroCopy, weights.copyRows),
    },
    notes: [
      'Each run: Arrow set (read from IPC bytes) → tensor, then one epoch: per batch a tf.gather of the batch rows (a batch-sized copy), standardisation, Adam step.',
      'The zero-copy path removes the ingest copy only; the per-batch gather copies batch × width floats in every path.',
    ],
    wallMs: round(nowMs() - started, 1),
  };
}

export const training: BenchSuite = {
  name: 'training',
  description: 'TF.js training rows/s from a feature-label set: zero-copy Arrow view vs copying paths (and the wasm backend)',
  run: (ctx) => run(ctx),
};
