import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import type { DeadLetterSink } from '../deadLetter.js';
import type { ImportFingerprint } from '../log/manifest.js';
import type { SourceLog } from '../log/sourceLog.js';
import { readArrowFile } from './arrowIpc.js';
import { readCsvFile } from './csv.js';
import { readJsonLinesFile } from './jsonLines.js';
import { readParquetFile } from './parquet.js';
import type { FileReader } from './progress.js';
import { readTextParallel, type ParallelReadOptions } from './parallel/readParallel.js';
import { RowBuilder } from './rowBuilder.js';

export type InputFormat = 'csv' | 'jsonl' | 'parquet' | 'arrow';

const EXTENSIONS: Record<string, InputFormat> = {
  '.csv': 'csv',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.json': 'jsonl',
  '.parquet': 'parquet',
  '.arrow': 'arrow',
  '.ipc': 'arrow',
  '.feather': 'arrow',
};

const READERS: Record<InputFormat, FileReader> = {
  csv: readCsvFile,
  jsonl: readJsonLinesFile,
  parquet: readParquetFile,
  arrow: readArrowFile,
};

/** The input format a file name implies, by extension (case-insensitive), or undefined. */
export function formatFromPath(path: string): InputFormat | undefined {
  return EXTENSIONS[extname(path).toLowerCase()];
}

/** What one import did. */
export interface ImportReport {
  source: string;
  file: string;
  /** Rows appended to the log by this call (0 when skipped). */
  rows: number;
  /** Rows sent to dead letters by this call. */
  deadLetters: number;
  /** Dead letters by reason kind, e.g. `{ 'bad timestamp': 2 }`. */
  reasons: Record<string, number>;
  /** True when the file had already been imported, unchanged, and nothing was done. */
  skipped: boolean;
}

export interface ImportOptions {
  /** Overrides the format implied by the file's extension. */
  format?: InputFormat;
  /** Where bad rows go. Without one they are still counted in the report. */
  deadLetters?: DeadLetterSink;
  /** Called as the import goes: input rows read (good and bad), bytes read, file size. */
  onProgress?: (rows: number, bytesRead: number, totalBytes: number) => void;
  /** Import even if this file, unchanged, was imported before. */
  force?: boolean;
  /** Rows a batch appended to the log (default 65536). */
  batchRows?: number;
  /**
   * Decode CSV and JSON lines on this many pool threads (default 1: on the calling thread). The log
   * gets the same rows, dictionary codes and segments, and dead letters the same records, either
   * way. Files under PARALLEL_MIN_BYTES, and Parquet and Arrow files, are read on the calling thread.
   */
  threads?: number;
  /** Tuning of the parallel path (tests, benchmarks): range size, size threshold, pool. */
  parallel?: Omit<ParallelReadOptions, 'threads'>;
}

/**
 * Import one file into a source's log: rows are appended in file order, the log is flushed, and the
 * file's fingerprint (path, size, mtime, content hash, first offset) is recorded. Importing the same
 * file again is skipped unless `force`; a file that was only touched (same content) is skipped too.
 * A file whose content changed replaces its earlier rows when they are the end of the log, and is
 * refused otherwise (its rows would be doubled). Bad rows never abort the import; each goes to dead
 * letters with a reason. Problems
 * with the file as a whole (missing, unreadable, no time or key column) throw an Error whose message
 * names the file; rows the file had already added are taken out of the log again.
 *
 * With `threads` > 1, a large CSV or JSON-lines file is decoded on the task pool, in byte ranges,
 * and appended in file order (parallel/readParallel.ts): the result is the sequential import's.
 *
 * @example
 * const report = await importFile(trips, 'data/trips.csv', { deadLetters: sink });
 * await importFile(trips, 'data/big.csv', { deadLetters: sink, threads: 4 }); // decoded on 4 pool threads
 * console.log(`${report.rows} rows, ${report.deadLetters} dead letters`, report.reasons);
 */
export async function importFile(log: SourceLog, file: string, opts: ImportOptions = {}): Promise<ImportReport> {
  const path = resolve(file);
  const format = opts.format ?? formatFromPath(file);
  if (format === undefined) {
    throw new Error(`${file}: cannot tell the format from the extension; use .csv, .jsonl/.ndjson/.json, .parquet or .arrow/.ipc/.feather, or give a format`);
  }
  const reader = READERS[format];
  if (reader === undefined) throw new Error(`${file}: unknown input format ${JSON.stringify(format)}`);
  const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
    throw new Error(err.code === 'ENOENT' ? `${file}: file not found` : `${file}: ${err.message}`);
  });
  if (!info.isFile()) throw new Error(`${file}: not a regular file`);

  const report: ImportReport = { source: log.spec.name, file, rows: 0, deadLetters: 0, reasons: {}, skipped: false };
  const previous = log.importedFingerprint(path);
  let sha256: string | undefined;
  if (!opts.force && previous !== undefined) {
    if (previous.size === info.size && previous.mtimeMs === info.mtimeMs) return { ...report, skipped: true };
    sha256 = await hashFile(path);
    if (sha256 === previous.sha256) {
      await log.recordImport({ ...previous, mtimeMs: info.mtimeMs });
      return { ...report, skipped: true };
    }
    await dropPreviousRows(log, previous, file);
  }

  const builder = new RowBuilder(log, {
    file,
    ...(opts.deadLetters && { deadLetters: opts.deadLetters }),
    ...(opts.batchRows !== undefined && { batchRows: opts.batchRows }),
  });
  const onProgress = opts.onProgress;
  // Start on a segment boundary, so that a file found broken halfway can be taken out again whole:
  // a partial import would be duplicated by the next attempt, as its fingerprint is not recorded.
  await log.flush();
  const start = log.rowCount;
  try {
    const progress = (rows: number, bytes: number): void => onProgress?.(rows, bytes, info.size);
    const threads = opts.threads ?? 1;
    if (!Number.isInteger(threads) || threads < 1) throw new Error(`threads must be a positive whole number, got ${threads}`);
    const parallel =
      threads > 1 &&
      (format === 'csv' || format === 'jsonl') &&
      (await readTextParallel(log, builder, { path, format, size: info.size }, progress, { ...opts.parallel, threads }));
    if (!parallel) await reader(path, builder, progress);
    await builder.finish();
    await log.flush();
  } catch (err) {
    await log.truncate(start).catch(() => undefined);
    throw err;
  }
  opts.deadLetters?.flush();
  await log.recordImport({
    path,
    size: info.size,
    mtimeMs: info.mtimeMs,
    rows: builder.rows,
    deadLetters: builder.rejected,
    sha256: sha256 ?? (await hashFile(path)),
    firstOffset: start,
  });
  return { ...report, rows: builder.rows, deadLetters: builder.rejected, reasons: { ...builder.reasons } };
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A changed file replaces its earlier rows, which is possible only when they end the log. */
async function dropPreviousRows(log: SourceLog, previous: ImportFingerprint, file: string): Promise<void> {
  // Logs written before first offsets were recorded: a file that is the log's only content starts at 0.
  const first = previous.firstOffset ?? (previous.rows === log.rowCount ? 0 : undefined);
  if (first === undefined || first + previous.rows !== log.rowCount) {
    throw new Error(
      `${file} changed since it was imported, and other events follow its rows in the log of source ${log.spec.name}: ` +
        `to rebuild, delete ${log.dir} and import again`,
    );
  }
  await log.truncate(first);
}
