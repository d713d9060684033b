/**
 * The test model shared by the oracle tests: generated events, the feature specs a test asks for,
 * the YAML config they turn into, and the naive reference (plain loops over the accepted events).
 *
 * Nothing here imports the engine: the reference must stand on its own, so that a wrong engine
 * cannot make it agree.
 */
import { writeFileSync } from 'node:fs';
import { seededRandom } from '../../../../src/sdk/seededRandom.js';

export type Op = 'count' | 'sum' | 'mean' | 'variance' | 'std' | 'min' | 'max' | 'first' | 'last' | 'count_distinct';
export const ALL_OPS: readonly Op[] = ['count', 'sum', 'mean', 'variance', 'std', 'min', 'max', 'first', 'last', 'count_distinct'];
/** Ops that take a string column. */
export const ANY_OPS: readonly Op[] = ['count', 'count_distinct'];

/**
 * One event. `seq` is its arrival position (its line in the input file); `id` is a unique number
 * unrelated to arrival or time order, carried through to the output table to match rows.
 */
export interface Ev {
  seq: number;
  id: number;
  t: number;
  k: string;
  /** Categorical, never null: the `by` column. */
  c: string;
  /** Categorical, sometimes null. */
  s: string | null;
  /** Numeric, sometimes null. */
  v: number | null;
}

/** A `where:` filter, written three times: for Tributary, for DuckDB, and as a plain predicate. */
export interface Where {
  text: string;
  sql: string;
  test: (e: Ev) => boolean;
}

export const WHERES: readonly Where[] = [
  { text: 'v > 0', sql: 'v > 0', test: (e) => e.v !== null && e.v > 0 },
  { text: "c == 'a'", sql: "c = 'a'", test: (e) => e.c === 'a' },
  // SQL three-valued logic: a null v makes `v < 10` null, and `true and null` filters the row out.
  { text: "c != 'b' and v < 10", sql: "c <> 'b' AND v < 10", test: (e) => e.c !== 'b' && e.v !== null && e.v < 10 },
  // `true or null` is true: a null s passes whatever v is.
  { text: 'is_null(s) or v >= 0', sql: 's IS NULL OR v >= 0', test: (e) => e.s === null || (e.v !== null && e.v >= 0) },
  { text: "not (s == 'x')", sql: "NOT (s = 'x')", test: (e) => e.s !== null && e.s !== 'x' },
];

export interface FeatureSpec {
  name: string;
  source: string;
  ops: Op[];
  /** `ops: [...]` (column names get `_<op>`) rather than `op:`. */
  opsListed: boolean;
  column?: 'v' | 's';
  /** Window sizes in ms; Infinity (only unlisted) is all history, written as no window at all. */
  windows: number[];
  /** `windows: [...]` (column names get `_<window>`) rather than `window:`. */
  windowsListed: boolean;
  inclusive: boolean;
  /** Write `inclusive` inside `window: { sliding, inclusive }` instead of on the feature. */
  inclusiveInWindow?: boolean;
  by?: 'c';
  where?: Where;
  default?: number;
}

export interface SourceSpec {
  name: string;
  file: string;
  /** Allowed lateness, ms. */
  lateness: number;
}

/** A window's part of a column name, for the window sizes the tests use (under a second, or whole hours). */
export function windowLabel(ms: number): string {
  if (ms === Infinity) return 'all';
  if (ms < 1000) return `${ms}ms`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  throw new Error(`no label for ${ms} ms in these tests`);
}

/** The output columns of a feature, per (window, op), as the configuration reference names them. */
export function outputColumns(f: FeatureSpec): { column: string; op: Op; window: number }[] {
  const out: { column: string; op: Op; window: number }[] = [];
  for (const window of f.windows) {
    for (const op of f.ops) {
      out.push({ column: f.name + (f.opsListed ? `_${op}` : '') + (f.windowsListed ? `_${windowLabel(window)}` : ''), op, window });
    }
  }
  return out;
}

export const SOURCE_COLUMNS = '{ id: int64, k: string, c: string, s: string, v: float64 }';

function featureYaml(f: FeatureSpec): string {
  const lines = [`  - name: ${f.name}`, `    source: ${f.source}`, '    key: k'];
  if (f.opsListed) lines.push(`    ops: [${f.ops.join(', ')}]`);
  else {
    if (f.ops.length !== 1) throw new Error('op: takes one op');
    lines.push(`    op: ${f.ops[0]}`);
  }
  if (f.column !== undefined) lines.push(`    column: ${f.column}`);
  if (f.windowsListed) {
    lines.push(`    windows: [${f.windows.map((w) => `${w}ms`).join(', ')}]`);
    if (f.inclusive) lines.push('    inclusive: true');
  } else {
    const w = f.windows[0]!;
    if (f.windows.length !== 1) throw new Error('window: takes one window');
    if (w !== Infinity) {
      if (f.inclusiveInWindow) lines.push(`    window: { sliding: ${w}ms, inclusive: ${f.inclusive} }`);
      else lines.push(`    window: ${w}ms`);
    }
    if (f.inclusive && (w === Infinity || !f.inclusiveInWindow)) lines.push('    inclusive: true');
  }
  if (f.by !== undefined) lines.push(`    by: ${f.by}`);
  if (f.where !== undefined) lines.push(`    where: ${JSON.stringify(f.where.text)}`);
  if (f.default !== undefined) lines.push(`    default: ${f.default}`);
  return lines.join('\n');
}

/** The YAML config text of a feature set over `sources` (JSON-lines files, epoch-ms times in `t`). */
export function configYaml(name: string, sources: readonly SourceSpec[], features: readonly FeatureSpec[]): string {
  const src = sources.map((s) =>
    [
      `  ${s.name}:`,
      `    path: ${JSON.stringify(s.file)}`,
      '    format: jsonl',
      '    time: t',
      '    time_format: epoch_ms',
      '    keys: [k]',
      `    lateness: ${s.lateness}ms`,
      `    columns: ${SOURCE_COLUMNS}`,
    ].join('\n'),
  );
  return [`name: ${name}`, 'sources:', ...src, 'features:', ...features.map(featureYaml), ''].join('\n');
}

/** Write events, in arrival order, as JSON lines (`seq` is extra: Tributary ignores it, DuckDB reads it). */
export function writeEvents(file: string, events: readonly Ev[]): void {
  const lines = events.map((e) => JSON.stringify({ seq: e.seq, id: e.id, t: e.t, k: e.k, c: e.c, s: e.s, v: e.v }));
  writeFileSync(file, lines.join('\n') + (lines.length > 0 ? '\n' : ''));
}

/** A unique id for arrival position `seq`, in no particular order (7919 and 100003 are prime). */
export function idFor(seq: number): number {
  if (seq >= 100_003) return 100_003 + seq;
  return ((seq * 7919) % 100_003) + 1;
}

/**
 * Split events (in arrival order) into accepted and late: an event is late when it is more than
 * `lateness` behind the largest time among the events before it. (A late event never raises that
 * maximum, so it does not matter whether late events count towards it.)
 */
export function splitLate(events: readonly Ev[], lateness: number): { accepted: Ev[]; late: Ev[] } {
  const accepted: Ev[] = [];
  const late: Ev[] = [];
  let max = -Infinity;
  for (const e of events) {
    if (e.t < max - lateness) late.push(e);
    else {
      accepted.push(e);
      if (e.t > max) max = e.t;
    }
  }
  return { accepted, late };
}

/** Event-time order, ties in arrival order. */
export function timeOrder(events: readonly Ev[]): Ev[] {
  return [...events].sort((a, b) => a.t - b.t || a.seq - b.seq);
}

/** The textbook answer of `op` over the values of a window, in (time, arrival) order. */
export function aggregate(op: Op, values: readonly (number | string)[], fallback?: number): number | null {
  const n = values.length;
  if (n === 0) return fallback ?? (op === 'count' || op === 'count_distinct' ? 0 : null);
  if (op === 'count') return n;
  if (op === 'count_distinct') return new Set(values).size;
  const xs = values as number[];
  switch (op) {
    case 'sum':
      return xs.reduce((a, b) => a + b, 0);
    case 'mean':
      return xs.reduce((a, b) => a + b, 0) / n;
    case 'variance':
    case 'std': {
      if (n < 2) return null;
      const mean = xs.reduce((a, b) => a + b, 0) / n;
      const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
      return op === 'std' ? Math.sqrt(variance) : variance;
    }
    case 'min':
      return xs.reduce((a, b) => (b < a ? b : a));
    case 'max':
      return xs.reduce((a, b) => (b > a ? b : a));
    case 'first':
      return xs[0]!;
    case 'last':
      return xs[n - 1]!;
  }
}

/**
 * The naive reference: for every accepted event (in `ordered`, time then arrival order), scan all
 * accepted events for those in its group and window that contribute. O(n²), on purpose.
 * Returns, per output column, one value per row of `ordered`.
 */
export function naiveFeature(ordered: readonly Ev[], f: FeatureSpec): Map<string, (number | null)[]> {
  const outs = outputColumns(f);
  const result = new Map<string, (number | null)[]>(outs.map((o) => [o.column, []]));
  const contributes = (x: Ev) => (f.where === undefined || f.where.test(x)) && (f.column === undefined || x[f.column] !== null);
  for (const e of ordered) {
    const inWindow = new Map<number, (number | string)[]>();
    for (const w of f.windows) {
      const values: (number | string)[] = [];
      for (const x of ordered) {
        if (x.k !== e.k || (f.by !== undefined && x[f.by] !== e[f.by]) || !contributes(x)) continue;
        if (x.t < e.t - w) continue;
        if (x.t > e.t || (x.t === e.t && !f.inclusive)) continue;
        values.push(f.column === undefined ? 1 : x[f.column]!);
      }
      inWindow.set(w, values);
    }
    for (const o of outs) result.get(o.column)!.push(aggregate(o.op, inWindow.get(o.window)!, f.default));
  }
  return result;
}

/** Ops whose answer is a value from the data or a count: compared exactly. */
const EXACT: ReadonlySet<Op> = new Set(['count', 'count_distinct', 'min', 'max', 'first', 'last']);

/** Equal, or for float results within a relative tolerance (absolute below 1). */
export function agrees(op: Op, a: number | null, b: number | null, tol = 1e-9): boolean {
  if (a === null || b === null) return a === b;
  if (EXACT.has(op)) return a === b;
  return Math.abs(a - b) <= tol * Math.max(1, Math.abs(a), Math.abs(b));
}

/** A small deterministic PRNG (mulberry32), for the fixed larger cases. */
export const rng = seededRandom;
