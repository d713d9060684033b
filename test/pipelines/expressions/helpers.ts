import { type Batch, makeBatch } from '../../../src/pipelines/data/batch.js';
import { type Column, valueAt, columnLength } from '../../../src/pipelines/data/column.js';
import { Dictionary } from '../../../src/pipelines/data/dictionary.js';
import { allocValidity, setValid, type Validity } from '../../../src/pipelines/data/validity.js';

/** A bitmap from per-row values, or undefined when none is null (as columns without nulls are). */
export function validityOf(values: readonly unknown[]): Validity | undefined {
  if (!values.some((v) => v === null)) return undefined;
  const v = allocValidity(values.length, true);
  values.forEach((x, i) => setValid(v, i, x !== null));
  return v;
}

export function num(values: readonly (number | null)[]): Column {
  const validity = validityOf(values);
  const vs = Float64Array.from(values, (v) => v ?? 0);
  return validity ? { type: 'float64', values: vs, validity } : { type: 'float64', values: vs };
}

export function int32(values: readonly (number | null)[]): Column {
  const validity = validityOf(values);
  const vs = Int32Array.from(values, (v) => v ?? 0);
  return validity ? { type: 'int32', values: vs, validity } : { type: 'int32', values: vs };
}

export function bool(values: readonly (boolean | null)[]): Column {
  const validity = validityOf(values);
  const vs = Uint8Array.from(values, (v) => (v ? 1 : 0));
  return validity ? { type: 'bool', values: vs, validity } : { type: 'bool', values: vs };
}

/** A dictionary column; pass `dict` to share one dictionary between columns or batches. */
export function str(values: readonly (string | null)[], dict = new Dictionary()): Column {
  const validity = validityOf(values);
  // Null rows get code -1 on purpose: kernels must not trust codes in null rows.
  const codes = Int32Array.from(values, (v) => (v === null ? -1 : dict.encode(v)));
  return validity ? { type: 'dictionary', codes, dictionary: dict, validity } : { type: 'dictionary', codes, dictionary: dict };
}

export function batchOf(columns: Record<string, Column>): Batch {
  const n = Object.values(columns)[0] === undefined ? 0 : columnLength(Object.values(columns)[0]!);
  return makeBatch(Float64Array.from({ length: n }, (_, i) => i * 1000), columns);
}

export function values(c: Column): (string | number | boolean | null)[] {
  return Array.from({ length: columnLength(c) }, (_, i) => valueAt(c, i));
}
