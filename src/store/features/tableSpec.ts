import type { CompiledFeatureSet, TablePlan } from '../../pipelines/compile/compileFeatureSet.js';

/** One feature (a config feature name) of a stored table, with what the online view needs to serve it. */
export interface FeatureSpec {
  /** The config feature name. */
  name: string;
  /** Its output columns in the table (one, or several for `ops: [...]` / `windows: [...]`). */
  columns: string[];
  /** The key columns it is computed per: a key's latest vector reads the latest row with these values. */
  key: string[];
  /** Served when the key has no row, or its row is older than `maxStaleness`. */
  default?: number;
  /** ms: online, a row older than this (relative to the request's `now`) is served as `default`, or null. */
  maxStaleness?: number;
  /** Set for a derived feature computed on the table's rows: its expression text. */
  expr?: string;
}

/** A stored value column. Features are numbers; `timestamp` is for `window_start`. */
export interface ValueColumnSpec {
  name: string;
  type: 'float64' | 'timestamp';
}

/**
 * The shape of one output table in the store. Key columns are dictionary-coded; value columns are
 * float64 (epoch ms for timestamps). Persisted in the table's manifest, so a reopened store knows
 * how to serve it without the config.
 */
export interface TableSpec {
  name: string;
  kind: 'events' | 'windows';
  /** Name of the time column in Arrow output: the source's time column, or `window_end`. */
  timeColumn: string;
  /**
   * The row key. An events row is identified by (keys, time, ordinal among rows with the same keys
   * and time); a window row by (keys, window_start). See `rowIdentity.ts`.
   */
  keys: string[];
  /** Other dictionary-coded columns that some feature is keyed by (an aggregate's `by` column). */
  groupBy: string[];
  /** Value columns, in order: `window_start` first in window tables, then the feature columns. */
  columns: ValueColumnSpec[];
  features: FeatureSpec[];
}

/** Every dictionary-coded column of a table: the row key, then the group-by columns. */
export function keyColumnsOf(spec: TableSpec): string[] {
  return [...spec.keys, ...spec.groupBy];
}

/** Whether two specs describe the same table (so that stored rows can be kept). */
export function sameSpec(a: TableSpec, b: TableSpec): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(s: TableSpec): unknown {
  return {
    name: s.name,
    kind: s.kind,
    timeColumn: s.timeColumn,
    keys: s.keys,
    groupBy: s.groupBy,
    columns: s.columns.map((c) => [c.name, c.type]),
    features: s.features.map((f) => [f.name, f.columns, f.key, f.default ?? null, f.maxStaleness ?? null, f.expr ?? null]),
  };
}

/** The `by` column of an aggregate node's params, when it has one. */
function byColumn(params: unknown): string | undefined {
  const by = (params as { by?: unknown } | null)?.by;
  return typeof by === 'string' ? by : undefined;
}

/**
 * The store tables of a compiled feature set: one per output table, with each feature's key,
 * default and max staleness taken from the config.
 *
 * A derived feature with a source is keyed by the union of the keys of the features it reads (in the
 * table's key order): `amount / merchant_ticket` is a merchant's, `(amount - mean) / std` a card's.
 * When it reads no feature, it takes the source's first key, the default key of the source's features.
 *
 * @example
 * const specs = tableSpecsFor(compileFeatureSet(config, registry));
 * specs.map((s) => [s.name, s.kind, s.keys]); // [['transactions', 'events', ['card_id', 'user_id', 'merchant_id']], ...]
 */
export function tableSpecsFor(compiled: CompiledFeatureSet): TableSpec[] {
  return compiled.tables.map((t) => tableSpecFor(compiled, t));
}

function tableSpecFor(compiled: CompiledFeatureSet, t: TablePlan): TableSpec {
  const { config } = compiled;
  const settings = (name: string): Pick<FeatureSpec, 'default' | 'maxStaleness'> => {
    const f = config.features.find((x) => x.name === name);
    if (f === undefined || f.kind !== 'aggregate') return {};
    return { ...(f.default !== undefined && { default: f.default }), ...(f.maxStaleness !== undefined && { maxStaleness: f.maxStaleness }) };
  };
  const nodeOf = (name: string) => compiled.nodes.find((n) => n.names.includes(name));

  if (t.kind === 'windows') {
    const node = nodeOf(t.name);
    if (node === undefined) throw new Error(`window table ${t.name} has no feature node`);
    const by = byColumn(node.params);
    const key = by === undefined ? [...node.key] : [...node.key, by];
    const columns = node.columns.get(t.name)!;
    return {
      name: t.name,
      kind: 'windows',
      timeColumn: t.timeColumn,
      keys: key,
      groupBy: [],
      columns: [{ name: 'window_start', type: 'timestamp' }, ...columns.map((name) => ({ name, type: 'float64' as const }))],
      features: [{ name: t.name, columns: [...columns], key, ...settings(t.name) }],
    };
  }

  const source = config.sources[t.source]!;
  const keys = [...source.keys];
  const groupBy: string[] = [];
  const features: FeatureSpec[] = [];
  const keyOfColumn = new Map<string, string[]>();
  for (const name of t.features) {
    const node = nodeOf(name);
    if (node !== undefined) {
      const by = byColumn(node.params);
      const key = by === undefined ? [...node.key] : [...node.key, by];
      for (const k of key) if (!keys.includes(k) && !groupBy.includes(k)) groupBy.push(k);
      const columns = [...node.columns.get(name)!];
      for (const c of columns) keyOfColumn.set(c, key);
      features.push({ name, columns, key, ...settings(name) });
      continue;
    }
    const derived = compiled.derived.find((d) => d.name === name && d.source === t.source);
    if (derived === undefined) throw new Error(`feature ${name} of table ${t.name} is neither a node nor a derived feature`);
    const order = [...keys, ...groupBy];
    const used = new Set(derived.uses.flatMap((u) => keyOfColumn.get(u) ?? []));
    const key = used.size === 0 ? keys.slice(0, 1) : order.filter((k) => used.has(k));
    keyOfColumn.set(name, key);
    features.push({ name, columns: [name], key, expr: derived.expression.text });
  }
  return {
    name: t.name,
    kind: 'events',
    timeColumn: t.timeColumn,
    keys,
    groupBy,
    columns: features.flatMap((f) => f.columns.map((name) => ({ name, type: 'float64' as const }))),
    features,
  };
}
