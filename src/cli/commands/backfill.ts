import { formatTime, parseTime } from '../../pipelines/data/time.js';
import { backfill, type BackfillSummary } from '../../sdk/backfill.js';
import { ConfigError } from '../../sdk/config/configError.js';
import { loadConfig } from '../../sdk/config/loadConfig.js';
import { formatOutputs, table } from '../format.js';
import { formatCount, progressBar } from '../progress.js';

export interface BackfillFlags {
  from?: string;
  to?: string;
  threads?: string;
  partitions?: string;
  out?: string;
  approximate?: boolean;
  reimport?: boolean;
  json?: boolean;
}

/**
 * `tributary backfill <config> --from <time> --to <time> [--threads n] [--partitions p] [--out dir]
 * [--approximate] [--json]`: the feature tables' rows of a time range, equal to a full replay's,
 * computed by time partitions on the task pool. Notices (tables read from the start of the log) and
 * progress go to stderr.
 *
 * @example
 * await backfillCommand('configs/payments.yaml', { from: '2024-03-01', to: '2024-04-01', threads: '2' }, console.log);
 */
export async function backfillCommand(file: string, flags: BackfillFlags, out: (line: string) => void): Promise<number> {
  const config = loadConfig(file);
  // Bad flags are the command line's fault: a ConfigError, so the exit code is 2 like a bad config.
  const problem = (flag: string, message: string) => new ConfigError([{ file: config.file, line: 1, column: 1, path: `--${flag}`, message }]);
  const time = (flag: 'from' | 'to'): number => {
    const v = flags[flag];
    if (v === undefined) throw problem(flag, `a backfill needs --${flag} <time> (ISO-8601, such as 2024-01-31T12:00:00Z, or epoch milliseconds)`);
    const t = parseTime(v);
    if (Number.isNaN(t)) throw problem(flag, `"${v}" is not a time: write ISO-8601 (2024-01-31T12:00:00Z) or epoch milliseconds`);
    return t;
  };
  const whole = (flag: 'threads' | 'partitions'): number | undefined => {
    const v = flags[flag];
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw problem(flag, `"${v}" must be a whole number of at least 1`);
    return n;
  };
  const from = time('from');
  const to = time('to');
  const threads = whole('threads');
  const partitions = whole('partitions');

  const bar = progressBar('events');
  let summary: BackfillSummary;
  try {
    summary = await backfill(config, {
      from,
      to,
      ...(threads !== undefined && { threads }),
      ...(partitions !== undefined && { partitions }),
      ...(flags.out !== undefined && { out: flags.out }),
      ...(flags.approximate && { approximate: true }),
      ...(flags.reimport && { reimport: true }),
      onNotice: (message) => process.stderr.write(`${message}\n`),
      onProgress: (p) => bar.update(p.rows, p.total, p.phase),
    });
  } finally {
    bar.stop();
  }
  out(flags.json ? JSON.stringify(summary, null, 2) : formatBackfillSummary(summary));
  return 0;
}

/** The summary as text: the range and effort, the tasks, the tables written and dead letters in range. */
export function formatBackfillSummary(s: BackfillSummary): string {
  const read = Object.values(s.events).reduce((a, b) => a + b, 0);
  const where = s.onPool ? `${s.tasks.length} tasks on ${s.threads} thread${s.threads === 1 ? '' : 's'}` : `${s.tasks.length} tasks on the calling thread (small range)`;
  const lines = [
    `feature set ${s.name}: backfill [${formatTime(s.from)}, ${formatTime(s.to)}) in ${(s.elapsedMs / 1000).toFixed(2)} s, ${where}, ${formatCount(read)} events read`,
  ];
  for (const r of s.imports) if (!r.skipped) lines.push(`  import ${r.source}: ${r.rows} rows${r.deadLetters ? `, ${r.deadLetters} dead letters` : ''} from ${r.file}`);
  lines.push('');
  lines.push(
    table(
      s.tasks.map((t) => [t.source, t.tables.join(','), formatTime(t.from), formatTime(t.to), t.readFrom === null ? 'log start' : formatTime(t.readFrom), t.events, t.ms.toFixed(0)]),
      ['source', 'tables', 'from', 'to', 'reads from', 'events', 'ms'],
    ),
  );
  lines.push(...formatOutputs({ tables: s.tables, deadLetters: {}, deadLetterDir: '' }));
  const dead = Object.entries(s.deadLetters);
  if (dead.length > 0) {
    lines.push('');
    lines.push('events in the range rejected (as replay rejects them; replay writes them to the dead letters):');
    for (const [source, reasons] of dead) for (const [reason, n] of Object.entries(reasons)) lines.push(`  ${source}: ${n} × ${reason}`);
  }
  return lines.join('\n');
}
