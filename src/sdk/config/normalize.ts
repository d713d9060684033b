import { isAbsolute, resolve } from 'node:path';
import { isOpName, OP_NAMES, OPS, type OpName } from '../../pipelines/aggregations/catalog.js';
import { parseDuration } from '../../pipelines/data/duration.js';
import { ExpressionError, parseExpression } from '../../pipelines/expressions/index.js';
import type { ConfigProblem } from './configError.js';
import { featureColumnNames } from './featureColumns.js';
import type { ConfigPath, LocatedDocument } from './locate.js';
import {
  aggregateFeatureSchema,
  definitionFeatureSchema,
  derivedFeatureSchema,
  featureSetSchema,
  sourceSchema,
  type RawAggregateFeature,
  type RawWindow,
} from './schema.js';
import type { FeatureConfig, FeatureSetConfig, SourceConfig, WindowSpec } from './types.js';
import { check, didYouMean } from './validate.js';

interface Context {
  file: string;
  dir: string;
  hash: string;
  dataDir?: string;
  problems: ConfigProblem[];
}

/** Schema checks, then the checks that need the whole config: names that must resolve, durations, column types. */
export function normalizeConfig(doc: LocatedDocument, ctx: Context): FeatureSetConfig | undefined {
  const { problems } = ctx;
  const problem = (path: ConfigPath, message: string, keyOf?: string) => problems.push({ ...doc.locate(path, keyOf), message });
  const duration = (text: string, path: ConfigPath): number => {
    try {
      return parseDuration(text);
    } catch (err) {
      problem(path, (err as Error).message);
      return NaN;
    }
  };

  if (doc.value === null || typeof doc.value !== 'object' || Array.isArray(doc.value)) {
    problem([], 'a feature-set config is a YAML mapping with name, sources and features');
    return undefined;
  }
  const raw = check(featureSetSchema, doc.value, [], doc, problems);
  if (raw === undefined) return undefined;

  const sources: Record<string, SourceConfig> = {};
  for (const [name, value] of Object.entries(raw.sources)) {
    const path = ['sources', name];
    const s = check(sourceSchema, value, path, doc, problems);
    if (s === undefined) continue;
    const columnNames = Object.keys(s.columns);
    for (const [i, k] of s.keys.entries()) {
      if (!(k in s.columns)) problem([...path, 'keys', i], `key "${k}" is not a column of the source${didYouMean(k, columnNames)}`);
    }
    if (s.time in s.columns && s.columns[s.time] !== 'timestamp') {
      problem([...path, 'columns'], `the time column "${s.time}" is read as the event time; leave it out of columns or type it timestamp`, s.time);
    }
    for (const [column, text] of Object.entries(s.derive ?? {})) syntaxCheck(text, [...path, 'derive', column], problem);
    sources[name] = {
      name,
      ...(s.description !== undefined && { description: s.description }),
      ...(s.path !== undefined && { path: isAbsolute(s.path) ? s.path : resolve(ctx.dir, s.path) }),
      ...(s.format !== undefined && { format: s.format }),
      time: s.time,
      timeFormat: s.time_format,
      keys: s.keys,
      lateness: duration(s.lateness, [...path, 'lateness']),
      columns: Object.fromEntries(Object.entries(s.columns).filter(([c]) => c !== s.time)),
      derive: s.derive ?? {},
      at: doc.locate(path),
    };
  }

  const features: FeatureConfig[] = [];
  const seen = new Map<string, ConfigPath>();
  raw.features.forEach((value, i) => {
    const path: ConfigPath = ['features', i];
    const f = normalizeFeature(value, path, doc, sources, Object.keys(raw.sources), problem, duration, problems);
    if (f === undefined) return;
    if (seen.has(f.name)) problem([...path, 'name'], `feature "${f.name}" is already defined at ${doc.locate(seen.get(f.name)!).path}`);
    seen.set(f.name, path);
    if (f.name in sources) problem([...path, 'name'], `feature "${f.name}" has the name of a source; output tables are named after both`);
    features.push(f);
  });

  // Output column names must not collide with each other nor with the columns of their source.
  const owner = new Map<string, string>();
  for (const f of features) {
    for (const col of featureColumnNames(f)) {
      const prior = owner.get(col);
      if (prior !== undefined && prior !== f.name) problem(['features', features.indexOf(f), 'name'], `column "${col}" is produced by both "${prior}" and "${f.name}"`);
      owner.set(col, f.name);
      const home = 'source' in f ? sources[f.source] : undefined;
      if (home !== undefined && (col in home.columns || col in home.derive)) {
        problem(['features', features.indexOf(f), 'name'], `column "${col}" would hide the source column of the same name`);
      }
    }
  }

  const dataDir = ctx.dataDir ?? (raw.data_dir !== undefined ? resolve(ctx.dir, raw.data_dir) : resolve('.tributary', raw.name));
  return {
    name: raw.name,
    ...(raw.description !== undefined && { description: raw.description }),
    file: ctx.file,
    dir: ctx.dir,
    dataDir,
    modules: raw.modules.map((m) => (isAbsolute(m) ? m : resolve(ctx.dir, m))),
    keyGroups: raw.key_groups,
    sources,
    features,
    output: raw.output,
    hash: ctx.hash,
  };
}

function normalizeFeature(
  value: unknown,
  path: ConfigPath,
  doc: LocatedDocument,
  sources: Record<string, SourceConfig>,
  sourceNames: readonly string[],
  problem: (path: ConfigPath, message: string, keyOf?: string) => void,
  duration: (text: string, path: ConfigPath) => number,
  problems: ConfigProblem[],
): FeatureConfig | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    problem(path, 'a feature is a mapping with a name and an op, a definition or an expr');
    return undefined;
  }
  const at = doc.locate(path);
  if ('expr' in value) {
    const f = check(derivedFeatureSchema, value, path, doc, problems);
    if (f !== undefined) syntaxCheck(f.expr, [...path, 'expr'], problem);
    return f && { kind: 'derived', name: f.name, ...(f.description !== undefined && { description: f.description }), expr: f.expr, at };
  }
  // A source that exists but has problems of its own was reported already: stay quiet about it here.
  const resolveSource = (name: string): SourceConfig | undefined => {
    const s = sources[name];
    if (s === undefined && !sourceNames.includes(name)) problem([...path, 'source'], `unknown source "${name}"${didYouMean(name, sourceNames)}`);
    return s;
  };
  const resolveKey = (key: string | string[] | undefined, source: SourceConfig): string[] => {
    const keys = key === undefined ? source.keys.slice(0, 1) : typeof key === 'string' ? [key] : key;
    for (const k of keys) {
      if (!(k in source.columns) && !(k in source.derive)) {
        problem([...path, 'key'], `key "${k}" is not a column of source "${source.name}"${didYouMean(k, [...Object.keys(source.columns), ...Object.keys(source.derive)])}`);
      }
    }
    return keys;
  };
  if ('definition' in value) {
    const f = check(definitionFeatureSchema, value, path, doc, problems);
    if (f === undefined) return undefined;
    const source = resolveSource(f.source);
    if (source === undefined) return undefined;
    return {
      kind: 'definition',
      name: f.name,
      ...(f.description !== undefined && { description: f.description }),
      source: f.source,
      key: resolveKey(f.key, source),
      definition: f.definition,
      params: f.params,
      at,
    };
  }
  const f = check(aggregateFeatureSchema, value, path, doc, problems);
  if (f === undefined) return undefined;
  const source = resolveSource(f.source);
  const ops = normalizeOps(f, path, problem);
  const windows = normalizeWindows(f, path, problem, duration);
  if (f.where !== undefined) syntaxCheck(f.where, [...path, 'where'], problem);
  if (source === undefined) return undefined;
  const columns = { ...source.columns, ...Object.fromEntries(Object.keys(source.derive).map((d) => [d, 'float64' as const])) };
  if (f.column !== undefined && !(f.column in columns)) {
    problem([...path, 'column'], `unknown column "${f.column}" in source "${f.source}"${didYouMean(f.column, Object.keys(columns))}`);
  }
  for (const op of ops) {
    const info = OPS[op];
    if (info.needsColumn && f.column === undefined) problem(path, `op "${op}" needs a column: add column: <name>`);
    const type = f.column === undefined ? undefined : columns[f.column];
    if (info.accepts === 'numeric' && type === 'string') {
      problem([...path, 'column'], `op "${op}" needs a numeric column, and "${f.column}" is a string`);
    }
  }
  if (f.by !== undefined && !(f.by in columns)) {
    problem([...path, 'by'], `unknown column "${f.by}" in source "${f.source}"${didYouMean(f.by, Object.keys(columns))}`);
  }
  return {
    kind: 'aggregate',
    name: f.name,
    ...(f.description !== undefined && { description: f.description }),
    source: f.source,
    key: resolveKey(f.key, source),
    ops,
    opsListed: f.ops !== undefined,
    ...(f.column !== undefined && { column: f.column }),
    windows,
    windowsListed: f.windows !== undefined,
    ...(f.by !== undefined && { by: f.by }),
    ...(f.where !== undefined && { where: f.where }),
    ...(f.default !== undefined && { default: f.default }),
    at,
  };
}

function normalizeOps(f: RawAggregateFeature, path: ConfigPath, problem: (p: ConfigPath, m: string) => void): OpName[] {
  if (f.op !== undefined && f.ops !== undefined) problem(path, 'give op or ops, not both');
  if (f.op === undefined && f.ops === undefined) {
    problem(path, 'a feature needs op (an aggregation), ops, definition or expr');
    return [];
  }
  const named = f.ops ?? [f.op!];
  const ops: OpName[] = [];
  named.forEach((op, i) => {
    if (isOpName(op)) ops.push(op);
    else problem(f.ops ? [...path, 'ops', i] : [...path, 'op'], `unknown op "${op}"${didYouMean(op, OP_NAMES)}; ops are ${OP_NAMES.join(', ')}`);
  });
  return ops;
}

function normalizeWindows(
  f: RawAggregateFeature,
  path: ConfigPath,
  problem: (p: ConfigPath, m: string) => void,
  duration: (text: string, path: ConfigPath) => number,
): WindowSpec[] {
  if (f.window !== undefined && f.windows !== undefined) problem(path, 'give window or windows, not both');
  const inclusive = f.inclusive ?? false;
  const positive = (ms: number, p: ConfigPath): number => {
    if (ms <= 0) problem(p, 'a window must be longer than 0');
    return ms;
  };
  if (f.windows !== undefined) {
    return f.windows.map((w, i) => ({ type: 'sliding', size: positive(duration(w, [...path, 'windows', i]), [...path, 'windows', i]), inclusive }));
  }
  // No window: the aggregate over all history before each event.
  if (f.window === undefined) return [{ type: 'sliding', size: Infinity, inclusive }];
  const w: RawWindow = f.window;
  const wp = [...path, 'window'];
  if (typeof w === 'string') return [{ type: 'sliding', size: positive(duration(w, wp), wp), inclusive }];
  if (f.inclusive !== undefined && !('sliding' in w)) problem([...path, 'inclusive'], 'inclusive applies to sliding windows only');
  if ('sliding' in w) return [{ type: 'sliding', size: positive(duration(w.sliding, [...wp, 'sliding']), wp), inclusive: w.inclusive ?? inclusive }];
  if ('tumbling' in w) {
    return [{ type: 'tumbling', size: positive(duration(w.tumbling, [...wp, 'tumbling']), wp), offset: w.offset ? duration(w.offset, [...wp, 'offset']) : 0 }];
  }
  if ('hopping' in w) {
    const size = positive(duration(w.hopping, [...wp, 'hopping']), wp);
    const every = positive(duration(w.every, [...wp, 'every']), wp);
    if (every > size) problem([...wp, 'every'], 'a hopping window must advance by no more than its size');
    return [{ type: 'hopping', size, every, offset: w.offset ? duration(w.offset, [...wp, 'offset']) : 0 }];
  }
  return [{ type: 'session', gap: positive(duration(w.session, [...wp, 'session']), wp) }];
}

/** Report an expression that does not parse; names and types are checked once definitions are known. */
function syntaxCheck(text: string, path: ConfigPath, problem: (p: ConfigPath, m: string) => void): void {
  try {
    parseExpression(text);
  } catch (err) {
    if (!(err instanceof ExpressionError)) throw err;
    problem(path, err.message);
  }
}
