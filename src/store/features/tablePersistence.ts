import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Batch } from '../../pipelines/data/batch.js';
import type { Column } from '../../pipelines/data/column.js';
import type { Dictionary } from '../../pipelines/data/dictionary.js';
import { readSegmentFile, segmentFileName, writeSegmentFile } from '../log/segment.js';
import { FeatureTable } from './featureTable.js';
import { writeTableManifest, type TableManifest } from './tableManifest.js';

/**
 * Rows `[start, end)` of a table as a batch (a copy out of shared memory): key columns coded by the
 * store's dictionaries, value columns with their nulls, `window_start` as a timestamp.
 */
export function rowsAsBatch(table: FeatureTable, start: number, end: number, only?: readonly string[]): Batch {
  const columns: Record<string, Column> = {};
  for (const k of table.keyColumns.values()) {
    const validity = k.codes.copyValidity(start, end);
    columns[k.name] = { type: 'dictionary', codes: k.codes.copyRange(start, end), dictionary: k.dictionary, ...(validity && { validity }) };
  }
  for (const c of table.spec.columns) {
    if (only !== undefined && !only.includes(c.name)) continue;
    const chunks = table.valueColumns.get(c.name)!;
    const validity = chunks.copyValidity(start, end);
    columns[c.name] = { type: c.type, values: chunks.copyRange(start, end), ...(validity && { validity }) };
  }
  return { length: end - start, time: table.time.copyRange(start, end), columns };
}

/**
 * Write the rows a table holds beyond what its manifest covers, as segments of at most `segmentRows`
 * rows, each followed by the manifest that names it. Each file is written to a temporary name and
 * renamed; the manifest last, so that a crash at any point leaves a readable table.
 * Returns the new manifest.
 */
export async function persistRows(dir: string, table: FeatureTable, manifest: TableManifest, segmentRows: number): Promise<TableManifest> {
  let m = manifest;
  const end = table.length;
  while (m.rows < end) {
    const start = m.rows;
    const stop = Math.min(end, start + segmentRows);
    const batch = rowsAsBatch(table, start, stop);
    await mkdir(dir, { recursive: true });
    const file = segmentFileName(m.segments.length);
    await writeSegmentFile(join(dir, file), batch, table.spec.timeColumn);
    let minTime = Infinity;
    let maxTime = -Infinity;
    for (let i = 0; i < batch.length; i++) {
      const t = batch.time[i]!;
      if (t < minTime) minTime = t;
      if (t > maxTime) maxTime = t;
    }
    m = { ...m, rows: stop, segments: [...m.segments, { file, rows: stop - start, firstRow: start, minTime, maxTime }] };
    await writeTableManifest(dir, m);
  }
  return m;
}

/** A table rebuilt from its manifest and segments: the same rows, codes, online view and row identities. */
export async function loadTable(dir: string, manifest: TableManifest, chunkRows: number): Promise<FeatureTable> {
  const table = new FeatureTable(manifest.spec, chunkRows);
  // Segments carry the dictionaries as they stood when written; each extends the one before, so
  // adopting them in order gives back the same codes.
  const dictionaries = new Map<string, Dictionary>();
  for (const k of table.keyColumns.values()) dictionaries.set(k.name, k.dictionary);
  for (const seg of manifest.segments) {
    for (const b of await readSegmentFile(join(dir, seg.file), manifest.spec.timeColumn, dictionaries)) table.append(b, true);
  }
  if (table.length !== manifest.rows) throw new Error(`stored table ${manifest.spec.name}: the manifest says ${manifest.rows} rows, the segments hold ${table.length}`);
  table.beginDelivery();
  return table;
}
