import { map, type OperatorFunction } from 'rxjs';
import type { Batch } from '../data/batch.js';
import type { Column } from '../data/column.js';
import type { Expression } from '../expressions/index.js';

/**
 * Add computed columns to every batch, in order, so each may use those before it.
 * Stateless: a pure function of the batch.
 *
 * @example
 * trades$.pipe(deriveColumns({ notional: parseExpression('price * size') }))
 */
export function deriveColumns(columns: Readonly<Record<string, Expression>>): OperatorFunction<Batch, Batch> {
  const entries = Object.entries(columns);
  if (entries.length === 0) return (source) => source;
  return map((b: Batch) => {
    if (b.length === 0) return b;
    const out: Record<string, Column> = { ...b.columns };
    for (const [name, expr] of entries) out[name] = expr.evaluate({ ...b, columns: out });
    return { ...b, columns: out };
  });
}
