import { sliceBatch, takeBatch, watermarkBatch, type Batch } from '../../pipelines/data/batch.js';
import { ROW_COLUMN } from './planLanes.js';

/**
 * An actor's rows of a batch, for one lane: gathered (the only copy on the actor's side), tagged
 * with their row number in the source stream, and cut where the reader announced the source's
 * global watermark, so lateness is decided exactly as one thread over all keys would decide it.
 *
 * `rows` are ascending row indexes into `batch`; `announce` holds (row, watermark) pairs in
 * ascending rows (see SourceSplitter). A row's number is `base + row`, or `rowNumbers[row]` when
 * the batch holds only some rows of the source's batch (a cluster node's share).
 */
export function feedLane(next: (b: Batch) => void, batch: Batch, base: number, rows: Int32Array, announce: Float64Array, rowNumbers?: Float64Array): void {
  const n = rows.length;
  if (n === 0) {
    if (batch.watermark !== undefined) next(watermarkBatch(batch.watermark));
    return;
  }
  const mine = takeBatch(batch, rows, n);
  const rowNo = new Float64Array(n);
  if (rowNumbers === undefined) for (let i = 0; i < n; i++) rowNo[i] = base + rows[i]!;
  else for (let i = 0; i < n; i++) rowNo[i] = rowNumbers[rows[i]!]!;
  const tagged: Batch = { ...mine, columns: { ...mine.columns, [ROW_COLUMN]: { type: 'float64', values: rowNo } } };
  emitAtAnnouncements(next, tagged, rows, announce);
}

/**
 * Hand `tagged` (rows `rows[i]` of the reader's batch, or all of them in order when `rows` is
 * undefined) to `next`, cut before every row the reader announced a watermark for, with that
 * watermark in between: the rows before it are judged without it, the row and those after with it.
 */
export function emitAtAnnouncements(next: (b: Batch) => void, tagged: Batch, rows: Int32Array | undefined, announce: Float64Array): void {
  const n = tagged.length;
  let start = 0;
  let a = 0;
  for (let i = 0; i < n && a < announce.length; i++) {
    const r = rows === undefined ? i : rows[i]!;
    while (a < announce.length && announce[a]! < r) a += 2;
    if (a < announce.length && announce[a] === r) {
      if (i > start) next(withoutWatermark(sliceBatch(tagged, start, i)));
      next(watermarkBatch(announce[a + 1]!));
      start = i;
    }
  }
  next(start === 0 ? tagged : sliceBatch(tagged, start, n));
}

function withoutWatermark(b: Batch): Batch {
  if (b.watermark === undefined) return b;
  const { watermark: _w, ...rest } = b;
  return rest;
}
