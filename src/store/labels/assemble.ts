import type { Table } from 'apache-arrow';
import type { CompiledFeatureSet } from '../../pipelines/compile/compileFeatureSet.js';
import type { LabelConfig } from '../../sdk/config/types.js';
import { concatBatches, sliceBatch, takeBatch, type Batch } from '../../pipelines/data/batch.js';
import type { Column, NumberColumn } from '../../pipelines/data/column.js';
import { ExpressionError, parseExpression } from '../../pipelines/expressions/index.js';
import { ConfigError } from '../../sdk/config/configError.js';
import { sharedTaskPool, type TaskPool } from '../../actors/pool/taskPool.js';
import { asOfJoin } from './asOfSweep.js';
import { computeLabel, finishLabel, groupedAhead, prepareLabel, type LabelColumn, type PreparedLabel } from './computeLabel.js';
import { spineKeys, type KeyMatcher, type SpineKeys } from './keyCodes.js';
import { sweepEvents } from './labelEvents.js';
import { SWEEP_OPS } from './labelSweep.js';
import type { AheadResult } from './lookahead.js';
import { ASSEMBLE_TASK_MODULE, assembleOnPool, rangesFor, type LabelSweepInput, type ParallelOptions } from './parallelAssemble.js';
import { buildFeatureMatrix } from './featureMatrix.js';
import { labelWindows } from './labelWindow.js';
import { planSet, type ColumnPlan, type SetPlan } from './planSet.js';
import { setMetadata } from './setMetadata.js';
import { setTable } from './setTable.js';
import type { FeatureTableSource, LabelEventSource } from './sources.js';

/** Where a set's inputs are read: the feature tables, and the events of label (and spine) sources. */
export interface SetInputs {
  tables: FeatureTableSource;
  events: LabelEventSource;
}

export interface AssembleOptions {
  /** Keep rows whose label window runs past the data, with a null label (default: the set's `inference`). */
  inference?: boolean;
  /** End of the label source's data, epoch ms (default: its last event's time). */
  dataEnd?: number;
  /**
   * Assemble on this many threads: the kept spine rows are cut into time ranges, each assembled on
   * the process-wide task pool of that size (`sharedTaskPool`), with the same results as one thread
   * (same rows, order and values). 1 or absent: this thread. Small sets stay on this thread
   * whatever this says (`parallel.minRows`).
   */
  threads?: number;
  /** The task pool to assemble on (instead of the shared one `threads` names). */
  pool?: TaskPool;
  /** When the pool is worth it: thresholds, for tests and benchmarks. */
  parallel?: ParallelOptions;
}

/** How many spine rows went where. `spine = filtered + droppedPastEnd + kept`. */
export interface SetCounts {
  spine: number;
  /** Left out by the set's `where`. */
  filtered: number;
  /** Their label window runs past the end of the label source's data (0 in an inference set). */
  droppedPastEnd: number;
  kept: number;
  /** Kept rows whose label is null (past the end in an inference set, or an op with no value). */
  nullLabels: number;
}

/** The label's values and how often each occurs (up to 20 distinct values), or its range. */
export type LabelBalance =
  | { kind: 'classes'; counts: Record<string, number> }
  | { kind: 'numeric'; min: number; max: number; mean: number };

export interface FeatureLabelSet {
  name: string;
  /** Keys, time, one column per feature, the label, and the `features` matrix column. */
  table: Table;
  plan: SetPlan;
  /** Feature columns, in matrix order. */
  featureColumns: string[];
  /** The row-major matrix (rows × featureColumns.length, nulls as NaN): the child buffer of `table`'s `features`. */
  matrix: Float32Array;
  counts: SetCounts;
  labelBalance: LabelBalance;
  /** Time range of the kept rows. */
  timeRange?: { min: number; max: number };
  /** Time range of the label source's events. */
  labelSourceRange?: { min: number; max: number };
  /** The time no label window may run past. */
  dataEnd: number;
}

/** A table a set needs is not there (replay has not written it). */
export class MissingTableError extends Error {
  constructor(readonly table: string) {
    super(`feature table "${table}" is missing: run \`tributary replay\` first`);
    this.name = 'MissingTableError';
  }
}

/**
 * Build one feature-label set: its spine rows, each feature as of the row's time (strictly before
 * it, within the set's tolerance), the label from the row's future window, and the features matrix.
 *
 * Steps: read the spine (time-sorted, stable) and apply `where`; compute each row's label window and
 * drop the rows whose window ends after the label source's last event (or keep them with a null
 * label when `inference`); read the spine's own features from the row; join every other feature
 * on its own key columns, found in the spine by name (one join per table and key, shared by the
 * columns it serves); evaluate derived features that mix sources on the joined values; compute the
 * label; lay out the matrix.
 *
 * With `threads: n` (or a `pool`), the joins and the label's sweep run on a task pool, the kept rows
 * cut into time ranges (`parallelAssemble.ts`); the set is the same, value for value. Its feature
 * and label columns are then backed by SharedArrayBuffers.
 *
 * @example
 * const compiled = compileFeatureSet(loadConfig('configs/payments.yaml'), await registryFor(config));
 * const set = await assembleSet(compiled, 'fraud_7d', {
 *   tables: new ArrowFileTables('.tributary/payments/features'),
 *   events: new LogEventSource(compiled.config),
 * });
 * set.counts;  // { spine: 118280, filtered: 2264, droppedPastEnd: 6858, kept: 109158, nullLabels: 0 } (sample data)
 * set.matrix;  // Float32Array(kept × width), ready for tf.tensor2d(set.matrix, [rows, width])
 * @throws ConfigError (located in the config) when a feature's key is not a spine column, or an expression does not fit
 * @throws MissingTableError when a table the set reads has not been written
 */
export async function assembleSet(compiled: CompiledFeatureSet, setName: string, inputs: SetInputs, opts: AssembleOptions = {}): Promise<FeatureLabelSet> {
  const plan = planSet(compiled, setName);
  const { set, label, spine } = plan;
  const inference = opts.inference ?? set.inference;
  const spineName = `spine "${spine.name}"`;
  const failAt = (path: string, message: string): never => {
    throw new ConfigError([{ ...set.at, path: `${set.at.path}${path}`, message }]);
  };

  const tables = new Map<string, Promise<Batch>>();
  const readTable = (name: string, timeColumn: string): Promise<Batch> => {
    let t = tables.get(name);
    if (t === undefined) {
      t = inputs.tables.table(name, timeColumn).then((x) => {
        if (x === undefined) throw new MissingTableError(name);
        return concatBatches(x.batches);
      });
      tables.set(name, t);
    }
    return t;
  };

  // 1. The spine rows, in time order (ties keep table order).
  const raw = spine.table !== undefined ? await readTable(spine.table, spine.timeColumn) : concatBatches(await inputs.events.events(spine.source));
  const all = sortedByTime(raw);

  // 2. where, then the label window of each row and whether it runs past the data.
  let mask: Uint8Array | undefined;
  if (set.where !== undefined) {
    try {
      mask = parseExpression(set.where).evaluatePredicate(all);
    } catch (err) {
      if (!(err instanceof ExpressionError)) throw err;
      failAt('.where', `${err.message} (where reads the columns of ${spineName})`);
    }
  }
  const labelEvents = concatBatches(await inputs.events.events(label.source));
  const labelRange = rangeOf(labelEvents.time);
  const dataEnd = opts.dataEnd ?? labelRange?.max ?? -Infinity;
  const windows = labelWindows(label, all.time);
  const sel = selectRows(mask, windows.to, dataEnd, inference);
  const { kept, filtered, droppedPastEnd } = sel;
  const rows = takeRows(all, sel.keep, kept);

  // 3. Features: from the row, joined as of its time, or derived from those.
  for (const k of set.key) {
    if (!(k in rows.columns)) failAt('.key', `key column "${k}" is not a column of ${spineName}; its columns are ${Object.keys(rows.columns).join(', ')}`);
  }
  // One key space and one grouping of the spine per key, shared by every join on it and the label.
  const matchers = new Map<string, SpineKeys>();
  const keysFor = (key: readonly string[]): SpineKeys => {
    const id = key.join('\u0000');
    let k = matchers.get(id);
    if (k === undefined) matchers.set(id, (k = spineKeys(key, rows)));
    return k;
  };
  const joins = await prepareJoins(plan, rows, readTable, keysFor, spineName);
  const tolerance = set.tolerance ?? Infinity;

  // 4. The joins and the label: on the task pool by time range when asked for and worth it, else here.
  const pool = opts.pool ?? (opts.threads !== undefined && opts.threads > 1 ? sharedTaskPool(opts.threads, [ASSEMBLE_TASK_MODULE]) : undefined);
  const onPool = pool === undefined ? undefined : await joinsAndLabelOnPool(pool, opts.parallel, label, rows, labelEvents, joins, tolerance, spineName, keysFor);
  let values: Map<string, NumberColumn>;
  let labelColumn: LabelColumn;
  if (onPool === undefined) {
    const joined = joins.map((j) => asOfJoin(j.keys.spineCodes, rows.time, j.tableCodes, j.table.time, j.columns, j.size, tolerance));
    values = featureValues(plan, rows, spineName, joins, joined);
    labelColumn = computeLabel(label, rows, labelEvents, sel.unknown, spineName, keysFor);
  } else {
    values = featureValues(plan, rows, spineName, joins, onPool.joined);
    labelColumn = finishLabel(label, rows, onPool.ahead, sel.unknown, spineName);
  }

  // 5. The matrix.
  const labelValues: NumberColumn = labelColumn.validity === undefined
    ? { type: 'float64', values: labelColumn.values }
    : { type: 'float64', values: labelColumn.values, validity: labelColumn.validity };
  const features = plan.outputs.map((name): [string, NumberColumn] => [name, values.get(name)!]);
  const matrix = buildFeatureMatrix(features.map(([, c]) => c), kept);

  const counts: SetCounts = { spine: all.length, filtered, droppedPastEnd, kept, nullLabels: countNaN(labelColumn.values) };
  const timeRange = kept > 0 ? { min: rows.time[0]!, max: rows.time[kept - 1]! } : undefined;
  const labelSourceRange = labelRange;
  const labelBalance = balanceOf(labelColumn.values);

  const table = setTable({
    keys: set.key.map((k) => [k, rows.columns[k]!]),
    timeColumn: spine.timeColumn,
    time: rows.time,
    features,
    label: [label.name, labelValues],
    matrix,
    metadata: setMetadata({ compiled, plan, inference, counts, timeRange, labelSourceRange, dataEnd, labelBalance }),
  });
  return { name: set.name, table, plan, featureColumns: plan.outputs, matrix, counts, labelBalance, ...(timeRange && { timeRange }), ...(labelSourceRange && { labelSourceRange }), dataEnd };
}

/** One as-of join of a set: a table's columns (those the plan joins from it on one key), the table's key codes in the spine's key space. */
interface JoinJob {
  plans: Extract<ColumnPlan, { kind: 'asof' }>[];
  table: Batch;
  keys: KeyMatcher;
  tableCodes: Int32Array;
  columns: Column[];
  /** The key space's size once the table's codes are in it. */
  size: number;
}

/**
 * The as-of joins of the plan, ready to run: one per table and key, serving all the columns it
 * carries; each table read, its columns checked, its keys coded in the spine's key space.
 * @throws ConfigError when a join's key is not a spine column; Error when a column is missing or a string
 */
async function prepareJoins(
  plan: SetPlan,
  rows: Batch,
  readTable: (name: string, timeColumn: string) => Promise<Batch>,
  keysFor: (key: readonly string[]) => SpineKeys,
  spineName: string,
): Promise<JoinJob[]> {
  const groups = new Map<string, Extract<ColumnPlan, { kind: 'asof' }>[]>();
  for (const c of plan.columns) {
    if (c.kind !== 'asof') continue;
    const id = `${c.table}\u0000${c.key.join('\u0000')}`;
    groups.set(id, [...(groups.get(id) ?? []), c]);
  }
  const jobs: JoinJob[] = [];
  for (const group of groups.values()) {
    const first = group[0]!;
    for (const k of first.key) {
      if (!(k in rows.columns)) {
        throw new ConfigError([{
          ...first.at,
          message: `feature "${first.feature}" joins on ${first.key.join(', ')}, and ${spineName} has no column "${k}"; its columns are ${Object.keys(rows.columns).join(', ')}`,
        }]);
      }
    }
    const table = await readTable(first.table, first.timeColumn);
    const { keys } = keysFor(first.key);
    const columns = group.map((c) => {
      const col = table.columns[c.name];
      if (col === undefined) throw new Error(`feature table "${first.table}" has no column "${c.name}": it was written by another version of the config; run \`tributary replay\` again`);
      if (col.type === 'dictionary') throw new Error(`feature "${c.name}" is a string column; features are numbers`);
      return col;
    });
    const tableCodes = keys.codes(table, `table "${first.table}"`);
    jobs.push({ plans: group, table, keys, tableCodes, columns, size: keys.size });
  }
  return jobs;
}

/**
 * Every column of the plan for the kept spine rows: the joined ones (`joined[j]`: the columns of
 * join `j`), the spine's own from the row, then the derived features that mix sources, evaluated on
 * those.
 */
function featureValues(plan: SetPlan, rows: Batch, spineName: string, joins: readonly JoinJob[], joined: readonly NumberColumn[][]): Map<string, NumberColumn> {
  const values = new Map<string, NumberColumn>();
  joins.forEach((job, j) => job.plans.forEach((c, k) => values.set(c.name, joined[j]![k]!)));
  for (const c of plan.columns) {
    if (c.kind === 'spine') {
      const col = rows.columns[c.name];
      if (col === undefined) throw new Error(`${spineName} has no column "${c.name}": it was written by another version of the config; run \`tributary replay\` again`);
      values.set(c.name, toFloat64(col, c.name));
    } else if (c.kind === 'derived') {
      const columns: Record<string, Column> = {};
      for (const u of c.uses) columns[u] = values.get(u)!;
      values.set(c.name, toFloat64(c.expression.evaluate({ length: rows.length, time: rows.time, columns }), c.name));
    }
  }
  return values;
}

/**
 * The joins and the label's look-ahead on the task pool, the spine cut into time ranges
 * (`parallelAssemble.ts`); undefined when the set is too small for the pool to pay, or when the
 * label's checks fail (the one-thread path then reports the error, in its own order). Ops the sweep
 * does not compute (min, max, variance, std, count_distinct) run on this thread meanwhile, over the
 * events grouped per key, as they do on one thread.
 */
async function joinsAndLabelOnPool(
  pool: TaskPool,
  popts: ParallelOptions | undefined,
  label: LabelConfig,
  rows: Batch,
  labelEvents: Batch,
  joins: readonly JoinJob[],
  tolerance: number,
  spineName: string,
  keysFor: (key: readonly string[]) => SpineKeys,
): Promise<{ joined: NumberColumn[][]; ahead: AheadResult } | undefined> {
  const sweeps = SWEEP_OPS.has(label.op);
  let work = rows.length * (joins.length + (sweeps ? 1 : 0)) + (sweeps ? labelEvents.length : 0);
  for (const j of joins) work += j.table.length;
  const ranges = rangesFor(rows.length, work, pool.threads, popts);
  if (ranges < 2) return undefined;
  let prepared: PreparedLabel;
  let sweep: LabelSweepInput | undefined;
  try {
    prepared = prepareLabel(label, rows, labelEvents, spineName, keysFor);
    if (sweeps) {
      const events = sweepEvents(label.op, label.column, labelEvents, prepared.keys, prepared.where, prepared.what);
      sweep = { label, spineCodes: prepared.keys.spineCodes, events, size: prepared.keys.size };
    }
  } catch {
    return undefined;
  }
  const pending = assembleOnPool(
    pool,
    rows.time,
    joins.map((j) => ({ spineCodes: j.keys.spineCodes, tableCodes: j.tableCodes, tableTime: j.table.time, columns: j.columns, size: j.size, tolerance })),
    sweep,
    ranges,
  );
  pending.catch(() => undefined); // awaited below; a throw on this thread meanwhile must not leave it unhandled
  let ahead = sweep === undefined ? groupedAhead(label, rows, labelEvents, prepared, keysFor) : undefined;
  const done = await pending;
  popts?.report?.(done.report);
  ahead ??= done.label ?? groupedAhead(label, rows, labelEvents, prepared, keysFor);
  return { joined: done.joins, ahead };
}

/**
 * Which spine rows the set keeps, in order: those passing `where` (mask) whose label window ends by
 * `dataEnd`, or every one of those in an inference set, with the past-the-end ones flagged `unknown`.
 * A plain loop over typed arrays, kept out of the async function (V8 optimizes it better there).
 */
function selectRows(mask: Uint8Array | undefined, to: Float64Array, dataEnd: number, inference: boolean) {
  const n = to.length;
  const keep = new Int32Array(n);
  let unknown: Uint8Array | undefined;
  let kept = 0;
  let filtered = 0;
  let droppedPastEnd = 0;
  for (let i = 0; i < n; i++) {
    if (mask !== undefined && mask[i] === 0) {
      filtered++;
      continue;
    }
    if (to[i]! > dataEnd) {
      if (!inference) {
        droppedPastEnd++;
        continue;
      }
      unknown ??= new Uint8Array(n);
      unknown[kept] = 1;
    }
    keep[kept++] = i;
  }
  return { keep, kept, filtered, droppedPastEnd, unknown: unknown?.subarray(0, kept) };
}

/** Rows `keep[0..kept)` of `b`: views when they are its first `kept` rows (rows past the end are the last ones), else a copy. */
function takeRows(b: Batch, keep: Int32Array, kept: number): Batch {
  if (kept === b.length || keep[kept - 1] === kept - 1) return kept === b.length ? b : sliceBatch(b, 0, kept);
  return takeBatch(b, keep, kept);
}

function rangeOf(time: Float64Array): { min: number; max: number } | undefined {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < time.length; i++) {
    const t = time[i]!;
    if (t < min) min = t;
    if (t > max) max = t;
  }
  return min <= max ? { min, max } : undefined;
}

function countNaN(x: Float64Array): number {
  let n = 0;
  for (let i = 0; i < x.length; i++) if (x[i] !== x[i]) n++;
  return n;
}

/** The batch with its rows in time order (stable); the batch itself when it already is. */
function sortedByTime(b: Batch): Batch {
  let sorted = true;
  for (let i = 1; i < b.length; i++) {
    if (b.time[i]! < b.time[i - 1]!) {
      sorted = false;
      break;
    }
  }
  if (sorted) return b;
  const idx = Int32Array.from({ length: b.length }, (_, i) => i);
  idx.sort((x, y) => b.time[x]! - b.time[y]! || x - y);
  return takeBatch(b, idx);
}

function toFloat64(c: Column, name: string): NumberColumn {
  if (c.type === 'dictionary') throw new Error(`feature "${name}" is a string column; features are numbers`);
  if (c.type === 'float64' || c.type === 'int64' || c.type === 'timestamp') {
    return c.validity === undefined ? { type: 'float64', values: c.values } : { type: 'float64', values: c.values, validity: c.validity };
  }
  const values = Float64Array.from(c.values as ArrayLike<number>);
  return c.validity === undefined ? { type: 'float64', values } : { type: 'float64', values, validity: c.validity };
}

function balanceOf(values: Float64Array): LabelBalance {
  // Up to 20 distinct values are classes, counted in two small arrays (a label has few).
  const classes = new Float64Array(21);
  const counts = new Float64Array(21);
  let distinct = 0;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v !== v) continue;
    if (distinct <= 20) {
      let c = 0;
      while (c < distinct && classes[c] !== v) c++;
      if (c === distinct) classes[distinct++] = v;
      counts[c]!++;
    }
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    n++;
  }
  if (distinct <= 20) {
    const order = Array.from({ length: distinct }, (_, c) => c).sort((a, b) => classes[a]! - classes[b]!);
    return { kind: 'classes', counts: Object.fromEntries(order.map((c) => [String(classes[c]), counts[c]!])) };
  }
  return { kind: 'numeric', min, max, mean: sum / n };
}
