import { EXECUTOR_KINDS, type ExecutorKind } from '../../actors/executor.js';
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
  /** `local` (default) or `threads`. */
  executor?: string;
  /** Worker threads for `--executor threads` (default 2). */
  workers?: string;
  /** Node processes for `--executor cluster` (default 2). */
  nodes?: string;
  checkpointEvery?: string;
}

/** Parse `--executor` and `--workers`. */
export function executorFlags(flags: Pick<ReplayFlags, 'executor' | 'workers'>): { executor: ExecutorKind; workers?: number } {
  const executor = (flags.executor ?? 'local') as ExecutorKind;
  if (!EXECUTOR_KINDS.includes(executor)) throw new Error(`--executor "${flags.executor}" is not an executor: use ${EXECUTOR_KINDS.join(' or ')}`);
  if (flags.workers === undefined) return { executor };
  const workers = Number(flags.workers);
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`--workers "${flags.workers}" must be a whole number of at least 1`);
  if (executor !== 'threads') throw new Error('--workers needs --executor threads');
  return { executor, workers };
}

/** Parse `--nodes` and `--checkpoint-every` (for `--executor cluster`). */
export function clusterFlags(flags: Pick<ReplayFlags, 'nodes' | 'checkpointEvery'>): { nodes?: number; checkpointEveryRows?: number } {
  const whole = (name: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} "${v}" must be a whole number of at least 1`);
    return n;
  };
  const nodes = whole('nodes', flags.nodes);
  const every = whole('checkpoint-every', flags.checkpointEvery);
  return { ...(nodes !== undefined && { nodes }), ...(every !== undefined && { checkpointEveryRows: every }) };
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
  const { executor, workers } = executorFlags(flags);
  const bar = progressBar('events');
  try {
    const summary = await replay(config, {
      ...(from !== undefined && { from }),
      ...(to !== undefined && { to }),
      ...(flags.out !== undefined && { out: flags.out }),
      ...(flags.reimport && { reimport: true }),
      executor,
      ...(workers !== undefined && { workers }),
      ...(executor === 'cluster' && { cluster: clusterFlags(flags) }),
      onNotice: (message) => process.stderr.write(`${message}\n`),
      onProgress: (p) => bar.update(p.rows, p.total, p.phase),
    });
    bar.stop();
    out(flags.json ? JSON.stringify(summary, null, 2) : formatReplaySummary(summary));
  } finally {
    bar.stop();
  }
  return 0;
}
