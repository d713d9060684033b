import { pipe } from 'rxjs';
import { z } from 'zod';
import { defineFeature } from '../../../sdk/defineFeature.js';
import type { Batch } from '../../data/batch.js';
import { keyBy } from '../../operators/keyBy.js';
import { KeyedRing } from './keyedRing.js';
import { pointInTime, type PointInTimeKernel } from './pointInTime.js';
import { durationParam, growFloat, matchColumn, matchValue, numericColumn, valid, type NumericView } from './shared.js';

export const tradeImbalanceParams = z.strictObject({
  size: z.string().default('size').describe('the traded quantity column'),
  side: z.string().default('side').describe('the aggressor-side column'),
  buy: matchValue.default('buy').describe('the value of `side` that marks a buyer-initiated trade; any other non-null value is a sell'),
  window: durationParam('window').prefault('1m').describe('sliding window: the trades of [t - window, t) are used'),
  where: z.string().optional().describe('only events for which this is true count as trades (every event still gets a row)'),
});

export type TradeImbalanceParams = z.infer<typeof tradeImbalanceParams>;

/**
 * Trade-volume imbalance: (buy volume − sell volume) / (buy volume + sell volume) of a key's trades in
 * the sliding window [t − window, t), read at every event, from −1 (all sells) to 1 (all buys). Null
 * when no volume traded in the window. A trade is a buy when `side` equals `buy`, and a sell for any
 * other non-null side; trades with a null side or a null or non-finite size are skipped.
 *
 * @example
 * # configs/market.yaml
 * - name: trade_imbalance_30s
 *   source: trades
 *   definition: trade_imbalance
 *   params: { size: size, side: side, buy: buy, window: 30s }
 */
export const tradeImbalance = defineFeature<TradeImbalanceParams>({
  name: 'trade_imbalance',
  version: 1,
  doc: '(buy volume - sell volume) / total volume of a key\'s trades over a sliding window [t - w, t); null without volume.',
  kind: 'pointInTime',
  params: tradeImbalanceParams,
  inputs: (p) => [p.size, p.side],
  outputs: () => [{ name: '', type: 'float64', doc: 'trade-volume imbalance, -1..1' }],
  // The trades of [t - window, t), in running sums (rounding carries over from earlier trades).
  lookback: (p) => ({ ms: p.window, rounding: true }),
  build(p, ctx) {
    const where = p.where === undefined ? undefined : ctx.predicate(p.where);
    return pipe(keyBy(ctx.step('keys'), ctx.key), pointInTime(ctx.step('imbalance'), 'imbalance', () => new TradeImbalanceKernel(p.size, p.side, p.buy, p.window), ctx.columns, where));
  },
});

/** Per key: a ring of (time, signed size, size) for the window, with running sums that restart from zero when it empties. */
export class TradeImbalanceKernel implements PointInTimeKernel {
  readonly width = 1;
  private readonly ring = new KeyedRing(2);
  private signed: Float64Array = new Float64Array(0);
  private total: Float64Array = new Float64Array(0);
  private sizes: NumericView | undefined;
  private isBuy: Uint8Array | undefined;

  constructor(
    private readonly sizeColumn: string,
    private readonly sideColumn: string,
    private readonly buy: string | number | boolean,
    private readonly window: number,
  ) {}

  ensureKeys(n: number): void {
    if (n <= this.signed.length) return;
    this.signed = growFloat(this.signed, n);
    this.total = growFloat(this.total, this.signed.length);
    this.ring.ensureKeys(this.signed.length);
  }

  bind(b: Batch): void {
    this.sizes = numericColumn(b, this.sizeColumn);
    this.isBuy = matchColumn(b, this.sideColumn, this.buy);
  }

  read(k: number, t: number, out: Float64Array, at: number): void {
    const lower = t - this.window;
    const ring = this.ring;
    if (ring.size(k) > 0 && ring.time(k, ring.head(k)) < lower) {
      do {
        this.signed[k]! -= ring.value(k, ring.head(k), 0);
        this.total[k]! -= ring.value(k, ring.head(k), 1);
        ring.shift(k);
      } while (ring.size(k) > 0 && ring.time(k, ring.head(k)) < lower);
      if (ring.size(k) === 0) {
        this.signed[k] = 0;
        this.total[k] = 0;
      }
    }
    const total = this.total[k]!;
    out[at] = ring.size(k) === 0 || total === 0 ? NaN : Math.max(-1, Math.min(1, this.signed[k]! / total));
  }

  apply(k: number, t: number, i: number): void {
    const { values, validity } = this.sizes!;
    const side = this.isBuy![i]!;
    const size = values[i]!;
    if (side === 255 || !valid(validity, i) || !Number.isFinite(size)) return;
    const signed = side === 1 ? size : -size;
    this.signed[k]! += signed;
    this.total[k]! += size;
    this.ring.push(k, t, signed, size);
  }

  snapshot(): unknown {
    const n = this.signed.length;
    return { ring: this.ring.snapshot(), signed: this.signed.slice(0, n), total: this.total.slice(0, n) };
  }

  restore(s: unknown): void {
    const snap = s as { ring: unknown; signed: Float64Array; total: Float64Array };
    this.signed = snap.signed.slice();
    this.total = snap.total.slice();
    this.ring.restore(snap.ring);
    this.ring.ensureKeys(this.signed.length);
  }
}
