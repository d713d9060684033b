import fc from 'fast-check';
import { pipe } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { BASIC_OP_NAMES as OP_NAMES } from '../../../src/pipelines/aggregations/catalog.js';
import { watermarkBatch, type Batch } from '../../../src/pipelines/data/batch.js';
import { Dictionary } from '../../../src/pipelines/data/dictionary.js';
import { keyBy } from '../../../src/pipelines/operators/keyBy.js';
import { windowAggregate, type WindowAggregateOptions } from '../../../src/pipelines/operators/windowAggregate.js';
import type { RuntimeContext } from '../../../src/pipelines/runtime/context.js';
import { bucketStart } from '../../../src/pipelines/windows/align.js';
import { close, naiveAggregate } from '../aggregations/helpers/naiveWindow.js';
import { allRows, batchesOf, cutsArb, evArb, jitteredOrder, rejectionKinds, rowsOf, runOp, stableByTime, type Ev, type Row } from './helpers.js';

interface Cfg {
  size: number;
  every: number;
  offset: number;
  lateness: number;
}

const OUTPUTS = OP_NAMES.map((op) => ({ column: `o_${op}`, op }));

/** A closed window of one key, as the naive model sees it. */
interface NaiveRow {
  key: string;
  start: number;
  end: number;
  values: { t: number; v: number }[];
}

/**
 * The naive model: windows [s, s + size) with s = offset + k * every. Before each row the watermark is
 * (max time of all rows before it) - lateness. A usable row (passes `where`, non-null value) with a null
 * key is rejected; otherwise it counts in every window holding it whose end is above the watermark, and
 * is late (rejected) when there is none.
 */
function naiveWindows(evs: readonly Ev[], cfg: Cfg, useWhere: boolean) {
  const windows = new Map<string, NaiveRow>();
  const rejections: { time: number; offset: number; kind: string }[] = [];
  let max = -Infinity;
  evs.forEach((e, i) => {
    const watermark = max - cfg.lateness;
    if (e.t > max) max = e.t;
    if (useWhere && !e.on) return;
    if (e.v === null) return;
    if (e.key === null) {
      rejections.push({ time: e.t, offset: 1000 + i, kind: 'null key' });
      return;
    }
    const open: number[] = [];
    // Brute force over the grid: every start s with s <= t < s + size.
    for (let s = bucketStart(e.t - cfg.size, cfg.every, cfg.offset) - cfg.every; s <= e.t; s += cfg.every) {
      if (s <= e.t && e.t < s + cfg.size && s + cfg.size > watermark) open.push(s);
    }
    if (open.length === 0) {
      rejections.push({ time: e.t, offset: 1000 + i, kind: 'late' });
      return;
    }
    for (const s of open) {
      const id = `${s}|${e.key}`;
      let w = windows.get(id);
      if (w === undefined) windows.set(id, (w = { key: e.key, start: s, end: s + cfg.size, values: [] }));
      w.values.push({ t: e.t, v: e.v });
    }
  });
  return { windows: [...windows.values()], rejections };
}

/** The expected output row of a naive window; `first`/`last` by time, ties by arrival (a stable sort). */
function expectedRow(w: NaiveRow): Row {
  const vs = stableByTime(w.values).map((x) => x.v);
  const r: Row = { time: w.end, key: w.key, window_start: w.start };
  for (const o of OUTPUTS) r[o.column] = naiveAggregate(o.op, vs);
  return r;
}

function rowsClose(got: Row[], want: Row[]): void {
  expect(got.length, `rows: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`).toBe(want.length);
  got.forEach((g, i) => {
    const w = want[i]!;
    for (const name of Object.keys(w)) {
      const a = g[name];
      const b = w[name];
      const ok = typeof a === 'number' && typeof b === 'number' ? close(a, b) : a === b;
      if (!ok) throw new Error(`row ${i} column ${name}: got ${String(a)}, want ${String(b)}\n got ${JSON.stringify(g)}\nwant ${JSON.stringify(w)}`);
    }
  });
}

function build(cfg: Cfg, useWhere: boolean) {
  const opts: WindowAggregateOptions = {
    size: cfg.size,
    every: cfg.every,
    offset: cfg.offset,
    lateness: cfg.lateness,
    valueColumn: 'v',
    outputs: OUTPUTS,
    ...(useWhere && { where: (b: Batch) => (b.columns.on as { values: Uint8Array }).values }),
  };
  return (rt: RuntimeContext) => pipe(keyBy(rt.step('keys', 'events'), ['key']), windowAggregate(rt.step('win', 'events'), opts));
}

async function runWindows(evs: Ev[], sizes: number[], cfg: Cfg, useWhere = false) {
  const dict = new Dictionary(['a', 'b', 'c']);
  return { ...(await runOp(batchesOf(evs, sizes, dict), build(cfg, useWhere))), dict };
}

const CONFIGS: Cfg[] = [
  { size: 10, every: 10, offset: 0, lateness: 0 }, // tumbling
  { size: 10, every: 10, offset: 3, lateness: 4 }, // tumbling, shifted
  { size: 7, every: 7, offset: -12, lateness: 20 },
  { size: 12, every: 4, offset: 0, lateness: 3 }, // hopping, size a multiple of every
  { size: 12, every: 4, offset: 1, lateness: 0 },
  { size: 10, every: 4, offset: 0, lateness: 5 }, // hopping, panes of gcd 2
  { size: 10, every: 4, offset: 7, lateness: 2 },
  { size: 9, every: 6, offset: -2, lateness: 7 }, // panes of 3
  { size: 5, every: 1, offset: 0, lateness: 1 },
];

describe('windowAggregate', () => {
  it('emits tumbling windows when the watermark reaches their end: a worked example', async () => {
    const evs: Ev[] = [
      { t: 1, key: 'a', v: 1, on: true },
      { t: 4, key: 'b', v: 2, on: true },
      { t: 9, key: 'a', v: 3, on: true },
      { t: 10, key: 'a', v: 4, on: true }, // moves the watermark to 10 (after being counted)
      { t: 5, key: 'a', v: 5, on: true }, // late: [0, 10) is closed
      { t: 25, key: 'b', v: 6, on: true },
    ];
    const { out, rejections } = await runWindows(evs, [], { size: 10, every: 10, offset: 0, lateness: 0 });
    expect(allRows(out, ['key', 'window_start', 'o_count', 'o_sum', 'o_first', 'o_last'])).toEqual([
      { time: 10, key: 'a', window_start: 0, o_count: 2, o_sum: 4, o_first: 1, o_last: 3 },
      { time: 10, key: 'b', window_start: 0, o_count: 1, o_sum: 2, o_first: 2, o_last: 2 },
      { time: 20, key: 'a', window_start: 10, o_count: 1, o_sum: 4, o_first: 4, o_last: 4 },
      { time: 30, key: 'b', window_start: 20, o_count: 1, o_sum: 6, o_first: 6, o_last: 6 },
    ]);
    expect(out.map((b) => b.watermark)).toEqual([25, Infinity]);
    expect(rejectionKinds(rejections)).toEqual([{ time: 5, offset: 1004, kind: 'late' }]);
  });

  it('counts a partly late event only in the hopping windows still open', async () => {
    // size 10 every 5: t=12 lies in [5, 15) and [10, 20). At its arrival the watermark is 15 - 0: [5, 15) is closed.
    const evs: Ev[] = [
      { t: 7, key: 'a', v: 1, on: true },
      { t: 15, key: 'a', v: 2, on: true },
      { t: 12, key: 'a', v: 10, on: true },
    ];
    const { out, rejections } = await runWindows(evs, [], { size: 10, every: 5, offset: 0, lateness: 0 });
    expect(allRows(out, ['window_start', 'o_sum'])).toEqual([
      { time: 10, window_start: 0, o_sum: 1 },
      { time: 15, window_start: 5, o_sum: 1 },
      { time: 20, window_start: 10, o_sum: 12 },
      { time: 25, window_start: 15, o_sum: 2 },
    ]);
    expect(rejections).toEqual([]);
  });

  it('rejects a hopping configuration that skips time', () => {
    const dict = new Dictionary();
    return expect(runOp(batchesOf([{ t: 1, key: 'a', v: 1, on: true }], [], dict), build({ size: 4, every: 5, offset: 0, lateness: 0 }, false))).rejects.toThrow(
      /no more than its size/,
    );
  });

  for (const cfg of CONFIGS) {
    it(`matches the naive model, batch by batch, for size ${cfg.size} every ${cfg.every} offset ${cfg.offset} lateness ${cfg.lateness}`, async () => {
      await fc.assert(
        fc.asyncProperty(evArb({ lo: -25, hi: 40, maxLength: 40, nullKeys: true, nullValues: true, filtered: true }), cutsArb, fc.boolean(), async (evs, sizes, useWhere) => {
          const { out, rejections, dict } = await runWindows(evs, sizes, cfg, useWhere);
          const naive = naiveWindows(evs, cfg, useWhere);
          expect(rejectionKinds(rejections)).toEqual(naive.rejections);
          // Each output batch holds exactly the windows whose end is in (previous watermark, its watermark],
          // ordered by start, then key code.
          let prev = -Infinity;
          const remaining = new Set(naive.windows);
          out.forEach((b) => {
            const w = b.watermark!;
            expect(w).toBeGreaterThan(prev);
            const want = naive.windows
              .filter((x) => x.end > prev && x.end <= w)
              .sort((x, y) => x.start - y.start || dict.lookup(x.key) - dict.lookup(y.key));
            want.forEach((x) => remaining.delete(x));
            rowsClose(rowsOf(b, ['key', 'window_start', ...OUTPUTS.map((o) => o.column)]), want.map(expectedRow));
            prev = w;
          });
          expect([...remaining]).toEqual([]);
        }),
        { numRuns: 120 },
      );
    });
  }

  it('gives the same output for every batch cutting', async () => {
    await fc.assert(
      fc.asyncProperty(
        evArb({ lo: 0, hi: 60, maxLength: 50, nullKeys: true, nullValues: true }),
        cutsArb,
        cutsArb,
        fc.constantFrom(...CONFIGS),
        async (evs, sizesA, sizesB, cfg) => {
          const a = await runWindows(evs, sizesA, cfg);
          const b = await runWindows(evs, sizesB, cfg);
          expect(allRows(b.out)).toEqual(allRows(a.out));
          expect(b.rejections).toEqual(a.rejections);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('gives the in-order result for out-of-order input within lateness', async () => {
    await fc.assert(
      fc.asyncProperty(
        evArb({ lo: 0, hi: 80, maxLength: 50 }),
        fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1 }),
        cutsArb,
        fc.constantFrom(...CONFIGS),
        async (sorted, jitter, sizes, cfg) => {
          const inOrder = stableByTime(sorted);
          const shuffled = jitteredOrder(inOrder, jitter, cfg.lateness);
          const a = await runWindows(stableByTime(shuffled), [], cfg);
          const b = await runWindows(shuffled, sizes, cfg);
          expect(b.rejections).toEqual([]);
          const key = (r: Row) => `${String(r.key)}|${String(r.window_start)}`;
          const sortRows = (rs: Row[]) => rs.sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0));
          rowsClose(sortRows(allRows(b.out)), sortRows(allRows(a.out)));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('counts rows without a value column, skipping nothing but null keys', async () => {
    const dict = new Dictionary();
    const evs: Ev[] = [
      { t: 1, key: 'a', v: null, on: true },
      { t: 2, key: 'a', v: 1, on: true },
      { t: 3, key: null, v: 1, on: true },
    ];
    const { out, rejections } = await runOp(batchesOf(evs, [], dict), (rt) =>
      pipe(keyBy(rt.step('k', 's'), ['key']), windowAggregate(rt.step('w', 's'), { size: 10, every: 10, lateness: 0, outputs: [{ column: 'n', op: 'count' }] })),
    );
    expect(allRows(out, ['key', 'n'])).toEqual([{ time: 10, key: 'a', n: 2 }]);
    expect(rejectionKinds(rejections)).toEqual([{ time: 3, offset: 1002, kind: 'null key' }]);
  });

  it('closes windows on a watermark-only batch (no value column)', async () => {
    const dict = new Dictionary();
    const batches: Batch[] = [...batchesOf([{ t: 1, key: 'a', v: 2, on: true }], [], dict), watermarkBatch(50)];
    const { out } = await runOp(batches, (rt) =>
      pipe(keyBy(rt.step('k', 's'), ['key']), windowAggregate(rt.step('w', 's'), { size: 10, every: 10, lateness: 5, outputs: [{ column: 'n', op: 'count' }] })),
    );
    // The data batch closes nothing (watermark -4); the watermark batch closes [0, 10).
    expect(out.map((b) => [b.length, b.watermark])).toEqual([[1, 50]]);
  });

  // A watermark-only batch has no columns; it must still close windows when a value column is aggregated.
  it('closes windows on a watermark-only batch when aggregating a value column', async () => {
    const dict = new Dictionary();
    const batches: Batch[] = [...batchesOf([{ t: 1, key: 'a', v: 2, on: true }], [], dict), watermarkBatch(50)];
    const { out } = await runOp(batches, (rt) =>
      pipe(
        keyBy(rt.step('k', 's'), ['key']),
        windowAggregate(rt.step('w', 's'), { size: 10, every: 10, lateness: 5, valueColumn: 'v', outputs: [{ column: 's', op: 'sum' }] }),
      ),
    );
    expect(allRows(out, ['key', 's'])).toEqual([{ time: 10, key: 'a', s: 2 }]);
  });

  it('emits every open window at completion, with Infinity as the watermark', async () => {
    const evs: Ev[] = [
      { t: 100, key: 'b', v: 1, on: true },
      { t: 101, key: 'a', v: 1, on: true },
    ];
    const { out } = await runWindows(evs, [], { size: 10, every: 5, offset: 0, lateness: 1_000 });
    expect(out).toHaveLength(1);
    expect(out[0]!.watermark).toBe(Infinity);
    expect(allRows(out, ['key', 'window_start'])).toEqual([
      { time: 105, key: 'a', window_start: 95 },
      { time: 105, key: 'b', window_start: 95 },
      { time: 110, key: 'a', window_start: 100 },
      { time: 110, key: 'b', window_start: 100 },
    ]);
  });
});
