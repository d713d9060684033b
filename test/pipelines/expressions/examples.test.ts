/** The examples in the doc comments, run as written, so the docs cannot drift from the code. */
import { describe, expect, it } from 'vitest';
import { makeBatch } from '../../../src/pipelines/data/batch.js';
import { dictColumn, float64Column, valueAt } from '../../../src/pipelines/data/column.js';
import { Dictionary } from '../../../src/pipelines/data/dictionary.js';
import {
  ExpressionError,
  check,
  closest,
  compileExpression,
  compilePredicate,
  formatExpression,
  identifiersOf,
  parse,
  parseExpression,
} from '../../../src/pipelines/expressions/index.js';
import { tokenize } from '../../../src/pipelines/expressions/lexer.js';
import { values } from './helpers.js';

describe('doc examples', () => {
  it('index.ts: Expression and parseExpression', () => {
    const e = parseExpression('(amount - spend_mean_30d) / spend_std_30d');
    expect(e.identifiers).toEqual(['amount', 'spend_mean_30d', 'spend_std_30d']);
    expect(e.check({ amount: 'number', spend_mean_30d: 'number', spend_std_30d: 'number' })).toBe('number');
    expect(String(parseExpression('(a+b)*c'))).toBe('(a + b) * c');

    const d = new Dictionary();
    const batch = makeBatch(Float64Array.of(0, 1000), {
      status: dictColumn(Int32Array.of(d.encode('failed'), d.encode('ok')), d),
      amount: float64Column(Float64Array.of(25, 40)),
    });
    expect(parseExpression("status == 'failed' and amount > 10").evaluatePredicate(batch)).toEqual(Uint8Array.of(1, 0));
    const div = parseExpression('amount / 0').evaluate(batch);
    expect(div.type).toBe('float64');
    expect(values(div)).toEqual([null, null]);
  });
  it('evaluate.ts: compileExpression and compilePredicate', () => {
    const z = compileExpression(parse('(amount - mean) / std'), { amount: 'number', mean: 'number', std: 'number' });
    const batch = makeBatch(Float64Array.of(0, 1), {
      amount: float64Column(Float64Array.of(12, 7)),
      mean: float64Column(Float64Array.of(10, 10)),
      std: float64Column(Float64Array.of(2, 0)),
    });
    expect(valueAt(z(batch), 0)).toBe(1);
    expect(valueAt(z(batch), 1)).toBeNull();

    const keep = compilePredicate(parse('amount > 10 or flagged'), { amount: 'number', flagged: 'bool' });
    const b2 = makeBatch(Float64Array.of(0, 1, 2), {
      amount: float64Column(Float64Array.of(25, 5, 0), Uint8Array.of(0b011)),
      flagged: { type: 'bool', values: Uint8Array.of(0, 0, 0) },
    });
    expect(keep(b2)).toEqual(Uint8Array.of(1, 0, 0));
  });
  it('parse.ts, typecheck.ts, ast.ts, print.ts, lexer.ts, suggest.ts', () => {
    expect(parse('(amount - spend_mean_30d) / spend_std_30d').kind).toBe('binary');
    expect(check(parse("status == 'failed' and amount > 10"), { status: 'string', amount: 'number' })).toBe('bool');
    expect(identifiersOf(parse('a + b * a'))).toEqual(['a', 'b']);
    expect(formatExpression(parse('(a+b)*c'))).toBe('(a + b) * c');
    expect(formatExpression(parse("!(x) && y || `odd name` == \"it's\""))).toBe("not x and y or `odd name` == 'it\\'s'");
    expect(tokenize('amount > 1e-3').map((t) => t.value)).toEqual(['amount', '>', 0.001, '']);
    expect(closest('sqr', ['sqrt', 'abs', 'log'])).toBe('sqrt');
    expect(closest('amout', ['amount', 'status'])).toBe('amount');
    expect(closest('zzz', ['amount'])).toBeUndefined();
  });
  it('errors.ts: ExpressionError', () => {
    try {
      parseExpression('sqr(x)');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ExpressionError);
      const err = e as ExpressionError;
      expect([err.reason, err.position.column, err.excerpt]).toEqual(["unknown function 'sqr'; did you mean 'sqrt'?", 1, '1 | sqr(x)\n  | ^^^']);
    }
  });
});
