import { OPS, type OpName } from '../../../src/pipelines/aggregations/catalog.js';

/** The textbook definition of a window aggregate over a list of values, for comparisons. */
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
  }
}

/** Relative-or-absolute closeness for float results. */
export function close(a: number | null, b: number | null, tol = 1e-9): boolean {
  if (a === null || b === null) return a === b;
  return Math.abs(a - b) <= tol * Math.max(1, Math.abs(a), Math.abs(b));
}
