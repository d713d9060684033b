import { concatBatches, sliceBatch, type Batch } from '../../pipelines/data/batch.js';

/** A batch waiting to be written, with its time range (so that reads can skip it like a segment). */
export interface PendingBatch {
  readonly batch: Batch;
  readonly minTime: number;
  readonly maxTime: number;
}

/** Smallest and largest of `time` (Infinity and -Infinity when empty). */
export function timeBounds(time: Float64Array): { minTime: number; maxTime: number } {
  let minTime = Infinity;
  let maxTime = -Infinity;
  for (let i = 0; i < time.length; i++) {
    const t = time[i]!;
    if (t < minTime) minTime = t;
    if (t > maxTime) maxTime = t;
  }
  return { minTime, maxTime };
}

function pendingBatch(batch: Batch): PendingBatch {
  return { batch, ...timeBounds(batch.time) };
}

/**
 * The tail of a source log that is still in memory: batches appended since the last segment, in
 * arrival order. Batches are never mutated, only replaced by slices, so a snapshot stays valid.
 */
export class PendingRows {
  private parts: PendingBatch[] = [];
  private count = 0;

  get rows(): number {
    return this.count;
  }

  push(p: PendingBatch): void {
    this.parts.push(p);
    this.count += p.batch.length;
  }

  /** The batches as they are now. */
  snapshot(): readonly PendingBatch[] {
    return this.parts.slice();
  }

  /** The first `n` rows as one batch (n <= rows). */
  head(n: number): Batch {
    const chosen: Batch[] = [];
    let got = 0;
    for (const { batch } of this.parts) {
      if (got === n) break;
      const take = Math.min(batch.length, n - got);
      chosen.push(take === batch.length ? batch : sliceBatch(batch, 0, take));
      got += take;
    }
    return concatBatches(chosen);
  }

  /** Forget the first `n` rows (once they are safely in a segment). */
  dropHead(n: number): void {
    let left = n;
    while (left > 0) {
      const { batch } = this.parts[0]!;
      if (batch.length <= left) {
        this.parts.shift();
        left -= batch.length;
      } else {
        this.parts[0] = pendingBatch(sliceBatch(batch, left, batch.length));
        left = 0;
      }
    }
    this.count -= n;
  }

  /** Keep only the first `n` rows. */
  keepHead(n: number): void {
    const kept: PendingBatch[] = [];
    let got = 0;
    for (const p of this.parts) {
      if (got >= n) break;
      const take = Math.min(p.batch.length, n - got);
      kept.push(take === p.batch.length ? p : pendingBatch(sliceBatch(p.batch, 0, take)));
      got += take;
    }
    this.parts = kept;
    this.count = got;
  }
}
