import { join } from 'node:path';
import { loadConfig } from '../../sdk/config/loadConfig.js';
import { openSources } from '../../sdk/replay.js';
import { DeadLetterSink } from '../../store/deadLetter.js';
import { table } from '../format.js';
import { progressBar } from '../progress.js';

/** `tributary import <config>`: bring every source's file into the event log (replay does this too). */
export async function importCommand(file: string, flags: { force?: boolean }, out: (line: string) => void): Promise<number> {
  const config = loadConfig(file);
  const deadLetters = new DeadLetterSink(join(config.dataDir, 'deadletter'));
  const bar = progressBar('rows');
  const { logs, imports } = await openSources(config, deadLetters, { ...(flags.force && { reimport: true }), onProgress: (p) => bar.update(p.rows, undefined, p.phase) });
  bar.stop();
  await deadLetters.close();
  out(table(imports.map((r) => [r.source, r.skipped ? 'unchanged' : 'imported', r.rows, r.deadLetters, logs[r.source]!.rowCount, r.file]), ['source', 'status', 'rows', 'dead letters', 'log rows', 'file']));
  return 0;
}
