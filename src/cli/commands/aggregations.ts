import { opNameOf, opOutputParts, type OpRef } from '../../pipelines/aggregations/catalog.js';
import { compileFeatureSet, type CompiledFeatureSet, type FeatureNode } from '../../pipelines/compile/compileFeatureSet.js';
import { formatDuration } from '../../pipelines/data/duration.js';
import type { AggregateParams } from '../../pipelines/features/aggregate.js';
import { windowLabel } from '../../sdk/config/featureColumns.js';
import { loadConfig } from '../../sdk/config/loadConfig.js';
import { registryFor } from '../../sdk/replay.js';
import { table } from '../format.js';

type WindowKind = 'sliding' | 'tumbling' | 'hopping' | 'session';

/** One feature's use of a series: which ops over which windows, into which columns. */
export interface SeriesUse {
  feature: string;
  definition: string;
  ops: string[];
  windows: string[];
  columns: string[];
}

/**
 * An underlying aggregation series: the events of one source, grouped by one key (and `by`), of
 * one value column, filtered by one `where`, in one kind of window, with one bucketing. Every
 * feature that aggregates exactly that stream is listed on it, whatever its ops and window sizes.
 */
export interface AggregationSeries {
  source: string;
  /** Grouping columns: the key, then `by`. Empty: one global group. */
  key: string[];
  by: string | null;
  /** The value column; null when events are counted. */
  column: string | null;
  where: string | null;
  /** `aggregate` for `op:` features, else the definition that keeps the window. */
  definition: string;
  window: WindowKind;
  /** `materialized`: `bucket:` summaries; `pane`: tumbling/hopping panes; `events`: every event kept. */
  bucket: { kind: 'materialized' | 'pane' | 'session' | 'events'; ms: number | null; text: string };
  /** The longest span of events it keeps, in ms; null for all history or open sessions. */
  retentionMs: number | null;
  retention: string;
  features: SeriesUse[];
  /** Derived features that read (directly or through other derived features) a column of this series. */
  derived: string[];
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
const opLabel = (ref: OpRef): string => {
  const parts = opOutputParts(ref).filter(Boolean);
  return parts.length === 0 || opNameOf(ref) === 'approx_percentile' ? opNameOf(ref) : `${opNameOf(ref)}(${typeof ref === 'string' ? '' : ref.k ?? ref.top ?? ref.values?.join(',') ?? ''})`;
};

function seriesOfAggregate(n: FeatureNode, p: AggregateParams): { id: string; series: Omit<AggregationSeries, 'features' | 'derived'>; use: Omit<SeriesUse, 'feature' | 'columns'> } {
  const w = p.windows[0]!;
  let bucket: AggregationSeries['bucket'];
  let retentionMs: number | null;
  let retention: string;
  let shape: unknown = null;
  if (w.type === 'sliding') {
    const longest = Math.max(...p.windows.map((x) => (x.type === 'sliding' ? x.size : 0)));
    const b = w.bucket;
    bucket = b === undefined ? { kind: 'events', ms: null, text: 'none (every event)' } : { kind: 'materialized', ms: b, text: formatDuration(b) };
    retentionMs = Number.isFinite(longest) ? longest + (b ?? 0) : null;
    retention = retentionMs === null ? 'all history' : b === undefined ? formatDuration(longest) : `${formatDuration(longest)} + 1 bucket`;
  } else if (w.type === 'session') {
    shape = { gap: w.gap };
    bucket = { kind: 'session', ms: null, text: `session (gap ${formatDuration(w.gap)})` };
    retentionMs = null;
    retention = 'open sessions';
  } else {
    const every = w.type === 'hopping' ? w.every : w.size;
    const pane = gcd(w.size, every);
    shape = { size: w.size, every, offset: w.offset };
    bucket = { kind: 'pane', ms: pane, text: `pane ${formatDuration(pane)}` };
    retentionMs = w.size;
    retention = formatDuration(w.size);
  }
  const series = {
    source: n.source,
    key: [...n.key, ...(p.by === undefined ? [] : [p.by])],
    by: p.by ?? null,
    column: p.column ?? null,
    where: p.where ?? null,
    definition: 'aggregate',
    window: w.type,
    bucket,
    retentionMs,
    retention,
  };
  const id = JSON.stringify({ ...series, retentionMs: null, retention: null, shape, bucketMs: bucket.ms });
  return { id, series, use: { definition: 'aggregate', ops: (p.ops as OpRef[]).map(opLabel), windows: p.windows.map(windowLabel) } };
}

/** A definition that keeps a window of events (a numeric `window` param) is a series of its own. */
function seriesOfDefinition(n: FeatureNode): { id: string; series: Omit<AggregationSeries, 'features' | 'derived'>; use: Omit<SeriesUse, 'feature' | 'columns'> } | undefined {
  const p = n.params as { window?: unknown; column?: unknown; by?: unknown; category?: unknown; where?: unknown; success?: unknown };
  if (typeof p.window !== 'number') return undefined;
  const by = typeof p.by === 'string' ? p.by : typeof p.category === 'string' ? p.category : null;
  const column = typeof p.column === 'string' ? p.column : typeof p.success === 'string' ? p.success : (n.inputs.filter((c) => c !== by).join(', ') || null);
  const series = {
    source: n.source,
    key: [...n.key, ...(by === null ? [] : [by])],
    by,
    column,
    where: typeof p.where === 'string' ? p.where : null,
    definition: n.definition.name,
    window: (n.kind === 'pointInTime' ? 'sliding' : 'tumbling') as WindowKind,
    bucket: n.kind === 'pointInTime' ? { kind: 'events' as const, ms: null, text: 'none (every event)' } : { kind: 'pane' as const, ms: p.window, text: `pane ${formatDuration(p.window)}` },
    retentionMs: p.window,
    retention: formatDuration(p.window),
  };
  return { id: `${n.stepId}`, series, use: { definition: n.definition.name, ops: [n.definition.name], windows: [formatDuration(p.window)] } };
}

/**
 * The aggregation series of a compiled feature set, like Chalk's `aggregate list`: what is kept
 * (source, grouping, value column, filter, window kind), how (bucket), for how long (retention), and
 * for which features. Built from the compiled graph, so features that share a node are listed under
 * every name they were given.
 */
export function listAggregations(compiled: CompiledFeatureSet): AggregationSeries[] {
  const byId = new Map<string, AggregationSeries>();
  for (const n of compiled.nodes) {
    const s = n.definition.name === 'aggregate' ? seriesOfAggregate(n, n.params as AggregateParams) : seriesOfDefinition(n);
    if (s === undefined) continue;
    let series = byId.get(s.id);
    if (series === undefined) {
      series = { ...s.series, features: [], derived: [] };
      byId.set(s.id, series);
    } else if ((s.series.retentionMs ?? Infinity) > (series.retentionMs ?? Infinity) || s.series.retentionMs === null) {
      series.retentionMs = s.series.retentionMs;
      series.retention = s.series.retention;
    }
    for (const name of n.names) series.features.push({ feature: name, ...s.use, columns: n.columns.get(name) ?? [] });
  }
  // Derived features, transitively: a derived feature is itself a name others may read.
  const all = [...byId.values()];
  for (const series of all) {
    const names = new Set(series.features.flatMap((f) => f.columns));
    for (let grew = true; grew; ) {
      grew = false;
      for (const d of compiled.derived) {
        if (!names.has(d.name) && d.uses.some((u) => names.has(u))) {
          names.add(d.name);
          series.derived.push(d.name);
          grew = true;
        }
      }
    }
  }
  return all;
}

/**
 * `tributary aggregations <config>`: each underlying aggregation series, its bucket, its retention
 * and the features that use it (`--json` for the full records).
 */
export async function aggregationsCommand(file: string, flags: { json?: boolean }, out: (line: string) => void): Promise<number> {
  const config = loadConfig(file);
  const compiled = compileFeatureSet(config, await registryFor(config));
  const series = listAggregations(compiled);
  if (flags.json) {
    out(JSON.stringify({ name: config.name, series }, null, 2));
    return 0;
  }
  out(`feature set ${config.name} (${config.file}): ${series.length} aggregation series for ${series.reduce((a, s) => a + s.features.length, 0)} features\n`);
  out(
    table(
      series.map((s) => [
        s.source,
        s.key.join(',') || '(global)',
        s.column ?? '(events)',
        s.where ?? '-',
        s.definition === 'aggregate' ? s.window : `${s.window} (${s.definition})`,
        s.bucket.text,
        s.retention,
        [...s.features.map((f) => `${f.feature} [${f.ops.join(',')} ${f.windows.join(',')}]`), ...s.derived.map((d) => `→ ${d}`)].join(' '),
      ]),
      ['source', 'key', 'column', 'where', 'window', 'bucket', 'retention', 'features'],
    ),
  );
  return 0;
}
