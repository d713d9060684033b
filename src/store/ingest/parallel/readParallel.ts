import { open, type FileHandle } from 'node:fs/promises';
import { sharedTaskPool, type TaskPool } from '../../../actors/pool/taskPool.js';
import type { SourceLog } from '../../log/sourceLog.js';
import { headerIndex, parseCsv } from '../csv.js';
import type { ReadProgress } from '../progress.js';
import type { RowBuilder } from '../rowBuilder.js';
import { appendRange } from './appendRange.js';
import { CsvCutScanner } from './csvCuts.js';
import type { DecodeRangeTask, DecodedRange } from './decoded.js';

/** The pool task module (decodeTask.ts), for `preload` and `run`. */
export const DECODE_TASK = new URL('./decodeTask.ts', import.meta.url);

/**
 * Files smaller than this are decoded on the calling thread. Measured (bench/suites/importDecode.ts,
 * 2 cores): one thread decodes ~16 MB/s of CSV and ~32 MB/s of JSON lines (ISO times, 6 columns),
 * and starting a pool of 2 threads (tsx, the task module) costs ~0.8 s the first time. A second
 * thread saves at most half the decoding, so a cold pool breaks even at ~25 MB of CSV and ~50 MB of
 * JSON lines; a warm one (shared, `sharedTaskPool`) pays from about 1 MB.
 */
export const PARALLEL_MIN_BYTES = 32 << 20;
/** Ranges are at least this long (a task then carries ~50 ms or more of decoding, far over MIN_TASK_MS)... */
export const MIN_RANGE_BYTES = 4 << 20;
/** ...and at most this long, so that results stay small and the calling thread starts appending early. */
export const MAX_RANGE_BYTES = 32 << 20;
/** Bytes read at a time by the calling thread's scans. */
const SCAN_BYTES = 1 << 20;
/** The CSV header must end within this many bytes for the parallel path (it always does in practice). */
const HEADER_BYTES = 64 << 10;

export interface ParallelReadOptions {
  threads: number;
  /** Bytes a range (default: the file split in 4 ranges a thread, within MIN_RANGE_BYTES..MAX_RANGE_BYTES). */
  rangeBytes?: number;
  /** Files under this many bytes are left to the sequential reader (default PARALLEL_MIN_BYTES). */
  minBytes?: number;
  /** The pool (default: the shared pool of `threads` threads). */
  pool?: TaskPool;
}

/**
 * Decode a CSV or JSON-lines file on the task pool, range by range, into `builder`, exactly as the
 * sequential reader would: same rows, same dictionary codes, same dead letters in the same order.
 * Returns false, having read nothing into `builder`, when the file is better left to the sequential
 * reader (small; a CSV header it cannot place simply, e.g. CR-only line ends).
 *
 * The calling thread strips a byte-order mark, reads the CSV header (its errors are the sequential
 * reader's), and cuts the rest into ranges on record boundaries (JSON lines: any LF; CSV: an LF
 * outside quotes, csvCuts.ts). Each task reads and decodes its own range (decodeTask.ts); results
 * are appended strictly in file order (appendRange.ts), with at most 2 tasks a thread in flight, so
 * memory stays bounded whatever the file's size.
 *
 * @example
 * const done = await readTextParallel(log, builder, { path, format: 'csv', size }, progress, { threads: 2 });
 * if (!done) await readCsvFile(path, builder, progress);
 */
export async function readTextParallel(
  log: SourceLog,
  builder: RowBuilder,
  input: { path: string; format: 'csv' | 'jsonl'; size: number },
  progress: ReadProgress,
  opts: ParallelReadOptions,
): Promise<boolean> {
  const { path, format, size } = input;
  if (size < (opts.minBytes ?? PARALLEL_MIN_BYTES)) return false;
  const fh = await open(path, 'r');
  try {
    const head = await readAt(fh, 0, Math.min(size, HEADER_BYTES));
    let dataStart = head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
    const base: Omit<DecodeRangeTask, 'start' | 'end'> = { file: path, format, spec: log.spec };
    if (format === 'csv') {
      const found = findHeader(head, dataStart);
      if (found === undefined) return false;
      base.index = headerIndex(path, found.header, builder);
      base.width = found.header.length;
      dataStart = found.end;
    }
    const rangeBytes = opts.rangeBytes ?? Math.min(MAX_RANGE_BYTES, Math.max(MIN_RANGE_BYTES, Math.ceil((size - dataStart) / (opts.threads * 4))));
    const ranges = format === 'csv' ? csvRanges(fh, dataStart, size, rangeBytes) : lineRanges(fh, dataStart, size, rangeBytes);
    const pool = opts.pool ?? sharedTaskPool(opts.threads, [DECODE_TASK]);
    const window = 2 * pool.threads;
    const inFlight: { end: number; result: Promise<DecodedRange> }[] = [];
    let records = 0;
    const takeOldest = async (): Promise<void> => {
      const { end, result } = inFlight.shift()!;
      const part = await result;
      appendRange(log, builder, part, records);
      records += part.records;
      await builder.drain();
      progress(records, end);
    };
    try {
      for await (const [start, end] of ranges) {
        const result = pool.run<DecodedRange>(DECODE_TASK, 'decodeRange', { ...base, start, end } satisfies DecodeRangeTask);
        // Handled now, awaited in order later: a failure while earlier ranges are appended is not "unhandled".
        result.catch(() => undefined);
        inFlight.push({ end, result });
        if (inFlight.length >= window) await takeOldest();
      }
      while (inFlight.length > 0) await takeOldest();
      // As the sequential readers do, report the end even for a file with no records at all.
      progress(records, size);
    } finally {
      // On an error, let the tasks still running settle before the caller takes the log back.
      await Promise.allSettled(inFlight.map((f) => f.result));
    }
    return true;
  } finally {
    await fh.close();
  }
}

/** The header record of a CSV file whose data starts at `from` in `head`, and where the data after it starts. */
function findHeader(head: Buffer, from: number): { header: string[]; end: number } | undefined {
  // rangeBytes 1: every LF outside quotes is a candidate end of the header.
  const cuts = new CsvCutScanner({ firstCut: from + 1, rangeBytes: 1 }).scan(head.subarray(from), from);
  let pos = from;
  for (const cut of cuts) {
    const records = parseCsv(head.toString('utf8', pos, cut));
    if (records.length === 1) return { header: records[0]!, end: cut };
    // More than one record before an LF: CR line ends, which the cuts do not see.
    if (records.length > 1) return undefined;
    pos = cut; // a blank line before the header
  }
  return undefined;
}

/** CSV ranges from `from` to the end of the file, cut at LFs outside quotes, yielded as the scan finds them. */
async function* csvRanges(fh: FileHandle, from: number, size: number, rangeBytes: number): AsyncGenerator<[number, number]> {
  const scanner = new CsvCutScanner({ firstCut: from + rangeBytes, rangeBytes });
  let last = from;
  for (let pos = from; pos < size; ) {
    const chunk = await readAt(fh, pos, Math.min(SCAN_BYTES, size - pos));
    for (const cut of scanner.scan(chunk, pos)) {
      yield [last, cut];
      last = cut;
    }
    pos += chunk.length;
  }
  if (last < size) yield [last, size];
}

/** JSON-lines ranges: each ends just after the first LF at or past `rangeBytes` from its start (a raw LF cannot be inside a JSON value). */
async function* lineRanges(fh: FileHandle, from: number, size: number, rangeBytes: number): AsyncGenerator<[number, number]> {
  let last = from;
  while (size - last > rangeBytes) {
    let pos = last + rangeBytes - 1;
    let cut = size;
    while (pos < size) {
      const chunk = await readAt(fh, pos, Math.min(64 << 10, size - pos));
      const lf = chunk.indexOf(0x0a);
      if (lf >= 0) {
        cut = pos + lf + 1;
        break;
      }
      pos += chunk.length;
    }
    yield [last, cut];
    last = cut;
  }
  if (last < size) yield [last, size];
}

/** `length` bytes at `position` (fewer only at the end of the file). */
async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got === length ? buf : buf.subarray(0, got);
}
