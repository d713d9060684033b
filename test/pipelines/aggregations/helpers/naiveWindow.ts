import { OPS, type OpName, type OpSpec } from '../../../../src/pipelines/aggregations/catalog.js';

/** The textbook definition of a single-column window aggregate over a list of values, for comparisons. */
export function naiveAggregate(op: OpName, values: number[], fallback?: number): number | null {
  const n = values.length;
  if (n === 0) return fallback ?? OPS[op].empty;
  const sum = values.reduce((a, b) => a + b, 0);
  const mean = sum / n;
  switch (op) {
    case 'count':
      return n;
    case 'sum':
      return sum;
    case 'mean':
      return mean;
    case 'variance':
    case 'std': {
      if (n < 2) return null;
      const v = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
      return op === 'std' ? Math.sqrt(v) : v;
    }
    case 'min':
      return Math.min(...values);
    case 'max':
      return Math.max(...values);
    case 'first':
      return values[0]!;
    case 'last':
      return values[n - 1]!;
    case 'count_distinct':
      return new Set(values).size;
    default:
      return naiveColumns({ op }, values, fallback)[0]!;
  }
}

/**
 * The textbook answer of any op, one entry per output column, over a window's values in
 * (time, arrival) order. A histogram's declared `values` are matched to the values as numbers.
 * approx_count_distinct and approx_percentile are given exactly here (the sliding kernel is exact;
 * the windowed one is compared within its bound elsewhere).
 */
export function naiveColumns(s: OpSpec, values: readonly number[], fallback?: number): (number | null)[] {
  const n = values.length;
  const k = s.k ?? 1;
  const qs = s.percentiles ?? (s.percentile === undefined ? [NaN] : [s.percentile]);
  const width =
    s.op === 'first_k' || s.op === 'last_k' || s.op === 'top_k' || s.op === 'bottom_k'
      ? k
      : s.op === 'histogram'
        ? (s.values?.length ?? s.top ?? 0) + 1
        : s.op === 'approx_percentile'
          ? qs.length
          : 1;
  if (n === 0) return new Array<number | null>(width).fill(fallback ?? OPS[s.op].empty);
  const pad = (xs: number[]) => Array.from({ length: width }, (_, i) => (i < xs.length ? xs[i]! : null));
  const asc = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  switch (s.op) {
    case 'first_k':
      return pad(values.slice(0, k));
    case 'last_k':
      return pad(values.slice(Math.max(0, n - k)).reverse());
    case 'top_k':
      return pad([...asc].reverse().slice(0, k));
    case 'bottom_k':
      return pad(asc.slice(0, k));
    case 'histogram': {
      const counts = new Map<number, number>();
      for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
      const cols =
        s.values !== undefined
          ? s.values.map((v) => counts.get(Number(v)) ?? 0)
          : [...counts.values()]
              .sort((a, b) => b - a)
              .concat(new Array<number>(s.top ?? 0).fill(0))
              .slice(0, s.top ?? 0);
      return [...cols, n - cols.reduce((a, b) => a + b, 0)];
    }
    case 'approx_count_distinct':
      return [new Set(values).size];
    case 'approx_percentile':
      return qs.map((q) => {
        if (asc.length === 0) return null;
        // Nearest rank: the smallest value with at least q·n values at or below it.
        let r = 1;
        while (r < asc.length && r < q * asc.length - 1e-9) r++;
        return asc[r - 1]!;
      });
    case 'skew':
    case 'kurtosis': {
      const mean = values.reduce((a, b) => a + b, 0) / n;
      let m2 = 0;
      let m3 = 0;
      let m4 = 0;
      for (const v of values) {
        const d = v - mean;
        m2 += d * d;
        m3 += d * d * d;
        m4 += d * d * d * d;
      }
      m2 /= n;
      m3 /= n;
      m4 /= n;
      if (!(m2 > 1e-12)) return [null];
      if (s.op === 'skew') return n < 3 ? [null] : [((Math.sqrt(n * (n - 1)) / (n - 2)) * m3) / m2 ** 1.5];
      return n < 4 ? [null] : [((n - 1) / ((n - 2) * (n - 3))) * ((n + 1) * (m4 / (m2 * m2)) - 3 * (n - 1))];
    }
    default:
      return [naiveAggregate(s.op, [...values], fallback)];
  }
}

/** Relative-or-absolute closeness for float results. */
export function close(a: number | null, b: number | null, tol = 1e-9): boolean {
  if (a === null || b === null) return a === b;
  return Math.abs(a - b) <= tol * Math.max(1, Math.abs(a), Math.abs(b));
}
