import type { OperatorFunction } from 'rxjs';
import { Accumulator, accumulatorShape, type AccumulatorShape } from '../aggregations/accumulator.js';
import { WindowRows, type WindowOutputSpec } from '../aggregations/windowRows.js';
import type { Batch } from '../data/batch.js';
import type { KeySpace } from '../data/keySpace.js';
import type { StepContext } from '../runtime/context.js';
import type { KeyedBatch } from './keyBy.js';
import { numericValues } from './slidingAggregate.js';
import { statefulOperator, type StepState } from './statefulOperator.js';

export interface SessionAggregateOptions {
  /** A session ends when its key has no event for this long, ms. */
  gap: number;
  lateness: number;
  outputs: readonly WindowOutputSpec[];
  valueColumn?: string;
  where?: (b: Batch) => Uint8Array;
}

interface Session {
  start: number;
  last: number;
  acc: Accumulator;
}

/**
 * Session windows per key: events closer than `gap` to each other belong to one session, which
 * covers [first event, last event + gap) and is emitted once the watermark passes its end.
 * Out-of-order events that bridge two open sessions merge them. An event that could only start a
 * session that would already be closed is late.
 *
 * @example
 * events$.pipe(keyBy(ctx, ['user_id']), sessionAggregate(ctx, { gap: 20_000, lateness: 0, outputs: [{ column: 'rows', op: 'count' }] }))
 */
export function sessionAggregate(ctx: StepContext, opts: SessionAggregateOptions): OperatorFunction<KeyedBatch, Batch> {
  return statefulOperator(ctx, 'sessions', () => new Sessions(ctx, opts));
}

class Sessions implements StepState<KeyedBatch, Batch> {
  /** Open sessions of each key, ordered by start. */
  private open = new Map<number, Session[]>();
  /** Smallest end among open sessions: nothing to close before the watermark reaches it. */
  private nextEnd = Infinity;
  private maxTime = -Infinity;
  private closedUpTo = -Infinity;
  private keySpace: KeySpace | undefined;
  private readonly rows: WindowRows;
  private readonly shape: AccumulatorShape;

  constructor(
    private readonly ctx: StepContext,
    private readonly opts: SessionAggregateOptions,
  ) {
    this.rows = new WindowRows(opts.outputs);
    this.shape = accumulatorShape(opts.outputs);
  }

  push(b: KeyedBatch): Batch | undefined {
    this.keySpace = b.keySpace;
    const { gap, lateness, valueColumn } = this.opts;
    // A batch that only announces a watermark has no columns.
    const col = valueColumn === undefined || b.length === 0 ? undefined : b.columns[valueColumn];
    if (valueColumn !== undefined && b.length > 0 && col === undefined) throw new Error(`column "${valueColumn}" is not in the batch`);
    const values = col === undefined ? undefined : numericValues(col);
    if (col !== undefined) this.rows.setValueDictionary(col.type === 'dictionary' ? col.dictionary : undefined);
    const mask = b.length === 0 ? undefined : this.opts.where?.(b);
    for (let i = 0; i < b.length; i++) {
      const t = b.time[i]!;
      this.advance(this.maxTime - lateness);
      if (t > this.maxTime) this.maxTime = t;
      if (mask !== undefined && mask[i] === 0) continue;
      if (col?.validity !== undefined && ((col.validity[i >> 3]! >> (i & 7)) & 1) === 0) continue;
      const k = b.keys[i]!;
      const offset = b.offsets && { offset: b.offsets[i]! };
      if (k < 0) {
        this.ctx.reject({ time: t, ...offset, reason: 'null key: the key or by column is null' });
        continue;
      }
      const v = values === undefined ? 0 : values[i]!;
      const sessions = this.open.get(k) ?? [];
      // Sessions this event touches: it lies within gap of their span.
      const touching = sessions.filter((s) => t > s.start - gap && t < s.last + gap);
      if (touching.length === 0) {
        if (t + gap <= this.closedUpTo) {
          this.ctx.reject({ time: t, ...offset, reason: `late: its session would already have closed (watermark ${this.closedUpTo})` });
          continue;
        }
        const acc = new Accumulator(this.shape);
        acc.add(t, v);
        sessions.push({ start: t, last: t, acc });
        sessions.sort((a, c) => a.start - c.start);
        this.open.set(k, sessions);
      } else {
        const into = touching[0]!;
        into.acc.add(t, v);
        into.start = Math.min(into.start, t);
        into.last = Math.max(into.last, t);
        for (const other of touching.slice(1)) {
          into.acc.merge(other.acc);
          into.start = Math.min(into.start, other.start);
          into.last = Math.max(into.last, other.last);
          sessions.splice(sessions.indexOf(other), 1);
        }
      }
      this.nextEnd = Math.min(this.nextEnd, t + gap);
    }
    const watermark = Math.max(this.maxTime - lateness, b.watermark ?? -Infinity);
    this.advance(watermark);
    return this.rows.length > 0 || b.watermark !== undefined ? this.rows.take(this.keySpace, watermark) : undefined;
  }

  finish(): Batch | undefined {
    this.advance(Infinity);
    return this.rows.length > 0 ? this.rows.take(this.keySpace, Infinity) : undefined;
  }

  /** Close every session whose end the watermark has reached. */
  private advance(watermark: number): void {
    if (watermark !== Infinity && watermark > this.closedUpTo) this.closedUpTo = watermark;
    if (watermark < this.nextEnd) return;
    const { gap } = this.opts;
    const closed: { k: number; s: Session }[] = [];
    let nextEnd = Infinity;
    for (const [k, sessions] of this.open) {
      const keep = sessions.filter((s) => {
        if (s.last + gap <= watermark) {
          closed.push({ k, s });
          return false;
        }
        nextEnd = Math.min(nextEnd, s.last + gap);
        return true;
      });
      if (keep.length === 0) this.open.delete(k);
      else this.open.set(k, keep);
    }
    this.nextEnd = nextEnd;
    closed.sort((a, b) => a.s.last - b.s.last || a.k - b.k);
    for (const { k, s } of closed) this.rows.add(k, s.start, s.last + gap, s.acc);
  }

  snapshot(): unknown {
    return {
      maxTime: this.maxTime,
      closedUpTo: this.closedUpTo,
      valueCodes: this.rows.snapshot(),
      open: [...this.open].map(([k, ss]) => [k, ss.map((s) => ({ start: s.start, last: s.last, acc: s.acc.toJSON() }))]),
    };
  }

  restore(snapshot: unknown): void {
    const snap = snapshot as { maxTime: number; closedUpTo: number; open: [number, { start: number; last: number; acc: unknown }[]][] };
    this.maxTime = snap.maxTime;
    this.closedUpTo = snap.closedUpTo;
    this.rows.restore((snap as { valueCodes?: (number[] | null)[] }).valueCodes);
    this.open = new Map(snap.open.map(([k, ss]) => [k, ss.map((s) => ({ start: s.start, last: s.last, acc: Accumulator.fromJSON(s.acc) }))]));
    this.nextEnd = Math.min(Infinity, ...[...this.open.values()].flat().map((s) => s.last + this.opts.gap));
  }
}
