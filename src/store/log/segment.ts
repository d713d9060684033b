import { readFile, rename, writeFile } from 'node:fs/promises';
import { RecordBatchFileWriter, tableFromIPC } from 'apache-arrow';
import { fromRecordBatch, toRecordBatch } from '../../pipelines/data/arrow.js';
import type { Batch } from '../../pipelines/data/batch.js';
import type { Dictionary } from '../../pipelines/data/dictionary.js';

/** `segment-000042.arrow`: zero-padded so that a directory listing sorts in log order. */
export function segmentFileName(index: number): string {
  return `segment-${String(index).padStart(6, '0')}.arrow`;
}

/**
 * Write `batch` as an Arrow IPC file. Dictionary columns carry their dictionary as it is now, which
 * extends the one in every earlier segment (taken when this is called, before any await). Written to
 * a temporary name and renamed, so that a segment file is either whole or absent. `yieldBetween` lets
 * the event loop run between encoding steps, for callers that serve sockets on the same thread.
 */
export async function writeSegmentFile(path: string, batch: Batch, timeColumn: string, opts: { yieldBetween?: boolean } = {}): Promise<void> {
  const rb = toRecordBatch(batch, timeColumn);
  // A live run reads sockets on this thread: let it in between the two CPU-heavy steps.
  if (opts.yieldBetween) await new Promise((resolve) => setImmediate(resolve));
  const bytes = RecordBatchFileWriter.writeAll([rb]).toUint8Array(true);
  const tmp = `${path}.tmp`;
  await writeFile(tmp, bytes);
  await rename(tmp, path);
}

/**
 * The batches of one segment file. `dictionaries` holds the running dictionary of each dictionary
 * column; each segment's dictionary must extend it (stable codes), and extends it in turn.
 * Numeric columns and codes are views over the file's bytes, not copies.
 */
export async function readSegmentFile(path: string, timeColumn: string, dictionaries: Map<string, Dictionary>): Promise<Batch[]> {
  let batches;
  try {
    batches = tableFromIPC(await readFile(path)).batches;
  } catch (err) {
    throw new Error(`log segment ${path} is unreadable: ${(err as Error).message}`);
  }
  return batches.map((rb) => fromRecordBatch(rb, timeColumn, dictionaries));
}
