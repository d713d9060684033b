import { describe, expect, it } from 'vitest';
import type { Expr } from '../../../src/pipelines/expressions/ast.js';
import { ExpressionError } from '../../../src/pipelines/expressions/errors.js';
import { tokenize } from '../../../src/pipelines/expressions/lexer.js';
import { MAX_DEPTH, parse } from '../../../src/pipelines/expressions/parse.js';
import { formatExpression } from '../../../src/pipelines/expressions/print.js';
import { identifiersOf } from '../../../src/pipelines/expressions/ast.js';

/** Lisp-style rendering: shows exactly how the tree is grouped. */
function sx(e: Expr): string {
  switch (e.kind) {
    case 'number':
      return String(e.value);
    case 'string':
      return JSON.stringify(e.value);
    case 'bool':
      return String(e.value);
    case 'null':
      return 'null';
    case 'ident':
      return e.name;
    case 'unary':
      return `(${e.op} ${sx(e.operand)})`;
    case 'binary':
      return `(${e.op} ${sx(e.left)} ${sx(e.right)})`;
    case 'call':
      return `(${e.name}${e.args.map((a) => ' ' + sx(a)).join('')})`;
  }
}

const p = (text: string): string => sx(parse(text));

function parseError(text: string): ExpressionError {
  try {
    parse(text);
  } catch (e) {
    expect(e).toBeInstanceOf(ExpressionError);
    return e as ExpressionError;
  }
  throw new Error(`expected ${JSON.stringify(text)} not to parse`);
}

describe('lexer', () => {
  it('reads numbers, strings, names, keywords and operators with positions', () => {
    const ts = tokenize("a.b >= 1e-3 and\n  `odd name` != 'x'");
    expect(ts.map((t) => [t.kind, t.value])).toEqual([
      ['ident', 'a.b'],
      ['op', '>='],
      ['number', 0.001],
      ['keyword', 'and'],
      ['ident', 'odd name'],
      ['op', '!='],
      ['string', 'x'],
      ['eof', ''],
    ]);
    expect(ts[4]!.pos).toEqual({ offset: 18, line: 2, column: 3 });
    expect(ts[4]!.quoted).toBe(true);
    expect(ts[6]!.pos).toEqual({ offset: 32, line: 2, column: 17 });
  });
  it('reads every number form', () => {
    for (const [text, value] of [['12', 12], ['1.5', 1.5], ['.5', 0.5], ['1e3', 1000], ['2.5E+2', 250], ['1e-3', 0.001], ['0', 0]] as const) {
      expect(tokenize(text)[0]!.value).toBe(value);
    }
  });
  it('decodes escapes in both quote styles', () => {
    expect(tokenize(String.raw`'it\'s \\ \n\t \u00e9 \u{1F600}'`)[0]!.value).toBe("it's \\ \n\t é 😀");
    expect(tokenize(String.raw`"say \"hi\""`)[0]!.value).toBe('say "hi"');
    expect(tokenize(`"it's"`)[0]!.value).toBe("it's");
  });
  it('reads unicode names', () => {
    expect(tokenize('montant_dépense')[0]!.value).toBe('montant_dépense');
  });
  it('rejects malformed numbers and stray characters', () => {
    expect(() => tokenize('10px')).toThrow(/invalid number '10p'/);
    expect(() => tokenize('1.')).toThrow(/expected a digit after '.'/);
    expect(() => tokenize('1e+')).toThrow(/exponent/);
    expect(() => tokenize('1.2.3')).toThrow(/invalid number/);
    expect(() => tokenize('1e999')).toThrow(/too large/);
    expect(() => tokenize('a # b')).toThrow(/unexpected character '#'/);
    expect(() => tokenize('a.')).toThrow(/expected a name after '.'/);
    expect(() => tokenize("'\\q'")).toThrow(/unknown escape '\\q'/);
    expect(() => tokenize('``')).toThrow(/empty quoted name/);
  });
  it('points at likely operator slips', () => {
    expect(() => tokenize('a = 1')).toThrow(/unexpected '='; did you mean '=='\?/);
    expect(() => tokenize('a & b')).toThrow(/did you mean '&&'/);
    expect(() => tokenize('a | b')).toThrow(/did you mean '\|\|'/);
  });
});

describe('parser: precedence and associativity', () => {
  it('binds * / % tighter than + -', () => {
    expect(p('a + b * c')).toBe('(+ a (* b c))');
    expect(p('a * b + c')).toBe('(+ (* a b) c)');
    expect(p('a - b % c')).toBe('(- a (% b c))');
    expect(p('(a + b) * c')).toBe('(* (+ a b) c)');
  });
  it('is left-associative for arithmetic', () => {
    expect(p('a - b - c')).toBe('(- (- a b) c)');
    expect(p('a / b / c')).toBe('(/ (/ a b) c)');
    expect(p('a - b + c')).toBe('(+ (- a b) c)');
    expect(p('a % b * c')).toBe('(* (% a b) c)');
    expect(p('a - (b - c)')).toBe('(- a (- b c))');
  });
  it('binds comparisons below arithmetic and above and/or', () => {
    expect(p('a + 1 > b * 2')).toBe('(> (+ a 1) (* b 2))');
    expect(p("status == 'failed' and amount > 10")).toBe('(and (== status "failed") (> amount 10))');
    expect(p('a < b or c >= d and e != f')).toBe('(or (< a b) (and (>= c d) (!= e f)))');
  });
  it('binds and tighter than or, both left-associative; && and || are synonyms', () => {
    expect(p('a or b and c')).toBe('(or a (and b c))');
    expect(p('a and b or c')).toBe('(or (and a b) c)');
    expect(p('a || b && c')).toBe('(or a (and b c))');
    expect(p('a and b and c')).toBe('(and (and a b) c)');
    expect(p('a or b or c')).toBe('(or (or a b) c)');
  });
  it('binds unary minus tightest', () => {
    expect(p('-a * b')).toBe('(* (- a) b)');
    expect(p('a * -b')).toBe('(* a (- b))');
    expect(p('a - -b')).toBe('(- a (- b))');
    expect(p('--a')).toBe('(- (- a))');
    expect(p('-2 + 3')).toBe('(+ (- 2) 3)');
  });
  it('binds not below comparisons (SQL) and ! tightest (C)', () => {
    expect(p('not a == b')).toBe('(not (== a b))');
    expect(p('!a == b')).toBe('(== (not a) b)');
    expect(p('not a and b')).toBe('(and (not a) b)');
    expect(p('not not a')).toBe('(not (not a))');
    expect(p('!!a')).toBe('(not (not a))');
    expect(p('!(a > 1) || b')).toBe('(or (not (> a 1)) b)');
  });
  it('parses literals, names and calls', () => {
    expect(p('true and false or null')).toBe('(or (and true false) null)');
    expect(p('attributes.page == "home"')).toBe('(== attributes.page "home")');
    expect(p('`weird name!` + `a``b`'.replace('``', '\\`'))).toBe('(+ weird name! a`b)');
    expect(p('coalesce(a, b, 0)')).toBe('(coalesce a b 0)');
    expect(p('if(counter % 10 == 0, 0, counter)')).toBe('(if (== (% counter 10) 0) 0 counter)');
    expect(p('pow(-x, 2) + clip(y, 0, 1)')).toBe('(+ (pow (- x) 2) (clip y 0 1))');
    expect(p('max(a)')).toBe('(max a)');
    expect(p('  \n a\t+\r\n b ')).toBe('(+ a b)');
  });
  it('lets a column share a keyword or function name through backticks or by not calling it', () => {
    expect(p('`and` + abs')).toBe('(+ and abs)');
    expect(p('abs(abs)')).toBe('(abs abs)');
  });
  it('keeps source spans on nodes', () => {
    const e = parse('1 +\n  (b * c)');
    if (e.kind !== 'binary') throw new Error('expected binary');
    expect(e.opPos).toEqual({ offset: 2, line: 1, column: 3 });
    expect(e.right.pos).toEqual({ offset: 6, line: 2, column: 3 });
    expect(e.right.end).toBe(13);
  });
});

describe('parser: errors', () => {
  it('reports line and column with a caret excerpt', () => {
    const e = parseError('amount +\n  * 2');
    expect(e.reason).toBe("expected a value, found '*'");
    expect(e.position).toEqual({ offset: 11, line: 2, column: 3 });
    expect(e.excerpt).toBe('2 |   * 2\n  |   ^');
    expect(e.message).toContain('(line 2, column 3)');
    expect(e.kind).toBe('syntax');
  });
  it('suggests the closest function for an unknown one', () => {
    const e = parseError('1 + sqr(x)');
    expect(e.reason).toBe("unknown function 'sqr'; did you mean 'sqrt'?");
    expect(e.suggestion).toBe('sqrt');
    expect(e.kind).toBe('name');
    expect(e.position.column).toBe(5);
    expect(e.excerpt).toBe('1 | 1 + sqr(x)\n  |     ^^^');
    expect(parseError('SQRT(x)').reason).toContain("did you mean 'sqrt'?");
    expect(parseError('lg10(x)').reason).toContain("did you mean 'log10'?");
    expect(parseError('isnull(x)').reason).toContain("did you mean 'is_null'?");
    expect(parseError('frobnicate(x)').reason).toBe("unknown function 'frobnicate'");
  });
  it('reports unterminated strings at the opening quote', () => {
    const e = parseError("status == 'failed");
    expect(e.reason).toBe("unterminated string: missing closing '");
    expect(e.position).toEqual({ offset: 10, line: 1, column: 11 });
    expect(e.excerpt).toBe("1 | status == 'failed\n  |           ^^^^^^^");
    expect(parseError('a == "x\n"').reason).toMatch(/unterminated string/);
    expect(parseError('`abc').reason).toMatch(/unterminated quoted name/);
  });
  it('rejects trailing garbage', () => {
    const e = parseError('a + b c');
    expect(e.reason).toBe("unexpected 'c' after the end of the expression");
    expect(e.position.column).toBe(7);
    expect(parseError('a + b)').reason).toBe("unmatched ')'");
    expect(parseError('f(x) 1').reason).toMatch(/unknown function 'f'/);
    expect(parseError('abs(x) 1').reason).toBe('unexpected number 1 after the end of the expression');
    expect(parseError('`abs`(x)').reason).toBe("unexpected '(' after the end of the expression");
  });
  it('rejects incomplete input', () => {
    expect(parseError('').reason).toBe('empty expression');
    expect(parseError('   ').reason).toBe('empty expression');
    expect(parseError('a +').reason).toBe('unexpected end of expression');
    expect(parseError('(a + b').reason).toBe("missing ')'");
    expect(parseError('(a + b').position.column).toBe(1);
    expect(parseError('abs(a').reason).toBe("missing ')' to close the call to abs");
    expect(parseError('abs(a b)').reason).toBe("expected ',' or ')' in the call to abs, found 'b'");
    expect(parseError('not').reason).toBe('unexpected end of expression');
    expect(parseError('a and or b').reason).toBe("expected a value, found 'or'");
  });
  it('checks argument counts', () => {
    expect(parseError('abs(a, b)').reason).toBe('abs takes 1 argument, got 2');
    expect(parseError('pow(a)').reason).toBe('pow takes 2 arguments, got 1');
    expect(parseError('if(a, b)').reason).toBe('if takes 3 arguments, got 2');
    expect(parseError('coalesce()').reason).toBe('coalesce takes at least 1 arguments, got 0');
    expect(parseError('abs(a, b)').excerpt).toBe('1 | abs(a, b)\n  | ^^^^^^^^^');
  });
  it('does not chain comparisons', () => {
    const e = parseError('a < b < c');
    expect(e.reason).toBe("comparisons do not chain: write 'a < b and b < c'");
    expect(e.position.column).toBe(7);
    expect(p('(a < b) == c')).toBe('(== (< a b) c)');
    expect(parseError('a > 1 == b').reason).toBe('comparisons do not chain: add parentheses to show which comparison comes first');
  });
  it('bounds nesting instead of overflowing the stack', () => {
    expect(parse('('.repeat(MAX_DEPTH - 1) + 'a' + ')'.repeat(MAX_DEPTH - 1)).kind).toBe('ident');
    expect(parseError('('.repeat(100_000) + 'a' + ')'.repeat(100_000)).reason).toMatch(/too deeply nested/);
    expect(parseError('-'.repeat(100_000) + 'a').reason).toMatch(/too deeply nested/);
    expect(parseError(Array.from({ length: 5000 }, () => 'a').join(' + ')).reason).toMatch(/too deeply nested/);
    expect(parse(Array.from({ length: 500 }, (_, i) => `c${i}`).join(' + ')).kind).toBe('binary');
  });
});

describe('identifiers and canonical text', () => {
  it('lists referenced names once, in order', () => {
    expect(identifiersOf(parse('(amount - spend_mean_30d) / spend_std_30d + amount'))).toEqual(['amount', 'spend_mean_30d', 'spend_std_30d']);
    expect(identifiersOf(parse("coalesce(`a b`, c.d, 'lit', 1)"))).toEqual(['a b', 'c.d']);
  });
  it('prints minimal, canonical text that parses back to the same tree', () => {
    const cases: [string, string][] = [
      ['(a+b)*c', '(a + b) * c'],
      ['a-(b-c)', 'a - (b - c)'],
      ['(a-b)-c', 'a - b - c'],
      ['!(x) && y || z', 'not x and y or z'],
      ['!a == b', '(not a) == b'],
      ['not (a == b)', 'not a == b'],
      ['(a < b) == (c < d)', '(a < b) == (c < d)'],
      ['-(a + b)', '-(a + b)'],
      ['a * -b', 'a * -b'],
      ["`odd name` == \"it's\"", "`odd name` == 'it\\'s'"],
      ['`and` + `x.1`', '`and` + `x.1`'],
      ['IF_X', 'IF_X'],
      ['if(a > 0, 1e-7, 1.5e21)', 'if(a > 0, 1e-7, 1.5e+21)'],
      ['not (a and b)', 'not (a and b)'],
      ['(not a) and b', 'not a and b'],
    ];
    for (const [text, canonical] of cases) {
      const printed = formatExpression(parse(text));
      expect(printed).toBe(canonical);
      expect(sx(parse(printed))).toBe(sx(parse(text)));
    }
  });
});
