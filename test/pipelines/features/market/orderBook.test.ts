import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bookImbalance, midPrice, orderBook, relativeSpread } from '../../../../src/pipelines/features/market/orderBook.js';
import { parseConfig } from '../../../../src/sdk/config/loadConfig.js';
import { replay } from '../../../../src/sdk/replay.js';
import { generateSamples } from '../../../../src/sdk/samples/index.js';
import { readArrowRows, tempDir } from '../../../helpers/tables.js';
import { byTime, cutsArb, expectRows, runDefinition, runDefinitionWithRestart, type InRow, type Value } from './helpers.js';

const TYPES = { symbol: 'string', side: 'string', price: 'float64', size: 'float64', snapshot: 'bool' } as const;
const opts = { types: { ...TYPES } };

type Side = 'bid' | 'ask';

/** The naive book: a Map of price -> size per side, and the snapshot being loaded per side. */
class NaiveBook {
  readonly levels: Record<Side, Map<number, number>> = { bid: new Map(), ask: new Map() };
  private snapAt: Record<Side, number | null> = { bid: null, ask: null };

  apply(r: InRow): void {
    const side = r.side;
    if (side !== 'bid' && side !== 'ask') return;
    if (typeof r.price !== 'number' || typeof r.size !== 'number') return;
    if (r.snapshot === true) {
      if (this.snapAt[side] !== r.t) {
        this.levels[side].clear();
        this.snapAt[side] = r.t;
      }
    } else this.snapAt[side] = null;
    if (r.size <= 0) this.levels[side].delete(r.price);
    else this.levels[side].set(r.price, r.size);
  }

  /** [price, size] best first. */
  sorted(side: Side): [number, number][] {
    return [...this.levels[side]].sort((a, b) => (side === 'bid' ? b[0] - a[0] : a[0] - b[0]));
  }

  outputs(depth: number, imbalanceDepths: readonly number[]): Record<string, Value> {
    const bids = this.sorted('bid');
    const asks = this.sorted('ask');
    const bid = bids[0]?.[0] ?? null;
    const ask = asks[0]?.[0] ?? null;
    const bidSize = bids[0]?.[1] ?? null;
    const askSize = asks[0]?.[1] ?? null;
    const both = bid !== null && ask !== null;
    const mid = both ? (bid + ask) / 2 : null;
    const o: Record<string, Value> = {
      f_bid: bid,
      f_ask: ask,
      f_bid_size: bidSize,
      f_ask_size: askSize,
      f_mid: mid,
      f_spread: both ? ask - bid : null,
      f_relative_spread: mid === null || mid === 0 ? null : (ask! - bid!) / mid,
      f_microprice: both && bidSize! + askSize! > 0 ? (bid * askSize! + ask * bidSize!) / (bidSize! + askSize!) : null,
    };
    for (const k of imbalanceDepths) {
      const sb = bids.slice(0, k).reduce((s, l) => s + l[1], 0);
      const sa = asks.slice(0, k).reduce((s, l) => s + l[1], 0);
      o[`f_imbalance_${k}`] = sb + sa > 0 ? (sb - sa) / (sb + sa) : null;
    }
    for (let i = 1; i <= depth; i++) {
      o[`f_bid_price_${i}`] = bids[i - 1]?.[0] ?? null;
      o[`f_bid_size_${i}`] = bids[i - 1]?.[1] ?? null;
      o[`f_ask_price_${i}`] = asks[i - 1]?.[0] ?? null;
      o[`f_ask_size_${i}`] = asks[i - 1]?.[1] ?? null;
    }
    return o;
  }
}

/** For each row: the naive outputs of its symbol's book after every earlier row with a time below its own. */
function naiveOutputs(rows: readonly InRow[], depth: number, imbalanceDepths: readonly number[]): Record<string, Value>[] {
  return rows.map((r) => {
    const book = new NaiveBook();
    for (const e of rows) if (e.symbol === r.symbol && e.t < r.t) book.apply(e);
    return { time: r.t, ...book.outputs(depth, imbalanceDepths) };
  });
}

const ALL = { depth: 3, imbalance_depths: [1, 3], outputs: ['bid', 'ask', 'bid_size', 'ask_size', 'mid', 'spread', 'relative_spread', 'microprice', 'imbalance', 'levels'] };

const bookRows = fc
  .array(
    fc.record({
      t: fc.integer({ min: 0, max: 14 }),
      symbol: fc.constantFrom('X', 'Y'),
      side: fc.oneof({ weight: 12, arbitrary: fc.constantFrom('bid', 'ask') }, { weight: 1, arbitrary: fc.constantFrom('other', null) }),
      price: fc.option(fc.integer({ min: 1, max: 9 }).map((p) => p / 2), { freq: 15 }),
      size: fc.option(fc.constantFrom(0, 0, 0.5, 1, 2, 3.25), { freq: 15 }),
      snapshot: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 2, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(null) }),
    }),
    { maxLength: 60 },
  )
  .map((rs) => byTime(rs as InRow[]));

describe('order_book', () => {
  it('rebuilds the book from a snapshot and deltas, read before each timestamp: a worked example', async () => {
    const rows: InRow[] = [
      { t: 0, symbol: 'X', side: 'bid', price: 100, size: 1, snapshot: true },
      { t: 0, symbol: 'X', side: 'bid', price: 99, size: 2, snapshot: true },
      { t: 0, symbol: 'X', side: 'ask', price: 101, size: 1.5, snapshot: true },
      { t: 0, symbol: 'X', side: 'ask', price: 102, size: 3, snapshot: true },
      { t: 1, symbol: 'X', side: 'ask', price: 101, size: 0, snapshot: false }, // deletes the best ask
      { t: 1, symbol: 'X', side: 'bid', price: 100, size: 4, snapshot: false }, // a tie: reads the book before t = 1
      { t: 2, symbol: 'X', side: 'bid', price: 100.5, size: 1, snapshot: false }, // a new best bid
      { t: 3, symbol: 'X', side: 'bid', price: 98, size: 1, snapshot: true }, // a snapshot replaces the bids
      { t: 4, symbol: 'X', side: 'ask', price: 103, size: 1, snapshot: false },
    ];
    const { rows: got } = await runDefinition(orderBook, { depth: 2, outputs: ['bid', 'ask', 'bid_size', 'ask_size', 'mid', 'relative_spread', 'imbalance'] }, rows, opts);
    const none = { f_bid: null, f_ask: null, f_bid_size: null, f_ask_size: null, f_mid: null, f_relative_spread: null, f_imbalance: null };
    const atOne = { f_bid: 100, f_ask: 101, f_bid_size: 1, f_ask_size: 1.5, f_mid: 100.5, f_relative_spread: 1 / 100.5, f_imbalance: (3 - 4.5) / 7.5 };
    expectRows(got, [
      { time: 0, ...none },
      { time: 0, ...none },
      { time: 0, ...none },
      { time: 0, ...none },
      { time: 1, ...atOne },
      { time: 1, ...atOne },
      { time: 2, f_bid: 100, f_ask: 102, f_bid_size: 4, f_ask_size: 3, f_mid: 101, f_relative_spread: 2 / 101, f_imbalance: (6 - 3) / 9 },
      { time: 3, f_bid: 100.5, f_ask: 102, f_bid_size: 1, f_ask_size: 3, f_mid: 101.25, f_relative_spread: 1.5 / 101.25, f_imbalance: (5 - 3) / 8 },
      { time: 4, f_bid: 98, f_ask: 102, f_bid_size: 1, f_ask_size: 3, f_mid: 100, f_relative_spread: 0.04, f_imbalance: (1 - 3) / 4 },
    ]);
  });

  it('names its columns from what was written', () => {
    const names = (p: unknown) => orderBook.outputs(orderBook.params.parse(p)).map((o) => o.name);
    expect(names({})).toEqual(['bid', 'ask', 'bid_size', 'ask_size', 'mid', 'spread', 'relative_spread', 'microprice', 'imbalance']);
    expect(names({ imbalance_depths: [1, 5], outputs: ['imbalance', 'mid'] })).toEqual(['mid', 'imbalance_1', 'imbalance_5']);
    expect(names({ depth: 2, outputs: ['levels'] })).toEqual(['bid_price_1', 'bid_size_1', 'ask_price_1', 'ask_size_1', 'bid_price_2', 'bid_size_2', 'ask_price_2', 'ask_size_2']);
    expect(orderBook.params.safeParse({ depth: 0 }).success).toBe(false);
    expect(orderBook.params.safeParse({ outputs: ['bids'] }).success).toBe(false);
    expect(orderBook.inputs(orderBook.params.parse({ snapshot: null }))).toEqual(['side', 'price', 'size']);
  });

  it('matches a naive Map-based book at every event, however the input is cut into batches', async () => {
    await fc.assert(
      fc.asyncProperty(bookRows, cutsArb, async (rows, sizes) => {
        const { rows: got } = await runDefinition(orderBook, ALL, rows, opts, sizes);
        expectRows(got, naiveOutputs(rows, 3, [1, 3]), 1e-12);
      }),
      { numRuns: 200 },
    );
  });

  it('gives the same results when restored from a checkpoint mid-stream', async () => {
    await fc.assert(
      fc.asyncProperty(bookRows, cutsArb, fc.nat(15), async (rows, sizes, at) => {
        const whole = await runDefinition(orderBook, ALL, rows, opts, sizes);
        const restarted = await runDefinitionWithRestart(orderBook, ALL, rows, opts, sizes, at);
        expect(restarted.rows).toEqual(whole.rows);
      }),
      { numRuns: 100 },
    );
  });

  it('mid_price, relative_spread and book_imbalance equal the order_book columns', async () => {
    await fc.assert(
      fc.asyncProperty(bookRows, async (rows) => {
        const full = (await runDefinition(orderBook, { depth: 2 }, rows, opts)).rows;
        const mid = (await runDefinition(midPrice, {}, rows, opts)).rows;
        const spread = (await runDefinition(relativeSpread, {}, rows, opts)).rows;
        const imbalance = (await runDefinition(bookImbalance, { depth: 2 }, rows, opts)).rows;
        expect(mid.map((r) => r.f)).toEqual(full.map((r) => r.f_mid));
        expect(spread.map((r) => r.f)).toEqual(full.map((r) => r.f_relative_spread));
        expect(imbalance.map((r) => r.f)).toEqual(full.map((r) => r.f_imbalance));
      }),
      { numRuns: 50 },
    );
  });
});

describe('order_book on the market generator, end to end', () => {
  const tmp = tempDir('tributary-book-');
  let book: Record<string, unknown>[];
  let tickers: { t: number; symbol: string; bid: number; ask: number; bidSize: number; askSize: number }[];
  let raw: InRow[];

  beforeAll(async () => {
    const dir = join(tmp.dir, 'samples');
    await generateSamples('market', dir, { scale: 0.05, seed: 11 });
    const yaml = `
name: book_check
data_dir: ${JSON.stringify(join(tmp.dir, 'state'))}
sources:
  book:
    path: ${JSON.stringify(join(dir, 'order_book.jsonl'))}
    time: ts
    time_format: epoch_ms
    keys: [symbol]
    columns: { symbol: string, side: string, price: float64, size: float64, snapshot: bool }
features:
  - name: l2
    source: book
    definition: order_book
    params: { depth: 10, imbalance_depths: [1, 10], outputs: [bid, ask, bid_size, ask_size, mid, imbalance, levels] }
`;
    writeFileSync(join(tmp.dir, 'book.yaml'), yaml);
    const summary = await replay(parseConfig(yaml, { dir: tmp.dir }), { store: false });
    expect(summary.deadLetters).toEqual({});
    book = readArrowRows(summary.tables.find((t) => t.name === 'book')!.file);
    raw = readFileSync(join(dir, 'order_book.jsonl'), 'utf8').trim().split('\n').map((l) => {
      const o = JSON.parse(l) as { ts: number } & Record<string, Value>;
      return { ...o, t: o.ts };
    });
    tickers = readFileSync(join(dir, 'tickers.csv'), 'utf8').trim().split('\n').slice(1).map((l) => {
      const [ts, symbol, bid, ask, bidSize, askSize] = l.split(',');
      return { t: Number(ts), symbol: symbol!, bid: Number(bid), ask: Number(ask), bidSize: Number(bidSize), askSize: Number(askSize) };
    });
  });
  afterAll(() => tmp.remove());

  it('agrees with a naive Map-based book replayed over the same file, at every book event', () => {
    expect(book.length).toBe(raw.length);
    const books = new Map<string, NaiveBook>();
    let i = 0;
    let checked = 0;
    while (i < raw.length) {
      // All events of one time are read against the book before any of them is applied.
      let j = i;
      while (j < raw.length && raw[j]!.t === raw[i]!.t) j++;
      for (let r = i; r < j; r++) {
        const symbol = raw[r]!.symbol as string;
        const got = book[r]!;
        expect(got.ts).toBe(raw[r]!.t);
        expect(got.symbol).toBe(symbol);
        const want = (books.get(symbol) ?? new NaiveBook()).outputs(10, [1, 10]);
        for (const [name, v] of Object.entries(want)) {
          const col = `l2_${name.slice(2)}`;
          if (!(col in got)) continue;
          const g = got[col] as number | null;
          const same = v === null || g === null ? g === v : Math.abs(g - (v as number)) <= 1e-12 * Math.max(1, Math.abs(g));
          if (!same) expect.fail(`${col} at row ${r} (${symbol}, t ${raw[r]!.t}): got ${g}, want ${String(v)}`);
        }
        checked++;
      }
      for (let r = i; r < j; r++) {
        const symbol = raw[r]!.symbol as string;
        if (!books.has(symbol)) books.set(symbol, new NaiveBook());
        books.get(symbol)!.apply(raw[r]!);
      }
      i = j;
    }
    expect(checked).toBeGreaterThan(5000);
  });

  it('shows the top of book every ticker shows (the generator makes them agree)', () => {
    const start = raw[0]!.t;
    // Per symbol, the book rows in time order: the first at or after a ticker's time reads the book as of that time.
    const rowsOf = new Map<string, number[]>();
    book.forEach((r, i) => {
      const list = rowsOf.get(r.symbol as string) ?? [];
      list.push(i);
      rowsOf.set(r.symbol as string, list);
    });
    let checked = 0;
    for (const tk of tickers) {
      // The opening ticker shows the opening snapshot, which carries the ticker's own time.
      if (tk.t === start) continue;
      const list = rowsOf.get(tk.symbol)!;
      let lo = 0;
      let hi = list.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((book[list[mid]!]!.ts as number) < tk.t) lo = mid + 1;
        else hi = mid;
      }
      if (lo === list.length) continue;
      const row = book[list[lo]!]!;
      expect({ t: tk.t, bid: row.l2_bid, ask: row.l2_ask, bidSize: row.l2_bid_size, askSize: row.l2_ask_size }).toEqual({ t: tk.t, bid: tk.bid, ask: tk.ask, bidSize: tk.bidSize, askSize: tk.askSize });
      expect(row.l2_mid).toBe((tk.bid + tk.ask) / 2);
      expect(row.l2_bid_price_10).not.toBeNull();
      expect(row.l2_ask_price_10).not.toBeNull();
      expect(row.l2_bid_price_11).toBeUndefined();
      checked++;
    }
    expect(checked).toBeGreaterThan(tickers.length * 0.95);
  });
});
