import { filter, from, lastValueFrom, map, mergeMap, of, pipe, throwError, toArray, type OperatorFunction } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { sliceBatch, type Batch } from '../../../src/pipelines/data/batch.js';
import { Dictionary } from '../../../src/pipelines/data/dictionary.js';
import { keyBy } from '../../../src/pipelines/operators/keyBy.js';
import { reorder } from '../../../src/pipelines/operators/reorder.js';
import { slidingAggregate } from '../../../src/pipelines/operators/slidingAggregate.js';
import { withColumns } from '../../../src/pipelines/operators/withColumns.js';
import { createRuntime } from '../../../src/pipelines/runtime/context.js';
import { allRows, batchesOf, type Ev } from './helpers.js';

const evs: Ev[] = [1, 2, 5, 7, 8, 12].map((t, i) => ({ t, key: i % 2 ? 'a' : 'b', v: t, on: true }));

function run(op: OperatorFunction<Batch, Batch>, label?: string): Promise<Batch[]> {
  const dict = new Dictionary();
  return lastValueFrom(from(batchesOf(evs, [2, 0, 3], dict)).pipe(withColumns(op, label), toArray()));
}

describe('withColumns', () => {
  it("adds a row-aligned operator's columns to each input batch", async () => {
    const rt = createRuntime();
    const op = pipe(keyBy(rt.step('k', 's'), ['key']), slidingAggregate(rt.step('sl', 's'), { valueColumn: 'v', outputs: [{ column: 'sum5', op: 'sum', size: 5, default: 0 }] }));
    const out = await run(op);
    expect(out.map((b) => b.length)).toEqual([2, 0, 3, 1]);
    // Input columns stay, the new one joins them; the key is per row: b at 1, 5, 8 and a at 2, 7, 12.
    expect(allRows(out, ['key', 'id', 'sum5'])).toEqual([
      { time: 1, key: 'b', id: 0, sum5: 0 },
      { time: 2, key: 'a', id: 1, sum5: 0 },
      { time: 5, key: 'b', id: 2, sum5: 1 },
      { time: 7, key: 'a', id: 3, sum5: 2 },
      { time: 8, key: 'b', id: 4, sum5: 5 },
      { time: 12, key: 'a', id: 5, sum5: 7 },
    ]);
    expect(out[0]!.offsets).toBeDefined();
  });

  it('later columns override earlier ones of the same name', async () => {
    const out = await run(map((b: Batch) => ({ ...b, columns: { v: { type: 'float64', values: b.time.map((t) => -t) } } })));
    expect(allRows(out, ['v']).map((r) => r.v)).toEqual([-1, -2, -5, -7, -8, -12]);
  });

  it('fails when the operator drops rows', async () => {
    await expect(run(map((b: Batch) => sliceBatch(b, 0, Math.min(1, b.length))), 'feature f')).rejects.toThrow(/feature f must return one batch of 2 rows/);
  });

  it('fails when the operator emits nothing for a batch', async () => {
    await expect(run(filter(() => false))).rejects.toThrow(/a feature must return one batch of 2 rows for each input batch, synchronously/);
  });

  it('fails when the operator emits two batches for one', async () => {
    await expect(run(mergeMap((b: Batch) => of(b, b)))).rejects.toThrow(/one batch of 2 rows/);
  });

  it('fails when the operator holds rows back (reorder is not 1:1)', async () => {
    const rt = createRuntime();
    await expect(run(reorder(rt.step('r', 's'), 3))).rejects.toThrow(/must return one batch/);
  });

  it("passes the operator's own error through", async () => {
    await expect(run(mergeMap(() => throwError(() => new Error('boom'))))).rejects.toThrow('boom');
  });
});
