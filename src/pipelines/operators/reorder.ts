import type { OperatorFunction } from 'rxjs';
import { concatBatches, rebindDictionaries, restoreBatch, sliceBatch, snapshotBatch, takeBatch, type Batch } from '../data/batch.js';
import type { StepContext } from '../runtime/context.js';
import { statefulOperator, type StepState } from './statefulOperator.js';

/**
 * Put events in event-time order, holding each until the watermark has passed it: the input of
 * every point-in-time (sliding) feature, which must see all earlier events before it is read.
 *
 * An event is late when its time is below the watermark at its arrival: the largest time seen so
 * far minus `lateness`, or a watermark announced by an empty batch (an idle source), whichever is
 * greater. Late events go to the step's rejections, counted, never silently dropped.
 * That rule looks at rows one by one, so how the input was cut into batches never changes which
 * events are late. Released batches are sorted by time (stable: ties keep arrival order), and all
 * events of one timestamp are released together. When the input ends, everything held is released.
 *
 * @example
 * source$.pipe(reorder(ctx, 5_000)) // five seconds of allowed lateness
 */
export function reorder(ctx: StepContext, lateness: number): OperatorFunction<Batch, Batch> {
  return statefulOperator(ctx, 'reorder', () => new ReorderState(ctx, lateness));
}

class ReorderState implements StepState<Batch, Batch> {
  private maxTime = -Infinity;
  /** The largest watermark announced by the input itself. */
  private announced = -Infinity;
  private pending: Batch | undefined;

  constructor(
    private readonly ctx: StepContext,
    private readonly lateness: number,
  ) {}

  push(b: Batch): Batch | Batch[] {
    const accepted = this.dropLate(b);
    if (b.watermark !== undefined && b.watermark > this.announced) this.announced = b.watermark;
    // After a restore the held rows carry dictionaries of their own: move them onto the live ones.
    const pending = this.pending !== undefined && b.length > 0 ? rebindDictionaries(this.pending, b) : this.pending;
    const watermark = Math.max(this.maxTime - this.lateness, this.announced);
    // Usual case: the held rows (the last timestamp seen) are all due and come strictly before the
    // new rows. Emit them on their own, then the new rows, without copying the new batch.
    if (pending !== undefined && accepted.length > 0 && isSorted(pending.time)) {
      const last = pending.time[pending.length - 1]!;
      if (last < watermark && last < minOf(accepted.time)) {
        this.pending = undefined;
        return [{ ...pending, watermark }, { ...this.release(accepted, watermark), watermark }];
      }
    }
    const all = pending === undefined ? accepted : concatBatches([pending, accepted]);
    const out = this.release(all, watermark);
    return { ...out, watermark };
  }

  finish(): Batch | undefined {
    if (this.pending === undefined || this.pending.length === 0) return undefined;
    const out = this.release(this.pending, Infinity);
    return { ...out, watermark: this.maxTime };
  }

  private dropLate(b: Batch): Batch {
    const t = b.time;
    let max = this.maxTime;
    let keep: Int32Array | undefined;
    let kept = 0;
    for (let i = 0; i < b.length; i++) {
      const ti = t[i]!;
      if (ti < max - this.lateness || ti < this.announced) {
        if (keep === undefined) {
          keep = new Int32Array(b.length);
          for (let j = 0; j < i; j++) keep[j] = j;
          kept = i;
        }
        const behind = Math.max(max - this.lateness, this.announced) - ti;
        this.ctx.reject({ time: ti, ...(b.offsets && { offset: b.offsets[i]! }), reason: `late: ${behind} ms behind the watermark (lateness ${this.lateness} ms)` });
        continue;
      }
      if (keep !== undefined) keep[kept++] = i;
      if (ti > max) max = ti;
    }
    this.maxTime = max;
    return keep === undefined ? b : takeBatch(b, keep, kept);
  }

  /** Emit the rows below `watermark`, sorted; keep the rest. */
  private release(all: Batch, watermark: number): Batch {
    const t = all.time;
    if (isSorted(t)) {
      // Usual case: already in order, so the released rows are a prefix and nothing is copied.
      let lo = 0;
      let hi = all.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (t[mid]! < watermark) lo = mid + 1;
        else hi = mid;
      }
      this.pending = lo < all.length ? sliceBatch(all, lo, all.length) : undefined;
      return sliceBatch(all, 0, lo);
    }
    const ready: number[] = [];
    const held: number[] = [];
    for (let i = 0; i < all.length; i++) (t[i]! < watermark ? ready : held).push(i);
    ready.sort((a, b) => t[a]! - t[b]! || a - b);
    this.pending = held.length > 0 ? takeBatch(all, held) : undefined;
    return takeBatch(all, ready);
  }

  snapshot(): unknown {
    return { maxTime: this.maxTime, announced: this.announced, pending: this.pending && snapshotBatch(this.pending) };
  }

  restore(s: unknown): void {
    const snap = s as { maxTime: number; announced: number; pending: unknown };
    this.maxTime = snap.maxTime;
    this.announced = snap.announced;
    this.pending = snap.pending === undefined ? undefined : restoreBatch(snap.pending);
  }
}

function isSorted(t: Float64Array): boolean {
  for (let i = 1; i < t.length; i++) if (t[i]! < t[i - 1]!) return false;
  return true;
}

function minOf(t: Float64Array): number {
  let min = Infinity;
  for (let i = 0; i < t.length; i++) if (t[i]! < min) min = t[i]!;
  return min;
}
