import type { CompiledFeatureSet, FeatureNode } from '../../../pipelines/compile/compileFeatureSet.js';
import type { SourceConfig } from '../../../sdk/config/types.js';
import type { FeatureLookback, LookbackContext } from '../../../sdk/defineFeature.js';

/**
 * How much history each output table of a feature set needs before a time range, for a backfill
 * to give a full replay's rows there: the warm-up. It comes from the features' `lookback` hooks
 * (src/sdk/defineFeature.ts).
 *
 * - An events table (a source's events with its point-in-time features and derived columns) needs
 *   the longest lookback of its features; derived columns are row by row and need none.
 * - A windowed table needs its feature's lookback.
 * - A feature without the hook, or with an unbounded one, makes its table unbounded: it is computed
 *   from the start of the log.
 * - Running sums (`rounding: true`) give bit-exact results only from the start of the log too,
 *   unless `approximate` is asked: then their window is enough, and values equal a full replay's
 *   up to floating-point rounding.
 *
 * No feature joins another source inside a table (derived features that mix sources are computed
 * where tables meet: feature-label sets and online fetches), so a table's warm-up reads its own
 * source only.
 */

/** One feature's lookback, as its definition declares it. */
export interface FeatureReach {
  /** The feature's names (several when features share one computation). */
  names: readonly string[];
  definition: string;
  /** ms; Infinity when unbounded or not declared. */
  ms: number;
  /** Its state keeps running sums: bit-exact only from the start of the log. */
  rounding: boolean;
  /** The definition has no `lookback` hook (so the feature counts as unbounded). */
  undeclared: boolean;
}

/** The warm-up of one output table. */
export interface TableWarmUp {
  table: string;
  source: string;
  kind: 'events' | 'windows';
  /** History read before a range, ms; Infinity: from the start of the log. */
  ms: number;
  /** Features that make the table unbounded (no hook, or unbounded state). */
  unbounded: readonly string[];
  /** Features whose running sums make the table unbounded for bit-exact results (empty when `approximate`). */
  rounding: readonly string[];
  /** Features whose running sums were warmed over their window only (`approximate`): equal up to rounding. */
  approximated: readonly string[];
  /** Feature computations (nodes) the table runs. */
  features: number;
}

/**
 * The lookback of one feature node: its definition's hook, normalized.
 *
 * @example
 * featureReach(compiled.nodes[0]!, compiled.config.sources.transactions!); // { ms: 7776000000, rounding: true, ... }
 */
export function featureReach(node: FeatureNode, source: SourceConfig): FeatureReach {
  const base = { names: node.names, definition: node.definition.name };
  const hook = node.definition.lookback;
  if (hook === undefined) return { ...base, ms: Infinity, rounding: false, undeclared: true };
  const declared: number | FeatureLookback = hook(node.params, lookbackContext(node.key, source));
  const reach = typeof declared === 'number' ? { ms: declared } : declared;
  // A negative or NaN lookback is a definition bug; reading all history is the safe answer.
  const ms = reach.ms >= 0 ? reach.ms : Infinity;
  return { ...base, ms, rounding: reach.rounding === true && Number.isFinite(ms), undeclared: false };
}

/** The context a `lookback` hook gets. */
export function lookbackContext(key: readonly string[], source: SourceConfig): LookbackContext {
  return { key, source, stableGroups: (columns) => stableGroups(columns, source) };
}

/**
 * Whether grouping by `columns` numbers groups the same way in every run: no column (one group), or
 * one column that the event log dictionary-encodes (a key or a string column of the source). Its
 * codes are the log's, loaded whole by every reader; a computed column, a numeric column or several
 * columns are numbered in the order a run first sees them instead.
 */
export function stableGroups(columns: readonly string[], source: SourceConfig): boolean {
  if (columns.length === 0) return true;
  if (columns.length > 1) return false;
  const c = columns[0]!;
  if (c in source.derive || c === source.time || !(c in source.columns)) return false;
  return source.keys.includes(c) || source.columns[c] === 'string';
}

/**
 * The warm-up of every output table of `compiled`, in the order of `compiled.tables`.
 *
 * @example
 * tableWarmUps(compiled).map((w) => [w.table, w.ms]); // [['logins', 2592000000], ['transactions', Infinity], ...]
 */
export function tableWarmUps(compiled: CompiledFeatureSet, opts: { approximate?: boolean } = {}): TableWarmUp[] {
  const reaches = new Map<FeatureNode, FeatureReach>();
  const reachOf = (n: FeatureNode): FeatureReach => {
    let r = reaches.get(n);
    if (r === undefined) {
      r = featureReach(n, compiled.config.sources[n.source]!);
      reaches.set(n, r);
    }
    return r;
  };
  return compiled.tables.map((t): TableWarmUp => {
    const nodes = compiled.nodes.filter((n) => n.source === t.source && n.names.some((name) => t.features.includes(name)));
    const found = nodes.map(reachOf);
    const unbounded = found.filter((r) => !Number.isFinite(r.ms)).map((r) => r.names[0]!);
    const summed = found.filter((r) => r.rounding).map((r) => r.names[0]!);
    const exactSums = opts.approximate !== true;
    const ms = unbounded.length > 0 || (exactSums && summed.length > 0) ? Infinity : Math.max(0, ...found.map((r) => r.ms));
    return {
      table: t.name,
      source: t.source,
      kind: t.kind,
      ms,
      unbounded,
      rounding: exactSums ? summed : [],
      approximated: exactSums ? [] : summed,
      features: nodes.length,
    };
  });
}
