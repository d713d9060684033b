import { formatTime } from '../../pipelines/data/time.js';
import { loadConfig } from '../../sdk/config/loadConfig.js';
import { buildSets, type BuildSetsResult, type BuiltSet } from '../../store/labels/buildSets.js';
import { formatReplaySummary, table } from '../format.js';
import { progressBar } from '../progress.js';

export interface LabelFlags {
  /** One set name, or several (`--set a --set b`); default every set. */
  set?: string | string[];
  out?: string;
  format?: string;
  inference?: boolean;
  /** Assemble each set on this many threads (default 1). */
  threads?: string | number;
  json?: boolean;
}

/**
 * `tributary label <config> [--set name] [--out dir] [--format arrow|parquet] [--inference] [--threads n]`:
 * build the config's feature-label sets from the feature tables (replaying first when they are
 * missing or stale) and print, per set, its rows, what was dropped and the label balance.
 *
 * @example
 * await labelCommand('configs/payments.yaml', { format: 'parquet' }, console.log);
 */
export async function labelCommand(file: string, flags: LabelFlags, out: (line: string) => void): Promise<number> {
  const config = loadConfig(file);
  const format = flags.format;
  if (format !== undefined && format !== 'arrow' && format !== 'parquet') throw new Error(`--format "${format}": write arrow or parquet`);
  const sets = flags.set === undefined ? undefined : Array.isArray(flags.set) ? flags.set : [flags.set];
  const threads = flags.threads === undefined ? undefined : Number(flags.threads);
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) throw new Error(`--threads "${flags.threads}": write a whole number of threads, 1 or more`);
  const bar = progressBar('events');
  const notes: string[] = [];
  let result: BuildSetsResult;
  try {
    result = await buildSets(config, {
      ...(sets && { sets }),
      ...(flags.out !== undefined && { out: flags.out }),
      ...(format !== undefined && { format }),
      ...(flags.inference && { inference: true }),
      ...(threads !== undefined && { threads }),
      onReplay: (reason) => notes.push(`replaying first: ${reason}`),
      onProgress: (p) => bar.update(p.rows, p.total, p.phase),
    });
  } finally {
    bar.stop();
  }
  if (flags.json) {
    out(JSON.stringify(result, null, 2));
    return 0;
  }
  for (const n of notes) out(n);
  if (result.replay) out(`${formatReplaySummary(result.replay)}\n`);
  out(formatSets(result.sets));
  return 0;
}

/** One line per set, then where each went and its label balance. */
export function formatSets(sets: readonly BuiltSet[]): string {
  const lines: string[] = [];
  lines.push(
    table(
      sets.map((s) => [s.name, s.counts.kept, s.featureColumns.length, s.counts.droppedPastEnd, s.counts.filtered, s.counts.nullLabels, `${(s.elapsedMs / 1000).toFixed(2)} s`]),
      ['set', 'rows', 'features', 'dropped past end', 'filtered', 'null labels', 'time'],
    ),
  );
  for (const s of sets) {
    lines.push('');
    lines.push(`${s.name} -> ${s.file}`);
    if (s.timeRange) lines.push(`  rows from ${formatTime(s.timeRange.min)} to ${formatTime(s.timeRange.max)}`);
    const b = s.labelBalance;
    if (b.kind === 'classes') {
      const total = Object.values(b.counts).reduce((x, y) => x + y, 0);
      const classes = Object.entries(b.counts)
        .sort(([x], [y]) => Number(x) - Number(y))
        .map(([v, c]) => `${v}: ${c} (${total > 0 ? ((100 * c) / total).toFixed(1) : '0.0'}%)`);
      lines.push(`  label ${s.label}: ${classes.join(', ') || 'no values'}`);
    } else {
      lines.push(`  label ${s.label}: min ${b.min}, mean ${b.mean.toPrecision(4)}, max ${b.max}`);
    }
  }
  return lines.join('\n');
}
