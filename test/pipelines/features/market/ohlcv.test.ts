import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ohlcv } from '../../../../src/pipelines/features/market/ohlcv.js';
import { bucketStart } from '../../../../src/pipelines/windows/align.js';
import { rejectionKinds } from '../../operators/helpers.js';
import { cutsArb, expectRows, runDefinition, runDefinitionWithRestart, type InRow, type Value } from './helpers.js';

const types = { symbol: 'string', price: 'float64', size: 'float64' } as const;

interface Cfg {
  window: number;
  offset: number;
  lateness: number;
}

/**
 * Naive bars: rows in arrival order; before each row the watermark is (max time of the rows before it)
 * - lateness. A usable row (price and size not null) with a null key is rejected; one whose bar ends at
 * or before the watermark is late; the rest are grouped by (bar start, key). Bars come out by start,
 * then by key code (the order keys first appeared in).
 */
function naiveBars(rows: readonly InRow[], cfg: Cfg) {
  const bars = new Map<string, { key: string; start: number; trades: { t: number; p: number; s: number }[] }>();
  const rejections: { time: number; offset: number; kind: string }[] = [];
  const keyOrder: string[] = [];
  let max = -Infinity;
  rows.forEach((r, i) => {
    if (r.symbol !== null && !keyOrder.includes(r.symbol as string)) keyOrder.push(r.symbol as string);
    const watermark = max - cfg.lateness;
    if (r.t > max) max = r.t;
    if (typeof r.price !== 'number' || typeof r.size !== 'number') return;
    if (r.symbol === null) return void rejections.push({ time: r.t, offset: i, kind: 'null key' });
    const start = bucketStart(r.t, cfg.window, cfg.offset);
    if (start + cfg.window <= watermark) return void rejections.push({ time: r.t, offset: i, kind: 'late' });
    const id = `${start}|${r.symbol}`;
    let bar = bars.get(id);
    if (bar === undefined) bars.set(id, (bar = { key: r.symbol as string, start, trades: [] }));
    bar.trades.push({ t: r.t, p: r.price, s: r.size });
  });
  const want: Record<string, Value>[] = [...bars.values()]
    .sort((a, b) => a.start - b.start || keyOrder.indexOf(a.key) - keyOrder.indexOf(b.key))
    .map((b) => {
      // Stable sort by time: open is the first of the earliest, close the last of the latest.
      const byTime = b.trades.map((x, i) => ({ x, i })).sort((u, v) => u.x.t - v.x.t || u.i - v.i).map((u) => u.x);
      const volume = b.trades.reduce((s, x) => s + x.s, 0);
      const notional = b.trades.reduce((s, x) => s + x.p * x.s, 0);
      return {
        time: b.start + cfg.window,
        symbol: b.key,
        window_start: b.start,
        f_open: byTime[0]!.p,
        f_high: Math.max(...b.trades.map((x) => x.p)),
        f_low: Math.min(...b.trades.map((x) => x.p)),
        f_close: byTime[byTime.length - 1]!.p,
        f_volume: volume,
        f_vwap: volume === 0 ? null : notional / volume,
        f_trades: b.trades.length,
      };
    });
  return { want, rejections };
}

/** Trades in an arrival order where none is more than `lateness + 3` behind the newest before it, so some are late. */
const tradeRows = fc
  .record({
    evs: fc.array(
      fc.record({
        t: fc.integer({ min: 0, max: 80 }),
        symbol: fc.oneof({ weight: 12, arbitrary: fc.constantFrom('X', 'Y', 'Z') }, { weight: 1, arbitrary: fc.constant(null) }),
        price: fc.option(fc.integer({ min: 1, max: 40 }).map((p) => p / 4), { freq: 12 }),
        size: fc.option(fc.integer({ min: 0, max: 16 }).map((s) => s / 4), { freq: 12 }),
        jitter: fc.integer({ min: 0, max: 12 }),
      }),
      { maxLength: 70 },
    ),
    cfg: fc.record({ window: fc.integer({ min: 1, max: 20 }), offset: fc.integer({ min: 0, max: 15 }), lateness: fc.integer({ min: 0, max: 9 }) }),
  })
  .map(({ evs, cfg }) => ({
    cfg,
    rows: evs
      .map((e, i) => ({ e, i, k: e.t + e.jitter }))
      .sort((a, b) => a.k - b.k || a.i - b.i)
      .map(({ e }) => ({ t: e.t, symbol: e.symbol, price: e.price, size: e.size }) as InRow),
  }));

describe('ohlcv', () => {
  it('emits a bar per key and epoch-aligned window when the watermark passes its end: a worked example', async () => {
    const rows: InRow[] = [
      { t: 1, symbol: 'X', price: 10, size: 1 },
      { t: 4, symbol: 'X', price: 12, size: 2 },
      { t: 9, symbol: 'X', price: 8, size: 1 },
      { t: 11, symbol: 'X', price: 9, size: 1 }, // watermark 9: [0, 10) stays open
      { t: 7, symbol: 'X', price: 11, size: 1 }, // out of order, within the lateness
      { t: 4, symbol: 'Y', price: 5, size: 0 }, // no volume: vwap is null
      { t: 13, symbol: 'X', price: 10, size: 2 }, // watermark 11: [0, 10) closes
      { t: 5, symbol: 'X', price: 1, size: 1 }, // late
    ];
    const { out, rows: got, rejections } = await runDefinition(ohlcv, { window: 10 }, rows, { types, key: ['symbol'], lateness: 2 }, [7, 1]);
    const bar = { f_open: 10, f_high: 12, f_low: 8, f_close: 8, f_volume: 5, f_vwap: (10 + 24 + 8 + 11) / 5, f_trades: 4 };
    expectRows(got, [
      { time: 10, symbol: 'X', window_start: 0, ...bar },
      { time: 10, symbol: 'Y', window_start: 0, f_open: 5, f_high: 5, f_low: 5, f_close: 5, f_volume: 0, f_vwap: null, f_trades: 1 },
      { time: 20, symbol: 'X', window_start: 10, f_open: 9, f_high: 10, f_low: 9, f_close: 10, f_volume: 3, f_vwap: (9 + 20) / 3, f_trades: 2 },
    ]);
    expect(out.map((b) => b.watermark)).toEqual([11, Infinity]);
    expect(rejectionKinds(rejections)).toEqual([{ time: 5, offset: 7, kind: 'late' }]);
  });

  it('aligns bars to the epoch plus the offset, and keeps only trades that pass where', async () => {
    const rows: InRow[] = [
      { t: 60_000, symbol: 'X', price: 10, size: 1 },
      { t: 89_999, symbol: 'X', price: 11, size: 5 },
      { t: 90_000, symbol: 'X', price: 12, size: 1 },
    ];
    const { rows: got } = await runDefinition(ohlcv, { window: '1m', offset: '30s', where: 'size < 5' }, rows, { types });
    expectRows(got, [
      { time: 90_000, window_start: 30_000, f_open: 10, f_close: 10, f_trades: 1 },
      { time: 150_000, window_start: 90_000, f_open: 12, f_close: 12, f_trades: 1 },
    ]);
  });

  it('matches naive grouping, with late trades counted, however the input is cut', async () => {
    await fc.assert(
      fc.asyncProperty(tradeRows, cutsArb, async ({ rows, cfg }, sizes) => {
        const { rows: got, rejections } = await runDefinition(ohlcv, { window: cfg.window, offset: cfg.offset }, rows, { types, lateness: cfg.lateness }, sizes);
        const { want, rejections: late } = naiveBars(rows, cfg);
        expectRows(got, want, 1e-12);
        expect(rejectionKinds(rejections)).toEqual(late);
      }),
      { numRuns: 300 },
    );
  });

  it('gives the same results when restored from a checkpoint mid-stream', async () => {
    await fc.assert(
      fc.asyncProperty(tradeRows, cutsArb, fc.nat(15), async ({ rows, cfg }, sizes, at) => {
        const params = { window: cfg.window, offset: cfg.offset };
        const o = { types, lateness: cfg.lateness };
        const whole = await runDefinition(ohlcv, params, rows, o, sizes);
        const restarted = await runDefinitionWithRestart(ohlcv, params, rows, o, sizes, at);
        expect(restarted.rows).toEqual(whole.rows);
        expect(restarted.rejections).toEqual(whole.rejections);
      }),
      { numRuns: 100 },
    );
  });
});
