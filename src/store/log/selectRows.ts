import { sliceBatch, takeBatch, type Batch } from '../../pipelines/data/batch.js';

/** Which rows a read keeps: `from <= time < to` and `offset >= fromOffset`, cut into batches of `batchRows`. */
export interface RowSelection {
  readonly from: number;
  readonly to: number;
  readonly fromOffset: number;
  readonly batchRows: number;
}

/**
 * The selected rows of `b`, whose first row has log offset `base`, with offsets attached.
 * Views over `b` (no copy) while every row from the first wanted offset on is in range; an index and
 * a copy of the kept rows otherwise.
 */
export function* selectRows(b: Batch, base: number, sel: RowSelection): Generator<Batch> {
  const { from, to, batchRows } = sel;
  const offsets = new Float64Array(b.length);
  for (let i = 0; i < offsets.length; i++) offsets[i] = base + i;
  const all: Batch = { ...b, offsets };
  const start = Math.max(0, sel.fromOffset - base);
  const time = b.time;
  let index: Int32Array | undefined;
  let n = 0;
  for (let i = start; i < time.length; i++) {
    const t = time[i]!;
    const keep = t >= from && t < to;
    if (index === undefined) {
      if (keep) continue;
      // The first row out of range: from here on, collect the kept rows' positions.
      index = new Int32Array(time.length - start);
      for (let j = start; j < i; j++) index[n++] = j;
    } else if (keep) {
      index[n++] = i;
    }
  }
  if (index === undefined) {
    for (let s = start; s < b.length; s += batchRows) yield sliceBatch(all, s, Math.min(b.length, s + batchRows));
  } else {
    for (let s = 0; s < n; s += batchRows) yield takeBatch(all, index.subarray(s, Math.min(n, s + batchRows)));
  }
}
