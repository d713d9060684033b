import type { CompiledFeatureSet } from '../../pipelines/compile/compileFeatureSet.js';
import type { LabelBalance, SetCounts } from './assemble.js';
import type { SetPlan } from './planSet.js';
import { MATRIX_COLUMN } from './setTable.js';

/** Schema metadata keys of a feature-label set (Arrow schema metadata, Parquet key-value metadata). */
export const SET_METADATA = {
  featureSet: 'tributary.feature_set',
  set: 'tributary.set',
  configHash: 'tributary.config_hash',
  /** JSON: [{ column, feature, identity, from: 'spine' | 'asof' | 'derived', table?, key? }] in matrix order. */
  features: 'tributary.features',
  /** JSON: { name, kind, table, source, time_column, key, where }. */
  spine: 'tributary.spine',
  /** JSON: the label definition (durations in ms). */
  label: 'tributary.label',
  /** JSON: { rows: { min, max } of the kept rows, label_source: { min, max }, data_end } as epoch ms. */
  timeRange: 'tributary.time_range',
  /** JSON: { spine, filtered, dropped_past_end, kept, null_labels }. */
  rows: 'tributary.rows',
  /** JSON: { column, dtype, layout, width, nulls, columns }. */
  matrix: 'tributary.matrix',
  /** JSON: { tolerance_ms (null: none), inference }. */
  assembly: 'tributary.assembly',
  labelBalance: 'tributary.label_balance',
} as const;

export interface SetMetadataInput {
  compiled: CompiledFeatureSet;
  plan: SetPlan;
  inference: boolean;
  counts: SetCounts;
  timeRange: { min: number; max: number } | undefined;
  labelSourceRange: { min: number; max: number } | undefined;
  dataEnd: number;
  labelBalance: LabelBalance;
}

/**
 * What a set records about itself, so that a file says which config, which feature versions and
 * which time span made it, and how many rows were left out and why.
 *
 * @example
 * const meta = setMetadata({ compiled, plan, inference: false, counts, timeRange, labelSourceRange, dataEnd, labelBalance });
 * JSON.parse(meta['tributary.rows']); // { spine: 1000, filtered: 0, dropped_past_end: 12, kept: 988, null_labels: 0 }
 */
export function setMetadata(m: SetMetadataInput): Record<string, string> {
  const { plan, compiled } = m;
  const { set, label, spine } = plan;
  const byName = new Map(plan.columns.map((c) => [c.name, c]));
  const features = plan.outputs.map((name) => {
    const c = byName.get(name)!;
    return {
      column: name,
      feature: c.feature,
      identity: c.identity,
      from: c.kind,
      ...(c.kind === 'asof' && { table: c.table, key: c.key }),
      ...(c.kind === 'derived' && { expr: c.expression.text, uses: c.uses }),
    };
  });
  const finite = (x: number) => (Number.isFinite(x) ? x : null);
  return {
    [SET_METADATA.featureSet]: compiled.config.name,
    [SET_METADATA.set]: set.name,
    [SET_METADATA.configHash]: compiled.config.hash,
    [SET_METADATA.features]: JSON.stringify(features),
    [SET_METADATA.spine]: JSON.stringify({
      name: spine.name,
      kind: spine.kind,
      table: spine.table ?? null,
      source: spine.source,
      time_column: spine.timeColumn,
      key: set.key,
      where: set.where ?? null,
    }),
    [SET_METADATA.label]: JSON.stringify({
      name: label.name,
      kind: label.kind,
      source: label.source,
      key: label.key,
      op: label.kind === 'event_within' ? null : label.op,
      column: label.column ?? null,
      horizon_ms: label.horizon ?? null,
      period_ms: label.period ?? null,
      periods: label.kind === 'next_period' ? label.periods : null,
      offset_ms: label.kind === 'next_period' ? label.offset : null,
      where: label.where ?? null,
      expr: label.expr ?? null,
      default: label.default ?? null,
      source_identity: compiled.sourceIdentities[label.source] ?? null,
    }),
    [SET_METADATA.timeRange]: JSON.stringify({ rows: m.timeRange ?? null, label_source: m.labelSourceRange ?? null, data_end: finite(m.dataEnd) }),
    [SET_METADATA.rows]: JSON.stringify({
      spine: m.counts.spine,
      filtered: m.counts.filtered,
      dropped_past_end: m.counts.droppedPastEnd,
      kept: m.counts.kept,
      null_labels: m.counts.nullLabels,
    }),
    [SET_METADATA.matrix]: JSON.stringify({
      column: MATRIX_COLUMN,
      dtype: 'float32',
      layout: 'row-major',
      width: plan.outputs.length,
      nulls: 'NaN',
      columns: plan.outputs,
    }),
    [SET_METADATA.assembly]: JSON.stringify({ tolerance_ms: set.tolerance ?? null, inference: m.inference }),
    [SET_METADATA.labelBalance]: JSON.stringify(m.labelBalance),
  };
}
