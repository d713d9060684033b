import { mkdir } from 'node:fs/promises';
import { writeFileAtomic } from '../writeFileAtomic.js';
import { dirname } from 'node:path';
import { tableToIPC, type Table } from 'apache-arrow';
import type { Batch } from '../../pipelines/data/batch.js';
import { toTable } from '../../pipelines/data/arrow.js';

/**
 * Write batches as one Arrow IPC file (atomically: a temp file, then rename). All batches must have
 * the same columns. The event time becomes a Timestamp(ms, UTC) column named `timeColumn`.
 */
export async function writeArrowFile(path: string, batches: readonly Batch[], timeColumn: string, metadata: Record<string, string> = {}): Promise<Table> {
  const table = toTable(batches.filter((b) => b.length > 0), timeColumn);
  for (const [k, v] of Object.entries(metadata)) table.schema.metadata.set(k, v);
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, tableToIPC(table, 'file'));
  return table;
}

/**
 * Write an Arrow table as one Arrow IPC file, as is (its schema metadata included), atomically.
 * For tables built directly in Arrow, such as feature-label sets with their FixedSizeList column.
 *
 * @example
 * await writeArrowTable('.tributary/payments/sets/fraud_7d.arrow', set.table);
 */
export async function writeArrowTable(path: string, table: Table): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, tableToIPC(table, 'file'));
}
