/**
 * The aggregation operations a feature can name in `op:`. Each has a kernel in this folder;
 * this file only says what each needs, so that configs can be checked before anything runs.
 */
export interface OpInfo {
  /** Does the op read a value column? (`count` does not.) */
  readonly needsColumn: boolean;
  /** Which column kinds it accepts. */
  readonly accepts: 'numeric' | 'any';
  /** The value of an empty window when the feature gives no `default`: SQL's answer. */
  readonly empty: 0 | null;
  /** The parameter the op needs, if any (see {@link OpParams}). */
  readonly param?: 'k' | 'percentile' | 'histogram';
  readonly doc: string;
}

export const OPS = {
  count: { needsColumn: false, accepts: 'any', empty: 0, doc: 'number of events (non-null values when a column is given)' },
  sum: { needsColumn: true, accepts: 'numeric', empty: null, doc: 'sum of the values' },
  mean: { needsColumn: true, accepts: 'numeric', empty: null, doc: 'arithmetic mean' },
  variance: { needsColumn: true, accepts: 'numeric', empty: null, doc: 'sample variance (n - 1); null below two values' },
  std: { needsColumn: true, accepts: 'numeric', empty: null, doc: 'sample standard deviation; null below two values' },
  min: { needsColumn: true, accepts: 'numeric', empty: null, doc: 'smallest value' },
  max: { needsColumn: true, accepts: 'numeric', empty: null, doc: 'largest value' },
  first: { needsColumn: true, accepts: 'numeric', empty: null, doc: 'value of the earliest event (ties: first to arrive)' },
  last: { needsColumn: true, accepts: 'numeric', empty: null, doc: 'value of the latest event (ties: last to arrive)' },
  count_distinct: { needsColumn: true, accepts: 'any', empty: 0, doc: 'number of distinct non-null values' },
  first_k: { needsColumn: true, accepts: 'numeric', empty: null, param: 'k', doc: 'values of the k earliest events, earliest first (columns _1.._k; null past the window size)' },
  last_k: { needsColumn: true, accepts: 'numeric', empty: null, param: 'k', doc: 'values of the k latest events, latest first (columns _1.._k)' },
  top_k: { needsColumn: true, accepts: 'numeric', empty: null, param: 'k', doc: 'the k largest values, largest first (columns _1.._k)' },
  bottom_k: { needsColumn: true, accepts: 'numeric', empty: null, param: 'k', doc: 'the k smallest values, smallest first (columns _1.._k)' },
  histogram: {
    needsColumn: true,
    accepts: 'any',
    empty: 0,
    param: 'histogram',
    doc: 'counts per value: a column per declared value plus ___other__, or (top: n) the n largest counts plus ___other__',
  },
  approx_count_distinct: {
    needsColumn: true,
    accepts: 'any',
    empty: 0,
    doc: 'distinct non-null values, HyperLogLog (precision 12: 1.6% standard error) in tumbling/hopping/session windows; exact in sliding windows',
  },
  approx_percentile: {
    needsColumn: true,
    accepts: 'numeric',
    empty: null,
    param: 'percentile',
    doc: 'the value of rank ceil(q·n): KLL sketch (k = 200, rank error under 1.65% at 99% confidence) in tumbling/hopping/session windows; exact in sliding windows',
  },
  skew: { needsColumn: true, accepts: 'numeric', empty: null, doc: 'sample skewness, adjusted Fisher-Pearson G1 (DuckDB skewness); null below three values or with no spread' },
  kurtosis: { needsColumn: true, accepts: 'numeric', empty: null, doc: 'sample excess kurtosis G2 (DuckDB kurtosis); null below four values or with no spread' },
} as const satisfies Record<string, OpInfo>;

export type OpName = keyof typeof OPS;

export const OP_NAMES = Object.keys(OPS) as OpName[];

/** The exact, single-column ops without parameters. */
export const BASIC_OP_NAMES: readonly OpName[] = ['count', 'sum', 'mean', 'variance', 'std', 'min', 'max', 'first', 'last', 'count_distinct'];

/** The ops a label can take (its lookahead kernel has these). */
export const LABEL_OP_NAMES: readonly OpName[] = BASIC_OP_NAMES;

export function isOpName(name: string): name is OpName {
  return Object.hasOwn(OPS, name);
}

/** The parameter kind an op needs, if any. */
export function opParam(op: OpName): OpInfo['param'] {
  return (OPS[op] as OpInfo).param;
}

/** Largest `k` and `top` allowed: each is a column. */
export const MAX_K = 100;
/** HyperLogLog precision (2^12 registers): standard error 1.04 / sqrt(4096) = 1.625 %. */
export const HLL_PRECISION = 12;
/** KLL sketch size parameter. */
export const KLL_K = 200;

/**
 * The parameters of an op, as written in the config next to `op:`.
 * - `k`: first_k, last_k, top_k, bottom_k.
 * - `percentile` (one column) or `percentiles` (a column each, suffixed `_p50`, `_p90`...): approx_percentile.
 * - `values` (a column per value, plus `___other__`) or `top` (the `top` largest counts as `_1.._top`,
 *   plus `___other__`): histogram.
 */
export interface OpParams {
  k?: number;
  percentile?: number;
  percentiles?: number[];
  values?: (string | number)[];
  top?: number;
}

/** An op with its parameters. */
export interface OpSpec extends OpParams {
  op: OpName;
}

/** How a feature names an op: a bare name (ops without parameters), or the op with its parameters. */
export type OpRef = OpName | OpSpec;

export function opSpec(ref: OpRef): OpSpec {
  return typeof ref === 'string' ? { op: ref } : ref;
}

export function opNameOf(ref: OpRef): OpName {
  return typeof ref === 'string' ? ref : ref.op;
}

/** The percentiles an approx_percentile spec asks for, in output order. */
export function percentilesOf(s: OpParams): number[] {
  return s.percentiles ?? (s.percentile === undefined ? [] : [s.percentile]);
}

/** `0.5` -> `p50`, `0.999` -> `p99_9`, `0.05` -> `p5`. */
export function percentileLabel(q: number): string {
  const pct = Number((q * 100).toPrecision(12));
  return `p${String(pct).replace('.', '_')}`;
}

/** A histogram value as part of a column name: letters, digits and _ only. */
export function valueLabel(v: string | number): string {
  const s = String(v).replace(/[^A-Za-z0-9_]/g, '_');
  return s === '' ? '_' : s;
}

export const OTHER_LABEL = '__other__';

/**
 * The name parts of an op's output columns, in order: `['']` for an op with one column, else one
 * part per column, appended to the column name after `_<op>` (when ops are listed) and before
 * `_<window>` (when windows are listed): `spend_top_k_1_30d`, `amount_p90`, `pages_home`, `pages___other__`.
 */
export function opOutputParts(ref: OpRef): string[] {
  const s = opSpec(ref);
  switch (opParam(s.op)) {
    case 'k':
      return Array.from({ length: s.k ?? 1 }, (_, i) => String(i + 1));
    case 'percentile':
      return s.percentiles === undefined ? [''] : s.percentiles.map(percentileLabel);
    case 'histogram':
      return [...(s.values !== undefined ? s.values.map(valueLabel) : Array.from({ length: s.top ?? 0 }, (_, i) => String(i + 1))), OTHER_LABEL];
    default:
      return [''];
  }
}

/** How many columns an op writes. */
export function opWidth(ref: OpRef): number {
  return opOutputParts(ref).length;
}

/** `base` plus `_part` (when the part is not empty). */
export function partName(base: string, part: string): string {
  return part === '' ? base : base === '' ? part : `${base}_${part}`;
}

/**
 * The rank (0-based, in ascending order) of the q-quantile of n values: the nearest-rank definition,
 * max(1, ceil(q·n)) - 1, the same as DuckDB's quantile_disc. `q·n` within rounding of a whole
 * number counts as that number, so 0.9 of 10 values is rank 8 (the 9th), not the 10th.
 */
export function quantileRank(q: number, n: number): number {
  const x = q * n;
  const r = Math.round(x);
  const c = Math.abs(x - r) <= 1e-9 * Math.max(1, x) ? r : Math.ceil(x);
  return Math.min(n, Math.max(1, c)) - 1;
}
