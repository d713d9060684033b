import { opNameOf, opOutputParts, type OpRef } from '../../pipelines/aggregations/catalog.js';
import { formatDuration } from '../../pipelines/data/duration.js';
import type { FeatureConfig, WindowSpec } from './types.js';

/** The window's part of a column name: `1h` for a sliding hour, `all` for all history. */
export function windowLabel(w: WindowSpec): string {
  if (w.type === 'sliding') return Number.isFinite(w.size) ? formatDuration(w.size) : 'all';
  if (w.type === 'session') return `session${formatDuration(w.gap)}`;
  return formatDuration(w.size);
}

/**
 * The output columns of an aggregate feature, per (window, op, part): `name`, plus `_<op>` when
 * `ops` was a list, plus the op's part for ops with several columns (`_1`.. for first_k, `_p90` for
 * `percentiles`, `_<value>` and `___other__` for histogram), plus `_<window>` when `windows` was a
 * list. The rule depends on what was written, not on how many there are, so adding a window never
 * renames a column.
 */
export function aggregateColumns(f: Extract<FeatureConfig, { kind: 'aggregate' }>): { column: string; op: string; window: WindowSpec }[] {
  const out: { column: string; op: string; window: WindowSpec }[] = [];
  for (const window of f.windows) {
    for (const ref of f.ops as OpRef[]) {
      const op = opNameOf(ref);
      for (const part of opOutputParts(ref)) {
        const column = f.name + (f.opsListed ? `_${op}` : '') + (part === '' ? '' : `_${part}`) + (f.windowsListed ? `_${windowLabel(window)}` : '');
        out.push({ column, op, window });
      }
    }
  }
  return out;
}

/** The output column names a feature is known to produce before definitions are resolved. */
export function featureColumnNames(f: FeatureConfig): string[] {
  if (f.kind === 'aggregate') return aggregateColumns(f).map((c) => c.column);
  return [f.name];
}
