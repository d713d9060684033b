import { describe, expect, it } from 'vitest';
import type { Column } from '../../../src/pipelines/data/column.js';
import { Dictionary } from '../../../src/pipelines/data/dictionary.js';
import { sliceBatch } from '../../../src/pipelines/data/batch.js';
import { compileExpression, compilePredicate } from '../../../src/pipelines/expressions/evaluate.js';
import { ExpressionError } from '../../../src/pipelines/expressions/errors.js';
import { parseExpression } from '../../../src/pipelines/expressions/index.js';
import { parse } from '../../../src/pipelines/expressions/parse.js';
import { batchOf, bool, int32, num, str, values } from './helpers.js';

type Row = (string | number | boolean | null)[];

/** Evaluates `text` over `columns`, returning the result as plain values (null for nulls). */
function ev(text: string, columns: Record<string, Column>): Row {
  return values(parseExpression(text).evaluate(batchOf(columns)));
}

const cols = {
  a: num([1, 2, null, 4, 0]),
  b: num([2, 0, 3, null, 0]),
  c: num([10, -3, 7, 20, 5]),
};

describe('evaluate: arithmetic', () => {
  it('computes element-wise with nulls propagating', () => {
    expect(ev('a + b', cols)).toEqual([3, 2, null, null, 0]);
    expect(ev('a - b * 2', cols)).toEqual([-3, 2, null, null, 0]);
    expect(ev('-a', cols)).toEqual([-1, -2, null, -4, -0]);
    expect(ev('c % 3', cols)).toEqual([1, -0, 1, 2, 2]); // remainder takes the dividend's sign, as in C and SQL
    expect(ev('a + null', cols)).toEqual([null, null, null, null, null]);
    expect(ev('2 * 3 + 1', cols)).toEqual([7, 7, 7, 7, 7]);
  });
  it('gives null, not Infinity or NaN, for division and remainder by zero', () => {
    expect(ev('a / b', cols)).toEqual([0.5, null, null, null, null]);
    expect(ev('c / b', cols)).toEqual([5, null, 2 + 1 / 3, null, null]);
    expect(ev('0 / 0', { x: num([1]) })).toEqual([null]);
    expect(ev('c % b', cols)).toEqual([0, null, 1, null, null]);
    expect(ev('c / -0', cols)).toEqual([null, null, null, null, null]);
    expect(ev('coalesce(c / b, 0)', cols)).toEqual([5, 0, 2 + 1 / 3, 0, 0]);
  });
  it('reads int32, int64 and timestamp columns as numbers', () => {
    const c2 = {
      i: int32([1, null, -3]),
      t: { type: 'timestamp', values: Float64Array.of(1000, 2000, 3000) } as Column,
      l: { type: 'int64', values: Float64Array.of(5, 6, 7) } as Column,
    };
    expect(ev('i * 2 + t / 1000 + l', c2)).toEqual([8, null, 4]);
  });
  it('works on an empty batch', () => {
    expect(ev('a / b > 1 and c == 0', { a: num([]), b: num([]), c: num([]) })).toEqual([]);
  });
});

describe('evaluate: functions', () => {
  const x = { x: num([4, -4, 0, null, 2.5, -2.5, 0.5]) };
  it('computes the numeric functions', () => {
    expect(ev('abs(x)', x)).toEqual([4, 4, 0, null, 2.5, 2.5, 0.5]);
    expect(ev('floor(x)', x)).toEqual([4, -4, 0, null, 2, -3, 0]);
    expect(ev('ceil(x)', x)).toEqual([4, -4, 0, null, 3, -2, 1]);
    expect(ev('round(x)', x)).toEqual([4, -4, 0, null, 3, -3, 1]); // halves away from zero
    expect(ev('sign(x)', x)).toEqual([1, -1, 0, null, 1, -1, 1]);
    expect(ev('exp(0) + x * 0', x)).toEqual([1, 1, 1, null, 1, 1, 1]);
    expect(ev('pow(x, 2)', x)).toEqual([16, 16, 0, null, 6.25, 6.25, 0.25]);
    expect(ev('clip(x, -1, 1)', x)).toEqual([1, -1, 0, null, 1, -1, 0.5]);
    expect(ev('min(x, 1, 3)', x)).toEqual([1, -4, 0, null, 1, -2.5, 0.5]);
    expect(ev('max(x, 1)', x)).toEqual([4, 1, 1, null, 2.5, 1, 1]);
    expect(ev('min(x, null)', x)).toEqual([null, null, null, null, null, null, null]);
  });
  it('gives null where the function has no real value', () => {
    expect(ev('sqrt(x)', x)).toEqual([2, null, 0, null, Math.sqrt(2.5), null, Math.sqrt(0.5)]);
    expect(ev('log(x)', x)).toEqual([Math.log(4), null, null, null, Math.log(2.5), null, Math.log(0.5)]);
    expect(ev('log10(x * 25)', x)).toEqual([2, null, null, null, Math.log10(62.5), null, Math.log10(12.5)]);
    expect(ev('pow(x, -1)', x)).toEqual([0.25, -0.25, null, null, 0.4, -0.4, 2]);
    expect(ev('pow(x, 0.5)', x)).toEqual([2, null, 0, null, Math.sqrt(2.5), null, Math.sqrt(0.5)]);
    expect(ev('pow(x, 3)', { x: num([-2]) })).toEqual([-8]);
  });
  it('keeps NaN from the data as a value', () => {
    expect(ev('x + 1', { x: num([NaN]) })).toEqual([NaN]);
    expect(ev('is_null(x)', { x: num([NaN]) })).toEqual([false]);
  });
  it('coalesces to the first non-null and is_null is never null', () => {
    const c = { p: num([null, 1, null, null]), q: num([2, 3, null, null]), r: num([9, 9, 9, null]) };
    expect(ev('coalesce(p, q, r)', c)).toEqual([2, 1, 9, null]);
    expect(ev('coalesce(p)', c)).toEqual([null, 1, null, null]);
    expect(ev('coalesce(null, p, 0)', c)).toEqual([0, 1, 0, 0]);
    expect(ev('is_null(p)', c)).toEqual([true, false, true, true]);
    expect(ev('is_null(p / 0)', c)).toEqual([true, true, true, true]);
    expect(ev('is_null(null)', c)).toEqual([true, true, true, true]);
  });
  it('takes the else branch of if when the condition is false or null', () => {
    const c = { k: num([10, 3, null, 20]), y: num([1, 2, 3, null]) };
    expect(ev('if(k % 10 == 0, 0, k)', c)).toEqual([0, 3, null, 0]);
    expect(ev('if(k > 5, y, -1)', c)).toEqual([1, -1, -1, null]);
    expect(ev('if(k > 5, null, y)', c)).toEqual([null, 2, 3, null]);
    expect(ev('if(null, 1, 2)', c)).toEqual([2, 2, 2, 2]);
  });
});

describe('evaluate: comparisons and logic', () => {
  it('compares numbers, null on null', () => {
    expect(ev('a < b', cols)).toEqual([true, false, null, null, false]);
    expect(ev('a >= b', cols)).toEqual([false, true, null, null, true]);
    expect(ev('a == 0', cols)).toEqual([false, false, null, false, true]);
    expect(ev('a != 0', cols)).toEqual([true, true, null, true, false]);
    expect(ev('(a > 1) == (c > 5)', cols)).toEqual([false, false, null, true, true]);
  });
  it('uses three-valued and / or / not', () => {
    const t = { p: bool([true, true, true, false, false, false, null, null, null]), q: bool([true, false, null, true, false, null, true, false, null]) };
    expect(ev('p and q', t)).toEqual([true, false, null, false, false, false, null, false, null]);
    expect(ev('p or q', t)).toEqual([true, true, true, true, false, null, true, null, null]);
    expect(ev('not p', t)).toEqual([false, false, false, true, true, true, null, null, null]);
    expect(ev('p == q', t)).toEqual([true, false, null, false, true, null, null, null, null]);
    expect(ev('p && !q', t)).toEqual([false, true, null, false, false, false, false, null, null]);
    expect(ev('null or true', t)).toEqual(Array(9).fill(true));
    expect(ev('null and true', t)).toEqual(Array(9).fill(null));
  });
  it('compares strings through dictionary codes, null on null', () => {
    const d = new Dictionary(['ok']);
    const c = { status: str(['failed', 'ok', null, 'failed', 'pending'], d), amount: num([20, 50, 30, 5, 11]) };
    expect(ev("status == 'failed'", c)).toEqual([true, false, null, true, false]);
    expect(ev("status != 'failed'", c)).toEqual([false, true, null, false, true]);
    expect(ev("'ok' == status", c)).toEqual([false, true, null, false, false]);
    expect(ev("status == 'never seen'", c)).toEqual([false, false, null, false, false]);
    expect(ev("status == 'failed' and amount > 10", c)).toEqual([true, false, null, false, false]);
    expect(ev("'a' == 'a'", c)).toEqual([true, true, true, true, true]);
  });
  it('compares two string columns, also across dictionaries', () => {
    const shared = new Dictionary();
    const c = { x: str(['a', 'b', null, 'c'], shared), y: str(['a', 'c', 'c', 'c'], shared), z: str(['c', 'b', 'a', 'a']) };
    expect(ev('x == y', c)).toEqual([true, false, null, true]);
    expect(ev('x == z', c)).toEqual([false, true, null, false]);
    expect(ev('x != z', c)).toEqual([true, false, null, true]);
  });
});

describe('evaluate: strings, output columns and batches', () => {
  it('produces dictionary columns for string results', () => {
    const d = new Dictionary();
    const c = { s: str(['x', null, 'y'], d), f: bool([true, false, null]) };
    const out = parseExpression("coalesce(s, 'missing')").evaluate(batchOf(c));
    expect(out.type).toBe('dictionary');
    expect(values(out)).toEqual(['x', 'missing', 'y']);
    expect(ev("if(f, s, 'other')", c)).toEqual(['x', 'other', 'other']);
    expect(ev('if(f, s, null)', c)).toEqual(['x', null, null]);
    expect(ev("'lit'", c)).toEqual(['lit', 'lit', 'lit']);
    expect(ev('s', c)).toEqual(['x', null, 'y']);
    expect(ev("is_null(s) or is_null('q')", c)).toEqual([false, true, false]);
  });
  it('keeps codes of a merged dictionary stable from batch to batch', () => {
    const d = new Dictionary();
    const e = parseExpression("coalesce(s, 'none')");
    const first = e.evaluate(batchOf({ s: str(['a', null], d) }));
    const second = e.evaluate(batchOf({ s: str(['b', 'a', null], d) }));
    if (first.type !== 'dictionary' || second.type !== 'dictionary') throw new Error('expected dictionary columns');
    expect(second.dictionary).toBe(first.dictionary);
    expect(values(second)).toEqual(['b', 'a', 'none']);
    expect(second.codes[1]).toBe(first.codes[0]);
    expect(second.codes[2]).toBe(first.codes[1]);
  });
  it('returns float64 and bool columns with validity only when there are nulls', () => {
    const out = parseExpression('a * 2').evaluate(batchOf({ a: num([1, 2]) }));
    expect(out).toEqual({ type: 'float64', values: Float64Array.of(2, 4) });
    const withNull = parseExpression('a > 1').evaluate(batchOf({ a: num([1, null]) }));
    expect(withNull.type).toBe('bool');
    expect(withNull.validity).toBeDefined();
  });
  it('does not write into the batch columns', () => {
    const a = num([1, null, 3]);
    const b = num([0, 1, 0]);
    const before = [Float64Array.from((a as { values: Float64Array }).values), Uint8Array.from(a.validity!)];
    ev('coalesce(a / b, a % b, -a)', { a, b });
    expect((a as { values: Float64Array }).values).toEqual(before[0]);
    expect(a.validity).toEqual(before[1]);
    expect(b.validity).toBeUndefined();
  });
  it('evaluates sliced batches (views) correctly', () => {
    const b = batchOf({ a: num([1, null, 3, 4, null, 6, 7, 8, 9, 10]), b: num([1, 1, 1, 0, 1, 1, 1, 1, 1, 1]) });
    expect(values(parseExpression('a / b').evaluate(sliceBatch(b, 3, 10)))).toEqual([null, null, 6, 7, 8, 9, 10]);
  });
  it('resolves names missing from the batch through the resolver', () => {
    const e = parseExpression('amount - mean');
    const out = e.evaluate(batchOf({ amount: num([5, 6]) }), (name) => (name === 'mean' ? num([1, null]) : undefined));
    expect(values(out)).toEqual([4, null]);
  });
});

describe('evaluate: compiled evaluators', () => {
  it('compiles once and runs per batch', () => {
    const z = compileExpression(parse('(amount - mean) / std'), { amount: 'number', mean: 'number', std: 'number' });
    expect(z.type).toBe('number');
    const run = (a: number[], m: number[], s: (number | null)[]) => values(z(batchOf({ amount: num(a), mean: num(m), std: num(s) })));
    expect(run([12, 7], [10, 10], [2, 0])).toEqual([1, null]);
    expect(run([1, 2, 3], [0, 0, 0], [1, null, 3])).toEqual([1, null, 1]);
  });
  it('reports a missing column and a column of the wrong type at evaluation', () => {
    const text = 'amount + 1';
    const f = compileExpression(parse(text), { amount: 'number' }, text);
    expect(() => f(batchOf({ amonut: num([1]) }))).toThrow(ExpressionError);
    expect(() => f(batchOf({ amonut: num([1]) }))).toThrow("column 'amount' is not in the batch; did you mean 'amonut'?");
    expect(() => f(batchOf({ amount: str(['x']) }))).toThrow("column 'amount' is dictionary in the batch, but the expression was checked with it as number");
  });
  it('builds filter masks with null as false', () => {
    const keep = compilePredicate(parse("status == 'failed' and amount > 10"), { status: 'string', amount: 'number' });
    const b = batchOf({ status: str(['failed', 'failed', null, 'ok', 'failed']), amount: num([20, 5, 30, 50, null]) });
    expect(Array.from(keep(b))).toEqual([1, 0, 0, 0, 0]);
    expect(Array.from(parseExpression('x > 0 or null').evaluatePredicate(batchOf({ x: num([1, -1, null]) })))).toEqual([1, 0, 0]);
    expect(Array.from(parseExpression('null').evaluatePredicate(batchOf({ x: num([1, 2]) })))).toEqual([0, 0]);
  });
  it('rejects a non-bool filter', () => {
    expect(() => compilePredicate(parse('amount * 2'), { amount: 'number' })).toThrow('a filter must be a bool expression, got number');
  });
});
