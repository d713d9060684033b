/**
 * Driving Tributary end to end for the oracle tests: a config text through `parseConfig` and
 * `replay`, and the output events table read back from its Arrow IPC file. Also a second way in,
 * through the compiled pipeline with the log's events re-cut into small batches, so that batch
 * boundaries fall in arbitrary places.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { runInProcess } from '../../../../src/actors/inProcess.js';
import { compileFeatureSet } from '../../../../src/pipelines/compile/compileFeatureSet.js';
import { concatBatches, sliceBatch, type Batch } from '../../../../src/pipelines/data/batch.js';
import { valueAt } from '../../../../src/pipelines/data/column.js';
import { BUILTIN_DEFINITIONS } from '../../../../src/pipelines/features/index.js';
import { createRuntime } from '../../../../src/pipelines/runtime/context.js';
import { parseConfig } from '../../../../src/sdk/config/loadConfig.js';
import { FeatureRegistry } from '../../../../src/sdk/registry.js';
import { replay, type ReplaySummary } from '../../../../src/sdk/replay.js';
import { EventLog } from '../../../../src/store/log/eventLog.js';

/** One output events table, columnar: ids and times in row order, and the asked-for feature columns. */
export interface EngineTable {
  ids: number[];
  times: number[];
  columns: Map<string, (number | null)[]>;
}

export interface EngineRun {
  summary: ReplaySummary;
  tables: Map<string, EngineTable>;
}

/** Read an events table written by replay. `columns` must all be in it. */
export function readEventsTable(file: string, timeColumn: string, columns: readonly string[]): EngineTable {
  const table = tableFromIPC(readFileSync(file));
  const child = (name: string) => {
    const c = table.getChild(name);
    if (c === null) throw new Error(`${file}: no column "${name}"; it has ${table.schema.fields.map((f) => f.name).join(', ')}`);
    return c;
  };
  const n = table.numRows;
  const idCol = child('id');
  const timeCol = child(timeColumn);
  const ids = new Array<number>(n);
  const times = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    ids[i] = Number(idCol.get(i));
    times[i] = Number(timeCol.get(i));
  }
  const out = new Map<string, (number | null)[]>();
  for (const name of columns) {
    const c = child(name);
    const values = new Array<number | null>(n);
    for (let i = 0; i < n; i++) {
      const x = c.get(i) as number | null;
      values[i] = x === null ? null : Number(x);
    }
    out.set(name, values);
  }
  return { ids, times, columns: out };
}

/**
 * Parse and replay a config (its relative paths resolved from `dir`, its data in `dataDir`), then
 * read the events table of each source in `wanted` (source name to feature columns).
 */
export async function runReplay(text: string, dir: string, dataDir: string, wanted: Record<string, string[]>): Promise<EngineRun> {
  const summary = await replay(parseConfig(text, { dir, dataDir }));
  const tables = new Map<string, EngineTable>();
  for (const [source, columns] of Object.entries(wanted)) {
    const t = summary.tables.find((x) => x.name === source);
    if (t === undefined) throw new Error(`replay wrote no table "${source}"; it wrote ${summary.tables.map((x) => x.name).join(', ')}`);
    if (t.kind !== 'events') throw new Error(`table "${source}" is ${t.kind}, not events`);
    tables.set(source, readEventsTable(t.file, 't', columns));
  }
  return { summary, tables };
}

/** Number of late-event dead letters of `source` in a replay summary. */
export function lateCount(summary: ReplaySummary, source: string): number {
  return summary.deadLetters[source]?.late ?? 0;
}

/** Cut `b` into pieces of the given lengths (cycled), the last piece taking the rest. */
function recut(b: Batch, lengths: readonly number[]): Batch[] {
  const out: Batch[] = [];
  let at = 0;
  let i = 0;
  while (at < b.length) {
    const len = Math.max(1, lengths.length === 0 ? b.length : lengths[i++ % lengths.length]!);
    const end = Math.min(b.length, at + len);
    out.push(sliceBatch(b, at, end));
    at = end;
  }
  return out;
}

/**
 * Run the already-imported events of a replayed config again, in-process, with each source's log
 * re-cut into batches of the given lengths. Returns the events tables (feature columns as asked)
 * and the late rejections per source.
 */
export async function runRecut(
  text: string,
  dir: string,
  dataDir: string,
  lengths: readonly number[],
  wanted: Record<string, string[]>,
): Promise<{ tables: Map<string, EngineTable>; late: Record<string, number> }> {
  const config = parseConfig(text, { dir, dataDir });
  const compiled = compileFeatureSet(config, FeatureRegistry.withBuiltins(BUILTIN_DEFINITIONS));
  const log = await EventLog.open(join(dataDir, 'log'));
  const inputs: Record<string, Batch[]> = {};
  for (const source of Object.keys(wanted)) {
    const parts: Batch[] = [];
    for await (const b of log.source(source)!.read()) parts.push(b);
    inputs[source] = parts.length === 0 ? [] : recut(concatBatches(parts), lengths);
  }
  const runtime = createRuntime();
  const collected: Record<string, Batch[]> = {};
  await runInProcess(compiled, runtime, inputs, (table, b) => (collected[table] ??= []).push(b));
  const late: Record<string, number> = {};
  for (const r of runtime.rejections) if (r.reason.startsWith('late')) late[r.source] = (late[r.source] ?? 0) + 1;
  const tables = new Map<string, EngineTable>();
  for (const [source, columns] of Object.entries(wanted)) {
    const batches = collected[source] ?? [];
    const t: EngineTable = { ids: [], times: [], columns: new Map(columns.map((c) => [c, []])) };
    for (const b of batches) {
      for (let i = 0; i < b.length; i++) {
        t.ids.push(valueAt(b.columns.id!, i) as number);
        t.times.push(b.time[i]!);
        for (const c of columns) {
          const col = b.columns[c];
          if (col === undefined) throw new Error(`output of ${source} has no column "${c}"`);
          t.columns.get(c)!.push(valueAt(col, i) as number | null);
        }
      }
    }
    tables.set(source, t);
  }
  return { tables, late };
}
