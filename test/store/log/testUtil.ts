import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { valueAt } from '../../../src/pipelines/data/column.js';
import type { Batch } from '../../../src/pipelines/data/batch.js';
import type { ReadOptions, SourceLog } from '../../../src/store/log/sourceLog.js';

/** A fresh temporary directory, and a function that removes it. */
export async function tempDir(prefix = 'tributary-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export type Row = Record<string, string | number | boolean | null>;

/** Batches as plain rows: `time`, `offset` (when set) and every column decoded. For assertions only. */
export function rowsOf(batches: readonly Batch[]): Row[] {
  const rows: Row[] = [];
  for (const b of batches) {
    for (let i = 0; i < b.length; i++) {
      const row: Row = { time: b.time[i]! };
      if (b.offsets !== undefined) row.offset = b.offsets[i]!;
      for (const [name, c] of Object.entries(b.columns)) row[name] = valueAt(c, i);
      rows.push(row);
    }
  }
  return rows;
}

export async function collect(log: SourceLog, opts?: ReadOptions): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of log.read(opts)) out.push(b);
  return out;
}

export async function readRows(log: SourceLog, opts?: ReadOptions): Promise<Row[]> {
  return rowsOf(await collect(log, opts));
}
