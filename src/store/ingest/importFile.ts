import { stat } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import type { DeadLetterSink } from '../deadLetter.js';
import type { SourceLog } from '../log/sourceLog.js';
import { readArrowFile } from './arrowIpc.js';
import { readCsvFile } from './csv.js';
import { readJsonLinesFile } from './jsonLines.js';
import { readParquetFile } from './parquet.js';
import type { FileReader } from './progress.js';
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
}

/**
 * Import one file into a source's log: rows are appended in file order, the log is flushed, and the
 * file's fingerprint (path, size, mtime) is recorded, so that importing the same file again is skipped
 * unless `force`. Bad rows never abort the import; each goes to dead letters with a reason. Problems
 * with the file as a whole (missing, unreadable, no time or key column) throw an Error whose message
 * names the file; rows the file had already added are taken out of the log again.
 *
 * @example
 * const report = await importFile(trips, 'data/trips.csv', { deadLetters: sink });
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
  if (!opts.force && previous !== undefined && previous.size === info.size && previous.mtimeMs === info.mtimeMs) {
    return { ...report, skipped: true };
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
    await reader(path, builder, (rows, bytes) => onProgress?.(rows, bytes, info.size));
    await builder.finish();
    await log.flush();
  } catch (err) {
    await log.truncate(start).catch(() => undefined);
    throw err;
  }
  opts.deadLetters?.flush();
  await log.recordImport({ path, size: info.size, mtimeMs: info.mtimeMs, rows: builder.rows, deadLetters: builder.rejected });
  return { ...report, rows: builder.rows, deadLetters: builder.rejected, reasons: { ...builder.reasons } };
}
