import { join } from 'node:path';
import { type OrderedFile, SampleOutput } from './output.js';
import { Rng, sigmoid } from './random.js';

/**
 * Market-data samples (the Featurizer domain): trades, L2 order-book deltas and tickers for four
 * crypto pairs over a few hours.
 *
 * The model behind the data, per symbol, simulated in 100 ms steps:
 * - a latent order-flow pressure `p`, an Ornstein-Uhlenbeck process (mean 0, sd 1, half-life ~30 s);
 * - trades arrive as a Poisson process (busier when |p| is large); each is a buy with probability
 *   sigmoid(1.5 p), so buy/sell volume over the last 10-30 s estimates `p`;
 * - the log mid-price drifts with `p` (`d log mid = DRIFT * sigma * p dt + sigma dW`), so
 *   **the trade-volume imbalance of the last ~20 s predicts the sign of the mid-price change over the
 *   next 5 s**: the planted signal, worth a clearly positive correlation but far from certain;
 * - the book keeps 10 contiguous price levels a side around the mid; when the touch moves, levels that
 *   leave the top 10 are deleted (size 0) and new ones appear; sizes also change at random, and a trade
 *   takes liquidity from the touch;
 * - tickers give the top of book and the last trade price once a second per symbol (staggered by
 *   200 ms between symbols), as of just before their timestamp.
 *
 * Arrival order: order-book deltas arrive exactly in event-time order (a sequenced feed). About 1% of
 * trades and tickers arrive late, by 50 to {@link MARKET_LATENESS_MS} ms: in the file an event is never
 * more than 500 ms behind the newest timestamp before it. `configs/market.yaml` declares that lateness.
 *
 * Files (timestamps are epoch milliseconds):
 * - `trades.csv`: ts,symbol,price,size,side  (side: buy | sell, the aggressor)
 * - `order_book.jsonl`: {"ts","symbol","side":"bid"|"ask","price","size","snapshot"} (size 0 deletes the
 *   level; each symbol starts with a snapshot of every level, `snapshot: true`, at the start time)
 * - `tickers.csv`: ts,symbol,bid,ask,bid_size,ask_size,last
 */

/** The most an event in `trades.csv` or `tickers.csv` arrives behind the newest event before it. */
export const MARKET_LATENESS_MS = 500;

/** Default span at scale 1: three hours. Scale stretches the span; rates stay realistic. */
export const MARKET_HOURS = 3;

export const MARKET_FILES = { trades: 'trades.csv', book: 'order_book.jsonl', tickers: 'tickers.csv' } as const;

interface SymbolSpec {
  symbol: string;
  /** Starting mid. */
  price: number;
  tick: number;
  priceDecimals: number;
  /** Median trade size, base units. */
  size: number;
  sizeDecimals: number;
  /** Trades per second at neutral pressure. */
  tradeRate: number;
  /** Volatility of log mid per sqrt(second). */
  sigma: number;
}

// Ticks are about one sigma-second of the mid, so the touch moves about once every few seconds
// (as on a liquid venue) rather than on every simulation step; that keeps book deltas to a few a second.
const SYMBOLS: readonly SymbolSpec[] = [
  { symbol: 'BTC-USD', price: 42000, tick: 1, priceDecimals: 2, size: 0.05, sizeDecimals: 5, tradeRate: 1.4, sigma: 2.0e-5 },
  { symbol: 'ETH-USD', price: 2300, tick: 0.05, priceDecimals: 2, size: 0.8, sizeDecimals: 4, tradeRate: 1.1, sigma: 1.8e-5 },
  { symbol: 'SOL-USD', price: 100, tick: 0.005, priceDecimals: 3, size: 15, sizeDecimals: 2, tradeRate: 0.8, sigma: 3.2e-5 },
  { symbol: 'DOGE-USD', price: 0.09, tick: 0.000005, priceDecimals: 6, size: 12000, sizeDecimals: 0, tradeRate: 0.5, sigma: 3.2e-5 },
];

const STEP_MS = 100;
const LEVELS = 10;
/** Pressure mean-reversion time, seconds: long enough that the last 20 s says something about the next 5 s. */
const PRESSURE_TAU_S = 45;
/** Drift of log mid per unit pressure, in units of sigma per second. */
const DRIFT = 0.22;
/** How strongly pressure tilts the aggressor side. */
const SIDE_TILT = 1.5;
const LATE_FRACTION = 0.01;

interface Book {
  /** price in ticks -> size, for the levels currently shown. */
  bids: Map<number, number>;
  asks: Map<number, number>;
  bestBid: number;
  bestAsk: number;
}

interface SymbolState {
  spec: SymbolSpec;
  /** The symbol's own random stream. */
  rng: Rng;
  logMid: number;
  pressure: number;
  spreadTicks: number;
  book: Book;
  lastPrice: string;
}

/**
 * Write `trades.csv`, `order_book.jsonl` and `tickers.csv` into `outDir` (which must exist).
 *
 * @example
 * await generateMarket('data/samples/market', { seed: 1, scale: 1, start: Date.UTC(2024, 0, 1) });
 */
export async function generateMarket(
  outDir: string,
  opts: { seed: number; scale: number; start: number; onProgress?: (rows: number) => void },
): Promise<{ path: string; rows: number }[]> {
  const rng = new Rng(opts.seed);
  const start = opts.start;
  const end = start + Math.round(MARKET_HOURS * 3_600_000 * opts.scale);
  const out = await SampleOutput.open(
    [
      { path: join(outDir, MARKET_FILES.trades), header: 'ts,symbol,price,size,side' },
      { path: join(outDir, MARKET_FILES.book) },
      { path: join(outDir, MARKET_FILES.tickers), header: 'ts,symbol,bid,ask,bid_size,ask_size,last' },
    ],
    opts.onProgress,
  );
  const [trades, book, tickers] = out.files as [OrderedFile, OrderedFile, OrderedFile];
  try {
    // Each symbol draws from its own stream so that adding a symbol does not reshuffle the others.
    const states = SYMBOLS.map((spec, i): SymbolState => {
      const r = rng.fork(i);
      const spreadTicks = 1 + r.int(0, 4);
      const midTicks = spec.price / spec.tick;
      const bestBid = Math.round(midTicks - spreadTicks / 2);
      const b: Book = { bids: new Map(), asks: new Map(), bestBid, bestAsk: bestBid + spreadTicks };
      return { spec, rng: r, logMid: Math.log(spec.price), pressure: r.normal(), spreadTicks, book: b, lastPrice: fmt(midTicks * spec.tick, spec.priceDecimals) };
    });

    const emitBook = (key: number, line: string): void => book.push(key, line);
    // The opening snapshot: every level of every symbol, flagged, at the start time.
    for (const s of states) {
      for (let k = 0; k < LEVELS; k++) {
        setLevel(s, 'bid', s.book.bestBid - k, levelSize(s, k), start, true, emitBook);
        setLevel(s, 'ask', s.book.bestAsk + k, levelSize(s, k), start, true, emitBook);
      }
    }

    const decay = Math.exp(-STEP_MS / 1000 / PRESSURE_TAU_S);
    const shock = Math.sqrt(1 - decay * decay);
    const dt = STEP_MS / 1000;
    let step = 0;
    for (let t = start; t < end; t += STEP_MS, step++) {
      for (let si = 0; si < states.length; si++) {
        const s = states[si]!;
        const r = s.rng;
        const { spec } = s;

        // Ticker first: it shows the book as it stood at the start of the step.
        if (step % 10 === si * 2) {
          const bidSize = s.book.bids.get(s.book.bestBid) ?? 0;
          const askSize = s.book.asks.get(s.book.bestAsk) ?? 0;
          const line = `${t},${spec.symbol},${fmt(s.book.bestBid * spec.tick, spec.priceDecimals)},${fmt(s.book.bestAsk * spec.tick, spec.priceDecimals)},${fmt(bidSize, spec.sizeDecimals)},${fmt(askSize, spec.sizeDecimals)},${s.lastPrice}`;
          tickers.push(arrival(r, t), line);
        }

        // Latent dynamics.
        s.pressure = s.pressure * decay + shock * r.normal();
        s.logMid += DRIFT * spec.sigma * s.pressure * dt + spec.sigma * Math.sqrt(dt) * r.normal();

        // Quotes follow the latent mid lazily: they step a tick only once the mid leaves [bid, ask]
        // (so the observed mid lags the latent one, as real quotes do), and now and then the spread
        // changes and both sides are re-quoted around the mid. Levels leave and enter at the edges.
        const midTicks = Math.exp(s.logMid) / spec.tick;
        let bid = s.book.bestBid;
        let ask = s.book.bestAsk;
        if (r.chance(0.002)) {
          s.spreadTicks = 1 + r.int(0, 4);
          bid = Math.round(midTicks - s.spreadTicks / 2);
          ask = bid + s.spreadTicks;
        }
        while (midTicks > ask) (bid++, ask++);
        while (midTicks < bid) (bid--, ask--);
        recenter(s, bid, ask, t + 1, emitBook);

        // Trades (taking liquidity at the touch) and quotes coming and going at random levels, at
        // random milliseconds within the step, applied in time order so the file replays exactly.
        const nTrades = r.poisson(spec.tradeRate * (0.6 + 0.6 * Math.abs(s.pressure)) * dt);
        const nQuotes = r.poisson(0.6 * dt);
        const events: { ts: number; trade: boolean }[] = [];
        for (let i = 0; i < nTrades + nQuotes; i++) events.push({ ts: t + 2 + r.int(0, STEP_MS - 3), trade: i < nTrades });
        events.sort((x, y) => x.ts - y.ts);
        for (const { ts, trade } of events) {
          if (trade) {
            const buy = r.chance(sigmoid(SIDE_TILT * s.pressure));
            const size = Math.max(10 ** -spec.sizeDecimals, roundTo(r.lognormal(spec.size, 0.9), spec.sizeDecimals));
            // A big order sometimes walks one level past the touch.
            const through = size > spec.size * 3 && r.chance(0.3) ? 1 : 0;
            const priceTicks = buy ? s.book.bestAsk + through : s.book.bestBid - through;
            s.lastPrice = fmt(priceTicks * spec.tick, spec.priceDecimals);
            trades.push(arrival(r, ts), `${ts},${spec.symbol},${s.lastPrice},${fmt(size, spec.sizeDecimals)},${buy ? 'buy' : 'sell'}`);
            const levels = buy ? s.book.asks : s.book.bids;
            const touch = buy ? s.book.bestAsk : s.book.bestBid;
            const left = (levels.get(touch) ?? 0) - size;
            // Keep the touch non-empty (it is refilled at once) so that the top of book stays well defined.
            setLevel(s, buy ? 'ask' : 'bid', touch, left > 0 ? roundTo(left, spec.sizeDecimals) : levelSize(s, 0), ts, false, emitBook);
          } else {
            // More often near the touch.
            const k = Math.min(LEVELS - 1, Math.floor(r.exponential(0.35)));
            const onBid = r.chance(0.5);
            const price = onBid ? s.book.bestBid - k : s.book.bestAsk + k;
            setLevel(s, onBid ? 'bid' : 'ask', price, levelSize(s, k), ts, false, emitBook);
          }
        }
      }
      // Nothing generated later is earlier than the next step (late lines are keyed by arrival).
      await out.release(t + STEP_MS);
    }
    return await out.finish();
  } catch (err) {
    await out.close().catch(() => undefined);
    throw err;
  }
}

/** Arrival time: on time, except ~1% of events held back by 50-500 ms. */
function arrival(r: Rng, ts: number): number {
  return r.chance(LATE_FRACTION) ? ts + r.int(50, MARKET_LATENESS_MS + 1) : ts;
}

function levelSize(s: SymbolState, depth: number): number {
  // Resting size grows with depth, as on real books.
  return roundTo(s.rng.lognormal(s.spec.size * 4 * (1 + depth * 0.3), 0.7), s.spec.sizeDecimals) || 10 ** -s.spec.sizeDecimals;
}

function setLevel(
  s: SymbolState,
  side: 'bid' | 'ask',
  priceTicks: number,
  size: number,
  ts: number,
  snapshot: boolean,
  emit: (key: number, line: string) => void,
): void {
  const levels = side === 'bid' ? s.book.bids : s.book.asks;
  if (size === 0) levels.delete(priceTicks);
  else levels.set(priceTicks, size);
  const { spec } = s;
  emit(ts, `{"ts":${ts},"symbol":"${spec.symbol}","side":"${side}","price":${fmt(priceTicks * spec.tick, spec.priceDecimals)},"size":${fmt(size, spec.sizeDecimals)},"snapshot":${snapshot}}`);
}

/**
 * Move the touch to (bid, ask): delete the levels that fall out of the top LEVELS on either side, then
 * add the ones that come in. All deletions go first so that a reader applying the deltas in order never
 * sees a crossed book.
 */
function recenter(s: SymbolState, bid: number, ask: number, ts: number, emit: (key: number, line: string) => void): void {
  const b = s.book;
  if (bid === b.bestBid && ask === b.bestAsk) return;
  const oldBid = b.bestBid;
  const oldAsk = b.bestAsk;
  b.bestBid = bid;
  b.bestAsk = ask;
  for (let p = oldBid - LEVELS + 1; p <= oldBid; p++) if (p > bid || p <= bid - LEVELS) setLevel(s, 'bid', p, 0, ts, false, emit);
  for (let p = oldAsk + LEVELS - 1; p >= oldAsk; p--) if (p < ask || p >= ask + LEVELS) setLevel(s, 'ask', p, 0, ts, false, emit);
  for (let k = 0; k < LEVELS; k++) if (!b.bids.has(bid - k)) setLevel(s, 'bid', bid - k, levelSize(s, k), ts, false, emit);
  for (let k = 0; k < LEVELS; k++) if (!b.asks.has(ask + k)) setLevel(s, 'ask', ask + k, levelSize(s, k), ts, false, emit);
}

function roundTo(x: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(x * f) / f;
}

function fmt(x: number, decimals: number): string {
  return x.toFixed(decimals);
}
