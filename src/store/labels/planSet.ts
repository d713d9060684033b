import type { CompiledFeatureSet, DerivedNode, FeatureNode } from '../../pipelines/compile/compileFeatureSet.js';
import { contentHash } from '../../pipelines/compile/identity.js';
import type { Expression } from '../../pipelines/expressions/index.js';
import { ConfigError, type ConfigLocation } from '../../sdk/config/configError.js';
import { didYouMean } from '../../sdk/config/validate.js';
import type { FeatureLabelSetConfig, LabelConfig } from '../../sdk/config/types.js';

/**
 * Where the rows of a set come from:
 * - `events`: a source's events table (its events with their point-in-time features);
 * - `windows`: a windowed feature's table (one row per window and key, time = `window_end`);
 * - `log`: a source with no events table (no point-in-time feature), read from the event log.
 */
export interface SpinePlan {
  name: string;
  kind: 'events' | 'windows' | 'log';
  /** The table read for `events` and `windows`. */
  table?: string;
  /** The source whose events the rows are (or summarise). */
  source: string;
  /** Name of the spine's time column in the table, and in the set. */
  timeColumn: string;
}

interface ColumnBase {
  /** The column's name in the set. */
  name: string;
  /** The config feature it belongs to. */
  feature: string;
  /** Content hash: the node's identity, or for a derived feature a hash of its expression and inputs. */
  identity: string;
}

/**
 * How one feature column of a set is obtained:
 * - `spine`: read from the spine row itself. The spine's own point-in-time features (half-open
 *   windows) were computed from events strictly before the row, and its own window values from the
 *   window ending at the row's time; both are fresher than any earlier row.
 * - `asof`: joined from another table on the feature's own key columns, as of the row's time,
 *   strictly before it.
 * - `derived`: a derived feature that mixes sources, evaluated on the joined values of its inputs.
 */
export type ColumnPlan =
  | (ColumnBase & { kind: 'spine' })
  | (ColumnBase & { kind: 'asof'; table: string; timeColumn: string; key: string[]; at: ConfigLocation })
  | (ColumnBase & { kind: 'derived'; expression: Expression; uses: readonly string[] });

export interface SetPlan {
  set: FeatureLabelSetConfig;
  label: LabelConfig;
  spine: SpinePlan;
  /** Every column to compute, each input before the derived features that read it. */
  columns: ColumnPlan[];
  /** The set's feature columns, in the order of the features matrix. */
  outputs: string[];
  /** The tables read (spine and joined), with their time columns. */
  tables: { name: string; timeColumn: string }[];
}

/**
 * Decide, from the compiled graph alone (no data), how a set's rows, features and label are
 * obtained. Set entries are feature names (every column of the feature) or single column names.
 *
 * @example
 * const plan = planSet(compileFeatureSet(config, registry), 'fraud_7d');
 * plan.spine;                                  // { kind: 'events', table: 'transactions', ... }
 * plan.columns.filter((c) => c.kind === 'asof'); // the features joined from other tables
 * @throws ConfigError, located in the set, for an unknown set, label, spine or feature
 */
export function planSet(compiled: CompiledFeatureSet, setName: string): SetPlan {
  const config = compiled.config;
  const set = config.sets.find((s) => s.name === setName);
  if (set === undefined) {
    throw new ConfigError([{ file: config.file, line: 1, column: 1, path: 'sets', message: `no set named "${setName}"${didYouMean(setName, config.sets.map((s) => s.name))}` }]);
  }
  const at = (path: string): ConfigLocation => ({ ...set.at, path: `${set.at.path}${path}` });
  const fail = (path: string, message: string): never => {
    throw new ConfigError([{ ...at(path), message }]);
  };
  const label = config.labels.find((l) => l.name === set.label) ?? fail('.label', `unknown label "${set.label}"`);

  const spine = planSpine(compiled, set, fail);

  // Every column the graph produces, and whose it is.
  const nodeOf = new Map<string, { node: FeatureNode; feature: string }>();
  const featureColumns = new Map<string, string[]>();
  for (const node of compiled.nodes) {
    for (const [feature, cols] of node.columns) {
      featureColumns.set(feature, cols);
      for (const c of cols) nodeOf.set(c, { node, feature });
    }
  }
  const derivedOf = new Map<string, DerivedNode>(compiled.derived.map((d) => [d.name, d]));
  for (const d of compiled.derived) featureColumns.set(d.name, [d.name]);

  const sourceColumn = (source: string, c: string) => {
    const s = config.sources[source]!;
    return c in s.columns || c in s.derive;
  };
  const inclusive = (node: FeatureNode): boolean =>
    ((node.params as { windows?: { type: string; inclusive?: boolean }[] }).windows ?? []).some((w) => w.type === 'sliding' && w.inclusive === true);
  const nodeKey = (node: FeatureNode): string[] => {
    const by = (node.params as { by?: unknown }).by;
    return typeof by === 'string' ? [...node.key, by] : [...node.key];
  };

  // Derived features of a source, and whether they (transitively) read an inclusive window.
  const readsInclusive = (d: DerivedNode, seen = new Set<string>()): boolean =>
    d.uses.some((u) => {
      if (seen.has(u)) return false;
      seen.add(u);
      const n = nodeOf.get(u);
      if (n !== undefined) return inclusive(n.node);
      const dd = derivedOf.get(u);
      return dd !== undefined && readsInclusive(dd, seen);
    });
  /** The key a derived feature of a source joins on: that of the features it reads when they agree, else the source's first key. */
  const derivedKey = (d: DerivedNode): string[] => {
    const keys = new Set<string>();
    const visit = (u: string, seen: Set<string>): void => {
      if (seen.has(u)) return;
      seen.add(u);
      const n = nodeOf.get(u);
      if (n !== undefined && n.node.kind === 'pointInTime') keys.add(JSON.stringify(nodeKey(n.node)));
      const dd = derivedOf.get(u);
      if (dd?.source !== undefined) for (const x of dd.uses) visit(x, seen);
    };
    const seen = new Set<string>();
    for (const u of d.uses) visit(u, seen);
    if (keys.size === 1) return JSON.parse([...keys][0]!) as string[];
    return config.sources[d.source!]!.keys.slice(0, 1);
  };

  const identities = new Map<string, string>();
  const identityOf = (c: string, source?: string): string => {
    const known = identities.get(c);
    if (known !== undefined) return known;
    const n = nodeOf.get(c);
    let id: string;
    if (n !== undefined) id = n.node.identity;
    else {
      const d = derivedOf.get(c);
      if (d !== undefined) id = contentHash({ derived: d.expression.text, source: d.source ?? null, inputs: d.uses.map((u) => identityOf(u, d.source)) });
      else id = source !== undefined ? contentHash({ source: compiled.sourceIdentities[source], column: c }) : contentHash({ column: c });
    }
    identities.set(c, id);
    return id;
  };

  const columns: ColumnPlan[] = [];
  const planned = new Set<string>();
  const add = (c: string, entry: number, stack: string[]): void => {
    if (planned.has(c)) return;
    const path = `.features[${entry}]`;
    const n = nodeOf.get(c);
    if (n !== undefined) {
      const { node, feature } = n;
      const base = { name: c, feature, identity: identityOf(c) };
      if (node.kind === 'pointInTime') {
        if (spine.kind === 'events' && spine.source === node.source && !inclusive(node)) columns.push({ ...base, kind: 'spine' });
        else columns.push({ ...base, kind: 'asof', table: node.source, timeColumn: config.sources[node.source]!.time, key: nodeKey(node), at: at(path) });
      } else if (spine.kind === 'windows' && spine.table === feature) {
        columns.push({ ...base, kind: 'spine' });
      } else {
        columns.push({ ...base, kind: 'asof', table: feature, timeColumn: 'window_end', key: nodeKey(node), at: at(path) });
      }
      planned.add(c);
      return;
    }
    const d = derivedOf.get(c);
    if (d === undefined) return fail(path, `"${c}" is not a feature column of this config${didYouMean(c, [...nodeOf.keys(), ...derivedOf.keys()])}`);
    const base = { name: c, feature: c, identity: identityOf(c) };
    if (d.source !== undefined) {
      if (spine.kind === 'events' && spine.source === d.source && !readsInclusive(d)) columns.push({ ...base, kind: 'spine' });
      else columns.push({ ...base, kind: 'asof', table: d.source, timeColumn: config.sources[d.source]!.time, key: derivedKey(d), at: at(path) });
      planned.add(c);
      return;
    }
    if (stack.includes(c)) return fail(path, `derived feature "${c}" depends on itself`);
    // Mixing sources: its inputs are joined first, each on its own key, then it is evaluated on them.
    for (const u of d.uses) {
      if (!nodeOf.has(u) && !derivedOf.has(u)) {
        const raw = Object.keys(config.sources).some((s) => sourceColumn(s, u));
        return fail(path, raw ? `derived feature "${c}" reads "${u}", a source column; across sources only features meet` : `derived feature "${c}" reads unknown "${u}"`);
      }
      add(u, entry, [...stack, c]);
    }
    columns.push({ ...base, kind: 'derived', expression: d.expression, uses: d.uses });
    planned.add(c);
  };

  const outputs: string[] = [];
  set.features.forEach((entry, j) => {
    const cols = featureColumns.get(entry) ?? [entry];
    for (const c of cols) {
      add(c, j, []);
      if (!outputs.includes(c)) outputs.push(c);
    }
  });

  const tables = new Map<string, string>();
  if (spine.table !== undefined) tables.set(spine.table, spine.timeColumn);
  for (const c of columns) if (c.kind === 'asof') tables.set(c.table, c.timeColumn);
  return { set, label, spine, columns, outputs, tables: [...tables].map(([name, timeColumn]) => ({ name, timeColumn })) };
}

function planSpine(compiled: CompiledFeatureSet, set: FeatureLabelSetConfig, fail: (path: string, message: string) => never): SpinePlan {
  const config = compiled.config;
  const source = config.sources[set.spine];
  if (source !== undefined) {
    const events = compiled.tables.find((t) => t.kind === 'events' && t.source === set.spine);
    return events === undefined
      ? { name: set.spine, kind: 'log', source: set.spine, timeColumn: source.time }
      : { name: set.spine, kind: 'events', table: events.name, source: set.spine, timeColumn: events.timeColumn };
  }
  const windows = compiled.tables.find((t) => t.kind === 'windows' && t.name === set.spine);
  if (windows !== undefined) return { name: set.spine, kind: 'windows', table: windows.name, source: windows.source, timeColumn: windows.timeColumn };
  const f = config.features.find((x) => x.name === set.spine);
  if (f !== undefined && 'source' in f) {
    return fail('.spine', `"${set.spine}" is a point-in-time feature; a spine is a source or a windowed feature (for its rows, use spine: ${f.source})`);
  }
  return fail('.spine', `unknown spine "${set.spine}": name a source or a windowed feature`);
}
