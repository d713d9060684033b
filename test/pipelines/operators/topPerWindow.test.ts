import fc from 'fast-check';
import { from, lastValueFrom, pipe, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { makeBatch, type Batch } from '../../../src/pipelines/data/batch.js';
import type { Column } from '../../../src/pipelines/data/column.js';
import { Dictionary } from '../../../src/pipelines/data/dictionary.js';
import { allocValidity, setValid } from '../../../src/pipelines/data/validity.js';
import { keyBy } from '../../../src/pipelines/operators/keyBy.js';
import { topPerWindow, type TopPerWindowOptions } from '../../../src/pipelines/operators/topPerWindow.js';
import { windowAggregate } from '../../../src/pipelines/operators/windowAggregate.js';
import { allRows, batchesOf, runOp, type Ev, type Row } from './helpers.js';

interface R {
  end: number;
  start: number;
  count: number | null;
  driver: string;
}

function windowBatch(rows: readonly R[]): Batch {
  const dict = new Dictionary();
  const validity = allocValidity(rows.length);
  rows.forEach((r, i) => setValid(validity, i, r.count !== null));
  const cols: Record<string, Column> = {
    driver: { type: 'dictionary', codes: Int32Array.from(rows, (r) => dict.encode(r.driver)), dictionary: dict },
    window_start: { type: 'timestamp', values: Float64Array.from(rows, (r) => r.start) },
    count: { type: 'float64', values: Float64Array.from(rows, (r) => r.count ?? NaN), validity },
  };
  return makeBatch(Float64Array.from(rows, (r) => r.end), cols, { watermark: 99 });
}

/** Naive: per (end, start) window, order by the columns (nulls last either way), ties by position; keep `limit`. */
function naiveTop(rows: readonly R[], opts: TopPerWindowOptions): Row[] {
  const cmp = (x: R, y: R): number => {
    for (const { column, descending } of opts.orderBy) {
      const a = x[column as 'count' | 'driver'];
      const b = y[column as 'count' | 'driver'];
      if (a === b) continue;
      if (a === null) return 1;
      if (b === null) return -1;
      return (a < b ? -1 : 1) * (descending ? -1 : 1);
    }
    return 0;
  };
  const indexed = rows.map((r, i) => ({ r, i }));
  indexed.sort((x, y) => x.r.end - y.r.end || x.r.start - y.r.start || cmp(x.r, y.r) || x.i - y.i);
  const out: Row[] = [];
  let taken = 0;
  indexed.forEach(({ r }, k) => {
    const prev = indexed[k - 1]?.r;
    taken = prev !== undefined && prev.end === r.end && prev.start === r.start ? taken + 1 : 1;
    if (taken <= opts.limit) out.push({ time: r.end, driver: r.driver, window_start: r.start, count: r.count });
  });
  return out;
}

async function top(b: Batch, opts: TopPerWindowOptions): Promise<Batch[]> {
  return lastValueFrom(from([b]).pipe(topPerWindow(opts), toArray()));
}

describe('topPerWindow', () => {
  it('keeps the most active driver of each window, ties broken by the next column', async () => {
    const rows: R[] = [
      { end: 10, start: 0, count: 3, driver: 'ann' },
      { end: 10, start: 0, count: 5, driver: 'bob' },
      { end: 10, start: 0, count: 5, driver: 'cy' },
      { end: 20, start: 10, count: 1, driver: 'ann' },
      { end: 20, start: 10, count: null, driver: 'bob' },
    ];
    const [out] = await top(windowBatch(rows), { orderBy: [{ column: 'count', descending: true }, { column: 'driver', descending: true }], limit: 1 });
    expect(allRows([out!], ['driver', 'count'])).toEqual([
      { time: 10, driver: 'cy', count: 5 },
      { time: 20, driver: 'ann', count: 1 },
    ]);
    expect(out!.watermark).toBe(99);
  });

  it('matches a naive sort-and-take for any order and limit', async () => {
    const rowArb = fc.record({
      end: fc.constantFrom(10, 20, 30),
      start: fc.constantFrom(0, 5),
      count: fc.option(fc.integer({ min: 0, max: 4 }), { freq: 5 }),
      driver: fc.constantFrom('ann', 'bob', 'cy', 'dee'),
    });
    const orderArb = fc.subarray(['count', 'driver'], { minLength: 1 }).chain((cols) =>
      fc.tuple(...cols.map((column) => fc.boolean().map((descending) => ({ column, descending })))),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(rowArb, { maxLength: 30 }), orderArb, fc.integer({ min: 0, max: 4 }), async (rows, orderBy, limit) => {
        const opts = { orderBy, limit };
        const [out] = await top(windowBatch(rows), opts);
        expect(allRows([out!], ['driver', 'window_start', 'count'])).toEqual(naiveTop(rows, opts));
      }),
      { numRuns: 200 },
    );
  });

  it('needs a window_start column and the columns it orders by', async () => {
    const b = makeBatch(Float64Array.of(1), { count: { type: 'float64', values: Float64Array.of(1) } });
    await expect(top(b, { orderBy: [{ column: 'count' }], limit: 1 })).rejects.toThrow(/window_start/);
    await expect(top(windowBatch([{ end: 1, start: 0, count: 1, driver: 'a' }]), { orderBy: [{ column: 'nope' }], limit: 1 })).rejects.toThrow(/no column "nope"/);
  });

  it('picks the top key of each window from windowAggregate rows', async () => {
    const dict = new Dictionary();
    const evs: Ev[] = [
      ...[1, 2, 3].map((t) => ({ t, key: 'ann', v: 1, on: true })),
      ...[4, 5].map((t) => ({ t, key: 'bob', v: 1, on: true })),
      ...[11].map((t) => ({ t, key: 'ann', v: 1, on: true })),
      ...[12, 13].map((t) => ({ t, key: 'bob', v: 1, on: true })),
    ];
    const { out } = await runOp(batchesOf(evs, [3, 3], dict), (rt) =>
      pipe(
        keyBy(rt.step('k', 's'), ['key']),
        windowAggregate(rt.step('w', 's'), { size: 10, every: 10, lateness: 0, outputs: [{ column: 'n', op: 'count' }] }),
        topPerWindow({ orderBy: [{ column: 'n', descending: true }], limit: 1 }),
      ),
    );
    expect(allRows(out, ['key', 'n'])).toEqual([
      { time: 10, key: 'ann', n: 3 },
      { time: 20, key: 'bob', n: 2 },
    ]);
  });
});
