/**
 * Test harness for the market definitions: rows of plain values turned into columnar batches (string
 * columns over shared dictionaries, so codes stay stable across batches), a definition built the way
 * the compiler builds it, and its output read back as plain rows.
 */
import fc from 'fast-check';
import type { OperatorFunction } from 'rxjs';
import { expect } from 'vitest';
import { makeBatch, type Batch } from '../../../../src/pipelines/data/batch.js';
import type { Column } from '../../../../src/pipelines/data/column.js';
import { Dictionary } from '../../../../src/pipelines/data/dictionary.js';
import { allocValidity, setValid } from '../../../../src/pipelines/data/validity.js';
import { parseExpression, type ValueType } from '../../../../src/pipelines/expressions/index.js';
import type { RuntimeContext } from '../../../../src/pipelines/runtime/context.js';
import type { SourceConfig } from '../../../../src/sdk/config/types.js';
import type { FeatureDefinition } from '../../../../src/sdk/defineFeature.js';
import { allRows, cut, runOp, runWithRestart, type Row } from '../../operators/helpers.js';

export type Value = string | number | boolean | null;
export type InRow = { t: number } & Record<string, Value>;
export type ColType = 'string' | 'float64' | 'bool';

/** Batches from rows, cut at `sizes` (see `cut`), one dictionary per string column shared by all batches. */
export function rowBatches(rows: readonly InRow[], types: Record<string, ColType>, sizes: readonly number[] = [], dicts: Record<string, Dictionary> = {}): Batch[] {
  for (const [name, type] of Object.entries(types)) if (type === 'string') dicts[name] ??= new Dictionary();
  let at = 0;
  return cut(rows, sizes).map((part) => {
    const n = part.length;
    const columns: Record<string, Column> = {};
    for (const [name, type] of Object.entries(types)) {
      const nulls = part.some((r) => r[name] === null || r[name] === undefined);
      const validity = nulls ? allocValidity(n) : undefined;
      if (validity) part.forEach((r, i) => setValid(validity, i, r[name] !== null && r[name] !== undefined));
      const v = (r: InRow) => r[name] ?? null;
      if (type === 'string') {
        const dict = dicts[name]!;
        columns[name] = { type: 'dictionary', codes: Int32Array.from(part, (r) => (v(r) === null ? 0 : dict.encode(String(v(r))))), dictionary: dict, ...(validity && { validity }) };
      } else if (type === 'bool') {
        columns[name] = { type: 'bool', values: Uint8Array.from(part, (r) => (v(r) === true ? 1 : 0)), ...(validity && { validity }) };
      } else {
        columns[name] = { type: 'float64', values: Float64Array.from(part, (r) => (v(r) === null ? 0 : Number(v(r)))), ...(validity && { validity }) };
      }
    }
    const b = makeBatch(Float64Array.from(part, (r) => r.t), columns, { offsets: Float64Array.from(part, (_, i) => at + i) });
    at += n;
    return b;
  });
}

export interface BuildOptions {
  /** Key columns (default ['symbol']). */
  key?: string[];
  lateness?: number;
  types: Record<string, ColType>;
}

/** Build a definition's operator the way compileFeatureSet does, on runtime `rt`. */
export function buildDefinition<P>(def: FeatureDefinition<P>, rawParams: unknown, opts: BuildOptions): { params: P; columns: string[]; build: (rt: RuntimeContext) => OperatorFunction<Batch, Batch> } {
  const params = def.params.parse(rawParams);
  const columns = def.outputs(params).map((o) => (o.name === '' ? 'f' : `f_${o.name}`));
  const scope: Record<string, ValueType> = {};
  for (const [c, t] of Object.entries(opts.types)) scope[c] = t === 'string' ? 'string' : t === 'bool' ? 'bool' : 'number';
  const source = { name: 'events', time: 't', timeFormat: 'epoch_ms', keys: opts.key ?? ['symbol'], lateness: opts.lateness ?? 0, columns: {}, derive: {} } as unknown as SourceConfig;
  const stepId = `${def.name}-test`;
  return {
    params,
    columns,
    build: (rt) =>
      def.build(params, {
        stepId,
        step: (name) => rt.step(`${stepId}/${name}`, 'events'),
        key: opts.key ?? ['symbol'],
        source,
        columns,
        predicate: (text) => parseExpression(text).compilePredicate(scope),
      }),
  };
}

/** Run a definition over `rows` cut at `sizes`: its output rows (time plus its columns) and rejections. */
export async function runDefinition<P>(def: FeatureDefinition<P>, rawParams: unknown, rows: readonly InRow[], opts: BuildOptions, sizes: readonly number[] = []) {
  const { build, columns } = buildDefinition(def, rawParams, opts);
  const { out, rejections } = await runOp(rowBatches(rows, opts.types, sizes), build);
  return { out, rows: allRows(out), columns, rejections };
}

/** The same, restarted from a structured-cloned checkpoint after `at` batches. */
export async function runDefinitionWithRestart<P>(def: FeatureDefinition<P>, rawParams: unknown, rows: readonly InRow[], opts: BuildOptions, sizes: readonly number[], at: number) {
  const { build, columns } = buildDefinition(def, rawParams, opts);
  const { out, rejections } = await runWithRestart(rowBatches(rows, opts.types, sizes), at, build);
  return { out, rows: allRows(out), columns, rejections };
}

/** Relative-or-absolute closeness for floats; null only matches null. */
export function close(a: Value | undefined, b: Value | undefined, tol = 1e-9): boolean {
  if (a === null || b === null || a === undefined || b === undefined) return a === b || (a == null && b == null);
  if (typeof a !== 'number' || typeof b !== 'number') return a === b;
  return Math.abs(a - b) <= tol * Math.max(1, Math.abs(a), Math.abs(b));
}

/** Expect the got rows to match the wanted values column by column (only the columns `want` names). */
export function expectRows(got: readonly Row[], want: readonly Record<string, Value>[], tol = 1e-9): void {
  expect(got.length, 'row count').toBe(want.length);
  got.forEach((g, i) => {
    const w = want[i]!;
    for (const name of Object.keys(w)) {
      if (!close(g[name] as Value, w[name]!, tol)) {
        throw new Error(`row ${i} column ${name}: got ${String(g[name])}, want ${String(w[name])}\n got ${JSON.stringify(g)}\nwant ${JSON.stringify(w)}`);
      }
    }
  });
}

/** Stable sort by time. */
export function byTime<T extends { t: number }>(rows: readonly T[]): T[] {
  return rows.map((r, i) => ({ r, i })).sort((a, b) => a.r.t - b.r.t || a.i - b.i).map((x) => x.r);
}

/** Ways to cut a list into batches: empty batches, and single rows that split ties, included. */
export const cutsArb = fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 14 });

/** Sample standard deviation (n - 1); null below two values. */
export function naiveStd(xs: readonly number[]): number | null {
  if (xs.length < 2) return null;
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
}
