/**
 * Import one file twice, sequentially and on the task pool, into fresh logs, and return everything a
 * test compares: reports, rows read back, each column's raw codes or values, dictionaries, segments,
 * and the dead-letter files' lines.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Column } from '../../../../../src/pipelines/data/column.js';
import { DeadLetterSink } from '../../../../../src/store/deadLetter.js';
import { importFile, type ImportOptions, type ImportReport } from '../../../../../src/store/ingest/importFile.js';
import { EventLog } from '../../../../../src/store/log/eventLog.js';
import type { SourceSpec } from '../../../../../src/store/log/sourceSpec.js';
import { collect, rowsOf, type Row } from '../../../log/testUtil.js';

export interface ImportOutcome {
  report: ImportReport | { error: string };
  rows: Row[];
  /** Per column, the values as stored: codes for dictionary columns, with their validity. */
  raw: Record<string, { values: number[]; validity: number[] }>;
  time: number[];
  dictionaries: Record<string, (string | number)[]>;
  segments: unknown[];
  deadLetters: string[];
  progress: { rows: number; bytes: number }[];
}

/** Import `file` into a new log under `dir/name` and gather the outcome. */
export async function importOnce(dir: string, name: string, spec: SourceSpec, file: string, opts: ImportOptions & { segmentRows?: number }): Promise<ImportOutcome> {
  const eventLog = await EventLog.open(join(dir, name, 'log'));
  const log = await eventLog.openSource(spec, { segmentRows: opts.segmentRows ?? 5 });
  const sink = new DeadLetterSink(join(dir, name, 'dead'));
  const progress: { rows: number; bytes: number }[] = [];
  let report: ImportOutcome['report'];
  try {
    report = await importFile(log, file, { ...opts, deadLetters: sink, onProgress: (rows, bytes) => progress.push({ rows, bytes }) });
  } catch (err) {
    report = { error: (err as Error).message };
  }
  await sink.close();
  const batches = await collect(log);
  const raw: ImportOutcome['raw'] = {};
  for (const b of batches) {
    for (const [col, c] of Object.entries(b.columns) as [string, Column][]) {
      const r = (raw[col] ??= { values: [], validity: [] });
      const values = c.type === 'dictionary' ? c.codes : c.values;
      r.values.push(...Array.from(values as ArrayLike<number>));
      for (let i = 0; i < b.length; i++) r.validity.push(c.validity === undefined ? 1 : (c.validity[i >> 3]! >> (i & 7)) & 1);
    }
  }
  let deadLetters: string[] = [];
  try {
    deadLetters = (await readFile(join(dir, name, 'dead', `${spec.name}.jsonl`), 'utf8')).trim().split('\n');
  } catch {
    // no dead letters
  }
  return {
    report,
    rows: rowsOf(batches),
    raw,
    time: batches.flatMap((b) => Array.from(b.time)),
    dictionaries: Object.fromEntries([...log.dictionaries].map(([k, d]) => [k, [...d.values]])),
    segments: log.segments.map((s) => ({ ...s })),
    deadLetters,
    progress,
  };
}
