/**
 * The new ops in tumbling, hopping (panes merged at close) and session windows: Accumulator merges
 * against one pass, the operators against a naive model of the windows, and snapshot / restore
 * through the operators' state store.
 */
import fc from 'fast-check';
import { pipe } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { Accumulator, accumulatorShape } from '../../../src/pipelines/aggregations/accumulator.js';
import { opOutputParts, type OpSpec } from '../../../src/pipelines/aggregations/catalog.js';
import { HyperLogLog } from '../../../src/pipelines/aggregations/hyperLogLog.js';
import { outputColumnNames, type WindowOutputSpec } from '../../../src/pipelines/aggregations/windowRows.js';
import { makeBatch, type Batch } from '../../../src/pipelines/data/batch.js';
import { Dictionary } from '../../../src/pipelines/data/dictionary.js';
import { keyBy } from '../../../src/pipelines/operators/keyBy.js';
import { sessionAggregate } from '../../../src/pipelines/operators/sessionAggregate.js';
import { windowAggregate } from '../../../src/pipelines/operators/windowAggregate.js';
import type { RuntimeContext } from '../../../src/pipelines/runtime/context.js';
import { bucketStart } from '../../../src/pipelines/windows/align.js';
import { allRows, batchesOf, cutsArb, runOp, runWithRestart, stableByTime, type Ev, type Row } from '../operators/helpers.js';
import { close, naiveColumns } from './helpers/naiveWindow.js';
import { mulberry32 as mulberry, newOpArb } from './helpers/arbitraries.js';

/** The expected columns of one op over a window's values in (time, arrival) order. */
function expected(spec: OpSpec, values: number[]): (number | null)[] {
  if (spec.op === 'approx_count_distinct') {
    // Register-wise max merges exactly: the answer is the sketch of the window's values, however panes fell.
    if (values.length === 0) return [0];
    const h = new HyperLogLog();
    for (const v of values) h.add(v);
    return [Math.round(h.estimate())];
  }
  return naiveColumns(spec, values);
}

function outputsOf(specs: readonly OpSpec[]): WindowOutputSpec[] {
  return specs.map((s, i) => ({ ...s, column: `o${i}` }));
}

function expectedRow(outputs: readonly WindowOutputSpec[], base: Row, values: { t: number; v: number }[]): Row {
  const vs = stableByTime(values).map((x) => x.v);
  const r: Row = { ...base };
  for (const o of outputs) {
    const want = expected(o, vs);
    outputColumnNames(o).forEach((name, j) => (r[name] = want[j]!));
  }
  return r;
}

function rowsClose(got: Row[], want: Row[], tol = 1e-9): void {
  expect(got.length, `rows: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`).toBe(want.length);
  got.forEach((g, i) => {
    const w = want[i]!;
    for (const name of Object.keys(w)) {
      const a = g[name];
      const b = w[name];
      const ok = typeof a === 'number' && typeof b === 'number' ? close(a, b, tol) : a === b;
      if (!ok) throw new Error(`row ${i} column ${name}: got ${String(a)}, want ${String(b)}\n got ${JSON.stringify(g)}\nwant ${JSON.stringify(w)}`);
    }
  });
}

const byKeyAndStart = (rs: Row[]) =>
  [...rs].sort((x, y) => String(x.key).localeCompare(String(y.key)) || (x.window_start as number) - (y.window_start as number));

/** Events: few keys, many ties, values on a small grid (repeats, exact sums), some null or filtered. */
const evsArb = fc.array(
  fc.record({
    t: fc.integer({ min: 0, max: 40 }),
    key: fc.option(fc.constantFrom('a', 'b', 'c'), { freq: 10 }),
    v: fc.option(fc.integer({ min: -6, max: 6 }).map((x) => x / 4), { freq: 10 }),
    on: fc.boolean(),
  }),
  { maxLength: 60 },
) as fc.Arbitrary<Ev[]>;

interface WinCfg {
  size: number;
  every: number;
  offset: number;
}
const WINDOWS: WinCfg[] = [
  { size: 10, every: 10, offset: 0 },
  { size: 7, every: 7, offset: 3 },
  { size: 12, every: 4, offset: 0 },
  { size: 10, every: 4, offset: 1 },
  { size: 9, every: 6, offset: -2 },
];

function buildWindows(outputs: WindowOutputSpec[], cfg: WinCfg, lateness: number) {
  return (rt: RuntimeContext) =>
    pipe(
      keyBy(rt.step('keys', 'events'), ['key']),
      windowAggregate(rt.step('win', 'events'), {
        ...cfg,
        lateness,
        valueColumn: 'v',
        outputs,
        where: (b: Batch) => (b.columns.on as { values: Uint8Array }).values,
      }),
    );
}

/** Naive windows of usable events (key, value, on): every grid window holding each event. Nothing is late here. */
function naiveWindows(evs: readonly Ev[], cfg: WinCfg, outputs: WindowOutputSpec[]): Row[] {
  const windows = new Map<string, { key: string; start: number; values: { t: number; v: number }[] }>();
  for (const e of evs) {
    if (!e.on || e.v === null || e.key === null) continue;
    for (let s = bucketStart(e.t - cfg.size, cfg.every, cfg.offset) - cfg.every; s <= e.t; s += cfg.every) {
      if (e.t < s || e.t >= s + cfg.size) continue;
      const id = `${e.key}|${s}`;
      let w = windows.get(id);
      if (w === undefined) windows.set(id, (w = { key: e.key, start: s, values: [] }));
      w.values.push({ t: e.t, v: e.v });
    }
  }
  return [...windows.values()].map((w) => expectedRow(outputs, { time: w.start + cfg.size, key: w.key, window_start: w.start }, w.values));
}

function columnsOf(outputs: readonly WindowOutputSpec[]): string[] {
  return ['key', 'window_start', ...outputs.flatMap(outputColumnNames)];
}

describe('Accumulator: the new ops merge exactly', () => {
  it('a merge of panes equals one pass over all values (first/last ties by arrival: later panes arrive later)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ t: fc.integer({ min: 0, max: 20 }), v: fc.integer({ min: -20, max: 20 }).map((x) => x / 8) }), { maxLength: 80 }),
        fc.array(newOpArb, { minLength: 1, maxLength: 5 }),
        fc.array(fc.integer({ min: 0, max: 80 }), { maxLength: 6 }),
        (evs, specs, cuts) => {
          const shape = accumulatorShape(specs);
          const whole = new Accumulator(shape);
          for (const e of evs) whole.add(e.t, e.v);
          // Consecutive runs of the arrival order, each its own pane, merged in order.
          const bounds = [...new Set([0, ...cuts.filter((c) => c < evs.length), evs.length])].sort((a, b) => a - b);
          const merged = new Accumulator(shape);
          for (let i = 0; i + 1 < bounds.length; i++) {
            const pane = new Accumulator(shape);
            for (const e of evs.slice(bounds[i], bounds[i + 1])) pane.add(e.t, e.v);
            // Through a checkpoint, too.
            merged.merge(Accumulator.fromJSON(structuredClone(pane.toJSON())));
          }
          for (const s of specs) {
            const a = merged.results(s);
            const b = whole.results(s);
            const vs = evs.map((e, i) => ({ ...e, i })).sort((x, y) => x.t - y.t || x.i - y.i).map((e) => e.v);
            const want = expected(s, vs);
            a.forEach((x, j) => {
              if (!close(x, b[j]!, 1e-9)) throw new Error(`${JSON.stringify(s)} column ${j}: merged ${x}, one pass ${b[j]}`);
              if (!close(x, want[j]!, 1e-9)) throw new Error(`${JSON.stringify(s)} column ${j}: merged ${x}, naive ${want[j]}`);
            });
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('third and fourth moments merge with Pébay\'s formulas to the one-pass values on spread-out data', () => {
    const rand = mulberry(3);
    const values = Array.from({ length: 5000 }, (_, i) => 1e4 + (i % 7) * rand() ** 3 * 100);
    const shape = accumulatorShape([{ op: 'skew' }, { op: 'kurtosis' }]);
    const whole = new Accumulator(shape);
    values.forEach((v, i) => whole.add(i, v));
    const merged = new Accumulator(shape);
    for (let i = 0; i < values.length; i += 377) {
      const pane = new Accumulator(shape);
      values.slice(i, i + 377).forEach((v, j) => pane.add(i + j, v));
      merged.merge(pane);
    }
    const [skew] = naiveColumns({ op: 'skew' }, values);
    const [kurt] = naiveColumns({ op: 'kurtosis' }, values);
    expect(close(merged.result('skew'), skew!, 1e-9)).toBe(true);
    expect(close(merged.result('kurtosis'), kurt!, 1e-9)).toBe(true);
    expect(close(whole.result('skew'), skew!, 1e-9)).toBe(true);
    expect(close(whole.result('kurtosis'), kurt!, 1e-9)).toBe(true);
  });
});

describe('windowAggregate and sessionAggregate: the new ops', () => {
  it('a worked example: tumbling windows of 10 with every new op', async () => {
    const evs: Ev[] = [
      { t: 1, key: 'a', v: 3, on: true },
      { t: 2, key: 'a', v: 1, on: true },
      { t: 2, key: 'a', v: 3, on: true },
      { t: 5, key: 'a', v: 8, on: true },
      { t: 12, key: 'a', v: 2, on: true },
    ];
    const outputs: WindowOutputSpec[] = [
      { column: 'f', op: 'first_k', k: 2 },
      { column: 'l', op: 'last_k', k: 2 },
      { column: 'top', op: 'top_k', k: 3 },
      { column: 'bot', op: 'bottom_k', k: 1 },
      { column: 'h', op: 'histogram', values: [3, 8, 9] },
      { column: 'ht', op: 'histogram', top: 2 },
      { column: 'u', op: 'approx_count_distinct' },
      { column: 'p', op: 'approx_percentile', percentiles: [0.5, 1] },
      { column: 'sk', op: 'skew' },
    ];
    const { out } = await runOp(batchesOf(evs, [], new Dictionary()), buildWindows(outputs, { size: 10, every: 10, offset: 0 }, 0));
    const rows = allRows(out, columnsOf(outputs));
    expect(rows[0]).toEqual({
      time: 10,
      key: 'a',
      window_start: 0,
      f_1: 3,
      f_2: 1,
      l_1: 8,
      l_2: 3,
      top_1: 8,
      top_2: 3,
      top_3: 3,
      bot: 1,
      h_3: 2,
      h_8: 1,
      h_9: 0,
      h___other__: 1,
      ht_1: 2,
      ht_2: 1,
      ht___other__: 1,
      u: 3,
      p_p50: 3,
      p_p100: 8,
      sk: expect.closeTo(naiveColumns({ op: 'skew' }, [3, 1, 3, 8])[0]!, 12) as unknown as number,
    });
    // One value: k columns past it are null, skew is null, the histogram still counts.
    expect(rows[1]).toMatchObject({ time: 20, f_1: 2, f_2: null, top_2: null, h_3: 0, h___other__: 1, ht_1: 1, ht_2: 0, u: 1, p_p50: 2, sk: null });
  });

  for (const cfg of WINDOWS) {
    it(`tumbling / hopping size ${cfg.size} every ${cfg.every} offset ${cfg.offset}: matches the naive windows, in order and out of order`, async () => {
      await fc.assert(
        fc.asyncProperty(evsArb, fc.array(newOpArb, { minLength: 1, maxLength: 4 }), cutsArb, fc.boolean(), async (evs, specs, sizes, shuffled) => {
          const outputs = outputsOf(specs);
          // In time order with lateness 0 (windows close as the stream goes), or in arrival order with
          // a lateness past the span (every window closes at the end; first_k / last_k ties by arrival).
          const input = shuffled ? evs : stableByTime(evs);
          const { out, rejections } = await runOp(batchesOf(input, sizes, new Dictionary(['a', 'b', 'c'])), buildWindows(outputs, cfg, shuffled ? 1000 : 0));
          expect(rejections.filter((r) => r.reason.startsWith('late'))).toEqual([]);
          rowsClose(byKeyAndStart(allRows(out, columnsOf(outputs))), byKeyAndStart(naiveWindows(input, cfg, outputs)));
        }),
        { numRuns: 60 },
      );
    });
  }

  it('sessions: matches naive sessions of in-order events', async () => {
    await fc.assert(
      fc.asyncProperty(evsArb, fc.array(newOpArb, { minLength: 1, maxLength: 4 }), cutsArb, fc.integer({ min: 1, max: 6 }), async (evs, specs, sizes, gap) => {
        const outputs = outputsOf(specs);
        const input = stableByTime(evs);
        const build = (rt: RuntimeContext) =>
          pipe(
            keyBy(rt.step('keys', 'events'), ['key']),
            sessionAggregate(rt.step('sess', 'events'), { gap, lateness: 0, valueColumn: 'v', outputs, where: (b: Batch) => (b.columns.on as { values: Uint8Array }).values }),
          );
        const { out } = await runOp(batchesOf(input, sizes, new Dictionary(['a', 'b', 'c'])), build);
        const open = new Map<string, { start: number; last: number; values: { t: number; v: number }[] }>();
        const want: Row[] = [];
        const close_ = (key: string, s: { start: number; last: number; values: { t: number; v: number }[] }) =>
          want.push(expectedRow(outputs, { time: s.last + gap, key, window_start: s.start }, s.values));
        for (const e of input) {
          if (!e.on || e.v === null || e.key === null) continue;
          const s = open.get(e.key);
          if (s !== undefined && e.t - s.last < gap) {
            s.last = e.t;
            s.values.push({ t: e.t, v: e.v });
          } else {
            if (s !== undefined) close_(e.key, s);
            open.set(e.key, { start: e.t, last: e.t, values: [{ t: e.t, v: e.v }] });
          }
        }
        for (const [key, s] of open) close_(key, s);
        rowsClose(byKeyAndStart(allRows(out, columnsOf(outputs))), byKeyAndStart(want));
      }),
      { numRuns: 150 },
    );
  });

  it('sessions bridged by an out-of-order event merge their accumulators (first_k, last_k by time)', async () => {
    const outputs: WindowOutputSpec[] = [
      { column: 'f', op: 'first_k', k: 3 },
      { column: 'l', op: 'last_k', k: 3 },
      { column: 'h', op: 'histogram', values: [1, 2] },
      { column: 'k', op: 'kurtosis' },
    ];
    // Gap 5, lateness 10: sessions [0] and [8] are separate until t=4 arrives and bridges them.
    const evs: Ev[] = [
      { t: 0, key: 'a', v: 1, on: true },
      { t: 8, key: 'a', v: 2, on: true },
      { t: 9, key: 'a', v: 7, on: true },
      { t: 4, key: 'a', v: 2, on: true },
    ];
    const build = (rt: RuntimeContext) =>
      pipe(keyBy(rt.step('keys', 'events'), ['key']), sessionAggregate(rt.step('sess', 'events'), { gap: 5, lateness: 10, valueColumn: 'v', outputs }));
    const { out } = await runOp(batchesOf(evs, [], new Dictionary()), build);
    expect(allRows(out, columnsOf(outputs))).toEqual([
      { time: 14, key: 'a', window_start: 0, f_1: 1, f_2: 2, f_3: 2, l_1: 7, l_2: 2, l_3: 2, h_1: 1, h_2: 2, h___other__: 1, k: expect.closeTo(naiveColumns({ op: 'kurtosis' }, [1, 2, 2, 7])[0]!, 12) },
    ]);
  });

  it('histogram values of a string column are looked up in its dictionary, also values first seen later', async () => {
    const dict = new Dictionary(['u1']);
    const cats = new Dictionary();
    const batch = (rows: [number, string][]): Batch =>
      makeBatch(Float64Array.from(rows, (r) => r[0]), {
        user: { type: 'dictionary', codes: Int32Array.from(rows, () => dict.encode('u1')), dictionary: dict },
        page: { type: 'dictionary', codes: Int32Array.from(rows, (r) => cats.encode(r[1])), dictionary: cats },
      });
    const outputs: WindowOutputSpec[] = [
      { column: 'pages', op: 'histogram', values: ['home', 'cart', 'bug'] },
      { column: 'n', op: 'approx_count_distinct' },
    ];
    const build = (rt: RuntimeContext) =>
      pipe(keyBy(rt.step('keys', 'pages'), ['user']), windowAggregate(rt.step('w', 'pages'), { size: 10, every: 10, lateness: 0, valueColumn: 'page', outputs }));
    const batches = [
      batch([
        [1, 'home'],
        [2, 'search'],
        [3, 'home'],
      ]),
      batch([
        [11, 'bug'],
        [12, 'home'],
        [13, 'cart'],
        [14, 'x'],
      ]),
    ];
    const { out } = await runOp(batches, build);
    expect(allRows(out, ['window_start', 'pages_home', 'pages_cart', 'pages_bug', 'pages___other__', 'n'])).toEqual([
      { time: 10, window_start: 0, pages_home: 2, pages_cart: 0, pages_bug: 0, pages___other__: 1, n: 2 },
      { time: 20, window_start: 10, pages_home: 1, pages_cart: 1, pages_bug: 1, pages___other__: 1, n: 4 },
    ]);
  });

  it('restores windows and sessions from a checkpoint (structuredClone) and continues exactly', async () => {
    await fc.assert(
      fc.asyncProperty(
        evsArb,
        fc.array(newOpArb, { minLength: 1, maxLength: 4 }),
        cutsArb,
        fc.integer({ min: 0, max: 12 }),
        fc.constantFrom(...WINDOWS),
        fc.boolean(),
        async (evs, specs, sizes, at, cfg, session) => {
          const outputs = outputsOf(specs);
          const input = stableByTime(evs);
          const build = session
            ? (rt: RuntimeContext) =>
                pipe(keyBy(rt.step('keys', 'events'), ['key']), sessionAggregate(rt.step('sess', 'events'), { gap: 4, lateness: 3, valueColumn: 'v', outputs }))
            : buildWindows(outputs, cfg, 3);
          const batches = batchesOf(input, sizes, new Dictionary(['a', 'b', 'c']));
          const whole = await runOp(batches, build);
          const restarted = await runWithRestart(batches, Math.min(at, batches.length), build);
          expect(allRows(restarted.out)).toEqual(allRows(whole.out));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('names the columns of a multi-column op after its parts', () => {
    expect(opOutputParts({ op: 'top_k', k: 3 })).toEqual(['1', '2', '3']);
    expect(opOutputParts({ op: 'approx_percentile', percentiles: [0.5, 0.999, 0.05] })).toEqual(['p50', 'p99_9', 'p5']);
    expect(opOutputParts({ op: 'approx_percentile', percentile: 0.9 })).toEqual(['']);
    expect(opOutputParts({ op: 'histogram', values: ['/bug', 'a b', 3.5] })).toEqual(['_bug', 'a_b', '3_5', '__other__']);
    expect(opOutputParts({ op: 'histogram', top: 2 })).toEqual(['1', '2', '__other__']);
    expect(outputColumnNames({ column: 'x', op: 'top_k', k: 1 })).toEqual(['x']);
  });
});
