import { isAbsolute, resolve } from 'node:path';
import { isOpName, LABEL_OP_NAMES, MAX_K, OP_NAMES, opNameOf, opParam, OPS, OTHER_LABEL, percentileLabel, valueLabel, type OpName, type OpParams, type OpRef } from '../../pipelines/aggregations/catalog.js';
import { formatDuration, parseDuration } from '../../pipelines/data/duration.js';
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
    // A definition's outputs are known only once it is resolved: accept `<feature>_<output>` here.
    const definitionPrefixes = features.filter((x) => x.kind === 'definition').map((x) => `${x.name}_`);
    f.features.forEach((name, j) => {
      if (knownColumns.includes(name) || definitionPrefixes.some((p) => name.startsWith(p))) return;
      problem([...path, 'features', j], `unknown feature "${name}"${didYouMean(name, knownColumns)}`);
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
  const windows = withBucket(normalizeWindows(f, path, problem, duration), f, path, problem, duration);
  if (f.where !== undefined) syntaxCheck(f.where, [...path, 'where'], problem);
  if (source === undefined) return undefined;
  const columns = { ...source.columns, ...Object.fromEntries(Object.keys(source.derive).map((d) => [d, 'float64' as const])) };
  if (f.column !== undefined && !(f.column in columns)) {
    problem([...path, 'column'], `unknown column "${f.column}" in source "${f.source}"${didYouMean(f.column, Object.keys(columns))}`);
  }
  for (const ref of ops) {
    const op = opNameOf(ref);
    const info = OPS[op];
    if (info.needsColumn && f.column === undefined) problem(path, `op "${op}" needs a column: add column: <name>`);
    const type = f.column === undefined ? undefined : columns[f.column];
    if (info.accepts === 'numeric' && type === 'string') {
      problem([...path, 'column'], `op "${op}" needs a numeric column, and "${f.column}" is a string`);
    }
  }
  if (f.values !== undefined && f.column !== undefined && f.column in columns && columns[f.column] !== 'string') {
    f.values.forEach((v, i) => {
      if (typeof v !== 'number') problem([...path, 'values', i], `"${v}" is not a number, and column "${f.column}" is numeric`);
    });
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
  else if (!LABEL_OP_NAMES.includes(op)) problem([...path, 'op'], `op "${op}" is not available for labels; labels take ${LABEL_OP_NAMES.join(', ')}`);
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
    op: isOpName(op) && LABEL_OP_NAMES.includes(op) ? op : 'count',
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

function normalizeOps(f: RawAggregateFeature, path: ConfigPath, problem: (p: ConfigPath, m: string) => void): OpRef[] {
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
  const params = normalizeOpParams(f, ops, path, problem);
  // Ops without parameters stay bare names, so that their features keep their identity.
  return ops.map((op) => (opParam(op) === undefined ? op : { op, ...params[opParam(op)!] }));
}

/** Most histogram values (each a column). */
const MAX_HISTOGRAM_VALUES = 1000;

/**
 * Check the op parameters written next to `op:`/`ops:` (k, percentile(s), values, top): each must
 * belong to an op of the feature, and each op that needs one must have it. Returns the params of
 * each kind of op.
 */
function normalizeOpParams(
  f: RawAggregateFeature,
  ops: readonly OpName[],
  path: ConfigPath,
  problem: (p: ConfigPath, m: string) => void,
): Record<'k' | 'percentile' | 'histogram', OpParams> {
  const using = (param: 'k' | 'percentile' | 'histogram') => ops.filter((op) => opParam(op) === param);
  const notFor = (key: string, param: 'k' | 'percentile' | 'histogram') => {
    const owners = OP_NAMES.filter((op) => opParam(op) === param);
    problem([...path, key], `${key} is a parameter of ${owners.join(', ')}, and this feature has none of them`);
  };
  const whole = (x: number, key: ConfigPath, what: string, max: number): boolean => {
    if (Number.isInteger(x) && x >= 1 && x <= max) return true;
    problem(key, `${what} must be a whole number from 1 to ${max}, not ${x}`);
    return false;
  };
  const out: Record<'k' | 'percentile' | 'histogram', OpParams> = { k: {}, percentile: {}, histogram: {} };

  // k
  const kOps = using('k');
  if (f.k !== undefined) {
    if (kOps.length === 0) notFor('k', 'k');
    else if (whole(f.k, [...path, 'k'], 'k', MAX_K)) out.k.k = f.k;
  } else if (kOps.length > 0) problem(path, `op "${kOps[0]}" needs k: add k: <how many values>, e.g. k: 3`);

  // percentile / percentiles
  const pOps = using('percentile');
  const inRange = (q: number, key: ConfigPath): boolean => {
    if (q >= 0 && q <= 1) return true;
    problem(key, `a percentile is a fraction from 0 to 1 (0.9, not 90), not ${q}`);
    return false;
  };
  if (f.percentile !== undefined && f.percentiles !== undefined) problem([...path, 'percentiles'], 'give percentile or percentiles, not both');
  else if (f.percentile !== undefined || f.percentiles !== undefined) {
    const key = f.percentile !== undefined ? 'percentile' : 'percentiles';
    if (pOps.length === 0) notFor(key, 'percentile');
    else if (f.percentile !== undefined) {
      if (inRange(f.percentile, [...path, 'percentile'])) out.percentile.percentile = f.percentile;
    } else {
      const seen = new Map<string, number>();
      let ok = true;
      f.percentiles!.forEach((q, i) => {
        if (!inRange(q, [...path, 'percentiles', i])) ok = false;
        else if (seen.has(percentileLabel(q))) {
          problem([...path, 'percentiles', i], `percentile ${q} is listed twice`);
          ok = false;
        }
        seen.set(percentileLabel(q), i);
      });
      if (ok) out.percentile.percentiles = f.percentiles!;
    }
  } else if (pOps.length > 0) problem(path, `op "${pOps[0]}" needs percentile: <fraction>, e.g. percentile: 0.9 (or percentiles: [0.5, 0.9])`);

  // values / top
  const hOps = using('histogram');
  if (f.values !== undefined && f.top !== undefined) problem([...path, 'top'], 'give values or top, not both');
  else if (f.values !== undefined || f.top !== undefined) {
    const key = f.values !== undefined ? 'values' : 'top';
    if (hOps.length === 0) notFor(key, 'histogram');
    else if (f.top !== undefined) {
      if (whole(f.top, [...path, 'top'], 'top', MAX_K)) out.histogram.top = f.top;
    } else {
      const values = f.values!;
      let ok = values.length <= MAX_HISTOGRAM_VALUES;
      if (!ok) problem([...path, 'values'], `at most ${MAX_HISTOGRAM_VALUES} values (each is a column); use top: <n> instead`);
      const labels = new Map<string, string | number>();
      values.forEach((v, i) => {
        const label = valueLabel(v);
        const prior = labels.get(label);
        if (label === OTHER_LABEL) {
          problem([...path, 'values', i], `"${v}" would name the column of the other values (${OTHER_LABEL})`);
          ok = false;
        }
        if (prior !== undefined) {
          problem([...path, 'values', i], String(prior) === String(v) ? `value "${v}" is listed twice` : `values "${prior}" and "${v}" both name the column suffix "${label}"`);
          ok = false;
        }
        labels.set(label, v);
      });
      if (ok) out.histogram.values = values;
    }
  } else if (hOps.length > 0) problem(path, `op "${hOps[0]}" needs values: [a, b, ...] (a count column each, plus ___other__) or top: <n>`);
  return out;
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

/** `bucket:` (materialized buckets) on every sliding window of a feature, checked. */
function withBucket(
  windows: WindowSpec[],
  f: RawAggregateFeature,
  path: ConfigPath,
  problem: (p: ConfigPath, m: string) => void,
  duration: (text: string, path: ConfigPath) => number,
): WindowSpec[] {
  if (f.bucket === undefined) return windows;
  const bp = [...path, 'bucket'];
  const bucket = duration(f.bucket, bp);
  if (Number.isNaN(bucket)) return windows;
  if (!(bucket > 0)) {
    problem(bp, 'a bucket must be longer than 0');
    return windows;
  }
  if (windows.some((w) => w.type !== 'sliding')) {
    problem(bp, 'bucket applies to sliding windows (tumbling, hopping and session windows are summarised per pane already)');
    return windows;
  }
  for (const w of windows) {
    if (w.type === 'sliding' && w.size < bucket) problem(bp, `a bucket must not be longer than its window (${formatDuration(w.size)})`);
  }
  return windows.map((w) => (w.type === 'sliding' ? { ...w, bucket } : w));
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
