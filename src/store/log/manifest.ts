import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../writeFileAtomic.js';
import { join } from 'node:path';
import type { SourceSpec } from './sourceSpec.js';

/** One Arrow IPC segment file of a source log. */
export interface SegmentInfo {
  /** File name inside the source directory, e.g. `segment-000003.arrow`. */
  readonly file: string;
  readonly rows: number;
  /** Log offset of the segment's first row; offsets run on contiguously from segment to segment. */
  readonly firstOffset: number;
  /** Smallest and largest event time in the segment, epoch ms: the time index that lets reads skip it. */
  readonly minTime: number;
  readonly maxTime: number;
}

/** What identifies an imported file, so that importing it again can be skipped. */
export interface ImportFingerprint {
  /** Absolute path. */
  path: string;
  size: number;
  mtimeMs: number;
  /** Rows appended to the log, and rows sent to dead letters, when it was imported. */
  rows: number;
  deadLetters: number;
  /** SHA-256 of the content, to tell a touched file from a changed one. */
  sha256?: string;
  /** Offset of the file's first row in the log: its rows are [firstOffset, firstOffset + rows). */
  firstOffset?: number;
}

/** The `manifest.json` of one source: the truth about which segments make up its log. */
export interface Manifest {
  version: 1;
  spec: SourceSpec;
  /** Rows in all segments. */
  rows: number;
  segments: SegmentInfo[];
  imports: ImportFingerprint[];
}

export const MANIFEST_FILE = 'manifest.json';

export function emptyManifest(spec: SourceSpec): Manifest {
  return { version: 1, spec, rows: 0, segments: [], imports: [] };
}

/** The manifest in `dir`, or undefined when there is none. */
export async function readManifest(dir: string): Promise<Manifest | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let m: Manifest;
  try {
    m = JSON.parse(text) as Manifest;
  } catch (err) {
    throw new Error(`${join(dir, MANIFEST_FILE)} is not valid JSON: ${(err as Error).message}`);
  }
  if (m.version !== 1 || !Array.isArray(m.segments) || typeof m.spec !== 'object') {
    throw new Error(`${join(dir, MANIFEST_FILE)} is not a Tributary log manifest (version 1)`);
  }
  m.imports ??= [];
  return m;
}

/**
 * Replace the manifest atomically: write a temporary file, then rename it over the old one, so that a
 * crash leaves either the old manifest or the new one, never half of one.
 */
export async function writeManifest(dir: string, m: Manifest): Promise<void> {
  await writeFileAtomic(join(dir, MANIFEST_FILE), JSON.stringify(m, null, 2) + '\n');
}
