import { formatDuration } from '../../pipelines/data/duration.js';
import type { FeatureConfig, WindowSpec } from './types.js';

/** The window's part of a column name: `1h` for a sliding hour, `all` for all history. */
export function windowLabel(w: WindowSpec): string {
  if (w.type === 'sliding') return Number.isFinite(w.size) ? formatDuration(w.size) : 'all';
  if (w.type === 'session') return `session${formatDuration(w.gap)}`;
  return formatDuration(w.size);
}

/**
 * The output columns of an aggregate feature, one per (op, window): `name`, plus `_<op>` when `ops`
 * was a list and `_<window>` when `windows` was a list. The rule depends on what was written, not on
 * how many there are, so adding a window never renames a column.
 */
export function aggregateColumns(f: Extract<FeatureConfig, { kind: 'aggregate' }>): { column: string; op: string; window: WindowSpec }[] {
  const out: { column: string; op: string; window: WindowSpec }[] = [];
  for (const window of f.windows) {
    for (const op of f.ops) {
      const column = f.name + (f.opsListed ? `_${op}` : '') + (f.windowsListed ? `_${windowLabel(window)}` : '');
      out.push({ column, op, window });
    }
  }
  return out;
}

/** The output column names a feature is known to produce before definitions are resolved. */
export function featureColumnNames(f: FeatureConfig): string[] {
  if (f.kind === 'aggregate') return aggregateColumns(f).map((c) => c.column);
  return [f.name];
}
