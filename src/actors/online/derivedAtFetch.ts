import type { Batch } from '../../pipelines/data/batch.js';
import type { Column } from '../../pipelines/data/column.js';
import type { Expression } from '../../pipelines/expressions/index.js';

/** A derived feature computed at fetch time: an expression over features of any table. */
export interface FetchTimeDerived {
  name: string;
  expression: Expression;
}

/** Numbers with nulls: what a fetched feature is, for n keys. */
export interface FetchedColumn {
  values: Float64Array;
  /** One byte a key: 1 = a value, 0 = null. */
  valid: Uint8Array;
}

/**
 * Evaluate derived features over the fetched vectors of n keys, in order (each may read those before
 * it): the inputs become an n-row batch (float64 columns with Arrow validity) and each expression is
 * evaluated once over it, columnar, by the expression language (never `eval`). Bool results become
 * 0/1, since a derived feature is a number. `now` is the batch's time (no expression reads it today).
 *
 * @example
 * evaluateDerived([{ name: 'ratio', expression: parseExpression('a / b') }], { a, b }, 1, Date.now()).ratio;
 */
export function evaluateDerived(
  derived: readonly FetchTimeDerived[],
  inputs: Readonly<Record<string, FetchedColumn>>,
  n: number,
  now: number,
): Record<string, FetchedColumn> {
  const columns: Record<string, Column> = {};
  for (const [name, c] of Object.entries(inputs)) columns[name] = toColumn(c, n);
  const out: Record<string, FetchedColumn> = {};
  for (const d of derived) {
    const batch: Batch = { length: n, time: new Float64Array(n).fill(now), columns };
    const result = fromColumn(d.expression.evaluate(batch), n);
    out[d.name] = result;
    columns[d.name] = toColumn(result, n);
  }
  return out;
}

function toColumn(c: FetchedColumn, n: number): Column {
  let validity: Uint8Array | undefined;
  for (let i = 0; i < n; i++) {
    if (c.valid[i] === 1) continue;
    validity ??= new Uint8Array((n + 7) >> 3).fill(0xff);
    validity[i >> 3]! &= ~(1 << (i & 7));
  }
  return validity === undefined ? { type: 'float64', values: c.values } : { type: 'float64', values: c.values, validity };
}

function fromColumn(c: Column, n: number): FetchedColumn {
  const values = new Float64Array(n);
  const valid = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const ok = c.validity === undefined || ((c.validity[i >> 3]! >> (i & 7)) & 1) === 1;
    if (!ok) continue;
    if (c.type === 'dictionary') continue; // the compiler only admits number and bool expressions
    values[i] = c.values[i]!;
    valid[i] = 1;
  }
  return { values, valid };
}
