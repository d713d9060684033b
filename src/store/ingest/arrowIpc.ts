import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { RecordBatchReader, Type, type RecordBatch } from 'apache-arrow';
import { locateColumn, requireFields, walk, type ColumnRef } from './fieldPath.js';
import { messageOf, type ReadProgress } from './progress.js';
import type { RowBuilder } from './rowBuilder.js';

/** Arrow IPC files begin and end with this; streams do not. */
const MAGIC = 'ARROW1';

/**
 * Read an Arrow IPC file (random access, the footer lists the batches) or stream into `builder`, one
 * record batch at a time. A time column typed Timestamp or Date is already epoch ms and is read as such,
 * whatever the source's time format says. Row numbers in dead letters are 1-based rows of the input.
 */
export async function readArrowFile(file: string, builder: RowBuilder, progress: ReadProgress): Promise<void> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const isFile = (await readText(handle, 0, MAGIC.length)) === MAGIC;
    // A file cut short loses its footer; say so rather than let the reader guess.
    if (isFile && (size < 2 * MAGIC.length || (await readText(handle, size - MAGIC.length, MAGIC.length)) !== MAGIC)) {
      throw new Error(`${file}: truncated Arrow IPC file (the footer is missing)`);
    }
    const stream = isFile ? undefined : createReadStream(file);
    try {
      const reader = await readingArrow(file, () => (isFile ? RecordBatchReader.from(handle) : RecordBatchReader.from(stream!)));
      await readingArrow(file, () => reader.open());
      const names = reader.schema.fields.map((f) => f.name);
      const sources: (ColumnRef | undefined)[] = builder.fields.map((f) => locateColumn(f, names));
      requireFields(file, 'the Arrow schema', builder.fields, builder.required, sources, names);
      const timeField = reader.schema.fields.find((f) => f.name === sources[0]!.column);
      if (sources[0]!.parts === undefined && timeField !== undefined && (timeField.typeId === Type.Timestamp || timeField.typeId === Type.Date)) {
        builder.timeFormat = 'epoch_ms';
      }
      const batches = reader.isFile() ? reader.numRecordBatches : 0;
      const iterator = reader[Symbol.asyncIterator]();
      const values: unknown[] = new Array(sources.length);
      let row = 0;
      let seen = 0;
      for (;;) {
        const next = await readingArrow(file, () => iterator.next());
        if (next.done === true) break;
        const rb = next.value as RecordBatch;
        const vectors = sources.map((s) => (s === undefined ? undefined : rb.getChild(s.column) ?? undefined));
        for (let r = 0; r < rb.numRows; r++) {
          row++;
          for (let k = 0; k < sources.length; k++) {
            const v = vectors[k]?.get(r);
            const parts = sources[k]?.parts;
            values[k] = parts === undefined ? v : walk(v, parts, 0);
          }
          const reason = builder.tryAdd(values);
          if (reason !== undefined) builder.reject(row, reason);
        }
        await builder.drain();
        seen++;
        progress(row, batches > 0 ? Math.round((size * seen) / batches) : (stream?.bytesRead ?? size));
      }
    } finally {
      stream?.destroy();
    }
  } finally {
    await handle.close();
  }
}

async function readText(handle: FileHandle, position: number, length: number): Promise<string> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buf, 0, length, position);
  return buf.toString('latin1', 0, bytesRead);
}

/** Run an apache-arrow call, turning its errors into one line naming the file. */
async function readingArrow<T>(file: string, fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new Error(`${file}: not a readable Arrow IPC file or stream (${messageOf(err)})`);
  }
}
