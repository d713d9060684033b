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
  featureLabelSetSchema,
  featureSetSchema,
  labelSchema,
  sourceSchema,
  type RawAggregateFeature,
  type RawSource,
  type RawWindow,
} from './schema.js';
import type { FeatureConfig, FeatureLabelSetConfig, FeatureSetConfig, LabelConfig, LiveSourceConfig, SourceConfig, WindowSpec } from './types.js';
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
      ...(s.live !== undefined && { live: normalizeLive(s.live, [...path, 'live'], problem, duration) }),
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

  const labels: LabelConfig[] = [];
  raw.labels.forEach((value, i) => {
    const l = normalizeLabel(value, ['labels', i], doc, sources, Object.keys(raw.sources), problem, duration, problems);
    if (l === undefined) return;
    if (labels.some((x) => x.name === l.name)) problem(['labels', i, 'name'], `label "${l.name}" is already defined`);
    labels.push(l);
  });

  const sets: FeatureLabelSetConfig[] = [];
  const featureNames = features.map((f) => f.name);
  const knownColumns = [...featureNames, ...features.flatMap(featureColumnNames)];
  raw.sets.forEach((value, i) => {
    const path: ConfigPath = ['sets', i];
    const f = check(featureLabelSetSchema, value, path, doc, problems);
    if (f === undefined) return;
    const spineFeature = features.find((x) => x.name === f.spine);
    if (!(f.spine in sources) && spineFeature === undefined) {
      problem([...path, 'spine'], `unknown spine "${f.spine}": name a source or a windowed feature${didYouMean(f.spine, [...Object.keys(sources), ...featureNames])}`);
    }
    f.features.forEach((name, j) => {
      if (!knownColumns.includes(name)) problem([...path, 'features', j], `unknown feature "${name}"${didYouMean(name, knownColumns)}`);
    });
    if (!raw.labels.some((l) => (l as { name?: unknown } | null)?.name === f.label)) {
      problem([...path, 'label'], `unknown label "${f.label}"${didYouMean(f.label, labels.map((l) => l.name))}`);
    }
    if (f.where !== undefined) syntaxCheck(f.where, [...path, 'where'], problem);
    const spineSource = sources[f.spine];
    const key = f.key === undefined ? (spineSource?.keys ?? (spineFeature && 'key' in spineFeature ? spineFeature.key : [])) : typeof f.key === 'string' ? [f.key] : f.key;
    if (sets.some((x) => x.name === f.name)) problem([...path, 'name'], `set "${f.name}" is already defined`);
    sets.push({
      name: f.name,
      ...(f.description !== undefined && { description: f.description }),
      spine: f.spine,
      key,
      ...(f.where !== undefined && { where: f.where }),
      features: f.features,
      label: f.label,
      ...(f.tolerance !== undefined && { tolerance: duration(f.tolerance, [...path, 'tolerance']) }),
      inference: f.inference,
      format: f.format,
      at: doc.locate(path),
    });
  });

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
    labels,
    sets,
    online: raw.online ?? {},
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
    ...(f.max_staleness !== undefined && { maxStaleness: duration(f.max_staleness, [...path, 'max_staleness']) }),
    at,
  };
}

function normalizeLive(
  l: NonNullable<RawSource['live']>,
  path: ConfigPath,
  problem: (p: ConfigPath, m: string) => void,
  duration: (text: string, path: ConfigPath) => number,
): LiveSourceConfig | undefined {
  const given = [l.zmq && 'zmq', l.websocket && 'websocket', l.tail && 'tail'].filter(Boolean);
  if (given.length !== 1) {
    problem(path, `a live source takes exactly one of zmq, websocket or tail (got ${given.length === 0 ? 'none' : given.join(', ')})`);
    return undefined;
  }
  const connector: LiveSourceConfig['connector'] = l.zmq
    ? { kind: 'zmq', endpoint: l.zmq.endpoint, pattern: l.zmq.pattern, bind: l.zmq.bind ?? l.zmq.pattern === 'pull', topic: l.zmq.topic, format: l.zmq.format }
    : l.websocket
      ? { kind: 'websocket', url: l.websocket.url, format: l.websocket.format }
      : { kind: 'tail' };
  return {
    connector,
    batchRows: l.batch_rows,
    maxDelay: duration(l.max_delay, [...path, 'max_delay']),
    idleTimeout: duration(l.idle_timeout, [...path, 'idle_timeout']),
    maxMessageBytes: l.max_message_bytes,
    highWaterMark: l.high_water_mark,
  };
}

function normalizeLabel(
  value: unknown,
  path: ConfigPath,
  doc: LocatedDocument,
  sources: Record<string, SourceConfig>,
  sourceNames: readonly string[],
  problem: (path: ConfigPath, message: string, keyOf?: string) => void,
  duration: (text: string, path: ConfigPath) => number,
  problems: ConfigProblem[],
): LabelConfig | undefined {
  const l = check(labelSchema, value, path, doc, problems);
  if (l === undefined) return undefined;
  const op = l.kind === 'event_within' ? 'count' : (l.op ?? 'count');
  if (!isOpName(op)) problem([...path, 'op'], `unknown op "${op}"${didYouMean(op, OP_NAMES)}`);
  else if (OPS[op].needsColumn && l.column === undefined) problem(path, `op "${op}" needs a column: add column: <name>`);
  if (l.kind === 'event_within' && l.op !== undefined) problem([...path, 'op'], 'event_within counts events: it takes no op');
  if (l.kind !== 'next_period' && l.horizon === undefined) problem(path, `a ${l.kind} label needs a horizon, e.g. horizon: 5s`);
  if (l.kind === 'next_period' && l.period === undefined) problem(path, 'a next_period label needs a period, e.g. period: 1w');
  if (l.kind !== 'next_period' && (l.period !== undefined || l.offset !== undefined)) problem([...path, 'period'], 'period and offset are for next_period labels');
  if (l.where !== undefined) syntaxCheck(l.where, [...path, 'where'], problem);
  if (l.expr !== undefined) syntaxCheck(l.expr, [...path, 'expr'], problem);
  const source = sources[l.source];
  if (source === undefined) {
    if (!sourceNames.includes(l.source)) problem([...path, 'source'], `unknown source "${l.source}"${didYouMean(l.source, sourceNames)}`);
    return undefined;
  }
  const key = l.key === undefined ? source.keys.slice(0, 1) : typeof l.key === 'string' ? [l.key] : l.key;
  const columns = [...Object.keys(source.columns), ...Object.keys(source.derive)];
  for (const k of key) if (!columns.includes(k)) problem([...path, 'key'], `key "${k}" is not a column of source "${source.name}"${didYouMean(k, columns)}`);
  if (l.column !== undefined && !columns.includes(l.column)) {
    problem([...path, 'column'], `unknown column "${l.column}" in source "${source.name}"${didYouMean(l.column, columns)}`);
  }
  const positive = (text: string | undefined, p: ConfigPath): number | undefined => {
    if (text === undefined) return undefined;
    const ms = duration(text, p);
    if (ms <= 0) problem(p, 'must be longer than 0');
    return ms;
  };
  const horizon = positive(l.horizon, [...path, 'horizon']);
  const period = positive(l.period, [...path, 'period']);
  return {
    name: l.name,
    ...(l.description !== undefined && { description: l.description }),
    source: l.source,
    key,
    kind: l.kind,
    op: isOpName(op) ? op : 'count',
    ...(l.column !== undefined && { column: l.column }),
    ...(horizon !== undefined && { horizon }),
    ...(period !== undefined && { period }),
    periods: l.periods,
    offset: l.offset === undefined ? 0 : duration(l.offset, [...path, 'offset']),
    ...(l.where !== undefined && { where: l.where }),
    ...(l.expr !== undefined && { expr: l.expr }),
    ...(l.default !== undefined && { default: l.default }),
    at: doc.locate(path),
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
