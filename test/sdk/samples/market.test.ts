import { basename } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/sdk/config/loadConfig.js';
import { MARKET_LATENESS_MS } from '../../../src/sdk/samples/index.js';
import { checkDomain, generateInto, lowerBound, pearson, type SourceShape } from './helpers.js';

describe('market samples (default scale)', () => {
  let gen: Awaited<ReturnType<typeof generateInto>>;
  let shapes: Record<string, SourceShape>;

  beforeAll(async () => {
    gen = await generateInto('market');
    shapes = checkDomain(loadConfig('configs/market.yaml'), gen.dir, gen.files);
  });
  afterAll(() => gen?.cleanup());

  it('has the promised size, and every row fits configs/market.yaml within its lateness', () => {
    const total = gen.files.reduce((n, f) => n + f.rows, 0);
    expect(total).toBeGreaterThan(100_000);
    expect(total).toBeLessThan(320_000);
    const config = loadConfig('configs/market.yaml');
    for (const f of gen.files) {
      const source = Object.values(config.sources).find((s) => basename(s.path!) === basename(f.path))!;
      expect(shapes[source.name]!.rows.length).toBe(f.rows);
    }
  });

  it('delivers some trades and tickers late, never later than the stated lateness; the book in order', () => {
    for (const name of ['trades', 'tickers']) {
      const s = shapes[name]!;
      expect(s.lateRows / s.rows.length).toBeGreaterThan(0.002);
      expect(s.lateRows / s.rows.length).toBeLessThan(0.03);
      expect(s.maxLateness).toBeLessThanOrEqual(MARKET_LATENESS_MS);
      expect(s.maxLateness).toBeGreaterThan(MARKET_LATENESS_MS / 2);
    }
    expect(shapes.book!.maxLateness).toBe(0);
  });

  it('opens each symbol with a flagged snapshot and then sends deltas; tickers agree with the book', () => {
    const book = shapes.book!;
    const symbols = new Set(book.rows.map((r) => r.symbol as string));
    expect(symbols.size).toBe(4);
    const start = book.times[0]!;
    for (const [i, r] of book.rows.entries()) expect(r.snapshot, `row ${i}`).toBe(book.times[i] === start);
    expect(book.rows.filter((r) => r.snapshot).length).toBe(4 * 2 * 10);
    expect(book.rows.some((r) => r.size === 0)).toBe(true);

    // Replay the deltas and compare the top of book with every ticker (which shows the book as of its ts).
    const bids = new Map<string, Map<number, number>>();
    const asks = new Map<string, Map<number, number>>();
    for (const s of symbols) {
      bids.set(s, new Map());
      asks.set(s, new Map());
    }
    const tickers = shapes.tickers!;
    const order = tickers.times.map((t, i) => [t, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let b = 0;
    let checked = 0;
    for (const [t, i] of order) {
      while (b < book.rows.length && book.times[b]! <= t) {
        const r = book.rows[b++]!;
        const levels = (r.side === 'bid' ? bids : asks).get(r.symbol as string)!;
        if (r.size === 0) levels.delete(r.price as number);
        else levels.set(r.price as number, r.size as number);
      }
      const tk = tickers.rows[i]!;
      const sb = bids.get(tk.symbol as string)!;
      const sa = asks.get(tk.symbol as string)!;
      const bestBid = Math.max(...sb.keys());
      const bestAsk = Math.min(...sa.keys());
      expect(sb.size).toBe(10);
      expect(sa.size).toBe(10);
      expect(bestBid).toBeLessThan(bestAsk);
      expect(bestBid).toBe(Number(tk.bid));
      expect(bestAsk).toBe(Number(tk.ask));
      expect(sb.get(bestBid)).toBe(Number(tk.bid_size));
      expect(sa.get(bestAsk)).toBe(Number(tk.ask_size));
      checked++;
    }
    expect(checked).toBe(tickers.rows.length);
  });

  it('plants the signal: trade-volume imbalance of the last 20 s predicts the sign of the next 5 s mid change', () => {
    const trades = shapes.trades!;
    const tickers = shapes.tickers!;
    const bySymbol = new Map<string, { t: number; signed: number; size: number }[]>();
    trades.rows.forEach((r, i) => {
      const size = Number(r.size);
      const list = bySymbol.get(r.symbol as string) ?? [];
      list.push({ t: trades.times[i]!, signed: r.side === 'buy' ? size : -size, size });
      bySymbol.set(r.symbol as string, list);
    });
    const mids = new Map<string, Map<number, number>>();
    tickers.rows.forEach((r, i) => {
      const m = mids.get(r.symbol as string) ?? new Map<number, number>();
      m.set(tickers.times[i]!, (Number(r.bid) + Number(r.ask)) / 2);
      mids.set(r.symbol as string, m);
    });

    const imbalance: number[] = [];
    const sign: number[] = [];
    for (const [symbol, m] of mids) {
      const list = bySymbol.get(symbol)!.sort((a, b) => a.t - b.t);
      const ts = list.map((x) => x.t);
      const signed = [0];
      const total = [0];
      for (const x of list) {
        signed.push(signed[signed.length - 1]! + x.signed);
        total.push(total[total.length - 1]! + x.size);
      }
      for (const [t, mid] of m) {
        const future = m.get(t + 5000);
        if (future === undefined) continue;
        const lo = lowerBound(ts, t - 20_000);
        const hi = lowerBound(ts, t);
        const volume = total[hi]! - total[lo]!;
        if (volume === 0) continue;
        imbalance.push((signed[hi]! - signed[lo]!) / volume);
        sign.push(Math.sign(future - mid));
      }
    }
    expect(imbalance.length).toBeGreaterThan(30_000);
    const r = pearson(imbalance, sign);
    expect(r).toBeGreaterThan(0.15);
    // Learnable, not given away: far from a perfect predictor.
    expect(r).toBeLessThan(0.6);
    let right = 0;
    let moved = 0;
    for (let i = 0; i < sign.length; i++) {
      if (sign[i] === 0) continue;
      moved++;
      if (Math.sign(imbalance[i]!) === sign[i]) right++;
    }
    expect(right / moved).toBeGreaterThan(0.57);
  });
});
