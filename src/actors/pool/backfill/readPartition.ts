import { sliceBatch, watermarkBatch, type Batch } from '../../../pipelines/data/batch.js';
import type { SourceLog } from '../../../store/log/sourceLog.js';

/**
 * What a backfill task reads of its source's log, and how it feeds it to the pipelines, for the
 * partition `[from, to)` warmed up from `readFrom` (the why is in backfillTask.ts):
 *
 * 1. every event with time >= readFrom, in arrival order, whole, until the watermark (the newest
 *    time fed minus the source's lateness) reaches `to`: the stop. Segments wholly older than
 *    readFrom are not opened.
 * 2. after the stop, only the events older than `to` (late in the full run too, but their rejections
 *    are in range and are counted), each run of them after a watermark announcement of the newest
 *    time read before it: what the newer events, not fed, would have told the steps (how the lanes
 *    executor feeds its lanes, too). Segments with no event older than `to` are not opened: their
 *    maxTime is all they would tell.
 *
 * Reads go segment by segment (batches of {@link READ_BATCH_ROWS}: the stop is checked between them,
 * so a small batch bounds how far past it a task computes).
 */

/** Rows per batch read: the stop overshoots by at most this many events. */
export const READ_BATCH_ROWS = 8192;

export interface PartitionRead {
  from: number;
  to: number;
  readFrom: number;
  /** The source's allowed lateness, ms. */
  lateness: number;
}

/**
 * Read and feed the partition's events (see the file comment) to `push`. Returns the events read
 * from the log (fed or not).
 *
 * @example
 * const events = await readPartition(log, { from, to, readFrom, lateness: 500 }, (b) => input.next(b));
 */
export async function readPartition(log: SourceLog, p: PartitionRead, push: (b: Batch) => void): Promise<number> {
  const { to, readFrom, lateness } = p;
  let newest = -Infinity;
  let stopped = false;
  let announced = -Infinity;
  let read = 0;

  const feed = (b: Batch) => {
    read += b.length;
    const t = b.time;
    if (!stopped) {
      push(b);
      for (let i = 0; i < t.length; i++) if (t[i]! > newest) newest = t[i]!;
      if (newest - lateness >= to) {
        stopped = true;
        announced = newest - lateness;
      }
      return;
    }
    for (let i = 0; i < t.length; ) {
      if (t[i]! >= to) {
        if (t[i]! > newest) newest = t[i]!;
        i++;
        continue;
      }
      let j = i + 1;
      while (j < t.length && t[j]! < to) j++;
      if (newest - lateness > announced) {
        announced = newest - lateness;
        push(watermarkBatch(announced));
      }
      push(i === 0 && j === t.length ? b : sliceBatch(b, i, j));
      i = j;
    }
  };

  const segments = log.segments;
  for (const seg of segments) {
    if (seg.maxTime < readFrom) continue;
    if (stopped && seg.minTime >= to) {
      if (seg.maxTime > newest) newest = seg.maxTime;
      continue;
    }
    const end = seg.firstOffset + seg.rows;
    // This segment only (a batch never spans two): stop once past its last row.
    for await (const b of log.read({ from: readFrom, fromOffset: seg.firstOffset, batchRows: READ_BATCH_ROWS })) {
      if (b.offsets![0]! >= end) break;
      feed(b);
      if (b.offsets![b.length - 1]! + 1 >= end) break;
    }
  }
  // Rows not in a segment yet (a journal's, after a crash) have no time index: read whole.
  const last = segments.at(-1);
  for await (const b of log.read({ from: readFrom, fromOffset: last === undefined ? 0 : last.firstOffset + last.rows, batchRows: READ_BATCH_ROWS })) feed(b);
  return read;
}
