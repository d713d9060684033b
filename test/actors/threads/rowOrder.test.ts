import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { SourceSplitter } from '../../../src/actors/lanes/sourceSplitter.js';
import { ROW_COLUMN } from '../../../src/actors/lanes/planLanes.js';
import { RowOrder } from '../../../src/actors/threads/eventsTable.js';
import { compileFeatureSet } from '../../../src/pipelines/compile/compileFeatureSet.js';
import { makeBatch, watermarkBatch, type Batch } from '../../../src/pipelines/data/batch.js';
import { float64Column } from '../../../src/pipelines/data/column.js';
import { BUILTIN_DEFINITIONS } from '../../../src/pipelines/features/index.js';
import { reorder } from '../../../src/pipelines/operators/reorder.js';
import { createRuntime } from '../../../src/pipelines/runtime/context.js';
import { parseConfig } from '../../../src/sdk/config/loadConfig.js';
import { FeatureRegistry } from '../../../src/sdk/registry.js';

/**
 * RowOrder (the main thread's order of an events table under threads) against the reorder operator
 * itself: over in-order, jittered and very late streams, cut into batches of any size, with idle
 * watermarks, the rows come out in the same order and the same rows are dropped as late.
 */

const config = (lateness: string) =>
  parseConfig(
    `
name: order
sources:
  ev:
    time: t
    time_format: epoch_ms
    keys: [k]
    lateness: ${lateness}
    columns: { k: string, v: float64 }
features:
  - { name: s, source: ev, column: v, ops: [sum], window: 10s }
`,
    { dir: process.cwd(), dataDir: process.cwd() },
  );

function stream(n: number, seed: number, jitter: number, batchRows: number, idleEvery: number): Batch[] {
  let x = seed;
  const rand = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
  const out: Batch[] = [];
  let clock = 1_000_000;
  for (let at = 0; at < n; at += batchRows) {
    const m = Math.min(batchRows, n - at);
    const t = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      clock += Math.floor(rand() * 300);
      t[i] = rand() < 0.3 ? clock - Math.floor(rand() * jitter) : clock;
    }
    out.push(makeBatch(t, { v: float64Column(new Float64Array(m)) }));
    if (idleEvery > 0 && out.length % idleEvery === 0) out.push(watermarkBatch(clock - Math.floor(rand() * 2_000)));
  }
  return out;
}

function viaReorder(batches: readonly Batch[], lateness: number): number[] {
  const rows: number[] = [];
  const input = new Subject<Batch>();
  const runtime = createRuntime();
  input.pipe(reorder(runtime.step('r', 'ev'), lateness)).subscribe((b) => {
    const r = (b.columns[ROW_COLUMN] as { values: Float64Array }).values;
    for (let i = 0; i < b.length; i++) rows.push(r[i]!);
  });
  let base = 0;
  for (const b of batches) {
    const r = Float64Array.from({ length: b.length }, (_, i) => base + i);
    input.next({ ...b, columns: { [ROW_COLUMN]: float64Column(r) } });
    base += b.length;
  }
  input.complete();
  return rows;
}

function viaRowOrder(batches: readonly Batch[], lateness: string): number[] {
  const cfg = config(lateness);
  const compiled = compileFeatureSet(cfg, FeatureRegistry.withBuiltins(BUILTIN_DEFINITIONS));
  const splitter = new SourceSplitter(compiled, [], ['ev']);
  const rows: number[] = [];
  const order = new RowOrder(cfg.sources.ev!.lateness, (r) => {
    if (r.rows !== undefined) rows.push(...r.rows);
    else for (let i = r.minRow; i <= r.maxRow; i++) rows.push(i);
  });
  for (const b of batches) {
    const { base, announce } = splitter.split('ev', b);
    order.push(b.time, b.length, base, announce, b.watermark);
  }
  order.finish();
  return rows;
}

describe('RowOrder gives the order of reorder', () => {
  const cases: [string, number, number, number][] = [
    // lateness, jitter (ms back in time), batch rows, idle watermark every k batches
    ['0s', 0, 1_000, 0],
    ['0s', 2_000, 97, 0],
    ['2s', 0, 500, 3],
    ['2s', 4_000, 1, 0],
    ['2s', 4_000, 97, 2],
    ['2s', 4_000, 5_000, 0],
    ['500ms', 1_000, 64, 5],
  ];
  for (const [lateness, jitter, batchRows, idle] of cases) {
    it(`lateness ${lateness}, jitter ${jitter} ms, batches of ${batchRows}${idle ? `, idle watermarks` : ''}`, () => {
      const batches = stream(4_000, 11, jitter, batchRows, idle);
      const ms = config(lateness).sources.ev!.lateness;
      const expected = viaReorder(batches, ms);
      const actual = viaRowOrder(batches, lateness);
      // Jitter beyond the lateness makes late rows: the case then checks which rows are dropped too.
      if (jitter > ms) expect(expected.length).toBeLessThan(4_000);
      else expect(expected.length).toBe(4_000);
      expect(actual.length).toBe(expected.length);
      expect(actual).toEqual(expected);
    });
  }
});
