import { parseTime } from '../../pipelines/data/time.js';
import { loadConfig } from '../../sdk/config/loadConfig.js';
import { replay } from '../../sdk/replay.js';
import { formatReplaySummary } from '../format.js';
import { progressBar } from '../progress.js';

export interface ReplayFlags {
  from?: string;
  to?: string;
  out?: string;
  reimport?: boolean;
  json?: boolean;
}

/** Parse `--from`/`--to`: ISO-8601 (UTC unless a zone is given) or epoch milliseconds. */
export function timeFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const t = parseTime(value);
  if (Number.isNaN(t)) throw new Error(`--${name} "${value}" is not a time: write ISO-8601 (2024-01-31T12:00:00Z) or epoch milliseconds`);
  return t;
}

/** `tributary replay <config>`: features over the recorded events, written as Arrow IPC. */
export async function replayCommand(file: string, flags: ReplayFlags, out: (line: string) => void): Promise<number> {
  const config = loadConfig(file);
  const from = timeFlag('from', flags.from);
  const to = timeFlag('to', flags.to);
  const bar = progressBar('events');
  try {
    const summary = await replay(config, {
      ...(from !== undefined && { from }),
      ...(to !== undefined && { to }),
      ...(flags.out !== undefined && { out: flags.out }),
      ...(flags.reimport && { reimport: true }),
      onProgress: (p) => bar.update(p.rows, p.total, p.phase),
    });
    bar.stop();
    out(flags.json ? JSON.stringify(summary, null, 2) : formatReplaySummary(summary));
  } finally {
    bar.stop();
  }
  return 0;
}
