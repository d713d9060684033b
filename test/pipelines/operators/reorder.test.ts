import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeBatch, watermarkBatch, type Batch } from '../../../src/pipelines/data/batch.js';
import { Dictionary } from '../../../src/pipelines/data/dictionary.js';
import { reorder } from '../../../src/pipelines/operators/reorder.js';
import { allRows, batchesOf, cutsArb, evArb, jitteredOrder, rejectionKinds, runOp, stableByTime, type Ev } from './helpers.js';

/** The naive rule: row by row, late iff t < (max time of the rows before it) - lateness. */
function naiveLate(evs: readonly Ev[], lateness: number): boolean[] {
  let max = -Infinity;
  return evs.map((e) => {
    const late = e.t < max - lateness;
    if (e.t > max) max = e.t;
    return late;
  });
}

async function runReorder(evs: Ev[], sizes: number[], lateness: number) {
  const dict = new Dictionary();
  const batches = batchesOf(evs, sizes, dict);
  return runOp(batches, (rt) => reorder(rt.step('reorder#1', 'events'), lateness));
}

/** Every output batch sorted, rows below its watermark (but the last), and each timestamp in exactly one batch. */
function checkBatchShape(out: readonly Batch[]): void {
  const batchOfTime = new Map<number, number>();
  out.forEach((b, j) => {
    for (let i = 0; i < b.length; i++) {
      const t = b.time[i]!;
      if (i > 0) expect(t).toBeGreaterThanOrEqual(b.time[i - 1]!);
      const seen = batchOfTime.get(t);
      if (seen !== undefined && seen !== j) throw new Error(`time ${t} released in batches ${seen} and ${j}`);
      batchOfTime.set(t, j);
      if (j < out.length - 1 && b.watermark !== undefined) expect(t).toBeLessThan(b.watermark);
    }
  });
}

describe('reorder', () => {
  it('sorts a worked example, holding rows until the watermark passes them', async () => {
    const evs: Ev[] = [10, 12, 11, 15, 3, 14, 20, 12].map((t) => ({ t, key: 'a', v: t, on: true }));
    const { out, rejections } = await runReorder(evs, [3, 2, 3], 2);
    // Batch 1: [10, 12, 11]; max 12, watermark 10: nothing below 10.
    // Batch 2: [15, 3]; 3 < 12 - 2 is late; max 15, watermark 13: release 10, 11, 12.
    // Batch 3: [14, 20, 12]; 12 < 15 - 2 is late; max 20, watermark 18: release 14, 15. Finish: 20.
    expect(out.map((b) => Array.from(b.time))).toEqual([[], [10, 11, 12], [14, 15], [20]]);
    expect(out.map((b) => b.watermark)).toEqual([10, 13, 18, 20]);
    expect(rejectionKinds(rejections)).toEqual([
      { time: 3, offset: 1004, kind: 'late' },
      { time: 12, offset: 1007, kind: 'late' },
    ]);
    expect(rejections.every((r) => r.step === 'reorder#1' && r.source === 'events')).toBe(true);
    // Columns travel with their rows.
    expect(allRows(out, ['id', 'key']).map((r) => r.id)).toEqual([0, 2, 1, 5, 3, 6]);
  });

  it('rejects without an offset when the batch has none', async () => {
    const dict = new Dictionary();
    const batches = batchesOf([{ t: 10, key: 'a', v: 1, on: true }, { t: 1, key: 'a', v: 1, on: true }], [], dict, false);
    const { rejections } = await runOp(batches, (rt) => reorder(rt.step('r', 's'), 0));
    expect(rejections).toHaveLength(1);
    expect(rejections[0]!.offset).toBeUndefined();
    expect('offset' in rejections[0]!).toBe(false);
  });

  it('releases all rows of one timestamp together, stable in arrival order', async () => {
    const evs: Ev[] = [5, 5, 7, 5, 7, 9, 9, 5].map((t) => ({ t, key: 'a', v: 0, on: true }));
    const { out, rejections } = await runReorder(evs, [1, 1, 1, 1, 1, 1, 1, 1], 10);
    expect(rejections).toEqual([]);
    checkBatchShape(out);
    expect(allRows(out, ['id']).map((r) => r.id)).toEqual([0, 1, 3, 7, 2, 4, 5, 6]);
  });

  it('equals a stable sort of the non-late rows, for any arrival order and batch cutting', async () => {
    await fc.assert(
      fc.asyncProperty(evArb({ lo: 0, hi: 30, maxLength: 60 }), cutsArb, cutsArb, fc.integer({ min: 0, max: 12 }), async (evs, sizesA, sizesB, lateness) => {
        const late = naiveLate(evs, lateness);
        const want = stableByTime(evs.map((e, id) => ({ ...e, id })).filter((_, i) => !late[i]));
        const a = await runReorder(evs, sizesA, lateness);
        const b = await runReorder(evs, sizesB, lateness);
        for (const run of [a, b]) {
          const got = allRows(run.out, ['id', 'key', 'v']);
          expect(got).toEqual(want.map((e) => ({ time: e.t, id: e.id, key: e.key, v: e.v })));
          checkBatchShape(run.out);
          expect(rejectionKinds(run.rejections)).toEqual(
            evs.flatMap((e, i) => (late[i] ? [{ time: e.t, offset: 1000 + i, kind: 'late' }] : [])),
          );
        }
      }),
      { numRuns: 150 },
    );
  });

  it('rejects nothing when every event is within lateness, and sorts them all', async () => {
    await fc.assert(
      fc.asyncProperty(evArb({ lo: 0, hi: 50, maxLength: 50 }), fc.array(fc.integer({ min: 0, max: 8 }), { minLength: 1 }), cutsArb, async (sorted, jitter, sizes) => {
        const evs = jitteredOrder(stableByTime(sorted), jitter, 8);
        const { out, rejections } = await runReorder(evs, sizes, 8);
        expect(rejections).toEqual([]);
        const times = allRows(out, []).map((r) => r.time);
        expect(times).toEqual(evs.map((e) => e.t).sort((x, y) => x - y));
      }),
      { numRuns: 100 },
    );
  });

  it('keeps time order when held rows meet an unsorted batch that starts after them', async () => {
    // 5 is held; then 6, 4, 20 arrive (4 is within lateness): 4 must come out before 5.
    const mk = (ts: number[]): Batch => makeBatch(Float64Array.from(ts), { v: { type: 'float64', values: Float64Array.from(ts) } });
    const { out, rejections } = await runOp([mk([5]), mk([6, 4, 20])], (rt) => reorder(rt.step('r', 's'), 10));
    expect(rejections).toEqual([]);
    expect(out.flatMap((b) => Array.from(b.time))).toEqual([4, 5, 6, 20]);
  });

  it('releases everything held when the input completes', async () => {
    const evs: Ev[] = [3, 1, 2].map((t) => ({ t, key: 'a', v: 0, on: true }));
    const { out } = await runReorder(evs, [], 1_000);
    expect(out.map((b) => Array.from(b.time))).toEqual([[], [1, 2, 3]]);
  });

  // A batch's announced `watermark` (an idle source) counts for lateness too, so output stays sorted.
  it('treats events below an announced watermark as late (output stays sorted)', async () => {
    const mk = (ts: number[]): Batch => makeBatch(Float64Array.from(ts), { v: { type: 'float64', values: Float64Array.from(ts) } });
    const { out, rejections } = await runOp([mk([100]), watermarkBatch(200), mk([95]), mk([300])], (rt) => reorder(rt.step('r', 's'), 10));
    const times = out.flatMap((b) => Array.from(b.time));
    expect(times).toEqual([...times].sort((x, y) => x - y));
    expect(rejections.map((r) => r.time)).toEqual([95]);
  });
});
