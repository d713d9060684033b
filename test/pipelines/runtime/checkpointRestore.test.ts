/**
 * Checkpoint and restore across processes, for every example config, the Arroyo conformance configs
 * and the operators with unusual state. The reference is one uninterrupted run. Then, for several
 * cut points k: batches [0, k) run, the state store is snapshotted and passed through v8.serialize /
 * v8.deserialize, a fresh compiled pipeline is built on the restored store, and batches [k, n) are fed
 * with every dictionary column on a new Dictionary object (same values and codes, another identity),
 * as a worker mirroring the main thread's dictionaries sees them. Outputs before ++ outputs after must
 * equal the reference row for row and value for value (NaN-aware), and so must the rejections (dead
 * letters). The process that took the snapshot goes on to the end and serializes it only then, as an
 * actor does after a barrier: its own run must not change, nor may the snapshot. One run also goes
 * through several restores in a row. Harness: ./helpers/checkpointHarness.ts; the operators' config and
 * input: ./helpers/checkpointOps.ts.
 */
import fc from 'fast-check';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileFeatureSet, type CompiledFeatureSet } from '../../../src/pipelines/compile/compileFeatureSet.js';
import { makeBatch, watermarkBatch } from '../../../src/pipelines/data/batch.js';
import { Dictionary } from '../../../src/pipelines/data/dictionary.js';
import { allocValidity, setValid } from '../../../src/pipelines/data/validity.js';
import { BUILTIN_DEFINITIONS } from '../../../src/pipelines/features/index.js';
import { topPerWindow } from '../../../src/pipelines/operators/topPerWindow.js';
import { loadConfig, parseConfig } from '../../../src/sdk/config/loadConfig.js';
import { FeatureRegistry } from '../../../src/sdk/registry.js';
import { generateSamples, SAMPLE_DOMAINS } from '../../../src/sdk/samples/index.js';
import { ARROYO_DIR as ARROYO, CARS, IMPULSE } from '../../fixtures/arroyoConfigs.js';
import { tempDir } from '../../helpers/tables.js';
import { diffRuns, loadSteps, runAcrossBarrier, runReference, runWithCheckpoints, type Input, type Post, type Step } from './helpers/checkpointHarness.js';
import { opsConfig, opsSteps } from './helpers/checkpointOps.js';

const registry = FeatureRegistry.withBuiltins(BUILTIN_DEFINITIONS);
const tmp = tempDir('tributary-checkpoint-');
afterAll(() => tmp.remove());

/** Snapshot keys whose state holds rows: reorder's pending rows, or open windows, sessions, bars, periods. */
function heldRows(snapshot: Record<string, unknown>): string[] {
  const held: string[] = [];
  for (const [key, s] of Object.entries(snapshot)) {
    const v = s as Record<string, unknown>;
    if (key.endsWith('/reorder') && v.pending !== undefined) held.push(key);
    if (key.endsWith('/windows') && (v.panes as unknown[]).length > 0) held.push(key);
    if (key.endsWith('/sessions') && (v.open as unknown[]).length > 0) held.push(key);
    if (key.endsWith('/bars') && (v.bars as unknown[]).length > 0) held.push(key);
    if (key.endsWith('/periods') && (v.blocks as unknown[]).length > 0) held.push(key);
  }
  return held;
}

/**
 * The reference run, then one restore at each cut (and one run through all the cuts at once):
 * each must give the reference outputs and rejections.
 */
function checkCuts(compile: () => CompiledFeatureSet, steps: Input, n: number, cuts: readonly number[], post?: Post): void {
  const want = runReference(compile, steps, post);
  const rows = Object.values(want.outputs).reduce((n, bs) => n + bs.reduce((m, b) => m + b.length, 0), 0);
  expect(rows).toBeGreaterThan(0);
  for (const k of cuts) {
    const { first, restored } = runAcrossBarrier(compile, steps, k, post);
    expect(diffRuns(first, want), `the run that took a snapshot at batch ${k}`).toBeUndefined();
    expect(diffRuns(restored, want), `cut at batch ${k} of ${n}`).toBeUndefined();
  }
  const chain = runWithCheckpoints(compile, steps, cuts.filter((k) => k > 0 && k < n), post);
  expect(diffRuns(chain, want), `cuts at ${cuts.join(', ')} in one run`).toBeUndefined();
}

/** 0, a quarter, the middle, three quarters, the last batch, and n (a restore that only completes). */
function spread(n: number): number[] {
  return [...new Set([0, 1, Math.floor(n / 4), Math.floor(n / 2), Math.floor((3 * n) / 4), n - 1, n])].sort((a, b) => a - b);
}

describe('checkpoint and restore: example configs on generated samples', () => {
  for (const domain of SAMPLE_DOMAINS) {
    it(`${domain}`, async () => {
      await generateSamples(domain, join(tmp.dir, 'data', 'samples', domain), { scale: 0.03, seed: 7 });
      mkdirSync(join(tmp.dir, 'configs'), { recursive: true });
      const file = join(tmp.dir, 'configs', `${domain}.yaml`);
      writeFileSync(file, readFileSync(join('configs', `${domain}.yaml`)));
      const config = loadConfig(file, { dataDir: join(tmp.dir, 'state', domain) });
      const compile = () => compileFeatureSet(config, registry);
      const steps = await loadSteps(config, compile(), 251, join(tmp.dir, 'dead', domain));
      expect(steps.length).toBeGreaterThan(8);
      // At the middle cut something is held: rows in reorder, open windows or sessions.
      const mid = runWithCheckpoints(compile, steps, [Math.floor(steps.length / 2)]);
      expect(heldRows(mid.snapshots[0]!).length).toBeGreaterThan(0);
      checkCuts(compile, steps, steps.length, spread(steps.length));
    }, 300_000);
  }
});

// The configs of test/conformance/arroyo.test.ts, on the Arroyo smoke-test inputs.
describe('checkpoint and restore: Arroyo conformance configs', () => {
  it('cars: tumbling and hopping counts, and the top driver per window (topPerWindow)', async () => {
    const config = parseConfig(CARS, { dir: ARROYO, dataDir: join(tmp.dir, 'arroyo-cars') });
    const compile = () => compileFeatureSet(config, registry);
    const steps = await loadSteps(config, compile(), 211, join(tmp.dir, 'dead', 'cars'));
    const post: Post = (outs) => ({
      ...outs,
      top_driver: outs.driver_hourly!.pipe(topPerWindow({ orderBy: [{ column: 'driver_hourly', descending: true }, { column: 'driver_id', descending: true }], limit: 1 })),
    });
    checkCuts(compile, steps, steps.length, spread(steps.length), post);
  }, 120_000);

  it('impulse: hopping count/min/max and sessions on a computed key', async () => {
    const config = parseConfig(IMPULSE, { dir: ARROYO, dataDir: join(tmp.dir, 'arroyo-impulse') });
    const compile = () => compileFeatureSet(config, registry);
    const steps = await loadSteps(config, compile(), 7, join(tmp.dir, 'dead', 'impulse'));
    checkCuts(compile, steps, steps.length, spread(steps.length));
  }, 120_000);
});

describe('checkpoint and restore: operators with unusual state', () => {
  it('sessions, windows, reorder with late events, k-lists, sketches, histograms, buckets, string keys', () => {
    const config = parseConfig(opsConfig(), { dataDir: join(tmp.dir, 'ops') });
    const compile = () => compileFeatureSet(config, registry);
    const steps = () => opsSteps(1, 3000, 37);
    const all = [...steps()];
    const n = all.length;
    // Right after each watermark-only batch: the announced watermark is state then.
    const afterMarks = all.flatMap((s, i) => (s.batch.length === 0 ? [i + 1] : []));
    expect(afterMarks.length).toBeGreaterThan(0);
    const want = runReference(compile, steps);
    // Every table has rows, so every feature is exercised.
    for (const t of compile().tables) expect(want.outputs[t.name]?.some((b) => b.length > 0), `table ${t.name}`).toBe(true);
    // The input does have late events, rejected by reorder, windows and sessions.
    expect(want.rejections.some((r) => r.step.startsWith('reorder-'))).toBe(true);
    expect(want.rejections.some((r) => r.step.endsWith('/windows'))).toBe(true);
    expect(want.rejections.some((r) => r.step.endsWith('/sessions'))).toBe(true);
    const cuts = [...new Set([...spread(n), 3, 13, 41, ...afterMarks])].sort((a, b) => a - b);
    for (const k of cuts) {
      const { first, restored } = runAcrossBarrier(compile, steps, k);
      if (k > 0 && k < n) expect(heldRows(restored.snapshot).length, `held rows at cut ${k}`).toBeGreaterThan(0);
      expect(diffRuns(first, want), `the run that took a snapshot at batch ${k}`).toBeUndefined();
      expect(diffRuns(restored, want), `cut at batch ${k} of ${n}`).toBeUndefined();
    }
    const chain = runWithCheckpoints(compile, steps, [3, 11, 19, 31, 50, 70]);
    expect(diffRuns(chain, want)).toBeUndefined();
  }, 300_000);
});

const PROP = `
name: prop
sources:
  ev:
    time: ts
    keys: [key]
    lateness: 3s
    columns: { key: string, cat: string, v: float64 }
    derive:
      tag: "if(v > 0, cat, 'neg')"
features:
  - name: s
    source: ev
    ops: [count, sum, min, max, last, count_distinct]
    column: v
    windows: [5s, 20s]
  - name: s_top
    source: ev
    ops: [top_k, approx_percentile]
    k: 2
    percentile: 0.5
    column: v
    window: 10s
  - name: s_cats
    source: ev
    op: histogram
    values: [x, w]
    column: cat
    window: 10s
  - name: s_tags
    source: ev
    ops: [histogram, count_distinct]
    top: 2
    column: tag
    window: 10s
  - name: t
    source: ev
    ops: [count, sum, max, first_k]
    k: 2
    column: v
    window: { tumbling: 10s }
  - name: t_tags
    source: ev
    key: tag
    op: count
    window: { tumbling: 5s, offset: 2s }
  - name: sess
    source: ev
    ops: [count, sum, last]
    column: v
    window: { session: 4s }
  - name: mode
    source: ev
    definition: mode_sum
    params: { column: v, category: cat, window: 10s, outputs: [sum, share] }
  - name: sess_tags
    source: ev
    key: [key, tag]
    op: count
    window: { session: 2s }
`;

interface PropEvent {
  t: number;
  key: string | null;
  cat: string;
  v: number | null;
}

/**
 * The events in arrival order as batches of the given sizes, on dictionaries that grow as they are
 * read; after batch s, when `marks[s]` is a number, a watermark-only batch announcing the newest time
 * so far minus it.
 */
function* propSteps(events: readonly PropEvent[], sizes: readonly number[], marks: readonly (number | null)[]): Generator<Step> {
  const keys = new Dictionary();
  const cats = new Dictionary();
  let at = 0;
  let newest = -Infinity;
  for (let s = 0; at < events.length; s++) {
    const part = events.slice(at, at + Math.max(1, sizes[s % sizes.length]!));
    const n = part.length;
    const keyValid = allocValidity(n);
    const vValid = allocValidity(n);
    part.forEach((e, i) => {
      setValid(keyValid, i, e.key !== null);
      setValid(vValid, i, e.v !== null);
    });
    yield {
      source: 'ev',
      batch: makeBatch(Float64Array.from(part, (e) => e.t), {
        key: { type: 'dictionary', codes: Int32Array.from(part, (e) => (e.key === null ? 0 : keys.encode(e.key))), dictionary: keys, validity: keyValid },
        cat: { type: 'dictionary', codes: Int32Array.from(part, (e) => cats.encode(e.cat)), dictionary: cats },
        v: { type: 'float64', values: Float64Array.from(part, (e) => e.v ?? 0), validity: vValid },
      }, { offsets: Float64Array.from(part, (_, i) => at + i) }),
    };
    at += n;
    for (const e of part) newest = Math.max(newest, e.t);
    const mark = marks.length > 0 ? marks[s % marks.length] : null;
    if (typeof mark === 'number') yield { source: 'ev', batch: watermarkBatch(newest - mark) };
  }
}

describe('checkpoint and restore: property', () => {
  const config = parseConfig(PROP, { dataDir: join(tmp.dir, 'prop') });
  const compile = () => compileFeatureSet(config, registry);
  const eventArb = fc.record({
    t: fc.integer({ min: 0, max: 60_000 }),
    key: fc.option(fc.constantFrom('a', 'b', 'c', 'd'), { freq: 12 }),
    cat: fc.constantFrom('x', 'y', 'z', 'w'),
    v: fc.option(fc.integer({ min: -20, max: 20 }).map((x) => x / 4), { freq: 10 }),
  }) as fc.Arbitrary<PropEvent>;
  // Out of order: sorted by time plus a jitter, mostly within the 3 s lateness, sometimes far beyond.
  const inputArb = fc
    .array(fc.tuple(eventArb, fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 0, max: 3_000 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 20_000 }) })), { minLength: 1, maxLength: 150 })
    .map((xs) => xs.map(([e, j], i) => ({ e, k: e.t + j, i })).sort((a, b) => a.k - b.k || a.i - b.i).map((x) => x.e));

  const sizesArb = fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 8 });
  // Announced watermarks, at or somewhat ahead of the one the 3 s lateness implies.
  const marksArb = fc.array(fc.option(fc.integer({ min: 0, max: 4_000 }), { freq: 2 }), { maxLength: 6 });

  it('outputs and rejections equal an uninterrupted run, for random input, batch sizes, watermarks and cut points', () => {
    fc.assert(
      fc.property(inputArb, sizesArb, marksArb, fc.array(fc.nat(), { minLength: 1, maxLength: 3 }), (events, sizes, marks, rawCuts) => {
        const steps = () => propSteps(events, sizes, marks);
        const all = [...steps()];
        const n = all.length;
        // Random cuts, and one right after a watermark-only batch when there is one.
        const afterMarks = all.flatMap((s, i) => (s.batch.length === 0 ? [i + 1] : []));
        const picked = afterMarks.length > 0 ? [afterMarks[rawCuts[0]! % afterMarks.length]!] : [];
        const cuts = [...new Set([...rawCuts.map((c) => c % (n + 1)), ...picked])].sort((a, b) => a - b);
        const want = runReference(compile, steps);
        const got = runWithCheckpoints(compile, steps, cuts);
        const diff = diffRuns(got, want);
        if (diff !== undefined) throw new Error(`cuts ${cuts.join(', ')} of ${n}: ${diff}`);
      }),
      { numRuns: 200 },
    );
  }, 300_000);
});
