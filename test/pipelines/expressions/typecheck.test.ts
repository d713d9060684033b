import { describe, expect, it } from 'vitest';
import { ExpressionError } from '../../../src/pipelines/expressions/errors.js';
import { parse } from '../../../src/pipelines/expressions/parse.js';
import { check, type Scope } from '../../../src/pipelines/expressions/typecheck.js';

const scope: Scope = {
  amount: 'number',
  spend_mean_30d: 'number',
  spend_std_30d: 'number',
  counter: 'number',
  status: 'string',
  merchant: 'string',
  is_fraud: 'bool',
  'attributes.page': 'string',
};

const type = (text: string, s: Scope = scope) => check(parse(text), s, text);

function typeError(text: string, s: Scope = scope): ExpressionError {
  try {
    type(text, s);
  } catch (e) {
    expect(e).toBeInstanceOf(ExpressionError);
    return e as ExpressionError;
  }
  throw new Error(`expected ${JSON.stringify(text)} not to type-check`);
}

describe('typecheck: result types', () => {
  it('types the examples from the design', () => {
    expect(type('(amount - spend_mean_30d) / spend_std_30d')).toBe('number');
    expect(type("status == 'failed' and amount > 10")).toBe('bool');
    expect(type('if(counter % 10 == 0, 0, counter)')).toBe('number');
  });
  it('types literals, functions and generic forms', () => {
    expect(type("'x'")).toBe('string');
    expect(type('null')).toBe('null');
    expect(type('is_null(status)')).toBe('bool');
    expect(type("coalesce(status, 'unknown')")).toBe('string');
    expect(type("if(is_fraud, status, 'ok')")).toBe('string');
    expect(type('coalesce(null, amount)')).toBe('number');
    expect(type('if(is_fraud, null, amount)')).toBe('number');
    expect(type('if(is_fraud, null, null)')).toBe('null');
    expect(type('amount + null')).toBe('number');
    expect(type('not null')).toBe('bool');
    expect(type('is_fraud == (amount > 1)')).toBe('bool');
    expect(type('status == merchant')).toBe('bool');
    expect(type("attributes.page != 'home'")).toBe('bool');
    expect(type('clip(pow(amount, 2), 0, 1) + sign(-amount) + min(amount, 1, 2)')).toBe('number');
  });
  it('accepts a Map as scope', () => {
    expect(check(parse('a + 1'), new Map([['a', 'number']]))).toBe('number');
  });
});

describe('typecheck: errors', () => {
  it('reports unknown columns with a suggestion and the position', () => {
    const e = typeError('amount + spend_mean_3d');
    expect(e.kind).toBe('name');
    expect(e.reason).toBe("unknown column 'spend_mean_3d'; did you mean 'spend_mean_30d'?");
    expect(e.suggestion).toBe('spend_mean_30d');
    expect(e.position).toEqual({ offset: 9, line: 1, column: 10 });
    expect(e.excerpt).toBe('1 | amount + spend_mean_3d\n  |          ^^^^^^^^^^^^^');
    expect(typeError('amout > 1').reason).toBe("unknown column 'amout'; did you mean 'amount'?");
    expect(typeError('xyz > 1').reason).toBe("unknown column 'xyz'");
  });
  it('rejects arithmetic on strings and bools at the offending operand', () => {
    const e = typeError('amount + status');
    expect(e.kind).toBe('type');
    expect(e.reason).toBe("'+' needs a number, got string");
    expect(e.position.column).toBe(10);
    expect(typeError('-status').reason).toBe("'-' needs a number, got string");
    expect(typeError('is_fraud * 2').position.column).toBe(1);
    expect(typeError('abs(status)').reason).toBe('abs argument 1 needs a number, got string');
  });
  it('reports positions on later lines', () => {
    const e = typeError('amount\n  + spend_std_30d\n  * status');
    expect(e.position).toEqual({ offset: 29, line: 3, column: 5 });
    expect(e.excerpt).toBe('3 |   * status\n  |     ^^^^^^');
  });
  it('needs bools for logic and if conditions', () => {
    const e = typeError('if(amount, 1, 2)');
    expect(e.reason).toBe('the condition of if needs a bool, got number');
    expect(e.position.column).toBe(4);
    expect(typeError('amount and is_fraud').reason).toBe("'and' needs a bool, got number");
    expect(typeError('not amount').reason).toBe("'not' needs a bool, got number");
    expect(typeError('!amount > 1').reason).toBe("'not' needs a bool, got number");
  });
  it('allows == and != on strings but not ordering', () => {
    expect(type("status == 'failed'")).toBe('bool');
    const e = typeError("status < 'b'");
    expect(e.reason).toBe("'<' cannot order strings; only == and != compare strings");
    expect(e.position.column).toBe(1);
    expect(typeError("'a' >= status").position.column).toBe(1);
    expect(typeError('is_fraud < true').reason).toBe("'<' needs a number, got bool");
  });
  it('rejects comparisons between different types', () => {
    const e = typeError('status == 3');
    expect(e.reason).toBe('cannot compare string with number');
    expect(e.position.column).toBe(11);
    expect(typeError("amount != 'x'").reason).toBe('cannot compare number with string');
    expect(typeError('is_fraud == 1').reason).toBe('cannot compare bool with number');
  });
  it('points comparisons with the null literal to is_null', () => {
    const e = typeError('amount == null');
    expect(e.reason).toBe('comparison with null is always null; use is_null(x) instead');
    expect(e.position.column).toBe(11);
  });
  it('needs branches and coalesce arguments of one type', () => {
    const e = typeError("if(is_fraud, amount, 'x')");
    expect(e.reason).toBe('the branches of if must have the same type: number and string');
    expect(e.position.column).toBe(22);
    expect(typeError('coalesce(amount, null, status)').reason).toBe('the arguments of coalesce must have the same type: number and string');
  });
  it('rejects a scope with an unknown type name', () => {
    expect(() => check(parse('a'), { a: 'float' } as unknown as Scope)).toThrow(/expected 'number', 'bool' or 'string'/);
  });
  it('has no excerpt without the source, but still the position', () => {
    try {
      check(parse('1 + x'), {});
      expect.unreachable();
    } catch (e) {
      expect((e as ExpressionError).excerpt).toBe('');
      expect((e as ExpressionError).position.column).toBe(5);
    }
  });
});
