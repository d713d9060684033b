import { join } from 'node:path';
import { loadConfig } from '../../sdk/config/loadConfig.js';
import { openSources } from '../../sdk/replay.js';
import { DeadLetterSink } from '../../store/deadLetter.js';
import { table } from '../format.js';
import { progressBar } from '../progress.js';

/**
 * `tributary import <config> [--threads N]`: bring every source's file into the event log (replay
 * does this too). With `--threads`, large CSV and JSON-lines files are decoded on N pool threads.
 */
export async function importCommand(file: string, flags: { force?: boolean; threads?: string }, out: (line: string) => void): Promise<number> {
  const threads = flags.threads === undefined ? 1 : Number(flags.threads);
  if (!(Number.isInteger(threads) && threads >= 1)) throw new Error(`--threads "${flags.threads}": write a whole number of threads, 1 or more`);
  const config = loadConfig(file);
  const deadLetters = new DeadLetterSink(join(config.dataDir, 'deadletter'));
  const bar = progressBar('rows');
  const { logs, imports } = await openSources(config, deadLetters, { ...(flags.force && { reimport: true }), importThreads: threads, onProgress: (p) => bar.update(p.rows, undefined, p.phase) });
  bar.stop();
  await deadLetters.close();
  out(table(imports.map((r) => [r.source, r.skipped ? 'unchanged' : 'imported', r.rows, r.deadLetters, logs[r.source]!.rowCount, r.file]), ['source', 'status', 'rows', 'dead letters', 'log rows', 'file']));
  return 0;
}
