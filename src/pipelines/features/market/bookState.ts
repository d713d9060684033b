import type { Batch } from '../../data/batch.js';
import type { PointInTimeKernel } from './pointInTime.js';
import { growFloat, growInt, matchColumn, numericColumn, valid, type NumericView } from './shared.js';

/** What a book read can output. `arg` is the depth k (imbalance) or the level, from 1 (level outputs). */
export const BookOut = {
  Bid: 0,
  Ask: 1,
  BidSize: 2,
  AskSize: 3,
  Mid: 4,
  Spread: 5,
  RelativeSpread: 6,
  Microprice: 7,
  Imbalance: 8,
  BidPrice: 9,
  BidLevelSize: 10,
  AskPrice: 11,
  AskLevelSize: 12,
} as const;

export type BookOut = (typeof BookOut)[keyof typeof BookOut];

export interface BookOutputSpec {
  out: BookOut;
  arg: number;
}

/** How the feed's rows are read. */
export interface BookColumns {
  side: string;
  bid: string | number | boolean;
  ask: string | number | boolean;
  price: string;
  size: string;
  /** A bool column that flags snapshot rows; null when the feed has none. */
  snapshot: string | null;
}

/**
 * L2 order books per key, rebuilt from level updates: each row sets the size of one price level of one
 * side (a size of 0, or below, deletes the level). Rows flagged as snapshot rows replace the side: the
 * first snapshot row of a key and side at a new time clears that side, and the snapshot rows that follow
 * at the same time (until a non-snapshot row of that side) fill it.
 *
 * Columnar state: for each key and side, the price levels in two typed arrays (price, size) sorted so
 * that the best level is last (bids by ascending price; asks are kept as negated prices, so the same
 * ascending order puts the lowest ask last). An update is a binary search and, for a new or deleted
 * level, a `copyWithin` of the levels better than it, which are few: updates cluster at the touch.
 * Every level the feed has open is kept, so deleting the touch exposes the right next level; the
 * outputs look at the top `depth` only.
 */
export class BookKernel implements PointInTimeKernel {
  readonly width: number;
  private readonly outs: Int32Array;
  private readonly args: Int32Array;
  /** Per key and side (index 2k for bids, 2k + 1 for asks): level scores (price, or −price for asks) and sizes. */
  private score: Float64Array[] = [];
  private size: Float64Array[] = [];
  private count: Int32Array = new Int32Array(0);
  /** Per key and side: the time of the snapshot being loaded, NaN when none is. */
  private snapTime: Float64Array = new Float64Array(0);
  private bound: { isBid: Uint8Array; isAsk: Uint8Array; price: NumericView; size: NumericView; snap: Uint8Array | undefined } | undefined;

  constructor(
    private readonly columns: BookColumns,
    outputs: readonly BookOutputSpec[],
  ) {
    this.width = outputs.length;
    this.outs = Int32Array.from(outputs, (o) => o.out);
    this.args = Int32Array.from(outputs, (o) => o.arg);
  }

  ensureKeys(n: number): void {
    const sides = 2 * n;
    if (sides <= this.count.length) return;
    this.count = growInt(this.count, sides);
    this.snapTime = growFloat(this.snapTime, this.count.length, NaN);
    while (this.score.length < this.count.length) {
      this.score.push(new Float64Array(0));
      this.size.push(new Float64Array(0));
    }
  }

  bind(b: Batch): void {
    const c = this.columns;
    this.bound = {
      isBid: matchColumn(b, c.side, c.bid),
      isAsk: matchColumn(b, c.side, c.ask),
      price: numericColumn(b, c.price),
      size: numericColumn(b, c.size),
      snap: c.snapshot === null ? undefined : matchColumn(b, c.snapshot, true),
    };
  }

  apply(k: number, t: number, i: number): void {
    const { isBid, isAsk, price, size, snap } = this.bound!;
    const bid = isBid[i] === 1;
    if (!bid && isAsk[i] !== 1) return;
    const p = price.values[i]!;
    const s = size.values[i]!;
    if (!valid(price.validity, i) || !valid(size.validity, i) || !Number.isFinite(p) || !Number.isFinite(s)) return;
    const ks = 2 * k + (bid ? 0 : 1);
    if (snap !== undefined && snap[i] === 1) {
      if (this.snapTime[ks] !== t) {
        this.count[ks] = 0;
        this.snapTime[ks] = t;
      }
    } else this.snapTime[ks] = NaN;
    this.set(ks, bid ? p : -p, s);
  }

  /** Set the level at `score` of side `ks` to `s` (delete it when s ≤ 0). */
  private set(ks: number, score: number, s: number): void {
    const n = this.count[ks]!;
    let sc = this.score[ks]!;
    // Binary search for the first level with a score >= `score`; updates near the touch (the end) are usual.
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sc[mid]! < score) lo = mid + 1;
      else hi = mid;
    }
    const found = lo < n && sc[lo] === score;
    if (s <= 0) {
      if (!found) return;
      sc.copyWithin(lo, lo + 1, n);
      this.size[ks]!.copyWithin(lo, lo + 1, n);
      this.count[ks] = n - 1;
      return;
    }
    if (found) {
      this.size[ks]![lo] = s;
      return;
    }
    if (n === sc.length) {
      const cap = Math.max(16, n * 2);
      const grownScore = new Float64Array(cap);
      grownScore.set(sc);
      const grownSize = new Float64Array(cap);
      grownSize.set(this.size[ks]!);
      this.score[ks] = sc = grownScore;
      this.size[ks] = grownSize;
    }
    const sz = this.size[ks]!;
    sc.copyWithin(lo + 1, lo, n);
    sz.copyWithin(lo + 1, lo, n);
    sc[lo] = score;
    sz[lo] = s;
    this.count[ks] = n + 1;
  }

  /** Sum of the sizes of the best `depth` levels of side `ks`. */
  private depthSize(ks: number, depth: number): number {
    const n = this.count[ks]!;
    const sz = this.size[ks]!;
    let total = 0;
    for (let j = n - 1; j >= 0 && j >= n - depth; j--) total += sz[j]!;
    return total;
  }

  read(k: number, _t: number, out: Float64Array, at: number): void {
    const b = 2 * k;
    const a = b + 1;
    const nb = this.count[b]!;
    const na = this.count[a]!;
    const bid = nb > 0 ? this.score[b]![nb - 1]! : NaN;
    const ask = na > 0 ? -this.score[a]![na - 1]! : NaN;
    const bidSize = nb > 0 ? this.size[b]![nb - 1]! : NaN;
    const askSize = na > 0 ? this.size[a]![na - 1]! : NaN;
    const mid = (bid + ask) / 2;
    for (let j = 0; j < this.width; j++) {
      const arg = this.args[j]!;
      let v: number;
      switch (this.outs[j]) {
        case BookOut.Bid:
          v = bid;
          break;
        case BookOut.Ask:
          v = ask;
          break;
        case BookOut.BidSize:
          v = bidSize;
          break;
        case BookOut.AskSize:
          v = askSize;
          break;
        case BookOut.Mid:
          v = mid;
          break;
        case BookOut.Spread:
          v = ask - bid;
          break;
        case BookOut.RelativeSpread:
          v = mid === 0 ? NaN : (ask - bid) / mid;
          break;
        case BookOut.Microprice: {
          const w = bidSize + askSize;
          v = w > 0 ? (bid * askSize + ask * bidSize) / w : NaN;
          break;
        }
        case BookOut.Imbalance: {
          const sb = this.depthSize(b, arg);
          const sa = this.depthSize(a, arg);
          v = sb + sa > 0 ? (sb - sa) / (sb + sa) : NaN;
          break;
        }
        case BookOut.BidPrice:
          v = nb >= arg ? this.score[b]![nb - arg]! : NaN;
          break;
        case BookOut.BidLevelSize:
          v = nb >= arg ? this.size[b]![nb - arg]! : NaN;
          break;
        case BookOut.AskPrice:
          v = na >= arg ? -this.score[a]![na - arg]! : NaN;
          break;
        default:
          v = na >= arg ? this.size[a]![na - arg]! : NaN;
      }
      out[at + j] = v;
    }
  }

  snapshot(): unknown {
    const sides = this.count.length;
    const score: Float64Array[] = [];
    const size: Float64Array[] = [];
    for (let ks = 0; ks < sides; ks++) {
      score.push(this.score[ks]!.slice(0, this.count[ks]!));
      size.push(this.size[ks]!.slice(0, this.count[ks]!));
    }
    return { count: this.count.slice(0, sides), snapTime: this.snapTime.slice(0, sides), score, size };
  }

  restore(s: unknown): void {
    const snap = s as { count: Int32Array; snapTime: Float64Array; score: Float64Array[]; size: Float64Array[] };
    this.count = snap.count.slice();
    this.snapTime = snap.snapTime.slice();
    this.score = snap.score.map((a) => a.slice());
    this.size = snap.size.map((a) => a.slice());
  }
}
