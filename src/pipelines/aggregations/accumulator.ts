import { OPS, type OpName } from './catalog.js';

/**
 * A mergeable summary of the values of one key in one pane (a bucket of time). Panes are merged into
 * windows when a window closes: a tumbling window is one pane, a hopping window several. One object
 * per (pane, key), never per event. Variance merges with Chan's formula, so panes combine exactly
 * as if the window had been summarised in one pass.
 */
export class Accumulator {
  count = 0;
  mean = 0;
  m2 = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  firstTime = Infinity;
  firstValue = NaN;
  lastTime = -Infinity;
  lastValue = NaN;
  distinct: Map<number, number> | undefined;

  constructor(trackDistinct = false) {
    if (trackDistinct) this.distinct = new Map();
  }

  add(t: number, v: number): void {
    this.count++;
    this.sum += v;
    const d = v - this.mean;
    this.mean += d / this.count;
    this.m2 += d * (v - this.mean);
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    // Ties keep arrival order: the first to arrive stays first, the last to arrive is last.
    if (t < this.firstTime) {
      this.firstTime = t;
      this.firstValue = v;
    }
    if (t >= this.lastTime) {
      this.lastTime = t;
      this.lastValue = v;
    }
    if (this.distinct) this.distinct.set(v, (this.distinct.get(v) ?? 0) + 1);
  }

  /** Fold `o` (a later pane) into this one. */
  merge(o: Accumulator): void {
    if (o.count === 0) return;
    const n = this.count + o.count;
    const d = o.mean - this.mean;
    this.m2 += o.m2 + (d * d * this.count * o.count) / n;
    this.mean += (d * o.count) / n;
    this.count = n;
    this.sum += o.sum;
    if (o.min < this.min) this.min = o.min;
    if (o.max > this.max) this.max = o.max;
    if (o.firstTime < this.firstTime) {
      this.firstTime = o.firstTime;
      this.firstValue = o.firstValue;
    }
    if (o.lastTime >= this.lastTime) {
      this.lastTime = o.lastTime;
      this.lastValue = o.lastValue;
    }
    if (this.distinct && o.distinct) for (const [v, c] of o.distinct) this.distinct.set(v, (this.distinct.get(v) ?? 0) + c);
  }

  /** The result of `op`, or null (SQL's answer for an empty window or a variance of one value). */
  result(op: OpName): number | null {
    if (this.count === 0) return OPS[op].empty;
    switch (op) {
      case 'count':
        return this.count;
      case 'sum':
        return this.sum;
      case 'mean':
        return this.mean;
      case 'variance':
        return this.count < 2 ? null : this.m2 / (this.count - 1);
      case 'std':
        return this.count < 2 ? null : Math.sqrt(this.m2 / (this.count - 1));
      case 'min':
        return this.min;
      case 'max':
        return this.max;
      case 'first':
        return this.firstValue;
      case 'last':
        return this.lastValue;
      case 'count_distinct':
        return this.distinct?.size ?? 0;
    }
  }

  toJSON(): unknown {
    return { ...this, distinct: this.distinct ? [...this.distinct] : undefined };
  }

  static fromJSON(o: ReturnType<Accumulator['toJSON']>): Accumulator {
    const raw = o as Record<string, unknown>;
    const a = new Accumulator(raw.distinct !== undefined);
    Object.assign(a, { ...raw, distinct: raw.distinct ? new Map(raw.distinct as [number, number][]) : undefined });
    return a;
  }
}
