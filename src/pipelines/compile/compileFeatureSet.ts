import { map, share, type Observable } from 'rxjs';
import { ConfigError, type ConfigLocation, type ConfigProblem } from '../../sdk/config/configError.js';
import type { FeatureConfig, FeatureSetConfig, SourceConfig } from '../../sdk/config/types.js';
import { kindOf, type FeatureDefinition, type FeatureKind } from '../../sdk/defineFeature.js';
import type { FeatureRegistry } from '../../sdk/registry.js';
import { didYouMean } from '../../sdk/config/validate.js';
import type { Batch } from '../data/batch.js';
import type { ColumnType } from '../data/column.js';
import { ExpressionError, parseExpression, type Expression, type ValueType } from '../expressions/index.js';
import { deriveColumns } from '../operators/deriveColumns.js';
import { reorder } from '../operators/reorder.js';
import { withColumns } from '../operators/withColumns.js';
import type { RuntimeContext } from '../runtime/context.js';
import { contentHash } from './identity.js';

/** One computation in the graph. Features with the same identity share a node. */
export interface FeatureNode {
  /** Names of the features computed by this node: the first, then any with the same identity. */
  names: string[];
  identity: string;
  stepId: string;
  definition: FeatureDefinition<any>;
  params: unknown;
  kind: FeatureKind;
  source: string;
  key: string[];
  /** Output column names, per feature name. */
  columns: Map<string, string[]>;
  inputs: string[];
  at: ConfigLocation;
}

/**
 * A derived feature. With a `source`, it reads one source's events and point-in-time features and is
 * a column of that source's events table. Without one, it mixes sources and is computed where the
 * features meet: at online fetch time and in feature-label sets.
 */
export interface DerivedNode {
  name: string;
  source?: string;
  expression: Expression;
  /** Feature columns (and, for a source's derived feature, source columns) it reads. */
  uses: readonly string[];
  at: ConfigLocation;
}

/** An output table: the events of a source with their point-in-time features, or the rows of a windowed feature. */
export interface TablePlan {
  name: string;
  source: string;
  kind: 'events' | 'windows';
  /** Name of the time column when written: the source's time column, or `window_end`. */
  timeColumn: string;
  features: string[];
}

export interface CompiledFeatureSet {
  readonly config: FeatureSetConfig;
  readonly nodes: readonly FeatureNode[];
  readonly derived: readonly DerivedNode[];
  readonly tables: readonly TablePlan[];
  /** Identity of each source: a hash of what shapes its events. */
  readonly sourceIdentities: Readonly<Record<string, string>>;
  /** Wire the pipelines: one input stream per source in, one stream per table out. */
  build(runtime: RuntimeContext, inputs: Readonly<Record<string, Observable<Batch>>>): Record<string, Observable<Batch>>;
}

const scopeType = (t: ColumnType): ValueType => (t === 'string' ? 'string' : t === 'bool' ? 'bool' : 'number');

function expressionProblem(err: unknown, at: ConfigLocation, what: string): ConfigProblem {
  const msg = err instanceof ExpressionError ? `${err.message}` : (err as Error).message;
  return { ...at, message: `${what}: ${msg}` };
}

/** Source columns (with computed ones) as an expression scope. */
function sourceScope(s: SourceConfig, problems: ConfigProblem[]): { scope: Record<string, ValueType>; derive: Record<string, Expression> } {
  const scope: Record<string, ValueType> = {};
  for (const [c, t] of Object.entries(s.columns)) scope[c] = scopeType(t);
  const derive: Record<string, Expression> = {};
  for (const [name, text] of Object.entries(s.derive)) {
    try {
      const e = parseExpression(text);
      const t = e.check(scope);
      scope[name] = t === 'null' ? 'number' : (t as ValueType);
      derive[name] = e;
    } catch (err) {
      problems.push(expressionProblem(err, { ...s.at, path: `${s.at.path}.derive.${name}` }, `computed column "${name}"`));
    }
  }
  return { scope, derive };
}

function sourceIdentity(s: SourceConfig): string {
  return contentHash({ name: s.name, time: s.time, timeFormat: s.timeFormat, keys: s.keys, lateness: s.lateness, columns: s.columns, derive: s.derive });
}

/** The definition and params a config feature stands for. */
function resolveDefinition(f: Exclude<FeatureConfig, { kind: 'derived' }>, registry: FeatureRegistry): { definition?: FeatureDefinition<any>; raw: unknown } {
  if (f.kind === 'aggregate') {
    return {
      definition: registry.get('aggregate'),
      raw: {
        ops: f.ops,
        opsListed: f.opsListed,
        windows: f.windows,
        windowsListed: f.windowsListed,
        ...(f.column !== undefined && { column: f.column }),
        ...(f.by !== undefined && { by: f.by }),
        ...(f.where !== undefined && { where: f.where }),
        ...(f.default !== undefined && { default: f.default }),
      },
    };
  }
  return { definition: registry.get(f.definition), raw: f.params };
}

/**
 * Turn a validated config into a graph of feature nodes. Problems that need the registry (unknown
 * definitions, bad params, bad expressions) are reported as a ConfigError at their config location.
 *
 * @example
 * const compiled = compileFeatureSet(loadConfig('configs/payments.yaml'), FeatureRegistry.withBuiltins(BUILTIN_DEFINITIONS));
 * compiled.tables.map((t) => t.name);
 */
export function compileFeatureSet(config: FeatureSetConfig, registry: FeatureRegistry): CompiledFeatureSet {
  const problems: ConfigProblem[] = [];
  const scopes: Record<string, { scope: Record<string, ValueType>; derive: Record<string, Expression> }> = {};
  const sourceIdentities: Record<string, string> = {};
  for (const s of Object.values(config.sources)) {
    scopes[s.name] = sourceScope(s, problems);
    sourceIdentities[s.name] = sourceIdentity(s);
  }

  const nodes: FeatureNode[] = [];
  const byIdentity = new Map<string, FeatureNode>();
  for (const f of config.features) {
    if (f.kind === 'derived') continue;
    const { definition, raw } = resolveDefinition(f, registry);
    if (definition === undefined) {
      const name = f.kind === 'definition' ? f.definition : 'aggregate';
      problems.push({ ...f.at, path: `${f.at.path}.definition`, message: `unknown feature definition "${name}"${didYouMean(name, registry.names())}` });
      continue;
    }
    const parsed = definition.params.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        problems.push({ ...f.at, path: `${f.at.path}.params${issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}`, message: issue.message });
      }
      continue;
    }
    const params = parsed.data;
    const { scope } = scopes[f.source]!;
    for (const input of definition.inputs(params)) {
      if (!(input in scope)) problems.push({ ...f.at, message: `definition ${definition.name} reads column "${input}", which source "${f.source}" does not have${didYouMean(input, Object.keys(scope))}` });
    }
    const where = (params as { where?: unknown }).where;
    if (typeof where === 'string') {
      try {
        const t = parseExpression(where).check(scope);
        if (t !== 'bool') throw new Error(`a filter must be true or false, and this is a ${t}`);
      } catch (err) {
        problems.push(expressionProblem(err, { ...f.at, path: `${f.at.path}.where` }, 'where'));
      }
    }
    const identity = contentHash({
      definition: `${definition.name}@${definition.version}`,
      params,
      key: f.key,
      source: sourceIdentities[f.source],
    });
    const columns = definition.outputs(params).map((o) => (o.name === '' ? f.name : `${f.name}_${o.name}`));
    const existing = byIdentity.get(identity);
    if (existing !== undefined) {
      existing.names.push(f.name);
      existing.columns.set(f.name, columns);
      continue;
    }
    const node: FeatureNode = {
      names: [f.name],
      identity,
      stepId: `${definition.name}-${identity.slice(0, 12)}`,
      definition,
      params,
      kind: kindOf(definition, params),
      source: f.source,
      key: f.key,
      columns: new Map([[f.name, columns]]),
      inputs: definition.inputs(params),
      at: f.at,
    };
    byIdentity.set(identity, node);
    nodes.push(node);
  }

  // Derived features: expressions over one source's columns and point-in-time features.
  const derived: DerivedNode[] = [];
  const tableScope: Record<string, Record<string, ValueType>> = {};
  for (const s of Object.keys(config.sources)) tableScope[s] = { ...scopes[s]!.scope };
  // Every feature column, whatever its source: what derived features that mix sources may read.
  const featureScope: Record<string, ValueType> = {};
  for (const n of nodes) {
    for (const cols of n.columns.values()) {
      for (const c of cols) {
        featureScope[c] = 'number';
        if (n.kind === 'pointInTime') tableScope[n.source]![c] = 'number';
      }
    }
  }
  for (const f of config.features) {
    if (f.kind !== 'derived') continue;
    let expression: Expression;
    try {
      expression = parseExpression(f.expr);
    } catch (err) {
      problems.push(expressionProblem(err, { ...f.at, path: `${f.at.path}.expr` }, 'expr'));
      continue;
    }
    const homes = Object.keys(tableScope).filter((s) => expression.identifiers.every((id) => id in tableScope[s]!));
    if (homes.length === 0) {
      // Mixing sources: only feature columns can meet (raw columns exist only on their own events).
      const all = [...new Set([...Object.values(tableScope).flatMap((sc) => Object.keys(sc)), ...Object.keys(featureScope)])];
      const missing = expression.identifiers.filter((id) => !all.includes(id));
      const raw = expression.identifiers.filter((id) => !(id in featureScope));
      const message = missing.length > 0
        ? `unknown name "${missing[0]}"${didYouMean(missing[0]!, all)}`
        : raw.length > 0
          ? `it mixes sources and reads "${raw[0]}", a source column; across sources a derived feature may read only features`
          : undefined;
      if (message !== undefined) {
        problems.push({ ...f.at, path: `${f.at.path}.expr`, message });
        continue;
      }
      try {
        const t = expression.check(featureScope);
        if (t !== 'number' && t !== 'bool') throw new Error(`a derived feature is a number, and this is a ${t}`);
      } catch (err) {
        problems.push(expressionProblem(err, { ...f.at, path: `${f.at.path}.expr` }, 'expr'));
        continue;
      }
      featureScope[f.name] = 'number';
      derived.push({ name: f.name, expression, uses: [...expression.identifiers], at: f.at });
      continue;
    }
    const source = homes[0]!;
    if (f.name in tableScope[source]!) {
      problems.push({ ...f.at, path: `${f.at.path}.name`, message: `"${f.name}" is already a column of source "${source}" or one of its features` });
      continue;
    }
    try {
      const t = expression.check(tableScope[source]!);
      if (t !== 'number' && t !== 'bool') throw new Error(`a derived feature is a number, and this is a ${t}`);
    } catch (err) {
      problems.push(expressionProblem(err, { ...f.at, path: `${f.at.path}.expr` }, 'expr'));
      continue;
    }
    tableScope[source]![f.name] = 'number';
    featureScope[f.name] = 'number';
    derived.push({ name: f.name, source, expression, uses: [...expression.identifiers], at: f.at });
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const tables: TablePlan[] = [];
  for (const s of Object.values(config.sources)) {
    const pit = nodes.filter((n) => n.source === s.name && n.kind === 'pointInTime');
    const der = derived.filter((d) => d.source === s.name);
    if (pit.length > 0 || der.length > 0) {
      tables.push({ name: s.name, source: s.name, kind: 'events', timeColumn: s.time, features: [...pit.flatMap((n) => n.names), ...der.map((d) => d.name)] });
    }
  }
  for (const n of nodes) {
    if (n.kind === 'windowed') for (const name of n.names) tables.push({ name, source: n.source, kind: 'windows', timeColumn: 'window_end', features: [name] });
  }

  return {
    config,
    nodes,
    derived,
    tables,
    sourceIdentities,
    build(runtime, inputs) {
      const out: Record<string, Observable<Batch>> = {};
      for (const s of Object.values(config.sources)) {
        const input = inputs[s.name];
        if (input === undefined) continue;
        const { scope, derive } = scopes[s.name]!;
        const sourceId = sourceIdentities[s.name]!.slice(0, 12);
        // Computed columns are state when they are strings: their codes must survive a restore.
        const events$ = input.pipe(deriveColumns(derive, runtime.step(`derive-${sourceId}`, s.name)), share());
        const buildNode = (n: FeatureNode) => {
          const columns = n.columns.get(n.names[0]!)!;
          return n.definition.build(n.params, {
            stepId: n.stepId,
            step: (name) => runtime.step(`${n.stepId}/${name}`, s.name),
            key: n.key,
            source: s,
            columns,
            predicate: (text) => parseExpression(text).compilePredicate(scope),
          });
        };
        const pit = nodes.filter((n) => n.source === s.name && n.kind === 'pointInTime');
        const der = derived.filter((d) => d.source === s.name);
        if (pit.length > 0 || der.length > 0) {
          let table$ = events$.pipe(reorder(runtime.step(`reorder-${sourceId}`, s.name), s.lateness));
          for (const n of pit) {
            table$ = table$.pipe(withColumns(buildNode(n), `feature ${n.names[0]}`));
            if (n.names.length > 1) table$ = table$.pipe(aliasColumns(n));
          }
          if (der.length > 0) table$ = table$.pipe(deriveColumns(Object.fromEntries(der.map((d) => [d.name, d.expression]))));
          out[s.name] = table$;
        }
        for (const n of nodes) {
          if (n.source !== s.name || n.kind !== 'windowed') continue;
          const rows$ = events$.pipe(buildNode(n), share());
          for (const name of n.names) out[name] = n.names.length === 1 ? rows$ : rows$.pipe(renameColumns(n, name));
        }
      }
      return out;
    },
  };
}


/** Features that share a node also get their own column names, as views of the same buffers. */
function aliasColumns(n: FeatureNode) {
  const primary = n.columns.get(n.names[0]!)!;
  return map((b: Batch) => {
    const columns = { ...b.columns };
    for (const name of n.names.slice(1)) n.columns.get(name)!.forEach((c, i) => (columns[c] = b.columns[primary[i]!]!));
    return { ...b, columns };
  });
}

function renameColumns(n: FeatureNode, name: string) {
  const primary = n.columns.get(n.names[0]!)!;
  const mine = n.columns.get(name)!;
  return map((b: Batch) => {
    const columns = { ...b.columns };
    primary.forEach((c, i) => {
      columns[mine[i]!] = b.columns[c]!;
      delete columns[c];
    });
    return { ...b, columns };
  });
}
