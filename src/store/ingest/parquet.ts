import { asyncBufferFromFile, parquetMetadataAsync, parquetScan, parquetSchema, type DecodedArray, type FileMetaData } from 'hyparquet';
import { locateColumn, requireFields, walk } from './fieldPath.js';
import { messageOf, type ReadProgress } from './progress.js';
import type { RowBuilder } from './rowBuilder.js';

/**
 * Read a Parquet file into `builder`, one row group at a time (hyparquet decodes a column chunk whole).
 * Timestamps arrive as Dates and int64 as bigints; both are understood. A dotted column name reads a
 * field of a struct column. Row numbers in dead letters are 1-based rows of the file.
 */
export async function readParquetFile(file: string, builder: RowBuilder, progress: ReadProgress): Promise<void> {
  const buffer = await asyncBufferFromFile(file);
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(buffer);
  } catch (err) {
    throw new Error(`${file}: not a readable Parquet file (${messageOf(err)})`);
  }
  const topLevel = parquetSchema(metadata).children.map((c) => c.element.name);
  const sources = builder.fields.map((f) => locateColumn(f, topLevel));
  requireFields(file, 'the Parquet schema', builder.fields, builder.required, sources, topLevel);
  const columns = [...new Set(sources.flatMap((s) => (s === undefined ? [] : [s.column])))];
  const total = Number(metadata.num_rows);
  const values: unknown[] = new Array(sources.length);
  let rowsRead = 0;
  const scan = await readingParquet(file, () => parquetScan({ file: buffer, metadata, columns }));
  for (const range of scan.ranges) {
    const data = new Map<string, DecodedArray>();
    for (const column of columns) {
      const { rowStart, rowEnd } = range;
      data.set(column, await readingParquet(file, () => scan.readColumn({ column, rowStart, rowEnd })));
    }
    const arrays = sources.map((s) => (s === undefined ? undefined : data.get(s.column)!));
    const n = range.rowEnd - range.rowStart;
    for (let r = 0; r < n; r++) {
      for (let k = 0; k < sources.length; k++) {
        const a = arrays[k];
        const parts = sources[k]?.parts;
        const v = a === undefined ? undefined : a[r];
        values[k] = parts === undefined ? v : walk(v, parts, 0);
      }
      const reason = builder.tryAdd(values);
      if (reason !== undefined) builder.reject(range.rowStart + r + 1, reason);
    }
    rowsRead += n;
    await builder.drain();
    progress(rowsRead, total > 0 ? Math.round((buffer.byteLength * range.rowEnd) / total) : buffer.byteLength);
  }
}

/** Run a hyparquet call, turning its errors (corrupt pages, bad thrift) into one line naming the file. */
async function readingParquet<T>(file: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new Error(`${file}: cannot read Parquet data (${messageOf(err)})`);
  }
}
