import { formatTime } from '../pipelines/data/time.js';
import type { ReplaySummary } from '../sdk/replay.js';
import { formatCount } from './progress.js';

/** Rows as an aligned text table. */
export function table(rows: readonly (readonly (string | number)[])[], header: readonly string[]): string {
  const all = [header, ...rows].map((r) => r.map(String));
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i]?.length ?? 0)));
  return all.map((r, n) => r.map((c, i) => (typeof rows[n - 1]?.[i] === 'number' ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}

export function formatReplaySummary(s: ReplaySummary): string {
  const lines: string[] = [];
  const range = s.timeRange ? `${formatTime(s.timeRange.min)} .. ${formatTime(s.timeRange.max)}` : 'no events';
  const events = Object.values(s.events).reduce((a, b) => a + b, 0);
  lines.push(`feature set ${s.name}: ${events} events (${range}) in ${(s.elapsedMs / 1000).toFixed(2)} s, ${formatCount(s.eventsPerSecond)} events/s`);
  for (const r of s.imports) {
    lines.push(r.skipped ? `  import ${r.source}: unchanged, skipped` : `  import ${r.source}: ${r.rows} rows${r.deadLetters ? `, ${r.deadLetters} dead letters` : ''} from ${r.file}`);
  }
  lines.push(...formatOutputs(s));
  return lines.join('\n');
}

/** The tables a run wrote and its dead letters by source and reason: how replay and live summaries end. */
export function formatOutputs(s: Pick<ReplaySummary, 'tables' | 'deadLetters' | 'deadLetterDir'>): string[] {
  const lines: string[] = [];
  if (s.tables.length > 0) {
    lines.push('');
    lines.push(table(s.tables.map((t) => [t.name, t.kind, t.rows, t.columns.length, t.file]), ['table', 'kind', 'rows', 'columns', 'file']));
  }
  const dead = Object.entries(s.deadLetters);
  if (dead.length > 0) {
    lines.push('');
    lines.push(`dead letters (in ${s.deadLetterDir}):`);
    for (const [source, reasons] of dead) for (const [reason, n] of Object.entries(reasons)) lines.push(`  ${source}: ${n} × ${reason}`);
  }
  return lines;
}
