import { pipe } from 'rxjs';
import { z } from 'zod';
import { defineFeature, type FeatureBuildContext, type FeatureOutput } from '../../../sdk/defineFeature.js';
import { keyBy } from '../../operators/keyBy.js';
import { BookKernel, BookOut, type BookColumns, type BookOutputSpec } from './bookState.js';
import { pointInTime } from './pointInTime.js';
import { matchValue } from './shared.js';

/** How to read an L2 feed: one row per level update. The defaults fit `order_book.jsonl` of the market samples. */
const bookColumnParams = {
  side: z.string().default('side').describe('the column that says which side a row updates'),
  bid: matchValue.default('bid').describe('the value of `side` for bids'),
  ask: matchValue.default('ask').describe('the value of `side` for asks'),
  price: z.string().default('price').describe('the level\'s price column'),
  size: z.string().default('size').describe('the level\'s new size; 0 (or below) deletes the level'),
  snapshot: z.string().nullable().default('snapshot').describe('a bool column flagging snapshot rows, which replace their side; null when the feed has none'),
};

const depth = z.number().int().min(1).max(1000);

export const BOOK_OUTPUTS = ['bid', 'ask', 'bid_size', 'ask_size', 'mid', 'spread', 'relative_spread', 'microprice', 'imbalance', 'levels'] as const;
export type BookOutputName = (typeof BOOK_OUTPUTS)[number];
const DEFAULT_OUTPUTS = BOOK_OUTPUTS.filter((o) => o !== 'levels');

export const orderBookParams = z.strictObject({
  ...bookColumnParams,
  depth: depth.default(5).describe('levels per side the outputs look at: `imbalance` sums the best `depth` levels of each side, `levels` outputs each of them'),
  imbalance_depths: z.array(depth).min(1).optional().describe('imbalance at several depths k instead, one column each: imbalance_<k>'),
  outputs: z
    .array(z.enum(BOOK_OUTPUTS))
    .min(1)
    .default([...DEFAULT_OUTPUTS])
    .describe('which columns to output: bid, ask, bid_size, ask_size, mid, spread, relative_spread, microprice, imbalance, levels (bid_price_<i>, bid_size_<i>, ask_price_<i>, ask_size_<i> for i = 1..depth)'),
});

export type OrderBookParams = z.infer<typeof orderBookParams>;

const SIMPLE: Record<Exclude<BookOutputName, 'imbalance' | 'levels'>, { out: BookOut; doc: string }> = {
  bid: { out: BookOut.Bid, doc: 'best bid price' },
  ask: { out: BookOut.Ask, doc: 'best ask price' },
  bid_size: { out: BookOut.BidSize, doc: 'size at the best bid' },
  ask_size: { out: BookOut.AskSize, doc: 'size at the best ask' },
  mid: { out: BookOut.Mid, doc: '(bid + ask) / 2' },
  spread: { out: BookOut.Spread, doc: 'ask - bid' },
  relative_spread: { out: BookOut.RelativeSpread, doc: '(ask - bid) / mid' },
  microprice: { out: BookOut.Microprice, doc: '(bid * ask_size + ask * bid_size) / (bid_size + ask_size)' },
};

function bookOutputs(p: OrderBookParams): (FeatureOutput & BookOutputSpec)[] {
  const out: (FeatureOutput & BookOutputSpec)[] = [];
  // Columns come in a fixed order, whatever the order `outputs` lists them in.
  for (const name of BOOK_OUTPUTS) {
    if (!p.outputs.includes(name)) continue;
    if (name === 'imbalance') {
      if (p.imbalance_depths === undefined) out.push({ name, type: 'float64', out: BookOut.Imbalance, arg: p.depth, doc: `book imbalance over the best ${p.depth} levels` });
      else for (const k of p.imbalance_depths) out.push({ name: `imbalance_${k}`, type: 'float64', out: BookOut.Imbalance, arg: k, doc: `book imbalance over the best ${k} levels` });
    } else if (name === 'levels') {
      for (let i = 1; i <= p.depth; i++) {
        out.push({ name: `bid_price_${i}`, type: 'float64', out: BookOut.BidPrice, arg: i, doc: `price of bid level ${i}` });
        out.push({ name: `bid_size_${i}`, type: 'float64', out: BookOut.BidLevelSize, arg: i, doc: `size of bid level ${i}` });
        out.push({ name: `ask_price_${i}`, type: 'float64', out: BookOut.AskPrice, arg: i, doc: `price of ask level ${i}` });
        out.push({ name: `ask_size_${i}`, type: 'float64', out: BookOut.AskLevelSize, arg: i, doc: `size of ask level ${i}` });
      }
    } else out.push({ name, type: 'float64', out: SIMPLE[name].out, arg: 0, doc: SIMPLE[name].doc });
  }
  return out;
}

function columnsOf(p: BookColumns): BookColumns {
  return { side: p.side, bid: p.bid, ask: p.ask, price: p.price, size: p.size, snapshot: p.snapshot };
}

const bookInputs = (p: BookColumns) => [p.side, p.price, p.size, ...(p.snapshot === null ? [] : [p.snapshot])];

function buildBook(p: BookColumns, specs: readonly BookOutputSpec[], ctx: FeatureBuildContext) {
  return pipe(keyBy(ctx.step('keys'), ctx.key), pointInTime(ctx.step('book'), 'book', () => new BookKernel(columnsOf(p), specs), ctx.columns));
}

/**
 * L2 order-book reconstruction per key (a symbol) from level updates, with the top of book read at
 * every book event, as of just before it.
 *
 * Each row sets one level: `side`, `price`, and the new `size` (0 deletes the level). Rows flagged by
 * the `snapshot` column replace their side: the first snapshot row of a key and side at a new time
 * clears the side, and the snapshot rows after it at that time fill it in. Every level the feed has
 * open is kept (in typed arrays per key and side, best level last), so the book stays exact when the
 * touch is deleted; the outputs look at the best `depth` levels.
 *
 * Outputs, at every row, as of strictly before the row's time (the updates at that time, including the
 * row itself, are not applied yet): `bid`, `ask`, `bid_size`, `ask_size`, `mid` ((bid + ask) / 2),
 * `spread` (ask − bid), `relative_spread` ((ask − bid) / mid), `microprice`, and `imbalance`
 * ((Σ bid size − Σ ask size) / (Σ bid size + Σ ask size) over the best `depth` levels of each side, or
 * `imbalance_<k>` for each of `imbalance_depths`); `levels` adds the price and size of each of the best
 * `depth` levels. A missing side gives null prices, sizes, mid and spreads; imbalance is null only when
 * both sides are empty (±1 when one is). A crossed book is reported as it is.
 *
 * @example
 * # configs/market.yaml: columns book_bid, book_ask, book_mid, book_relative_spread, book_imbalance_1, ...
 * - name: book
 *   source: book
 *   definition: order_book
 *   params: { depth: 10, imbalance_depths: [1, 5, 10] }   # side/price/size/snapshot columns as in the samples
 */
export const orderBook = defineFeature<OrderBookParams>({
  name: 'order_book',
  version: 1,
  doc: 'L2 order-book reconstruction from snapshots and deltas: top of book, mid, spreads, microprice and depth imbalance at every book event.',
  kind: 'pointInTime',
  params: orderBookParams,
  inputs: bookInputs,
  outputs: (p) => bookOutputs(p).map(({ name, type, doc }) => ({ name, type, ...(doc !== undefined && { doc }) })),
  // Unbounded: the book is every level set since the last snapshot, however old.
  lookback: () => Infinity,
  build: (p, ctx) => buildBook(p, bookOutputs(p), ctx),
});

export const midPriceParams = z.strictObject(bookColumnParams);
export type MidPriceParams = z.infer<typeof midPriceParams>;

/**
 * The mid price (best bid + best ask) / 2 of the reconstructed order book (see `order_book`), at every
 * book event, as of just before it. Null while a side is empty. One column, named as the feature.
 *
 * @example
 * - name: mid
 *   source: book
 *   definition: mid_price
 */
export const midPrice = defineFeature<MidPriceParams>({
  name: 'mid_price',
  version: 1,
  doc: 'Mid price (bid + ask) / 2 of the reconstructed L2 book, at every book event.',
  kind: 'pointInTime',
  params: midPriceParams,
  inputs: bookInputs,
  outputs: () => [{ name: '', type: 'float64', doc: '(bid + ask) / 2' }],
  // Unbounded: the book is every level set since the last snapshot, however old.
  lookback: () => Infinity,
  build: (p, ctx) => buildBook(p, [{ out: BookOut.Mid, arg: 0 }], ctx),
});

/**
 * The relative bid-ask spread (ask − bid) / mid of the reconstructed order book (see `order_book`), at
 * every book event, as of just before it. Null while a side is empty.
 *
 * @example
 * - name: spread
 *   source: book
 *   definition: relative_spread
 */
export const relativeSpread = defineFeature<MidPriceParams>({
  name: 'relative_spread',
  version: 1,
  doc: 'Relative bid-ask spread (ask - bid) / mid of the reconstructed L2 book, at every book event.',
  kind: 'pointInTime',
  params: midPriceParams,
  inputs: bookInputs,
  outputs: () => [{ name: '', type: 'float64', doc: '(ask - bid) / mid' }],
  // Unbounded: the book is every level set since the last snapshot, however old.
  lookback: () => Infinity,
  build: (p, ctx) => buildBook(p, [{ out: BookOut.RelativeSpread, arg: 0 }], ctx),
});

export const bookImbalanceParams = z.strictObject({
  ...bookColumnParams,
  depth: depth.default(5).describe('k: the number of best levels of each side summed'),
});
export type BookImbalanceParams = z.infer<typeof bookImbalanceParams>;

/**
 * Order-book imbalance at depth k: (Σ bid size − Σ ask size) / (Σ bid size + Σ ask size) over the best
 * k levels of each side of the reconstructed book (see `order_book`), at every book event, as of just
 * before it. From −1 (only asks) to 1 (only bids); null when the book is empty.
 *
 * @example
 * - name: imbalance_5
 *   source: book
 *   definition: book_imbalance
 *   params: { depth: 5 }
 */
export const bookImbalance = defineFeature<BookImbalanceParams>({
  name: 'book_imbalance',
  version: 1,
  doc: 'Order-book imbalance over the best k levels of each side of the reconstructed L2 book, at every book event.',
  kind: 'pointInTime',
  params: bookImbalanceParams,
  inputs: bookInputs,
  outputs: (p) => [{ name: '', type: 'float64', doc: `imbalance over the best ${p.depth} levels` }],
  // Unbounded: the book is every level set since the last snapshot, however old.
  lookback: () => Infinity,
  build: (p, ctx) => buildBook(p, [{ out: BookOut.Imbalance, arg: p.depth }], ctx),
});
