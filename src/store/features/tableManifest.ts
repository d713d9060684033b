import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../writeFileAtomic.js';
import { join } from 'node:path';
import type { TableSpec } from './tableSpec.js';

/** One Arrow IPC segment of a stored table: rows `[firstRow, firstRow + rows)`. */
export interface TableSegmentInfo {
  file: string;
  rows: number;
  firstRow: number;
  minTime: number;
  maxTime: number;
}

/**
 * `<data_dir>/store/<table>/manifest.json`: the truth about which segments make up a stored table.
 * A segment file not named here (one written before a crash, before its manifest) is ignored.
 */
export interface TableManifest {
  version: 1;
  spec: TableSpec;
  rows: number;
  segments: TableSegmentInfo[];
}

export const TABLE_MANIFEST = 'manifest.json';

/** The manifest in `dir`, or undefined when there is none. */
export async function readTableManifest(dir: string): Promise<TableManifest | undefined> {
  const path = join(dir, TABLE_MANIFEST);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let m: TableManifest;
  try {
    m = JSON.parse(text) as TableManifest;
  } catch (err) {
    throw new Error(`${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (m.version !== 1 || !Array.isArray(m.segments) || typeof m.spec !== 'object' || m.spec === null) {
    throw new Error(`${path} is not a Tributary feature-store manifest (version 1)`);
  }
  return m;
}

/** Replace the manifest atomically (temporary file, then rename): a crash leaves the old or the new one, whole. */
export async function writeTableManifest(dir: string, m: TableManifest): Promise<void> {
  await writeFileAtomic(join(dir, TABLE_MANIFEST), JSON.stringify(m, null, 2) + '\n');
}
